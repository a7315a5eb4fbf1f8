"""Checks of a solve's inputs: finite drives, drives some term reads, the step bound.

Concrete failures raise [`SimulationInputError`][spinjax.SimulationInputError] with the
offending name and value; traced ones (inside ``jit``/``grad``) are attached to the state
with ``eqx.error_if`` so they still stop the run.
"""

import itertools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._drive import Constant, Inputs


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
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
            raise SimulationInputError(f"{name} must be a Python number (it sets the "
                                       f"number of steps); got {type(v).__name__}.")
        if not math.isfinite(v):
            raise SimulationInputError(f"{name} = {v!r}; it must be a finite time in s.")
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


_CHUNK = 512   # grid times per vectorized evaluation of a callable drive


def _callable_range(fn, t0, dt, n_steps, dtype):
    """Evaluate the callable drive `fn` at every time of the step grid t0 + k dt, k = 0
    .. n_steps (the only times the fixed-step solver evaluates a drive), in chunks.
    Returns (lo, hi, bad, first_bad_t, peak, peak_t) per element of its value: range,
    any non-finite value and its first time, largest |value| and its time."""
    n = n_steps + 1
    chunks = -(-n // _CHUNK)
    k = jnp.minimum(jnp.arange(chunks * _CHUNK), n_steps).reshape(chunks, _CHUNK)
    ts = t0 + k.astype(dtype) * dt
    first = jnp.asarray(fn(ts[0, 0]), dtype)
    big = jnp.asarray(jnp.inf, dtype)

    def chunk(carry, tc):
        lo, hi, bad, t_bad, peak, t_peak = carry
        v = jax.vmap(lambda t: jnp.asarray(fn(t), dtype))(tc)
        fin = jnp.isfinite(v)
        ib = jnp.argmax(~fin, axis=0)
        t_bad = jnp.where(bad, t_bad, jnp.where(jnp.any(~fin, 0),
                                                jnp.take(tc, ib), t_bad))
        bad = bad | jnp.any(~fin, 0)
        a = jnp.where(fin, jnp.abs(v), -big)
        ip = jnp.argmax(a, axis=0)
        new = jnp.max(a, 0) > peak
        t_peak = jnp.where(new, jnp.take(tc, ip), t_peak)
        peak = jnp.maximum(peak, jnp.max(a, 0))
        lo = jnp.minimum(lo, jnp.min(jnp.where(fin, v, big), 0))
        hi = jnp.maximum(hi, jnp.max(jnp.where(fin, v, -big), 0))
        return (lo, hi, bad, t_bad, peak, t_peak), None

    z = jnp.zeros_like(first)
    init = (z + big, z - big, jnp.zeros(first.shape, bool), z, z - big, z)
    out, _ = jax.lax.scan(chunk, init, ts)
    return out


def _drive_box(fn, t0, t1, dt, n_steps, dtype):
    """(lo, hi, bad, where, peak, peak_t) of one drive over [t0, t1]: from a constant
    (exact), from the parameters of a pulse (its ``max_abs``: the whole interval), or
    from every grid time of any other callable. `where` is the first non-finite time
    (NaN when not known from samples); peak_t is NaN for a bound from parameters."""
    nan = jnp.asarray(jnp.nan, dtype)
    if isinstance(fn, Constant):
        v = jnp.asarray(fn.value, dtype)
        return v, v, ~jnp.isfinite(v), jnp.full(v.shape, t0, dtype), jnp.abs(v), nan
    bound = fn.max_abs(t0, t1) if hasattr(fn, "max_abs") else None
    if bound is not None:
        b = jnp.asarray(bound, dtype)
        return -b, b, ~jnp.isfinite(b), jnp.full(b.shape, nan), b, jnp.full(b.shape, nan)
    return _callable_range(fn, t0, dt, n_steps, dtype)


@eqx.filter_jit
def _bounds(model, drive, t0, t1, dt, n_steps):
    """Per drive: non-finite flag, its time, peak |value| and its time; and the largest
    precession rate over the whole drive and every junction, and the thermal rate.

    Every term's effective field is affine in the drives and its torque bound grows
    with their magnitude, so ``model.max_rate`` is convex in the drive values: its
    maximum over the box of the drives' ranges is at a vertex of the box, and the
    vertices are evaluated (a field is boxed per component)."""
    dtype = t0.dtype
    boxes = [_drive_box(getattr(drive, name), t0, t1, dt, n_steps, dtype)
             for name in _DRIVE_NAMES]
    flags = [(jnp.any(b[2]), jnp.min(jnp.where(b[2], b[3], jnp.inf)),
              jnp.max(b[4]), jnp.max(jnp.where(b[4] >= jnp.max(b[4]), b[5], -jnp.inf)))
             for b in boxes]
    coords = []   # (drive index, component or None, lo, hi)
    for i, (lo, hi, *_) in enumerate(boxes):
        if i == 0:
            lo, hi = jnp.broadcast_to(lo, (*lo.shape[:-1], 3) if lo.ndim else (3,)), \
                jnp.broadcast_to(hi, (*hi.shape[:-1], 3) if hi.ndim else (3,))
            coords += [(0, c, lo[..., c], hi[..., c]) for c in range(3)]
        else:
            coords.append((i, None, lo, hi))
    constant = [isinstance(getattr(drive, n), Constant) for n in _DRIVE_NAMES]
    choices = [(lo,) if constant[i] else (lo, hi) for i, _, lo, hi in coords]
    rate = jnp.asarray(0.0, dtype)
    for vertex in itertools.product(*choices):
        field = jnp.stack(jnp.broadcast_arrays(*vertex[:3]), axis=-1)
        # a non-finite drive is reported by its flag; keep the rate finite meanwhile
        inputs = Inputs(*(jnp.where(jnp.isfinite(v), v, 0.0) for v in (field, *vertex[3:])))
        rate = jnp.maximum(rate, jnp.max(model.max_rate(inputs)))
    return flags, rate, jnp.max(model.thermal_rate())


def _step_hint(dt, max_angle, rate, th_rate, thermal):
    """The error for a dt above the stability bound, or None: it names both bounds and
    suggests the smaller (a positive time in s, for the dt the user passed)."""
    angle = rate * dt
    th = th_rate * math.sqrt(dt) if thermal else 0.0
    if angle <= max_angle and th <= max_angle:
        return None
    if not (math.isfinite(rate) and math.isfinite(th_rate)):
        return (f"the step-size bound is not finite (precession rate {rate:.4g} rad/s, "
                f"thermal rate {th_rate:.4g} rad/s^0.5): check the drives and the model "
                "parameters for values that overflow.")
    bounds = {}
    if rate > 0:
        bounds["precession"] = max_angle / rate
    if thermal and th_rate > 0:
        bounds["thermal"] = (max_angle / th_rate) ** 2
    limit = min(bounds.values())
    parts = ", ".join(f"{k} {v:.4g} s" for k, v in bounds.items())
    return (f"dt = {dt:.4g} s is above the stability bound max_angle = {max_angle} rad "
            f"per step: over the whole drive the fastest precession turns m by "
            f"{angle:.3g} rad per step" + (f" and the rms thermal kick is {th:.3g} rad"
                                           if thermal else "") +
            f"; use dt <= {limit:.4g} s (bounds: {parts}).")


def _check_inputs(model, drive, m0, t0, dt, n_steps, max_angle, thermal):
    """Check the drives over the whole interval [t0, t0 + n_steps dt] and bound the step.

    Constants and pulses (anything with a ``max_abs(t0, t1)`` method, which every
    [`spinjax.AbstractPulse`][] has) are bounded from their parameters over the
    whole interval, so a spike between steps counts; any other callable is evaluated
    at every step time t0 + k dt (the only times the fixed-step solver evaluates a
    drive), and the errors name the drive, time and value."""
    t1 = t0 + n_steps * dt
    flags, rate, th_rate = _bounds(model, drive, *(jnp.asarray(x, m0.dtype) for x in (
        t0, t1, dt)), n_steps)
    if not _is_concrete(flags, rate, th_rate):
        for (bad, _, _, _), name in zip(flags, _DRIVE_NAMES):
            m0 = error_if_scalar(m0, bad, f"drive {name} is not finite in [t0, t1].")
        m0 = error_if_scalar(m0, ~(rate * dt <= max_angle),
                             f"dt = {dt:.4g} s is above the stability bound max_angle = "
                             f"{max_angle} rad per step of precession.")
        if thermal:
            m0 = error_if_scalar(m0, ~(th_rate * math.sqrt(dt) <= max_angle),
                                 f"dt = {dt:.4g} s is above the stability bound of the "
                                 f"thermal field (max_angle = {max_angle} rad per step).")
        return m0
    flags, rate, th_rate = jax.device_get((flags, rate, th_rate))
    for (bad, when, _, _), name in zip(flags, _DRIVE_NAMES):
        if bad:
            at = (f"at t = {float(when):.6g} s" if math.isfinite(float(when))
                  else f"in [{t0:.6g}, {t1:.6g}] s (from its parameters)")
            raise SimulationInputError(
                f"drive {name} is not finite {at}; a drive must return finite values "
                "for all t in [t0, t1].")
    message = _step_hint(dt, max_angle, float(rate), float(th_rate), thermal)
    if message is not None:
        peaks = [f"{name} peaks at {float(p):.4g}" + (
            f" (t = {float(tp):.4g} s)" if math.isfinite(float(tp)) else "")
            for (_, _, p, tp), name in zip(flags, _DRIVE_NAMES) if name in drive.given]
        raise SimulationInputError(message + (" Drives: " + "; ".join(peaks) + "."
                                              if peaks else ""))
    return m0
