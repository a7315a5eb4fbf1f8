"""Checks of the arguments of public functions that are not physical parameters.

Counts, times, probabilities and bit arrays passed to experiments, the TRNG, the bit
tools, design and fitting. Each check raises
[`InvalidParameterError`][spinjax.InvalidParameterError] (a ``ValueError``) whose message
names the argument, its value and the valid range, so a user's mistake never surfaces as a
``ZeroDivisionError``, a raw JAX dtype error or a silent NaN. Physical parameters of models
are declared and checked in ``_params.py``.
"""

import math
import numbers

import jax
import numpy as np

from ._params import InvalidParameterError

__all__ = ["check_bits", "check_int", "check_choice", "check_key", "check_real",
           "check_ordered", "is_traced"]


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_int(name: str, value, lo: int = 1, hi: float = math.inf) -> int:
    """`value` as a Python int, which must be an integer (not a bool) in [lo, hi]."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral)
            or not lo <= value <= hi):
        upper = "" if hi == math.inf else f", at most {int(hi)}"
        raise InvalidParameterError(
            f"{name} = {_describe(value)}; it must be an integer >= {lo}{upper}.")
    return int(value)


def check_real(name: str, value, lo: float = -math.inf, hi: float = math.inf, *,
               closed_lo: bool = True, closed_hi: bool = True, unit: str = "") -> float:
    """`value` as a Python float, which must be a finite real number in the interval
    (closed or open at each end as given)."""
    ok = (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
          and math.isfinite(float(value)))
    if ok:
        v = float(value)
        ok = (v >= lo if closed_lo else v > lo) and (v <= hi if closed_hi else v < hi)
    if not ok:
        left = "[" if closed_lo and math.isfinite(lo) else "("
        right = "]" if closed_hi and math.isfinite(hi) else ")"
        interval = f"{left}{lo:g}, {hi:g}{right}"
        suffix = f" {unit}" if unit else ""
        raise InvalidParameterError(
            f"{name} = {_describe(value)}; it must be a finite number in {interval}{suffix}.")
    return float(value)


def check_key(name: str, key) -> jax.Array:
    """`key` must be a JAX random key: a typed key (``jax.random.key(seed)``) or a raw
    uint32 key of shape (..., 2) (``jax.random.PRNGKey(seed)``)."""
    if isinstance(key, jax.Array) and (
            jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
            or (key.dtype == np.uint32 and key.shape[-1:] == (2,))):
        return key
    raise InvalidParameterError(f"{name} = {_describe(key)}; it must be a JAX random key "
                                "(jax.random.key(seed)).")


def check_choice(name: str, value, choices) -> object:
    """`value`, which must be one of `choices`."""
    if value not in tuple(choices):
        raise InvalidParameterError(
            f"{name} = {_describe(value)}; valid values: {', '.join(map(repr, choices))}.")
    return value


def check_ordered(names: tuple[str, ...], values: tuple[float, ...], unit: str = "s") -> None:
    """The finite numbers `values` must increase strictly (t0 < t1, say)."""
    for n, v in zip(names, values):
        check_real(n, v, unit=unit)
    for (a, va), (b, vb) in zip(zip(names, values), zip(names[1:], values[1:])):
        if not va < vb:
            raise InvalidParameterError(
                f"{a} = {va!r} {unit} and {b} = {vb!r} {unit}; {a} must be below {b}.")


def is_traced(value) -> bool:
    """Whether `value` is a JAX tracer (inside ``jit``, ``grad`` or ``vmap``): its values
    cannot be checked, only its shape and dtype."""
    import jax
    return isinstance(value, jax.core.Tracer)


def check_bits(name: str, bits, min_length: int = 1) -> np.ndarray:
    """`bits` as a uint8 NumPy array, which must be a non-empty array of 0s and 1s (bools
    or integers; a float array is accepted only if every value is exactly 0 or 1)."""
    try:
        arr = np.asarray(bits)
    except Exception as err:  # ragged lists and the like
        raise InvalidParameterError(f"{name} must be an array of 0s and 1s; got "
                                    f"{type(bits).__name__} ({err}).") from err
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                   or arr.dtype == np.bool_):
        raise InvalidParameterError(f"{name} must be an array of 0s and 1s; got dtype "
                                    f"{arr.dtype}.")
    if arr.size < min_length:
        what = "is empty (0 bits)" if arr.size == 0 else f"has {arr.size} bits"
        raise InvalidParameterError(f"{name} {what}; at least {min_length} "
                                    f"{'is' if min_length == 1 else 'are'} needed.")
    bad = ~((arr == 0) | (arr == 1))
    if bad.any():
        first = arr.reshape(-1)[int(np.flatnonzero(bad.reshape(-1))[0])]
        raise InvalidParameterError(f"{name} must hold only 0 and 1; it holds "
                                    f"{_describe(first.item())} ({int(bad.sum())} such "
                                    "values).")
    return arr.astype(np.uint8)
