"""Declared physical parameters: unit, shape and valid range, checked in one place.

Every parameter of a field term, torque or free layer is declared with `param`,
which records its SI unit, the number of trailing event axes (0 for a scalar, 1 for a
Cartesian vector) and its valid interval. `validate` walks a model once and

- raises [`InvalidParameterError`][spinjax.InvalidParameterError] (a ``ValueError``) naming
  the parameter, the offending value and the valid range when the value is concrete, or
- wraps the state in ``eqx.error_if`` when the value is traced (inside ``jit``/``grad``),
  so a traced non-physical value still stops the run instead of producing NaNs.
"""

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._checks import error_if_scalar


class InvalidParameterError(ValueError):
    """A physical parameter is outside its valid range or has the wrong shape."""


@dataclasses.dataclass(frozen=True)
class Interval:
    """A real interval; ``closed_lo``/``closed_hi`` say whether the ends are included."""

    lo: float = -math.inf
    hi: float = math.inf
    closed_lo: bool = False
    closed_hi: bool = False

    def contains(self, x):
        """Elementwise membership; NumPy in, NumPy out (also under a jit trace)."""
        xp = np if isinstance(x, (np.ndarray, np.generic, float, int)) else jnp
        lo_ok = (x >= self.lo) if self.closed_lo else (x > self.lo)
        hi_ok = (x <= self.hi) if self.closed_hi else (x < self.hi)
        return lo_ok & hi_ok & xp.isfinite(x)

    def __str__(self) -> str:
        left = "[" if self.closed_lo else "("
        right = "]" if self.closed_hi else ")"
        return f"{left}{self.lo:g}, {self.hi:g}{right}"


POSITIVE = Interval(0.0, math.inf)
NONNEGATIVE = Interval(0.0, math.inf, closed_lo=True)
REAL = Interval()
UNIT_INTERVAL = Interval(0.0, 1.0, closed_lo=True, closed_hi=True)


