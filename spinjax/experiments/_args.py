"""Checks of array arguments shared by the experiments (scalars: spinjax._validate)."""

import numpy as np

from .._checks import SimulationInputError
from .._params import InvalidParameterError

_THERMAL_DT = 1e-12
_THERMAL_T = 2e-9


def finite_array(name, x, lo=-np.inf, unit=""):
    """`x` as a non-empty 1-d float64 array of finite values >= lo, or raise."""
    try:
        a = np.atleast_1d(np.asarray(x, dtype=np.float64))
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(f"{name} = {x!r} is not an array of numbers "
                                    f"({err}).") from err
    if a.ndim != 1 or a.size < 1 or not np.all(np.isfinite(a)) or np.any(a < lo):
        rng = f" in [{lo:g}, inf){' ' + unit if unit else ''}" if lo > -np.inf else ""
        raise InvalidParameterError(f"{name} = {np.asarray(x).tolist()!r}; it must be a "
                                    f"non-empty 1-d array of finite values{rng}.")
    return a


def broadcasts(shape, target) -> bool:
    """Whether an array of `shape` broadcasts to `target` (without growing it)."""
    try:
        return np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target)
    except ValueError:
        return False


def initial_thermal_state(device, key, shape, well, dt):
    """[`MTJ.thermal_state`][spinjax.devices.MTJ.thermal_state] for an experiment run at
    step `dt` (s): relaxed for 2 ns at the step min(dt, 1 ps), so that a step-size error of
    this preparation (run at alpha = 1) is fixed by the `dt` the user passes; its message
    says so."""
    step = min(float(dt), _THERMAL_DT)
    try:
        return device.thermal_state(key, shape, well=well, dt=step,
                                    t_s=step * max(1, round(_THERMAL_T / step)))
    except SimulationInputError as err:
        raise SimulationInputError(
            f"preparing the initial thermal state (MTJ.thermal_state, alpha = 1, at "
            f"min(dt, 1 ps) = {step:g} s): {err} Pass a smaller dt, or m0.") from err
