"""``spinjax.estimators``: switching outcomes of junction arrays under pulses, and their
probability and its gradient: smoothed (differentiable) estimates, paired central
differences with common random numbers, soft outcomes. The implementation lives in
``spinjax/_estimators/``."""

from ._estimators import (
    SmoothedEstimate, array_pulse_outcome, paired_difference, pulse_outcome,
    smoothed_probability, soft_outcome, waveform_outcome)

__all__ = ["SmoothedEstimate", "array_pulse_outcome", "paired_difference", "pulse_outcome",
           "smoothed_probability", "soft_outcome", "waveform_outcome"]
