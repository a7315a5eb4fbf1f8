"""Differentiable estimates of switching probabilities and of their gradients.

A switching outcome is a step function of the final state, so its pathwise
derivative is zero almost everywhere and a plain ``jax.grad`` of a Monte Carlo
switching fraction is wrong. Two estimators, each right in its own regime:

- ``smoothing``: Gaussian smoothing in parameter space with antithetic pairs and
  common random numbers (a likelihood-ratio estimator on the parameter perturbation):
  unbiased for the smoothed probability, for any parameter (amplitude, width,
  temperature, damping), no derivative of the solver needed.
- ``soft``: a sigmoid relaxation of the final state with a temperature knob,
  differentiated pathwise through the solver (reverse mode): low variance, biased
  by the relaxation.
"""

from .outcomes import array_pulse_outcome, paired_difference, pulse_outcome
from .smoothing import SmoothedEstimate, smoothed_probability
from .soft import soft_outcome
from .waveform_outcome import waveform_outcome

__all__ = ["SmoothedEstimate", "array_pulse_outcome", "paired_difference", "pulse_outcome",
           "smoothed_probability", "soft_outcome", "waveform_outcome"]
