"""Checks of preset arguments whose errors would otherwise name a derived quantity.

A negative diameter gives the same disk area as a positive one, and a negative RA or
resistivity surfaces as a negative resistance of an internal object: the presets check
such arguments by their own names first. Values may be arrays (device variation);
traced values (inside ``jit`` or ``grad``) are left to the parameter checks of the
model, which still stop the run.
"""

import jax
import numpy as np

from .._params import InvalidParameterError


def check_positive(preset: str, **values) -> None:
    """Each value must be finite and > 0 (every element of an array)."""
    _check(preset, values, positive=True)


def check_finite(preset: str, **values) -> None:
    """Each value must be a finite number (every element of an array)."""
    _check(preset, values, positive=False)


def _check(preset, values, positive):
    for name, value in values.items():
        if isinstance(value, jax.core.Tracer):
            continue
        try:   # numbers only: NumPy would parse the string "60e-9" as a float
            a = np.asarray(value)
            a = a.astype(np.float64) if a.dtype.kind in "iuf" else None
        except (TypeError, ValueError):
            a = None
        if a is not None and np.all(np.isfinite(a)) and (not positive or np.all(a > 0)):
            continue
        if a is None or a.ndim == 0:
            shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        else:
            bad = ~(np.isfinite(a) & ((a > 0) | (not positive)))
            shown = (f"{a[bad].reshape(-1)[0]:g} ({int(bad.sum())} of {a.size} elements "
                     "invalid)")
        valid = "number in (0, inf)" if positive else "number"
        raise InvalidParameterError(f"{preset}({name} = {shown}); {name} must be a finite "
                                    f"{valid}.")
