"""The feature extractor of the image-quality metrics: a small CNN classifier trained
on the same data (Flax, optax), whose penultimate layer gives the features.

Conv(32) - GroupNorm - SiLU - Conv(64, stride 2) - SiLU - Conv(64, stride 2) - SiLU -
global average pool - Dense(128) - SiLU [features] - Dense(classes). Trained with
AdamW on the training images (with random one-pixel shifts), and reported with its
test accuracy, which says how much its features can be trusted.
"""

import functools
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax


class Classifier(nn.Module):
    """``__call__(x) -> (logits, features)`` for images (B, H, W, C) in [-1, 1]."""

    num_classes: int = 10
    width: int = 32
    features: int = 128

    @nn.compact
    def __call__(self, x):
        h = nn.Conv(self.width, (3, 3))(x)
        h = nn.silu(nn.GroupNorm(num_groups=8)(h))
        h = nn.silu(nn.Conv(2 * self.width, (3, 3), strides=(2, 2))(h))
        h = nn.silu(nn.Conv(2 * self.width, (3, 3), strides=(2, 2))(h))
        h = jnp.mean(h, axis=(1, 2))
        f = nn.silu(nn.Dense(self.features)(h))
        return nn.Dense(self.num_classes)(f), f


def _shift(key, x):
    """Random shifts by up to one pixel (edge padding): a light augmentation."""
    dx, dy = jax.random.randint(key, (2,), -1, 2)
    pad = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    return jax.lax.dynamic_slice(pad, (0, 1 + dy, 1 + dx, 0), x.shape)


def _optimizer(steps: int, learning_rate: float) -> optax.GradientTransformation:
    return optax.adamw(optax.cosine_decay_schedule(learning_rate, steps), weight_decay=1e-4)


_init = jax.jit(lambda model, key, x: model.init(key, x), static_argnums=0)


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3))
def _train_step(model, steps, learning_rate, batch, key, x_train, y_train, params,
                opt_state, i):
    n = x_train.shape[0]
    k_idx, k_shift = jax.random.split(jax.random.fold_in(key, i))
    idx = jax.random.randint(k_idx, (batch,), 0, n)
    x, y = _shift(k_shift, x_train[idx]), y_train[idx]

    def loss_fn(p):
        logits, _ = model.apply({"params": p}, x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    loss, g = jax.value_and_grad(loss_fn)(params)
    upd, opt_state = _optimizer(steps, learning_rate).update(g, opt_state, params)
    return optax.apply_updates(params, upd), opt_state, loss


def train_classifier(x_train, y_train, x_test, y_test, *, num_classes: int = 10,
                     steps: int = 1500, batch_size: int = 128, learning_rate: float = 3e-3,
                     seed: int = 0, log=print):
    """Train a [`Classifier`][diffusion.classifier.Classifier]; returns ``(model, params,
    test_accuracy)``. (The step is compiled once per model, schedule and data shape, with
    the data as its argument: a second call in the same process reuses it.)"""
    model = Classifier(num_classes=num_classes)
    x_train, x_test = jnp.asarray(x_train, jnp.float32), jnp.asarray(x_test, jnp.float32)
    y_train, y_test = jnp.asarray(y_train, jnp.int32), jnp.asarray(y_test, jnp.int32)
    key = jax.random.key(seed)
    params = _init(model, key, x_train[:1])["params"]
    opt_state = _optimizer(steps, learning_rate).init(params)
    step = functools.partial(_train_step, model, steps, learning_rate,
                             min(batch_size, x_train.shape[0]), key, x_train, y_train)

    t0 = time.perf_counter()
    for i in range(steps):
        params, opt_state, loss = step(params, opt_state, i)
    acc = accuracy(model, params, x_test, y_test)
    log(f"classifier: {steps} steps in {time.perf_counter() - t0:.1f} s, final loss "
        f"{float(loss):.3f}, test accuracy {acc:.4f}")
    return model, params, acc


@functools.partial(jax.jit, static_argnums=0)
def _apply(model, params, x):
    return model.apply({"params": params}, x)


def predict(model, params, x, batch_size: int = 1024):
    """``(logits, features)`` of images `x` in batches (numpy arrays)."""
    outs = [_apply(model, params, jnp.asarray(x[i:i + batch_size], jnp.float32))
            for i in range(0, len(x), batch_size)]
    return (np.concatenate([np.asarray(o[0]) for o in outs]),
            np.concatenate([np.asarray(o[1]) for o in outs]))


def accuracy(model, params, x, y) -> float:
    logits, _ = predict(model, params, x)
    return float(np.mean(np.argmax(logits, 1) == np.asarray(y)))
