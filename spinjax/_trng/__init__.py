"""Junction arrays run as true random number generators (reset, write, read cycles).

One concept per module: ``schedule`` (cycle timing and write schemes), ``nonideal``
(incomplete reset, heating, drift, stuck junctions), ``array`` (the compiled run),
``tune`` (amplitude for a target probability, p(V) maps), ``gradient_tune`` (the
amplitude by gradient through the smoothed probability), ``stats`` (bias and lag-1
correlation per junction), ``precision`` (the bias the planned bits need, and the XOR
depth that makes up for it), ``nist`` (SP 800-22, applicable tests only).
"""

from .array import TRNGRun, reset_state, run_trng, write_cycle
from .nist import NistReport, nist_pvalues
from .nonideal import (
    Drift, Heating, IncompleteReset, StuckJunctions, incomplete_reset_correlation)
from .schedule import CycleSchedule, precessional_schedule, release_schedule
from .precision import TuneResult, xor_depth
from .stats import bias_per_junction, lag1_correlation
from .tune import switching_probability, tune_amplitude
from .gradient_tune import cycle_outcome, tune_amplitude_by_gradient

__all__ = [
    "CycleSchedule", "Drift", "Heating", "IncompleteReset", "NistReport", "StuckJunctions",
    "TRNGRun", "TuneResult", "xor_depth",
    "bias_per_junction", "incomplete_reset_correlation", "lag1_correlation", "nist_pvalues",
    "precessional_schedule", "release_schedule", "reset_state", "run_trng",
    "switching_probability", "tune_amplitude", "write_cycle", "cycle_outcome",
    "tune_amplitude_by_gradient",
]
