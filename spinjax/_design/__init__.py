"""Pulse and device design by gradient through the stochastic solver, with optax."""

from .min_energy import (
    MinEnergyResult, RectangularReference, min_energy_pulse, rectangular_reference,
    waveform_energy_J)
from .target import DesignFailed, DesignResult, default_optimizer, tune_to_probability
from .transforms import Bounded, Positive

__all__ = ["Bounded", "DesignFailed", "DesignResult", "MinEnergyResult", "Positive",
           "RectangularReference", "default_optimizer", "min_energy_pulse",
           "rectangular_reference", "tune_to_probability", "waveform_energy_J"]
