"""``spinjax.wer``: write error rates to 1e-9 and below, with 95 % intervals.

[`write_error_rate`][spinjax.wer.write_error_rate] of any pulse on any device preset, by
brute force on the engine (streamed until a precision or a bound) or by adaptive
multilevel splitting (rare events, unbiased, intervals from independent replicas);
[`wer_sweep`][spinjax.wer.wer_sweep] along an amplitude or a width. The implementation
lives in ``spinjax/_wer/``.
"""

from ._wer import (
    ReactionCoordinateError, Shifted, TargetNotReachedWarning, WERSweep, WriteErrorRate,
    wer_sweep, write_error_rate)

__all__ = ["ReactionCoordinateError", "Shifted", "TargetNotReachedWarning", "WERSweep",
           "WriteErrorRate", "wer_sweep", "write_error_rate"]
