"""Experiments on simulated devices: each a function returning a result with
``to_json()`` and ``plot(path)``, and a ``spinjax`` command-line subcommand."""

from ._stats import wilson_interval
from .rh_loop import RHLoop, SweepTooFastWarning, rh_loop
from .switching import (
    SwitchingMap, WriteErrorRate, first_maximum, half_precession_period_s, switching_map,
    write_error_rate)

__all__ = [
    "RHLoop", "SweepTooFastWarning", "SwitchingMap", "WriteErrorRate", "first_maximum",
    "half_precession_period_s", "rh_loop", "switching_map", "wilson_interval",
    "write_error_rate",
]
from .harmonic_hall import HarmonicHallResult, harmonic_hall, harmonic_hall_analytic
from .pump_probe import PumpProbeResult, analyse_pump_probe, run_pump_probe

__all__ += ["HarmonicHallResult", "PumpProbeResult", "analyse_pump_probe",
            "harmonic_hall", "harmonic_hall_analytic", "run_pump_probe"]
from .pump_probe_fit import (
    PumpProbeFit, SweepFit, fit_field_sweep, fit_pump_probe, switching_threshold)
from .pump_probe_noise import add_measurement_noise, noisy_reads, read_noise_ohm

__all__ += ["PumpProbeFit", "SweepFit", "add_measurement_noise", "fit_field_sweep",
            "fit_pump_probe", "noisy_reads", "read_noise_ohm", "switching_threshold"]
