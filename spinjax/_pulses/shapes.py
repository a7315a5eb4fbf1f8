"""Pulse shapes: trapezoidal (and rectangular), Gaussian, sinusoidal, piecewise linear."""

import jax
import jax.numpy as jnp
import numpy as np

from .._params import NONNEGATIVE, POSITIVE, REAL, InvalidParameterError, check_concrete, param
from .base import AbstractPulse


def _ramp(x, duration):
    """0 for x <= 0, x / duration on the ramp, 1 after; a step where duration == 0."""
    safe = jnp.where(duration > 0, duration, 1.0)
    return jnp.where(duration > 0, jnp.clip(x / safe, 0.0, 1.0), (x >= 0).astype(x.dtype))


class Trapezoid(AbstractPulse):
    r"""A trapezoidal pulse: a linear rise, a plateau, a linear fall.

    $A(t)$ rises from 0 at `start_s` to `amplitude` at `start_s + rise_s`, holds for
    `width_s`, and falls to 0 over `fall_s`; its full width at half maximum is
    $w + (t_r + t_f)/2$. Piecewise linear in all parameters, so the gradients with
    respect to amplitude, start, width, rise and fall exist wherever $t$ is not on a
    corner; with zero rise and fall (a rectangular pulse) the derivative with respect
    to the timing vanishes almost everywhere (the edge is a step): give the edges a
    finite duration, as any real generator has, to optimize timing.

    **Fields:** `amplitude` (any unit: V, A/m^2, A/m); `start_s`, `width_s` (>= 0),
    `rise_s` (>= 0), `fall_s` (>= 0), all in s.
    """

    amplitude: object = param("drive unit")
    start_s: object = param("s", REAL, default=0.0)
    width_s: object = param("s", NONNEGATIVE, default=0.0)
    rise_s: object = param("s", NONNEGATIVE, default=0.0)
    fall_s: object = param("s", NONNEGATIVE, default=0.0)

    def __check_init__(self):
        check_concrete(self)

    def __call__(self, t):
        t = jnp.asarray(t)
        up = _ramp(t - self.start_s, self.rise_s)
        t_fall = self.start_s + self.rise_s + self.width_s
        down = _ramp(t - t_fall, self.fall_s)
        return self.amplitude * (up - down)

    def support(self):
        return self.start_s, self.start_s + self.rise_s + self.width_s + self.fall_s

    def corners(self):
        up = self.start_s + self.rise_s
        return [self.start_s, up, up + self.width_s, up + self.width_s + self.fall_s]

    def max_abs(self, t0, t1):
        """Exact, in closed form: |amplitude| where [t0, t1] meets the plateau (its
        closure), else the value at the end of [t0, t1] nearer to it (robust to edges
        far shorter than the resolution of the start time)."""
        p0 = self.start_s + self.rise_s
        p1 = p0 + self.width_s
        before = jnp.where(self.rise_s > 0,
                           jnp.clip((t1 - self.start_s) / jnp.where(self.rise_s > 0,
                                                                    self.rise_s, 1.0), 0, 1),
                           (t1 >= self.start_s).astype(jnp.result_type(self.rise_s)))
        after = jnp.where(self.fall_s > 0,
                          1 - jnp.clip((t0 - p1) / jnp.where(self.fall_s > 0, self.fall_s,
                                                             1.0), 0, 1), 0.0)
        # the plateau is [p0, p1], or [p0, p1) when the fall is a step (A(p1) = 0)
        meets = (t1 >= p0) & jnp.where(self.fall_s > 0, t0 <= p1, t0 < p1)
        shape = jnp.where(meets, 1.0, jnp.where(t1 < p0, before, after))
        empty = (self.rise_s == 0) & (self.width_s == 0) & (self.fall_s == 0)
        return jnp.abs(self.amplitude) * jnp.where(empty, 0.0, shape)


def rectangular(amplitude, start_s, width_s, edge_s=0.0) -> Trapezoid:
    """A rectangular pulse of duration `width_s` (s) from `start_s` (s), with linear
    edges of `edge_s` (s) each (0: ideal steps); a [`Trapezoid`][spinjax.Trapezoid]."""
    return Trapezoid(amplitude, start_s, width_s, edge_s, edge_s)


