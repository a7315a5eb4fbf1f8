r"""The write amplitude of a TRNG array for a target probability, by gradient.

:func:`cycle_outcome` is one reset-write-read cycle as an outcome for
:func:`spinjax.smoothed_probability`: junctions start at the bottom of the reset well
(as in :func:`spinjax.trng.run_trng`), antithetic pairs share their thermal noise, and
the parameter is the amplitude. :func:`tune_amplitude_by_gradient` drives it to a target
$p^*$ with :func:`spinjax.tune_to_probability` (Gauss-Newton steps on the smoothed
probability through optax, the amplitude kept inside $[lo, hi]$ by a
:class:`spinjax.Bounded` transform): the calibration of paper A's array, in a few
steps where bisection (:func:`spinjax.trng.tune_amplitude`) takes about fourteen.
"""

import jax.numpy as jnp

from .._design import Bounded, DesignResult, tune_to_probability
from .._increments import AbstractIncrements, RademacherIncrements
from .array import reset_state, write_cycle
from .schedule import CycleSchedule


def cycle_outcome(device, schedule: CycleSchedule,
                  noise: AbstractIncrements = RademacherIncrements()):
    """``outcome(params, key) -> bits`` of shape (2n,) for ``params = {"amplitude":
    (2n,)}`` (V): one write cycle of 2n junctions of `device` (scalar parameters), pairs
    j and j + n sharing their noise."""

    def outcome(params, key):
        amp = jnp.asarray(params["amplitude"], jnp.float32)
        n = amp.shape[0] // 2
        m_eq = reset_state(device, (2, n))
        bits, _ = write_cycle(device, schedule, m_eq, amp.reshape(2, n), key, noise,
                              common_noise_axes=1)
        return bits.reshape(2 * n)

    return outcome


def tune_amplitude_by_gradient(device, schedule: CycleSchedule, key, target: float,
                               lo_V: float, hi_V: float, *, n_pairs: int = 2048,
                               scale_V: float = 0.01, tol: float = 0.01, max_steps: int = 30,
                               noise: AbstractIncrements = RademacherIncrements(),
                               log=None) -> DesignResult:
    """The shared amplitude (V) at which one write cycle reads 1 with probability
    `target`, searched in [`lo_V`, `hi_V`] from its middle; `scale_V` is the smoothing
    width of the gradient estimator. Raises :class:`spinjax.DesignFailed` when the
    target is out of reach in that range."""
    return tune_to_probability(
        cycle_outcome(device, schedule, noise), {"amplitude": 0.5 * (lo_V + hi_V)},
        {"amplitude": Bounded(lo_V, hi_V)}, {"amplitude": scale_V}, target, key,
        n_pairs=n_pairs, tol=tol, max_steps=max_steps, log=log)
