"""Drives: the time-dependent inputs (field, voltage, currents) of a simulation."""

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array

from ._custom_types import DriveLike, Scalar


class Inputs(NamedTuple):
    """Drive values at one instant, as seen by the field and torque terms.

    - `field_A_per_m`: applied field vector in A/m, shape (3,) or (*N, 3).
    - `voltage_V`: voltage across the tunnel barrier in V (VCMA), shape () or (*N,).
    - `j_stt_A_per_m2`: current density through the junction in A/m^2 (STT).
    - `j_sot_A_per_m2`: current density in the heavy-metal channel in A/m^2 (SOT).
    """

    field_A_per_m: Array
    voltage_V: Array
    j_stt_A_per_m2: Array
    j_sot_A_per_m2: Array


class Constant(eqx.Module):
    """A drive that does not depend on time: ``Constant(value)(t) == value``."""

    value: Array = eqx.field(converter=jnp.asarray)

    def __call__(self, t: Scalar) -> Array:
        del t
        return self.value


def _as_function(x: DriveLike, zero):
    if x is None:
        return Constant(zero)
    if callable(x):
        return x
    return Constant(x)


class Drive(eqx.Module):
    """The inputs of a junction array as functions of time $t$ in seconds.

    Each argument is ``None`` (zero), a constant array, or a callable ``f(t)`` that
    returns an array; callables may close over traced values or be ``eqx.Module``s, so
    a drive is jit-compiled and differentiated with the solve. Values broadcast against
    the junction axes. A drive function is a static part of the compiled solve: a new
    Python ``lambda`` on every call recompiles, so build one function (or an
    ``eqx.Module`` whose parameters are arrays) and reuse it.

    **Arguments:**

    - `field_A_per_m`: applied field $\\mathbf{H}(t)$ in A/m, trailing axis 3.
    - `voltage_V`: bias voltage $V(t)$ in V across the barrier (positive reduces the
      interfacial anisotropy for a positive VCMA coefficient).
    - `j_stt_A_per_m2`: current density $J(t)$ through the stack in A/m$^2$ (STT).
    - `j_sot_A_per_m2`: current density $J_{HM}(t)$ in the heavy metal in A/m$^2$ (SOT).
    """

    field_A_per_m: object
    voltage_V: object
    j_stt_A_per_m2: object
    j_sot_A_per_m2: object
    given: tuple[str, ...] = eqx.field(static=True)

    def __init__(self, field_A_per_m: DriveLike = None, voltage_V: DriveLike = None,
                 j_stt_A_per_m2: DriveLike = None, j_sot_A_per_m2: DriveLike = None):
        self.field_A_per_m = _as_function(field_A_per_m, jnp.zeros(3))
        self.voltage_V = _as_function(voltage_V, 0.0)
        self.j_stt_A_per_m2 = _as_function(j_stt_A_per_m2, 0.0)
        self.j_sot_A_per_m2 = _as_function(j_sot_A_per_m2, 0.0)
        self.given = tuple(name for name, x in (
            ("field_A_per_m", field_A_per_m), ("voltage_V", voltage_V),
            ("j_stt_A_per_m2", j_stt_A_per_m2), ("j_sot_A_per_m2", j_sot_A_per_m2))
            if x is not None)

    def __call__(self, t: Scalar) -> Inputs:
        return Inputs(
            jnp.asarray(self.field_A_per_m(t)),
            jnp.asarray(self.voltage_V(t)),
            jnp.asarray(self.j_stt_A_per_m2(t)),
            jnp.asarray(self.j_sot_A_per_m2(t)),
        )