class GaussianPulse(AbstractPulse):
    r"""$A(t) = A_0 \exp[-(t - t_c)^2 / (2 s^2)]$; support taken as $t_c \pm 8 s$.

    **Fields:** `amplitude`; `center_s` $t_c$ (s); `sigma_s` $s > 0$ (s).
    """

    amplitude: object = param("drive unit")
    center_s: object = param("s", REAL)
    sigma_s: object = param("s", POSITIVE)

    def __check_init__(self):
        check_concrete(self)

    def __call__(self, t):
        return self.amplitude * jnp.exp(-0.5 * ((t - self.center_s) / self.sigma_s) ** 2)

    def support(self):
        return self.center_s - 8 * self.sigma_s, self.center_s + 8 * self.sigma_s

    def max_abs(self, t0, t1):
        """Exact: the value at the time of [t0, t1] nearest the centre."""
        return jnp.abs(self(jnp.clip(self.center_s, t0, t1)))


class Sinusoid(AbstractPulse):
    r"""$A(t) = A_0 \sin(2\pi f t + \varphi) + A_\mathrm{dc}$, for harmonic (lock-in)
    measurements; unbounded support.

    **Fields:** `amplitude`; `frequency_hz` $f > 0$; `phase_rad` $\varphi$; `offset` $A_\mathrm{dc}$.
    """

    amplitude: object = param("drive unit")
    frequency_hz: object = param("Hz", POSITIVE)
    phase_rad: object = param("rad", REAL, default=0.0)
    offset: object = param("drive unit", REAL, default=0.0)

    def __check_init__(self):
        check_concrete(self)

    def __call__(self, t):
        return self.amplitude * jnp.sin(2 * jnp.pi * self.frequency_hz * t
                                        + self.phase_rad) + self.offset

    def max_abs(self, t0, t1):
        """Exact: the larger of the values at t0 and t1 and, where the phase passes
        pi/2 or 3pi/2 (mod 2 pi) inside [t0, t1], offset + amplitude or offset -
        amplitude."""
        two_pi = 2 * jnp.pi

        def phase(t):
            return two_pi * self.frequency_hz * t + self.phase_rad

        def passes(at):
            return (jnp.ceil((phase(t0) - at) / two_pi)
                    <= jnp.floor((phase(t1) - at) / two_pi))

        ends = jnp.maximum(jnp.abs(self(t0)), jnp.abs(self(t1)))
        top = jnp.where(passes(jnp.pi / 2), jnp.abs(self.offset + self.amplitude), 0.0)
        bottom = jnp.where(passes(1.5 * jnp.pi), jnp.abs(self.offset - self.amplitude), 0.0)
        return jnp.maximum(ends, jnp.maximum(top, bottom))


class PiecewiseLinear(AbstractPulse):
    r"""An arbitrary waveform: linear interpolation through knots $(t_k, A_k)$, zero
    outside $[t_0, t_{K-1}]$ (so give $A_0 = A_{K-1} = 0$ for a pulse that starts and
    ends at zero). Differentiable with respect to the knot values.

    **Fields:** `times_s` increasing knot times, shape (K,); `values`, shape (K,).
    """

    times_s: object = param("s", REAL)
    values: object = param("drive unit", REAL)

    def __check_init__(self):
        check_concrete(self)
        t = self.times_s
        if jnp.ndim(t) != 1 or jnp.shape(t) != jnp.shape(self.values) or jnp.size(t) < 2:
            raise InvalidParameterError(
                f"PiecewiseLinear needs times_s and values of equal shape (K,), K >= 2; "
                f"got {jnp.shape(t)} and {jnp.shape(self.values)}.")
        if not isinstance(t, jax.core.Tracer) and not np.all(np.diff(np.asarray(t)) > 0):
            raise InvalidParameterError(
                f"PiecewiseLinear.times_s = {np.asarray(t).tolist()} must be strictly "
                "increasing.")

    def __call__(self, t):
        inside = (t >= self.times_s[0]) & (t <= self.times_s[-1])
        return jnp.where(inside, jnp.interp(t, self.times_s, self.values), 0.0)

    def support(self):
        return self.times_s[0], self.times_s[-1]

    def corners(self):
        return [self.times_s[k] for k in range(jnp.shape(self.times_s)[0])]
