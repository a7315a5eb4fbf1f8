"""Checks of array arguments shared by the experiments (scalars: spinjax._validate)."""

import numpy as np

from .._params import InvalidParameterError


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
