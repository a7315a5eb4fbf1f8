"""The epsilon U-Net (diffusion/unet.py): shapes at every supported size (padding
included), the time embedding, dropout, parameter counts, errors, and use inside a
sampler. Parameters do not depend on the image size, so one initialization serves
every size."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from diffusion.noise import SoftwareNoise
from diffusion.samplers import ddim_sample
from diffusion.schedules import linear_schedule
from diffusion.configs import get_config
from diffusion.unet import (
    UNet, UNetConfigError, count_params, eps_fn, init_params, timestep_embedding)

TINY = dict(channels=8, channel_mults=(1, 2), num_res_blocks=1, attention=True,
            num_groups=4)


@pytest.fixture(scope="module")
def small():
    model = UNet(**get_config("default").model_kwargs())
    return model, init_params(model, jax.random.key(0), (8, 8, 1))


@pytest.mark.parametrize("hw", [(8, 8), (16, 16), (28, 28), (9, 7)])
def test_default_config_keeps_the_shape(small, hw):
    """8, 16, 28 are even (no padding for two levels); 9x7 is padded to 10x8."""
    model, variables = small
    x = jax.random.normal(jax.random.key(1), (2, *hw, 1), jnp.float32)
    t = jnp.array([0, 999], jnp.int32)
    y = jax.jit(lambda v, x, t: model.apply(v, x, t, train=False))(variables, x, t)
    assert y.shape == x.shape and y.dtype == jnp.float32
    assert np.all(np.isfinite(np.asarray(y)))


def test_four_levels_pad_28_to_32():
    """Four levels need sides divisible by 8: 28x28 runs at 32x32 and comes back
    cropped. (Random parameters from one normal draw: flax's per-layer initializers
    take about 10 s to compile on a 2-core CPU, and the shape is all this checks.)"""
    model = UNet(**{**TINY, "channel_mults": (1, 1, 1, 1)})
    x = jax.random.normal(jax.random.key(2), (1, 28, 28, 3), jnp.float32)
    t = jnp.array([5], jnp.int32)
    shapes = jax.eval_shape(lambda k: init_params(model, k, (8, 8, 3)), jax.random.key(0))
    flat, unravel = ravel_pytree(jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes))
    variables = unravel(0.1 * jax.random.normal(jax.random.key(3), flat.shape, flat.dtype))
    y = jax.jit(lambda v, x: model.apply(v, x, t, train=False))(variables, x)
    assert y.shape == x.shape


def test_time_embedding_changes_the_output(small):
    model, variables = small
    x = jax.random.normal(jax.random.key(1), (1, 8, 8, 1), jnp.float32)
    apply = jax.jit(lambda t: model.apply(variables, x, t, train=False))
    y0, y1 = apply(jnp.array([0], jnp.int32)), apply(jnp.array([500], jnp.int32))
    assert float(jnp.max(jnp.abs(y0 - y1))) > 1e-2 * float(jnp.max(jnp.abs(y0)))
    emb = timestep_embedding(jnp.array([0, 1, 500], jnp.int32), 32)
    assert emb.shape == (3, 32)
    np.testing.assert_allclose(emb[0], np.r_[np.zeros(16), np.ones(16)], atol=1e-7)


def test_dropout_only_in_training(small):
    model, variables = small
    model = model.clone(dropout=0.5)  # dropout has no parameters
    x, t = jnp.ones((1, 8, 8, 1), jnp.float32), jnp.array([10], jnp.int32)
    train = jax.jit(lambda k: model.apply(variables, x, t, train=True, rngs={"dropout": k}))
    test = jax.jit(lambda: model.apply(variables, x, t, train=False))
    a, b = train(jax.random.key(1)), train(jax.random.key(2))
    c, d = test(), test()
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(c, d)


def test_parameter_counts():
    """The two presets of diffusion/configs: the CPU default and the shipped GPU model."""
    def count(name):
        model = UNet(**get_config(name).model_kwargs())
        shapes = jax.eval_shape(lambda k: init_params(model, k, (28, 28, 1)), jax.random.key(0))
        return count_params(shapes)
    n_default, n_fashion28 = count("default"), count("fashion28")
    assert n_default == 701_345 and n_default < 1_500_000
    assert n_fashion28 == 1_112_801


@pytest.mark.parametrize("config", [
    dict(TINY, channels=12, num_groups=8),
    dict(TINY, channel_mults=()),
    dict(TINY, dropout=1.0),
    dict(TINY, num_heads=3),
])
def test_config_errors(config):
    with pytest.raises(UNetConfigError):
        init_params(UNet(**config), jax.random.key(0), (8, 8, 1))


def test_unet_inside_a_sampler(small):
    """UNetEps is a pytree: its parameters are traced, not baked in."""
    model, variables = small
    x = ddim_sample(eps_fn(model, variables), linear_schedule(100), SoftwareNoise(),
                    jax.random.key(1), (2, 8, 8, 1), 4)
    assert x.shape == (2, 8, 8, 1) and np.all(np.abs(np.asarray(x)) <= 1.0)
