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

    def corners(self) -> list | None:
        """For a piecewise-linear pulse, the times (s) of its corners (arrays that
        broadcast with its value); None for any other shape."""
        return None

    def max_abs(self, t0, t1) -> jax.Array | None:
        r"""$\max_{t_0 \le t \le t_1} |A(t)|$ from the pulse's parameters (not from
        samples), with the shape of the value (one bound per junction), or None where no
        bound is known. Exact for a piecewise-linear pulse (the largest value at a corner
        inside the interval or at an end); subclasses of other shapes override it. The
        step-size check of [`spinjax.simulate`][] uses it to cover the whole drive."""
        c = self.corners()
        return None if c is None else _max_at(self, t0, t1, c)

    def __add__(self, other: "AbstractPulse") -> "Sum":
        return Sum((self, other))


def _max_at(pulse, t0, t1, times):
    """max |pulse| over t0, t1 and `times` clipped into [t0, t1], each time also just
    before and after it (the one-sided limits at a step: the end of a pulse without a
    fall, the last knot of a PiecewiseLinear)."""
    near = [jnp.nextafter(c, jnp.asarray(side, jnp.result_type(c)))
            for c in times for side in (-jnp.inf, jnp.inf)]
    vals = [jnp.abs(pulse(jnp.clip(c, t0, t1))) for c in (t0, t1, *times, *near)]
    return jnp.max(jnp.stack(jnp.broadcast_arrays(*vals)), axis=0)


class Sum(AbstractPulse):
    """$A(t) = \\sum_k A_k(t)$: pulses superposed (overlap allowed)."""

    pulses: tuple[AbstractPulse, ...]

    def __call__(self, t):
        return sum(p(t) for p in self.pulses)

    def corners(self):
        parts = [p.corners() for p in self.pulses]
        return None if any(c is None for c in parts) else [c for p in parts for c in p]

    def max_abs(self, t0, t1):
        """Exact when every part is piecewise linear (the sum's corners); otherwise the
        sum of the parts' bounds (exact when their peaks coincide, an upper bound
        otherwise); None if a part has no bound."""
        if self.corners() is not None:
            return super().max_abs(t0, t1)
        bounds = [p.max_abs(t0, t1) for p in self.pulses]
        return None if any(b is None for b in bounds) else sum(bounds)

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
    [`spinjax.InvalidParameterError`][] naming the two pulses otherwise.
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

    def max_abs(self, t0, t1):
        """Exact: the pulses do not overlap, so the largest of their bounds, or the
        value where one ends as the next starts."""
        if self.corners() is not None:
            return super().max_abs(t0, t1)
        bounds = [p.max_abs(t0, t1) for p in self.pulses]
        if any(b is None for b in bounds):
            return None
        joins = [p.support()[0] for p in self.pulses]
        return jnp.maximum(_max_at(self, t0, t1, joins),
                           jnp.max(jnp.stack(jnp.broadcast_arrays(*bounds)), axis=0))

    def __add__(self, other):
        return Sequence((*self.pulses, other))
