r"""Switching outcomes of an arbitrary piecewise-linear waveform with per-junction knot
values: what the smoothing estimator differentiates when a pulse *shape* is designed
(`spinjax._design.min_energy_pulse`).

The waveform through knots $(t_k, A_{j,k})$, $k = 0 \dots K-1$, of junction $j$ is

$$A_j(t) = A_{j,k} + (A_{j,k+1} - A_{j,k})\,\frac{t - t_k}{t_{k+1} - t_k},
  \qquad t_k \le t \le t_{k+1},$$

and zero outside $[t_0, t_{K-1}]$: [`spinjax.PiecewiseLinear`][] with a leading
junction axis on the values (the knot times are shared, so the segment of $t$ is found
once per step and the interpolation is one gather over the junction array).
"""

import inspect
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._increments import AbstractIncrements, RademacherIncrements
from .._params import InvalidParameterError
from .._pulses.base import AbstractPulse
from .outcomes import check_timing, pair_size, switched_pairs


class _KnotWaveform(AbstractPulse):
    """Piecewise-linear interpolation through shared knot times `times_s` (K,) in s and
    per-junction knot values `values` (*N, K) in the drive's unit; zero outside the
    knots. A private twin of [`spinjax.PiecewiseLinear`][], whose values are (K,)."""

    times_s: Float[Array, " K"]
    values: Float[Array, "*N K"]

    def __call__(self, t) -> Float[Array, "*N"]:
        times = self.times_s
        t = jnp.asarray(t, times.dtype)
        # not jnp.interp: it takes one row of values, and vmapping it over the junctions
        # would search the shared knot times once per junction at every time step
        k = jnp.clip(jnp.searchsorted(times, t, side="right") - 1, 0, times.shape[0] - 2)
        t0, t1 = times[k], times[k + 1]
        w = jnp.clip((t - t0) / (t1 - t0), 0.0, 1.0)
        lo = jnp.take(self.values, k, axis=-1)
        hi = jnp.take(self.values, k + 1, axis=-1)
        inside = (t >= times[0]) & (t <= times[-1])
        return jnp.where(inside, lo + (hi - lo) * w, 0.0)

    def support(self):
        return self.times_s[0], self.times_s[-1]


def check_knot_times(times_s) -> np.ndarray:
    """`times_s` as a float64 array of shape (K,), K >= 2, strictly increasing (s);
    [`spinjax.InvalidParameterError`][] naming the value otherwise."""
    t = np.asarray(times_s, np.float64)
    if t.ndim != 1 or t.size < 2 or not np.all(np.isfinite(t)) or not np.all(np.diff(t) > 0):
        raise InvalidParameterError(
            f"times_s = {np.ravel(t).tolist()}: knot times must be a strictly increasing "
            f"1-D array of at least 2 finite times in s.")
    return t


def waveform_outcome(preset: Callable, times_s, *, settle_s: float = 1.5e-9,
                     dt: float = 2e-12, input_name: str = "voltage_V",
                     start_well: int = 1, thermal_t_s: float = 1e-9,
                     noise: AbstractIncrements = RademacherIncrements(),
                     **fixed) -> Callable:
    r"""``outcome(params, key) -> b`` of shape (2n,): whether each junction switched
    under a piecewise-linear waveform with knots at `times_s` (s), for
    [`spinjax.smoothed_probability`][spinjax.estimators.smoothed_probability] and the
    pulse-shape designer.

    `params` is a dict of per-junction arrays with leading size 2n (antithetic pairs:
    junction j and j + n share their initial state and thermal noise): ``"values"``
    of shape (2n, K), the knot values of each junction's waveform (unit of
    `input_name`, V for a voltage), and any keyword argument of `preset` of shape
    (2n,). Parameters not in `params` come from `fixed` (``values`` of shape (K,) for
    one waveform shared by all junctions) or the preset's defaults.

    As [`spinjax.pulse_outcome`][spinjax.estimators.pulse_outcome]: each junction starts in
    `start_well`, drawn from the Boltzmann distribution of its own temperature
    (`thermal_t_s`), gets the waveform (give $A_0 = A_{K-1} = 0$ for a pulse that starts and
    ends at zero), relaxes for `settle_s` after the last knot, and counts as switched if it
    ends in the other well. One [`spinjax.simulate`][] over the (2, n) array with
    ``common_noise_axes=1``, time step `dt` (s); no Python loop over junctions or
    steps. A new set of knot values does not recompile.
    """
    times = check_knot_times(times_s)
    check_timing(dt=dt, start_well=start_well, thermal_t_s=thermal_t_s, settle_s=settle_s)
    names = set(inspect.signature(preset).parameters)
    n_knots = times.size
    t1 = dt * np.ceil((times[-1] + settle_s) / dt - 1e-9)

    def outcome(params, key):
        unknown = set(params) - names - {"values"}
        if unknown:
            raise InvalidParameterError(
                f"parameters {sorted(unknown)} are neither values nor arguments of "
                f"{getattr(preset, '__name__', 'the preset')}: {sorted(names)}.")
        merged = {**fixed, **params}
        if "values" not in merged:
            raise InvalidParameterError("waveform_outcome needs the knot values, as a "
                                        "parameter (2n, K) or a fixed keyword (K,).")
        n = pair_size(params)
        n2 = 2 * n
        values = jnp.asarray(merged["values"])
        if values.shape[-1] != n_knots or values.ndim not in (1, 2):
            raise InvalidParameterError(f"values has shape {values.shape}; expected "
                                        f"({n2}, {n_knots}) or ({n_knots},).")

        def pair(x):
            x = jnp.asarray(x)
            return jnp.reshape(x, (2, n)) if x.ndim else x

        dev = preset(**{k: pair(v) for k, v in merged.items() if k != "values"})
        v = values.reshape(2, n, n_knots) if values.ndim == 2 else values

        def make_pulse(dtype):  # in the state's precision
            return _KnotWaveform(jnp.asarray(times, dtype), jnp.asarray(v, dtype))

        return switched_pairs(dev, make_pulse, key, n=n, t1=t1, dt=dt,
                              input_name=input_name, start_well=start_well,
                              thermal_t_s=thermal_t_s, noise=noise)

    return outcome
