"""``spinjax.wer``: write error rates to 1e-9 and below, with 95 % intervals.

[`write_error_rate`][spinjax.wer.write_error_rate] of any pulse on any device preset, by
brute force on the engine (streamed until a precision or a bound), by importance sampling
of the thermal noise (rare events: a Gaussian change of measure along directions found
by gradients through the solver, exact likelihood ratios), or by adaptive multilevel
splitting (rare events at an unstable start, along the escape coordinate);
[`wer_sweep`][spinjax.wer.wer_sweep] along an amplitude or a width;
[`fokker_planck_wer`][spinjax.wer.fokker_planck_wer], the one-dimensional Fokker-Planck
reference for axially symmetric junctions (a perpendicular junction under a collinear
STT current and an axial field), down to 1e-12 in a fraction of a second. The
implementation lives in ``spinjax/_wer/``.
"""

from ._wer import (
    FokkerPlanckWER, ReactionCoordinateError, Shifted, TargetNotReachedWarning, WERSweep,
    WriteErrorRate, fokker_planck_wer, wer_sweep, write_error_rate)

__all__ = ["FokkerPlanckWER", "ReactionCoordinateError", "Shifted",
           "TargetNotReachedWarning", "WERSweep", "WriteErrorRate", "fokker_planck_wer",
           "wer_sweep", "write_error_rate"]
