"""``spinjax.trng``: junction arrays run as true random number generators.

Cycle schedules and write schemes, non-idealities (incomplete reset, heating, drift,
stuck junctions), the compiled reset-write-read run, amplitude tuning for a target
probability (by root finding or by gradient), per-junction statistics, the bias the
planned bits need, and NIST SP 800-22 judging. The implementation lives in
``spinjax/_trng/``, one concept per module.
"""

from ._trng import (
    CycleSchedule, Drift, Heating, IncompleteReset, NistReport, StuckJunctions, TRNGRun,
    TuneResult, bias_per_junction, cycle_outcome, incomplete_reset_correlation,
    lag1_correlation, nist_pvalues, precessional_schedule, release_schedule, reset_state,
    run_trng, switching_probability, tune_amplitude, tune_amplitude_by_gradient,
    write_cycle, xor_depth)
from ._trng.array import reset_start

__all__ = [
    "CycleSchedule", "Drift", "Heating", "IncompleteReset", "NistReport", "StuckJunctions",
    "TRNGRun", "TuneResult", "bias_per_junction", "cycle_outcome",
    "incomplete_reset_correlation", "lag1_correlation", "nist_pvalues",
    "precessional_schedule", "release_schedule", "reset_start", "reset_state", "run_trng",
    "switching_probability", "tune_amplitude", "tune_amplitude_by_gradient", "write_cycle",
    "xor_depth",
]
