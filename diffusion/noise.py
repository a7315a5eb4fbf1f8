r"""Noise sources for the samplers: where the standard normals of a sampling step come from.

A source is an ``(init, sample)`` pair of pure functions over its own state, so that a
sampler's ``lax.scan`` carries it from step to step (a junction array's magnetization
and its cycle counter, say, or just a key):

- ``state = source.init(key)``;
- ``z, state = source.sample(state, shape)``: an array of `shape` whose entries are
  (ideally) independent N(0, 1).

[`SoftwareNoise`][diffusion.noise.SoftwareNoise] is ``jax.random.normal``; the device
sources (bits from the simulated junction array turned into Gaussians) live beside it.
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp


class AbstractNoiseSource(eqx.Module):
    """Where a sampler's standard normals come from: ``init(key) -> state`` and
    ``sample(state, shape) -> (z, state)``."""

    @abc.abstractmethod
    def init(self, key):
        """The source's state before the first draw."""

    @abc.abstractmethod
    def sample(self, state, shape: tuple[int, ...]):
        """Standard normals of `shape` and the next state."""


class SoftwareNoise(AbstractNoiseSource):
    """``jax.random.normal`` from a key that is split at every draw (the baseline)."""

    dtype: jnp.dtype = eqx.field(static=True, default=jnp.float32)

    def init(self, key):
        return key

    def sample(self, state, shape):
        key, sub = jax.random.split(state)
        return jax.random.normal(sub, shape, self.dtype), key
