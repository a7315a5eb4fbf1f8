r"""Training of the epsilon-prediction U-Net: optax, clu metrics and writers, orbax
checkpoints that resume exactly.

Loss (Ho et al. 2020): $L = E_{x_0, t, \epsilon}\,\lVert\epsilon -
\epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t)\rVert^2$ with
$t$ uniform on $\{0..T-1\}$. Optimizer: ``optax.chain(clip_by_global_norm,
adamw(warm-up schedule))``; the weights' exponential moving average (the sampling
weights) by ``optax.incremental_update``.

Exact resumption: every random choice of step $s$ (the batch, $t$, $\epsilon$, the
dropout) is a function of ``(seed, s)`` alone (the batch is slice $s$ mod $E$ of the
permutation of epoch $\lfloor s/E\rfloor$, $E$ batches per epoch), and the state
(parameters, EMA, optimizer moments, step) is checkpointed by orbax, so a run stopped
after any checkpoint and restarted reaches bit-identical weights.

Logged through clu: ``metrics.Average`` of the loss and gradient norm per
`log_every` steps, written by ``metric_writers.create_default_writer`` (TensorBoard
event files in the work directory, and the log), with
``periodic_actions.ReportProgress`` giving steps per second; the same numbers go to
``log.jsonl``.
"""

import json
import time
from pathlib import Path

import flax
import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .config import TrainConfig
from .schedules import make_schedule, q_sample
from .unet import UNet


@flax.struct.dataclass
class TrainState:
    """`step` (int32); `params`, `ema_params` (the U-Net's); `opt_state` (optax)."""

    step: jax.Array
    params: dict
    ema_params: dict
    opt_state: object


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    lr = optax.join_schedules(
        [optax.linear_schedule(0.0, config.learning_rate, max(config.warmup_steps, 1)),
         optax.constant_schedule(config.learning_rate)], [max(config.warmup_steps, 1)])
    return optax.chain(optax.clip_by_global_norm(config.grad_clip),
                       optax.adamw(lr, weight_decay=config.weight_decay))


def init_state(config: TrainConfig, image_shape) -> tuple[UNet, TrainState]:
    """The model and its initial state for images of shape (H, W, C)."""
    model = UNet(**config.model_kwargs())
    x = jnp.zeros((1, *image_shape), jnp.float32)
    params = model.init(jax.random.key(config.seed), x, jnp.zeros((1,), jnp.int32),
                        train=False)["params"]
    opt_state = make_optimizer(config).init(params)
    return model, TrainState(jnp.zeros((), jnp.int32), params, params, opt_state)


