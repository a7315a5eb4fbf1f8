"""``spinjax.design``: pulses and devices designed by gradient through the stochastic
solver, with optax: a target switching probability, the least-energy pulse, and the
parameter transforms (``Bounded``, ``Positive``) that keep the search in range. The
implementation lives in ``spinjax/_design/``."""

from ._design import (
    Bounded, DesignFailed, DesignResult, MinEnergyResult, Positive, RectangularReference,
    default_optimizer, min_energy_pulse, rectangular_reference, tune_to_probability,
    waveform_energy_J)

__all__ = ["Bounded", "DesignFailed", "DesignResult", "MinEnergyResult", "Positive",
           "RectangularReference", "default_optimizer", "min_energy_pulse",
           "rectangular_reference", "tune_to_probability", "waveform_energy_J"]
