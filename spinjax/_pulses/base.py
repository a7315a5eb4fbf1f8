"""The pulse interface and sums of pulses."""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._params import InvalidParameterError


class AbstractPulse(eqx.Module):
    """A waveform $A(t)$: a pytree whose parameters are arrays, so gradients flow to its
    amplitude, timing and shape, and a new amplitude does not recompile a solve.

    Amplitudes broadcast over the junction axes (a per-junction amplitude of shape
    (N,) gives a drive of shape (N,)). Pulses add: ``p + q`` is their sum.
    """

    @abc.abstractmethod
    def __call__(self, t) -> jax.Array:
        """The value at time `t` (s), in the unit of the amplitude."""

    def support(self) -> tuple[jax.Array, jax.Array]:
        """An interval (s) outside which the pulse is zero; (-inf, inf) if unbounded."""
        return jnp.asarray(-jnp.inf), jnp.asarray(jnp.inf)

    def __add__(self, other: "AbstractPulse") -> "Sum":
        return Sum((self, other))


class Sum(AbstractPulse):
    """$A(t) = \\sum_k A_k(t)$: pulses superposed (overlap allowed)."""

    pulses: tuple[AbstractPulse, ...]

    def __call__(self, t):
        return sum(p(t) for p in self.pulses)

    def support(self):
        lo, hi = zip(*(p.support() for p in self.pulses))
        return jnp.min(jnp.stack([jnp.min(x) for x in lo])), jnp.max(
            jnp.stack([jnp.max(x) for x in hi]))

    def __add__(self, other):
        return Sum((*self.pulses, other))


class Sequence(Sum):
    """Pulses that follow one another without overlap (reset, write, read, ...).

    The value is their sum; construction checks (for concrete timings) that each
    pulse's support ends before the next one's begins, and raises
    :class:`spinjax.InvalidParameterError` naming the two pulses otherwise.
    """

    def __check_init__(self):
        bounds = [p.support() for p in self.pulses]
        if any(isinstance(x, jax.core.Tracer) for b in bounds for x in b):
            return
        for k in range(len(bounds) - 1):
            end = float(np.max(np.asarray(bounds[k][1])))
            start = float(np.min(np.asarray(bounds[k + 1][0])))
            if end > start:
                raise InvalidParameterError(
                    f"Sequence.pulses[{k}] ends at {end:.6g} s, after pulses[{k + 1}] "
                    f"starts at {start:.6g} s; pulses of a Sequence must not overlap "
                    "(use + for superposed pulses).")

    def __add__(self, other):
        return Sequence((*self.pulses, other))