def make_train_step(config: TrainConfig, model: UNet, x_train):
    """The jitted ``step(state) -> (state, metrics)``; `x_train` (N, H, W, C) stays on
    the device and each step takes its batch by index (see the module docstring)."""
    schedule = make_schedule(config.schedule, config.timesteps)
    optimizer = make_optimizer(config)
    x_train = jnp.asarray(x_train, jnp.float32)
    n = x_train.shape[0]
    batch = min(config.batch_size, n)
    per_epoch = n // batch
    root = jax.random.key(config.seed + 1)

    @jax.jit
    def step_fn(state: TrainState):
        s = state.step
        k_perm, k_t, k_eps, k_drop = jax.random.split(jax.random.fold_in(root, s), 4)
        perm = jax.random.permutation(jax.random.fold_in(root, -1 - s // per_epoch), n)
        idx = jax.lax.dynamic_slice(perm, ((s % per_epoch) * batch,), (batch,))
        x0 = x_train[idx]
        t = jax.random.randint(k_t, (batch,), 0, config.timesteps)
        eps = jax.random.normal(k_eps, x0.shape, x0.dtype)
        xt = q_sample(schedule, x0, t, eps)

        def loss_fn(params):
            pred = model.apply({"params": params}, xt, t, train=True,
                               rngs={"dropout": k_drop})
            return jnp.mean((pred - eps) ** 2)

        loss, grads = jax.value_and_grad(loss_fn)(state.params)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        ema = optax.incremental_update(params, state.ema_params, 1.0 - config.ema_decay)
        new = TrainState(s + 1, params, ema, opt_state)
        return new, {"loss": loss, "grad_norm": optax.tree.norm(grads)}

    return step_fn


def _checkpoint_manager(workdir: Path, config: TrainConfig):
    import orbax.checkpoint as ocp
    return ocp.CheckpointManager(
        (workdir / "checkpoints").absolute(),
        options=ocp.CheckpointManagerOptions(max_to_keep=config.keep_checkpoints,
                                             create=True))


def restore_state(workdir, config: TrainConfig, image_shape, step: int | None = None):
    """The model and the checkpointed state (the latest, or `step`) of a run in
    `workdir`; ``None`` for the state when there is no checkpoint."""
    import orbax.checkpoint as ocp
    model, state = init_state(config, image_shape)
    manager = _checkpoint_manager(Path(workdir), config)
    step = manager.latest_step() if step is None else step
    if step is None:
        return model, None
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, state)
    restored = manager.restore(step, args=ocp.args.StandardRestore(abstract))
    return model, restored


def train(config: TrainConfig, workdir, x_train, *, stop_after: int | None = None,
          log=print) -> tuple[UNet, TrainState]:
    """Train on `x_train` (N, H, W, C) in [-1, 1] to ``config.train_steps``, resuming
    from the latest checkpoint in `workdir` if there is one; `stop_after` stops early
    after that many steps of this call (to test resumption). Writes ``config.json``,
    ``log.jsonl``, TensorBoard events and ``checkpoints/`` in `workdir`."""
    import orbax.checkpoint as ocp

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.json").write_text(config.to_json() + "\n")
    x_train = jnp.asarray(x_train, jnp.float32)
    if x_train.ndim != 4 or not bool(jnp.all(jnp.isfinite(x_train))):
        raise ValueError(f"x_train must be finite images of shape (N, H, W, C); got shape "
                         f"{x_train.shape}.")
    model, state = init_state(config, x_train.shape[1:])
    manager = _checkpoint_manager(workdir, config)
    if manager.latest_step() is not None:
        _, state = restore_state(workdir, config, x_train.shape[1:])
        log(f"resumed from step {int(state.step)} in {workdir}")
    if int(state.step) >= config.train_steps:
        # A finished run opens no writer: reusing trained weights needs neither clu's
        # writers nor the TensorFlow they import (absent on some accelerator images).
        manager.close()
        return model, state
    from clu import metric_writers, metrics, periodic_actions

    step_fn = make_train_step(config, model, x_train)
    writer = metric_writers.create_default_writer(str(workdir), just_logging=False)
    progress = periodic_actions.ReportProgress(num_train_steps=config.train_steps,
                                               writer=writer, every_steps=config.log_every)
    Avg = metrics.Collection.create(loss=metrics.Average.from_output("loss"),
                                    grad_norm=metrics.Average.from_output("grad_norm"))
    acc, t0, done = None, time.perf_counter(), 0
    start = int(state.step)
    with open(workdir / "log.jsonl", "a") as logfile:
        while int(state.step) < config.train_steps:
            if stop_after is not None and done >= stop_after:
                break
            state, out = step_fn(state)
            done += 1
            step = int(state.step)
            upd = Avg.single_from_model_output(**out)
            acc = upd if acc is None else acc.merge(upd)
            progress(step)
            if step % config.log_every == 0 or step == config.train_steps:
                values = {k: float(v) for k, v in acc.compute().items()}
                if not all(np.isfinite(v) for v in values.values()):
                    raise FloatingPointError(f"training diverged at step {step}: {values}; "
                                             f"lower learning_rate or grad_clip.")
                rate = done / (time.perf_counter() - t0)
                writer.write_scalars(step, values)
                logfile.write(json.dumps(dict(step=step, steps_per_s=rate, **values)) + "\n")
                log(f"step {step}: loss {values['loss']:.4f}, |g| {values['grad_norm']:.3f}, "
                    f"{rate:.1f} steps/s")
                acc = None
            if step % config.checkpoint_every == 0 or step == config.train_steps:
                manager.save(step, args=ocp.args.StandardSave(state))
    manager.wait_until_finished()
    writer.flush()
    log(f"trained steps {start}-{int(state.step)} in {time.perf_counter() - t0:.1f} s")
    return model, state
