"""Energy per write and read of a junction: Joule heat in the barrier or channel and
the charge of the barrier capacitance."""

import jax
import jax.numpy as jnp
import numpy as np

from .._params import InvalidParameterError
from .._pulses.base import AbstractPulse
from .._validate import check_int
from .mtj import MTJ

_STATES = {"parallel": 1.0, "antiparallel": -1.0}


def _state_m(device: MTJ, state: str):
    if state not in _STATES:
        raise InvalidParameterError(f"state = {state!r}; valid values are {sorted(_STATES)}.")
    p = jnp.asarray(device.tmr.reference, jnp.result_type(device.tmr.r_p_ohm))
    return _STATES[state] * p / jnp.linalg.norm(p)


def _grid(pulse, num, name):
    """`num` times spanning the pulse's support. Traceable (the energy is then
    differentiable in the pulse's timings, e.g. its width); concrete supports are
    checked to be finite."""
    check_int("num", num, 2)
    if not isinstance(pulse, AbstractPulse):
        raise InvalidParameterError(f"{name} = {pulse!r}; it must be a pulse "
                                    "(spinjax.Trapezoid, rectangular, GaussianPulse, ...).")
    lo, hi = pulse.support()
    lo, hi = jnp.min(jnp.asarray(lo)), jnp.max(jnp.asarray(hi))
    if not isinstance(lo, jax.core.Tracer) and not isinstance(hi, jax.core.Tracer):
        if not (np.isfinite(float(lo)) and np.isfinite(float(hi))):
            raise InvalidParameterError("the pulse has an unbounded support; energy needs "
                                        "a pulse of finite duration.")
    return jnp.linspace(lo, hi, num)


def barrier_write_energy_J(device: MTJ, voltage_pulse, state: str = "parallel",
                           num: int = 2001):
    r"""Energy of a voltage pulse on the barrier, in J, per junction:

    $$E = \int \frac{V(t)^2}{R(\theta, V(t))}\, dt + C V_\mathrm{max}^2,$$

    the Joule heat of the tunnelling current in the state `state` ("parallel" or
    "antiparallel": the two bound the heat of a write that switches) plus the energy
    drawn to charge the junction capacitance once to the peak voltage and let it
    discharge ($\tfrac12 C V^2$ stored, as much again lost in the driver). For a
    rectangular pulse of width $t_p$ on a fixed resistance it reduces to the usual
    estimate of a VCMA write, $E = V^2 t_p/R + C V^2$.
    """
    t = _grid(voltage_pulse, num, "voltage_pulse")
    v = jax.vmap(voltage_pulse)(t)
    m = _state_m(device, state)
    r = device.tmr.resistance(jnp.broadcast_to(m, (*v.shape, 3)).astype(v.dtype), v)
    v_max = jnp.max(jnp.abs(v), axis=0)
    return jnp.trapezoid(v**2 / r, t, axis=0) + device.capacitance_F() * v_max**2


def channel_write_energy_J(device: MTJ, current_density_pulse, num: int = 2001):
    r"""Joule heat of an SOT write current in the heavy-metal channel, in J:
    $E = R_\mathrm{ch} \int (J(t)\, w\, t_{HM})^2 dt$."""
    if device.channel_ohm is None:
        raise InvalidParameterError("device.channel_ohm is None: this junction has no "
                                    "heavy-metal channel (a two-terminal MTJ).")
    t = _grid(current_density_pulse, num, "current_density_pulse")
    j = jax.vmap(current_density_pulse)(t)
    current = j * device.channel_cross_section_m2
    return device.channel_ohm * jnp.trapezoid(current**2, t, axis=0)


def read_energy_J(device: MTJ, voltage_V, duration_s, state: str = "antiparallel"):
    """$V^2 t / R(\\theta, V) + C V^2$ of a read at `voltage_V` for `duration_s`, in J."""
    for name, value, lo in (("voltage_V", voltage_V, -np.inf),
                            ("duration_s", duration_s, 0.0)):
        if not isinstance(value, jax.core.Tracer):
            a = np.asarray(value) if not isinstance(value, str) else np.asarray(np.nan)
            if not (np.issubdtype(a.dtype, np.number) and np.all(np.isfinite(a))
                    and np.all(a >= lo)):
                raise InvalidParameterError(
                    f"{name} = {value!r}; it must be a finite number"
                    + (" in [0, inf) s." if lo == 0 else " (V)."))
    m = _state_m(device, state)
    r = device.tmr.resistance(m, voltage_V)
    return voltage_V**2 * duration_s / r + device.capacitance_F() * voltage_V**2