def _short_repr(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _as_real_array(value, field: dataclasses.Field, unit: str, valid: Interval):
    """``jnp.asarray(value)``, refusing what is not a real number: strings, None, bools
    and complex or non-numeric arrays raise
    [`InvalidParameterError`][spinjax.InvalidParameterError] naming the field (a bool would
    otherwise pass as 0 or 1, a string as a raw ``TypeError``). Python numbers, NumPy and
    JAX arrays of integer or floating dtype, sequences of them and tracers (under
    ``jit``/``grad``/``vmap``: only their dtype is looked at) pass."""
    def refuse(why):
        name = getattr(field, "name", None) or "parameter"
        return InvalidParameterError(
            f"{name} = {_short_repr(value)} ({type(value).__name__}) {why}; it must be a "
            f"real number (or an array of them) in {valid} (unit {unit}).")
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise refuse("is not a number")
    try:
        arr = jnp.asarray(value)
    except (TypeError, ValueError) as err:
        raise refuse("is not a number") from err
    if not (jnp.issubdtype(arr.dtype, jnp.floating) or jnp.issubdtype(arr.dtype, jnp.integer)):
        raise refuse(f"has dtype {arr.dtype}, not a real number")
    return arr


def param(unit: str, valid: Interval = REAL, event_ndim: int = 0, **kwargs: Any):
    """Declare a module field as a physical parameter, converted with ``jnp.asarray``
    after refusing values that are not real numbers (strings, None, bools, complex).

    **Arguments:**

    - `unit`: the SI unit, as text (documentation and error messages).
    - `valid`: the interval every element must lie in.
    - `event_ndim`: 0 for a per-junction scalar, 1 for a per-junction 3-vector.
    """
    metadata = {"spinjax_param": True, "unit": unit, "valid": valid,
                "event_ndim": event_ndim}
    # The converter needs the field's name for its message; dataclasses set it on this
    # very Field object when the class is built (inherited fields share it), so the
    # closure reads it back at conversion time.
    holder: list = []

    def convert(value):
        return _as_real_array(value, holder[0], unit, valid)

    field = eqx.field(converter=convert, metadata=metadata, **kwargs)
    holder.append(field)
    return field


def iter_params(module: Any, prefix: str = "") -> Iterator[tuple[str, Any, dict]]:
    """Yield ``(qualified_name, value, metadata)`` for every declared parameter."""
    if isinstance(module, (tuple, list)):
        for i, sub in enumerate(module):
            yield from iter_params(sub, f"{prefix}[{i}]")
        return
    if not isinstance(module, eqx.Module):
        return
    name = prefix or type(module).__name__
    for field in dataclasses.fields(module):
        value = getattr(module, field.name, None)
        if field.metadata.get("spinjax_param"):
            yield f"{name}.{field.name}", value, field.metadata
        elif isinstance(value, (eqx.Module, tuple, list)):
            yield from iter_params(value, f"{name}.{field.name}")


def _is_concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def _describe(value: np.ndarray, ok: np.ndarray) -> str:
    bad = value[~ok] if value.ndim else value
    first = np.ravel(bad)[0]
    count = int(np.size(ok) - np.count_nonzero(ok))
    return f"{float(first):.6g}" + (f" ({count} of {np.size(ok)} elements invalid)" if value.ndim else "")


def check_concrete(module: eqx.Module) -> None:
    """Raise [`InvalidParameterError`][spinjax.InvalidParameterError] for concrete
    out-of-range parameters.

    Called from ``__check_init__`` so that a bad value is caught where it is written.
    """
    for name, value, meta in iter_params(module):
        if value is None or not _is_concrete(value):
            continue
        arr = np.asarray(value)
        _check_event_shape(name, arr.shape, meta)
        ok = np.asarray(meta["valid"].contains(arr))
        if not np.all(ok):
            raise InvalidParameterError(
                f"{name} = {_describe(arr, ok)} is outside the valid range "
                f"{meta['valid']} (unit {meta['unit']})."
            )


def _check_event_shape(name: str, shape: tuple, meta: dict) -> None:
    if meta["event_ndim"] == 1 and (len(shape) < 1 or shape[-1] != 3):
        raise InvalidParameterError(
            f"{name} has shape {shape}; a vector parameter needs a trailing axis of "
            "length 3 (shape (3,) or (*N, 3))."
        )


def float_dtype(x) -> np.dtype:
    """The float precision a parameter carries, at least float32: float64 for a float64
    array, float32 for a float32 array or a Python number (weakly typed). Standard
    promotion within this call only, so that a caller under strict promotion gets the
    same answer."""
    with jax.numpy_dtype_promotion("standard"):
        return jnp.result_type(x, jnp.float32)


def junction_shape(model: Any) -> tuple[int, ...]:
    """The junction shape a model's parameters carry: the broadcast of their shapes less
    their event axes (``()`` for one device; ``(N,)`` for a device with variation, one
    per junction). Raises [`InvalidParameterError`][spinjax.InvalidParameterError] when
    they do not broadcast together."""
    shapes = []
    for name, value, meta in iter_params(model):
        if value is not None:
            shape = jnp.shape(value)
            _check_event_shape(name, shape, meta)
            shapes.append(shape[: len(shape) - meta["event_ndim"]])
    try:
        return tuple(np.broadcast_shapes(*shapes)) if shapes else ()
    except ValueError:
        raise InvalidParameterError(
            f"the parameters' junction shapes {sorted(set(shapes))} do not broadcast "
            "together.") from None


def validate(model: Any, batch_shape: tuple[int, ...], state):
    """Check every parameter of ``model`` against its range and ``batch_shape``.

    Concrete violations raise [`InvalidParameterError`][spinjax.InvalidParameterError];
    traced ones are attached to ``state`` with ``eqx.error_if``. Returns ``state`` (possibly
    wrapped).
    """
    for name, value, meta in iter_params(model):
        if value is None:
            continue
        shape = jnp.shape(value)
        _check_event_shape(name, shape, meta)
        param_batch = shape[: len(shape) - meta["event_ndim"]]
        try:
            out = np.broadcast_shapes(param_batch, batch_shape)
        except ValueError:
            out = None
        if out != tuple(batch_shape):
            raise InvalidParameterError(
                f"{name} has junction shape {param_batch}, which does not broadcast to "
                f"the state's junction shape {tuple(batch_shape)}; give a scalar or an "
                f"array of shape {tuple(batch_shape)}"
                + (" + (3,)" if meta["event_ndim"] else "") + "."
            )
        if _is_concrete(value):
            arr = np.asarray(value)
            ok = np.asarray(meta["valid"].contains(arr))
            if not np.all(ok):
                raise InvalidParameterError(
                    f"{name} = {_describe(arr, ok)} is outside the valid range "
                    f"{meta['valid']} (unit {meta['unit']})."
                )
        else:
            state = error_if_scalar(
                state, ~jnp.all(meta["valid"].contains(value)),
                f"{name} is outside the valid range {meta['valid']} (unit {meta['unit']}).",
            )
    return state
