r"""A junction array run as a TRNG: many reset-write-read cycles in one compiled scan.

Cycle $n$ (key $k_n$ = ``fold_in(k, n)`` with ``k, k_stuck = split(key)``; $k_n$ is split
into reset, noise and drift keys):

1. reset: $\mathbf m \leftarrow \mathbf m_\mathrm{eq}$, the zero-temperature minimum of
   the parallel well at zero drive (found once per run by a damped $T = 0$ relaxation
   with $\alpha = 1$); a junction whose reset fails
   ([`IncompleteReset`][spinjax.trng.IncompleteReset]) stays in the well it was left in
   ($\mathbf m\cdot\hat u$ of the previous final state, $\hat u$ the easy axis) and starts
   from that well's $T = 0$ minimum (it relaxes during the failed reset). The reset is taken
   as much stronger than the thermal field, so the write starts from the bottom of the well
   and the thermal field acts during the simulated window only;
2. write: [`spinjax.simulate`][] over the window $[0, t_1]$ of the
   [`CycleSchedule`][spinjax.trng.CycleSchedule], drive $V(t)$ = the schedule's pulse at
   amplitude $A_n + \delta V_{n,i}$ (feedback and drift), at temperature $T_n$ (heating);
3. read: $b_{n,i}$ = [`spinjax.devices.MTJ.read`][] at the schedule's read bias
   (midpoint threshold), then stuck junctions forced to their value.

Optional feedback holds the array at a target probability $p^*$ by integral control
of the shared amplitude (a feedback that holds the array's bias against slow drift of
the devices or the driver):
$A_{n+1} = A_n - g\,(\bar b_n - p^*)$ with $\bar b_n$ the array mean of cycle $n$ and
$g$ = `feedback_gain_V` (V). Summing, $\sum_n (\bar b_n - p^*) = (A_0 - A_C)/g$: the
whole run's bias is bounded by the amplitude's wander over $g C$. The same bound is its
flaw: the partial sums of the bits stay far below a random walk's (measured, vcma_mtj,
4000 junctions x 250 cycles, g = 0.05 V: bias 2e-5, but NIST's cumulative-sums p-value
1.000), so a tuned open-loop run (``tune_amplitude`` with averaging) is the default.

Everything runs under one ``jit``: ``lax.scan`` over cycles with the array as the
junction axis of each ``simulate``; no Python loop over cycles or junctions.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray, UInt8

from .._drive import Drive
from .._increments import AbstractIncrements, RademacherIncrements
from .._params import InvalidParameterError
from .._save import Save
from .._validate import check_int, check_real, is_traced
from .._simulate import simulate
from .nonideal import Drift, Heating, IncompleteReset, StuckJunctions
from .schedule import CycleSchedule


class TRNGRun(eqx.Module):
    """The result of [`run_trng`][spinjax.trng.run_trng].

    **Fields:** `bits` uint8 (cycles, N); `amplitude_V` the shared amplitude of each
    cycle (cycles,), V; `temperature_K` of each cycle (cycles,), K; `m` the final
    magnetizations (N, 3); `stuck` the stuck-junction mask (N,); `cycle_s` the cycle
    time in s (a Python float).
    """

    bits: UInt8[Array, "cycles N"]
    amplitude_V: Float[Array, " cycles"]
    temperature_K: Float[Array, " cycles"]
    m: Float[Array, "N 3"]
    stuck: Array
    cycle_s: float = eqx.field(static=True)


MAX_COUNT = 2**31 - 1   # counts index int32 loops and arrays


def _check_sizes(**sizes):
    for name, v in sizes.items():
        if (isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                and v < 1):
            raise InvalidParameterError(f"{name} = {v!r}: an empty array or run; the valid "
                                        f"range of {name} is [1, {MAX_COUNT}] (an integer).")
        check_int(name, v, 1, MAX_COUNT)


def _check_amplitude(amplitude_V, junctions):
    """A concrete amplitude must be finite, a scalar or one per junction (V)."""
    if is_traced(amplitude_V):
        return
    try:
        a = np.asarray(amplitude_V)
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(f"amplitude_V = {amplitude_V!r:.60}; it must be a finite "
                                    "voltage in V.") from err
    if a.dtype.kind not in "iuf" or not np.all(np.isfinite(a)) or a.shape not in (
            (), (junctions,)):
        raise InvalidParameterError(f"amplitude_V = {amplitude_V!r:.60} (shape {a.shape}); it "
                                    f"must be a finite voltage in V, a scalar or of shape "
                                    f"({junctions},).")


def _check_switch(name, value, cls):
    if value is not None and not isinstance(value, cls):
        raise InvalidParameterError(f"{name} = {value!r:.60}; it must be a "
                                    f"spinjax.trng.{cls.__name__} or None.")


def reset_state(device, shape, dtype=jnp.float32, t_s=0.5e-9, dt_s=2e-12, well=1):
    r"""$\mathbf m_\mathrm{eq}$ of shape (*shape, 3): the $T = 0$ minimum of the
    `well` (+1: along the easy axis, -1: against) at zero drive, by relaxing with
    $\alpha = 1$ for `t_s` (s) from $\pm$ the easy axis (the relaxation time
    $2/(\gamma_0 H_K)$ is tens of ps)."""
    if isinstance(well, bool) or well not in (1, -1):
        raise InvalidParameterError(f"well = {well!r}; valid values are +1 and -1.")
    if not is_traced(t_s):
        check_real("t_s", t_s, 0.0, closed_lo=False, unit="s")
    if not is_traced(dt_s):
        check_real("dt_s", dt_s, 0.0, closed_lo=False, unit="s")
    shape = tuple(shape)
    for n in shape:
        check_int("shape", n, 0, MAX_COUNT)
    model = eqx.tree_at(lambda m: m.layer.alpha, device.model,
                        jnp.ones_like(jnp.asarray(device.model.layer.alpha, dtype)))
    m0 = well * jnp.broadcast_to(jnp.asarray(device.easy_axis, dtype), (*shape, 3))
    return simulate(model, m0, t1=t_s, dt=dt_s, thermal=False, save=Save()).m


def reset_start(m, m_eq, m_op, u, reset: IncompleteReset | None, key):
    r"""Where a write starts after the reset: the reset well's $T = 0$ minimum `m_eq`,
    or, for a junction whose reset failed
    ([`IncompleteReset`][spinjax.trng.IncompleteReset]), the minimum of the well the
    previous write left it in (`m_eq` or `m_op`, by the sign of $\mathbf m\cdot\hat u$, `u`
    the easy axis). Shapes (*N, 3)."""
    if reset is None:
        return m_eq
    carried = jnp.where((m @ u > 0)[..., None], m_eq, m_op)
    return jnp.where(reset.failed(key, m.shape[:-1])[..., None], carried, m_eq)


def _with_temperature(model, temperature_K):
    layer_t = model.layer.temperature_K
    return eqx.tree_at(lambda m: m.layer.temperature_K, model,
                       jnp.broadcast_to(temperature_K, jnp.shape(layer_t)).astype(
                           jnp.result_type(layer_t)))


def write_cycle(device, schedule: CycleSchedule, m_start, amplitude_V, key,
                noise: AbstractIncrements = RademacherIncrements(), model=None,
                common_noise_axes: int = 0, pulse=None, t1_s: float | None = None):
    """One write window from `m_start` (*N, 3) at `amplitude_V` (V, scalar or per
    junction) and the read that follows: returns ``(bits, m_final)``. Junctions that
    differ only along the first `common_noise_axes` axes share their thermal noise
    (antithetic pairs for the gradient estimators). `pulse` replaces the schedule's
    pulse (then `amplitude_V` is unused; e.g. a [`spinjax.Trapezoid`][] whose width
    is a traced parameter) and `t1_s` the schedule's window (s, a whole number of
    ``schedule.dt_s``; it must cover the pulse and its settling)."""
    model = device.model if model is None else model
    pulse = schedule.pulse(amplitude_V) if pulse is None else pulse
    sol = simulate(model, m_start, t1=schedule.t1_s if t1_s is None else t1_s,
                   dt=schedule.dt_s, key=key, drive=Drive(voltage_V=pulse), save=Save(),
                   thermal=True, noise=noise, common_noise_axes=common_noise_axes)
    bits = device.read(sol.m, voltage_V=schedule.read_voltage_V)
    return bits.astype(jnp.uint8), sol.m


@eqx.filter_jit
def _run(device, schedule, key, amplitude_V, cycles, n, reset, heating, drift, stuck,
         feedback_gain_V, target, noise):
    dtype = jnp.float32
    m_eq = reset_state(device, (n,), dtype)
    m_op = reset_state(device, (n,), dtype, well=-1)
    u = jnp.asarray(device.easy_axis, dtype)
    t0 = jnp.asarray(device.model.layer.temperature_K, dtype)
    key, k_stuck = jax.random.split(key)
    stuck_mask = (stuck.mask(k_stuck, (n,)) if stuck is not None
                  else jnp.zeros((n,), bool))

    def cycle(carry, i):
        m, amp, offset = carry
        k_reset, k_noise, k_drift = jax.random.split(jax.random.fold_in(key, i), 3)
        m_start = reset_start(m, m_eq, m_op, u, reset, k_reset)
        if drift is not None:
            offset = drift.step(k_drift, offset)
        temp = t0 if heating is None else heating.temperature_K(t0, schedule.duty, i)
        model = _with_temperature(device.model, temp)
        bits, m_new = write_cycle(device, schedule, m_start, amp + offset, k_noise,
                                  noise, model)
        if stuck is not None:
            bits = jnp.where(stuck_mask, jnp.uint8(stuck.value), bits)
        new_amp = amp
        if feedback_gain_V is not None:
            new_amp = amp - feedback_gain_V * (jnp.mean(bits.astype(dtype)) - target)
        return (m_new, new_amp, offset), (bits, amp, jnp.mean(temp))

    carry0 = (m_eq, jnp.asarray(amplitude_V, dtype), jnp.zeros((n,), dtype))
    (m, _, _), (bits, amps, temps) = jax.lax.scan(cycle, carry0, jnp.arange(cycles))
    return bits, amps, temps, m, stuck_mask


def run_trng(device, schedule: CycleSchedule, key: PRNGKeyArray, amplitude_V, *,
             cycles: int, junctions: int, reset: IncompleteReset | None = None,
             heating: Heating | None = None, drift: Drift | None = None,
             stuck: StuckJunctions | None = None, feedback_gain_V: float | None = None,
             target: float = 0.5,
             noise: AbstractIncrements = RademacherIncrements()) -> TRNGRun:
    r"""Run `junctions` junctions of `device` for `cycles` reset-write-read cycles.

    **Arguments:**

    - `device`: a [`spinjax.devices.MTJ`][] whose parameters are scalars or arrays
      of shape (junctions,) (device-to-device variation).
    - `schedule`: the [`CycleSchedule`][spinjax.trng.CycleSchedule] (timing, dt, read bias).
    - `key`: a JAX PRNG key; cycle $n$ uses ``fold_in(split(key)[0], n)`` (same key, same bits).
    - `amplitude_V`: the write pulse amplitude in V (shared by the array).
    - `cycles`, `junctions`: integers >= 1.
    - `reset`, `heating`, `drift`, `stuck`: the non-idealities (``None``: ideal).
    - `feedback_gain_V`: $g$ in V of the integral feedback $A_{n+1} = A_n - g(\bar b_n
      - p^*)$ holding the array mean at `target` $p^*$; ``None``: open loop.
    - `noise`: the thermal increments' law (two-point by default: weak order 1, the
      right switching probabilities, about 2x faster on a CPU than Gaussian).

    Returns a [`TRNGRun`][spinjax.trng.TRNGRun]; its `bits` have shape (cycles, junctions),
    one sLLG outcome each.
    """
    _check_sizes(cycles=cycles, junctions=junctions)
    if not isinstance(schedule, CycleSchedule):
        raise InvalidParameterError(f"schedule = {schedule!r:.60}; it must be a "
                                    "spinjax.trng.CycleSchedule.")
    _check_amplitude(amplitude_V, junctions)
    if feedback_gain_V is not None:
        check_real("feedback_gain_V", feedback_gain_V, unit="V")
    check_real("target", target, 0.0, 1.0, closed_lo=False, closed_hi=False)
    for name, value, cls in (("reset", reset, IncompleteReset), ("heating", heating, Heating),
                             ("drift", drift, Drift), ("stuck", stuck, StuckJunctions)):
        _check_switch(name, value, cls)
    bits, amps, temps, m, stuck_mask = _run(
        device, schedule, key, amplitude_V, int(cycles), int(junctions), reset, heating,
        drift, stuck, feedback_gain_V, target, noise)
    return TRNGRun(bits=bits, amplitude_V=amps, temperature_K=temps, m=m, stuck=stuck_mask,
                   cycle_s=schedule.cycle_s)
