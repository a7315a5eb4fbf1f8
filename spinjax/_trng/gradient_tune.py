r"""The write pulse of a TRNG array for a target probability, by gradient.

[`cycle_outcome`][spinjax.trng.cycle_outcome] is one reset-write-read cycle as an outcome
for [`spinjax.smoothed_probability`][spinjax.estimators.smoothed_probability]: junctions
start at the bottom of the reset well (as in [`spinjax.trng.run_trng`][]), antithetic pairs
share their thermal noise, and the parameters are the amplitude and, optionally, the plateau
width. [`tune_amplitude_by_gradient`][spinjax.trng.tune_amplitude_by_gradient] drives it to
a target $p^*$ with [`spinjax.tune_to_probability`][spinjax.design.tune_to_probability]
(Gauss-Newton steps on the smoothed probability through optax, the amplitude kept inside
$[lo, hi]$ by a [`spinjax.Bounded`][spinjax.design.Bounded] transform): the calibration of
paper A's array, in a few steps where bisection ([`spinjax.trng.tune_amplitude`][]) takes
about fourteen.
"""

import math

import jax.numpy as jnp

from .._design import Bounded, DesignResult, tune_to_probability
from .._increments import AbstractIncrements, RademacherIncrements
from .._params import InvalidParameterError
from .._pulses.shapes import Trapezoid
from .._validate import check_int, check_ordered, check_real
from .array import MAX_COUNT, reset_state, write_cycle
from .schedule import CycleSchedule


def cycle_outcome(device, schedule: CycleSchedule,
                  noise: AbstractIncrements = RademacherIncrements(), *,
                  width_max_s: float | None = None):
    """``outcome(params, key) -> bits`` of shape (2n,) for ``params = {"amplitude":
    (2n,)}`` (V), optionally with ``"width_s": (2n,)`` (the plateau, s, which then
    replaces ``schedule.width_s``): one write cycle of 2n junctions of `device` (scalar
    parameters), pairs j and j + n sharing their noise.

    With a width parameter the simulated window is fixed by `width_max_s` (s, the
    largest plateau the caller allows): $t_1 = t_\\mathrm{start} + 2 t_\\mathrm{edge} +
    w_\\mathrm{max} + t_\\mathrm{settle}$, so a narrower pulse settles longer."""
    t1_s = None
    if width_max_s is not None:
        width_max_s = check_real("width_max_s", width_max_s, 0.0, 1e-6, closed_lo=False,
                                 closed_hi=False, unit="s")
        t = schedule.start_s + 2 * schedule.edge_s + width_max_s + schedule.settle_s
        t1_s = schedule.dt_s * math.ceil(t / schedule.dt_s - 1e-9)

    def outcome(params, key):
        unknown = set(params) - {"amplitude", "width_s"}
        if unknown or "amplitude" not in params:
            raise InvalidParameterError(f"cycle_outcome takes 'amplitude' and optionally "
                                        f"'width_s'; got {sorted(params)}.")
        if "width_s" in params and t1_s is None:
            raise InvalidParameterError("a width_s parameter needs width_max_s (the window "
                                        "must cover the widest pulse).")
        amp = jnp.asarray(params["amplitude"], jnp.float32)
        n = amp.shape[0] // 2
        m_eq = reset_state(device, (2, n))
        pulse = None
        if "width_s" in params:
            c = lambda x: jnp.asarray(x, jnp.float32)  # noqa: E731
            pulse = Trapezoid(amp.reshape(2, n), c(schedule.start_s),
                              c(params["width_s"]).reshape(2, n), c(schedule.edge_s),
                              c(schedule.edge_s))
        bits, _ = write_cycle(device, schedule, m_eq, amp.reshape(2, n), key, noise,
                              common_noise_axes=1, pulse=pulse, t1_s=t1_s)
        return bits.reshape(2 * n)

    return outcome


def tune_amplitude_by_gradient(device, schedule: CycleSchedule, key, target: float,
                               lo_V: float, hi_V: float, *, n_pairs: int = 2048,
                               scale_V: float = 0.01, tol: float = 0.01, max_steps: int = 30,
                               noise: AbstractIncrements = RademacherIncrements(),
                               log=None) -> DesignResult:
    r"""The shared amplitude (V) at which one write cycle reads 1 with probability
    `target`, searched in [`lo_V`, `hi_V`] from its middle; `scale_V` is the smoothing
    width of the gradient estimator; `tol` the accepted $|P - p^*|$ of the running
    estimate. The default `tol` of 0.01 is $1/\sqrt{\text{bits}}$ for only $10^4$
    bits: for a longer stream use [`spinjax.trng.tune_amplitude`][] with `bits`,
    which verifies the bias and says which XOR depth the stream needs. Raises
    [`spinjax.DesignFailed`][spinjax.design.DesignFailed] when the target is out of reach in
    that range."""
    check_real("target", target, 0.0, 1.0, closed_lo=False, closed_hi=False)
    check_ordered(("lo_V", "hi_V"), (lo_V, hi_V), unit="V")
    check_int("n_pairs", n_pairs, 1, MAX_COUNT // 2)
    check_real("scale_V", scale_V, 0.0, closed_lo=False, unit="V")
    check_real("tol", tol, 0.0, 0.5, closed_lo=False, closed_hi=False)
    check_int("max_steps", max_steps, 1, 10_000)
    return tune_to_probability(
        cycle_outcome(device, schedule, noise), {"amplitude": 0.5 * (lo_V + hi_V)},
        {"amplitude": Bounded(lo_V, hi_V)}, {"amplitude": scale_V}, target, key,
        n_pairs=n_pairs, tol=tol, max_steps=max_steps, log=log)
