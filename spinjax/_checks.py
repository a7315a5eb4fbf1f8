"""Checks of a solve's inputs: finite drives, drives some term reads, the step bound.

Concrete failures raise :class:`SimulationInputError` with the offending name and
value; traced ones (inside ``jit``/``grad``) are attached to the state with
``eqx.error_if`` so they still stop the run.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


class SimulationInputError(ValueError):
    """A drive, time grid or initial state that cannot be simulated."""


def _is_concrete(*xs) -> bool:
    return not any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(xs))


def error_if_scalar(state, bad, message):
    """``eqx.error_if`` on the scalar `bad`, tied to the float array `state` by an
    elementwise select. Passing `state` itself through ``error_if`` (a conditional
    whose callback lives on one device) makes XLA gather a sharded state onto device
    0 and split it again; a scalar crosses devices for free."""
    flag = eqx.error_if(jnp.asarray(bad), bad, message)
    return jnp.where(flag, jnp.asarray(jnp.nan, state.dtype), state)


def _check(state, ok, message):
    """Raise for a concrete failed check, attach ``eqx.error_if`` for a traced one."""
    if _is_concrete(ok):
        if not bool(ok):
            raise SimulationInputError(message)
        return state
    return error_if_scalar(state, ~ok, message)


def step_count(t0, t1, dt, limit: int | None = None) -> int:
    """The number of fixed steps from `t0` to `t1` (s) at `dt` (s), all Python numbers;
    (t1 - t0) / dt must be a positive integer (to 1e-6), below `limit` if given."""
    for name, v in (("t0", t0), ("t1", t1), ("dt", dt)):
        if not isinstance(v, (int, float, np.floating, np.integer)):
            raise SimulationInputError(f"{name} must be a Python number (it sets the "
                                       f"number of steps); got {type(v).__name__}.")
    if not (dt > 0 and math.isfinite(dt)):
        raise SimulationInputError(f"dt = {dt!r} must be a finite positive time in s.")
    steps_real = (t1 - t0) / dt
    n_steps = int(round(steps_real))
    if n_steps < 1 or abs(steps_real - n_steps) > 1e-6 * max(1, n_steps):
        raise SimulationInputError(
            f"(t1 - t0) / dt = {steps_real!r} must be a positive integer number of steps.")
    if limit is not None and n_steps >= limit:
        raise SimulationInputError(f"(t1 - t0) / dt = {n_steps} steps; the valid range is "
                                   f"1 to {limit - 1} steps per call.")
    return n_steps


@eqx.filter_jit
def _probe_drives(drive, ts):
    """Per drive component over `ts`: any non-finite value, the first bad time, and the
    time of the largest magnitude (reduced over junctions inside the map)."""
    def probe(t):
        inputs = drive(t)
        finite = jnp.stack([jnp.all(jnp.isfinite(x)) for x in inputs])
        # Drives may mix precisions (a float64 pulse beside float32 zeros): compare in
        # the dtype of the time grid.
        size = jnp.stack([jnp.max(jnp.abs(x)).astype(ts.dtype) for x in inputs])
        return finite, size

    finite, size = jax.lax.map(probe, ts)
    bad = ~finite
    return (jnp.any(bad, axis=0), ts[jnp.argmax(bad, axis=0)],
            ts[jnp.argmax(jnp.where(bad, -jnp.inf, size), axis=0)])


@eqx.filter_jit
def _probe_rates(model, drive, ts):
    """The largest precession rate over junctions and `ts`, and the thermal rate."""
    rate = jax.lax.map(lambda t: jnp.max(model.max_rate(drive(t))), ts)
    return jnp.max(rate), jnp.max(model.thermal_rate())


_DRIVE_NAMES = ("field_A_per_m", "voltage_V", "j_stt_A_per_m2", "j_sot_A_per_m2")


def _check_drives_used(model, drive):
    """A drive that no term of the model reads is almost surely a mistake: raise."""
    used = {name for term in (*model.fields, *model.torques) for name in term.inputs_used}
    for name in drive.given:
        if name in used:
            continue
        raise SimulationInputError(
            f"Drive({name}=...) is given but no term of the model reads it; add the term "
            f"that does ({_CONSUMERS[name]}) to the SLLG, or drop the drive.")


def _check_drive_shapes(drive, batch_shape, t0):
    """Each drive's value must broadcast to the junction shape (plus (3,) for a field)."""
    shapes = jax.eval_shape(drive, jnp.asarray(t0))
    for name, value in zip(_DRIVE_NAMES, shapes):
        event = (3,) if name == "field_A_per_m" else ()
        target = tuple(batch_shape) + event
        try:
            ok = np.broadcast_shapes(value.shape, target) == target
        except ValueError:
            ok = False
        if not ok:
            raise SimulationInputError(
                f"drive {name} returns shape {value.shape}, which does not broadcast to "
                f"{target} (the junction shape{' + (3,)' if event else ''}).")


_CONSUMERS = {"field_A_per_m": "Zeeman", "voltage_V": "VCMAAnisotropy",
              "j_stt_A_per_m2": "SlonczewskiSTT", "j_sot_A_per_m2": "SpinOrbitTorque"}


def _check_inputs(model, drive, m0, t0, dt, n_steps, max_angle, thermal):
    """Sample the drives at up to 1025 times for finite values, and bound the step at
    33 evenly spaced times plus the time of each drive's largest magnitude."""
    def grid(n):
        return t0 + dt * jnp.round(jnp.linspace(0, n_steps, min(n_steps, n) + 1)).astype(
            m0.dtype)

    any_bad, first_bad, peak = _probe_drives(drive, grid(1024))
    rate, th_rate = _probe_rates(model, drive, jnp.concatenate([grid(32), peak]))
    angle = rate * dt
    th = th_rate * math.sqrt(dt)
    if not _is_concrete(any_bad, rate, th_rate):
        for k, name in enumerate(_DRIVE_NAMES):
            m0 = eqx.error_if(m0, any_bad[k], f"drive {name} is not finite in [t0, t1].")
        m0 = eqx.error_if(m0, ~(angle <= max_angle),
                          f"dt = {dt:.4g} s is above the stability bound max_angle = "
                          f"{max_angle} rad per step of precession.")
        if thermal:
            m0 = eqx.error_if(m0, ~(th <= max_angle),
                              f"dt = {dt:.4g} s is above the stability bound of the thermal "
                              f"field (max_angle = {max_angle} rad per step).")
        return m0
    any_bad, first_bad, angle, th = jax.device_get((any_bad, first_bad, angle, th))
    for k, name in enumerate(_DRIVE_NAMES):
        if any_bad[k]:
            raise SimulationInputError(
                f"drive {name} is not finite at t = {float(first_bad[k]):.6g} s; a drive "
                "must return finite values for all t in [t0, t1].")
    if not angle <= max_angle:
        raise SimulationInputError(
            f"dt = {dt:.4g} s is above the stability bound max_angle = {max_angle} rad per "
            f"step: the fastest precession turns m by {float(angle):.3g} rad per step; use "
            f"dt <= {dt * max_angle / float(angle):.4g} s.")
    if thermal and not th <= max_angle:
        raise SimulationInputError(
            f"dt = {dt:.4g} s is above the stability bound of the thermal field: the rms "
            f"thermal kick per step is {float(th):.3g} rad, more than max_angle = "
            f"{max_angle} rad; use dt <= {dt * (max_angle / float(th)) ** 2:.4g} s.")
    return m0
