"""spinjax: a JAX-accelerated, differentiable stochastic LLG simulator of spintronic devices.

The public API; implementation modules are private, one concept per file.
"""

from . import constants
from ._bits.debias import bias, von_neumann, xor_streams
from ._bits.numbers import (
    gaussian_box_muller, gaussian_clt, gaussian_inverse_cdf, gaussian_quality, uniforms)
from ._brownian import CounterBrownianPath
from ._drive import Constant, Drive, Inputs
from ._fields.base import AbstractField
from ._fields.demag import Demagnetization, disk_factors, ellipsoid_factors
from ._fields.oersted import OerstedField
from ._fields.uniaxial import UniaxialAnisotropy
from ._fields.vcma import VCMAAnisotropy
from ._fields.zeeman import Zeeman
from ._increments import AbstractIncrements, GaussianIncrements, RademacherIncrements
from ._layer import FreeLayer, disk_area, ellipse_area
from ._llg import llg_rhs
from ._monitors import AbstractMonitor, FirstPassage
from ._monitor_stats import Histogram, RunningMoments, SwitchCount
from ._dwell_time import DwellTime
from ._params import InvalidParameterError
from ._pulses.base import AbstractPulse, Sequence, Sum
from ._pulses.shapes import GaussianPulse, PiecewiseLinear, Sinusoid, Trapezoid, rectangular
from ._checks import SimulationInputError
from ._save import Save, Solution
from ._simulate import simulate
from ._sharding import (
    InsufficientMemoryError, junction_mesh, junction_state, shard_junctions)
from ._readout.tmr import TMR, midpoint_threshold
from ._readout.hall import HallReadout, harmonic_voltages, lock_in
from ._sllg import SLLG
from ._solver import NormalizedHeun, normalize
from ._fused.solver import FusedHeun
from ._thermal import thermal_field_strength
from ._torques.base import AbstractTorque
from ._torques.sot import SpinOrbitTorque
from ._torques.stt import SlonczewskiSTT
from ._torques.bias_stt import BiasDrivenSTT
from . import devices, experiments  # noqa: E402  (they build on the names above)
from . import bits, design, estimators, fitting, sharding, trng, wer  # noqa: E402
from ._estimators import (  # noqa: E402
    SmoothedEstimate, array_pulse_outcome, paired_difference, pulse_outcome,
    smoothed_probability, soft_outcome, waveform_outcome)
from ._design import (  # noqa: E402
    Bounded, DesignFailed, DesignResult, MinEnergyResult, Positive, min_energy_pulse,
    rectangular_reference, tune_to_probability)
from ._fitting import FitResult, SwitchingData, fit_switching, read_csv  # noqa: E402

__all__ = [
    "AbstractPulse", "GaussianPulse", "PiecewiseLinear", "Sequence", "Sinusoid", "Sum",
    "Trapezoid", "rectangular", "TMR", "midpoint_threshold", "bias", "von_neumann",
    "xor_streams", "gaussian_box_muller", "gaussian_clt", "gaussian_inverse_cdf",
    "gaussian_quality", "uniforms",
    "BiasDrivenSTT", "HallReadout", "OerstedField", "harmonic_voltages", "lock_in",
    "devices", "trng", "wer", "bits", "design", "estimators", "fitting", "sharding", "SmoothedEstimate", "array_pulse_outcome", "paired_difference",
    "pulse_outcome", "smoothed_probability", "soft_outcome", "waveform_outcome",
    "Bounded", "DesignFailed", "DesignResult", "MinEnergyResult", "Positive",
    "min_energy_pulse", "rectangular_reference", "tune_to_probability", "FitResult",
    "SwitchingData", "fit_switching", "read_csv", "disk_factors", "ellipsoid_factors", "experiments",
    "AbstractField", "AbstractIncrements", "AbstractMonitor", "GaussianIncrements",
    "RademacherIncrements", "AbstractTorque", "Constant", "CounterBrownianPath",
    "Demagnetization", "Drive", "FirstPassage", "FreeLayer", "Inputs",
    "InvalidParameterError", "NormalizedHeun", "SLLG", "Save", "SimulationInputError",
    "SlonczewskiSTT", "Solution", "SpinOrbitTorque", "UniaxialAnisotropy", "VCMAAnisotropy",
    "Zeeman", "constants", "disk_area", "ellipse_area", "llg_rhs", "normalize",
    "simulate", "thermal_field_strength", "InsufficientMemoryError", "junction_mesh",
    "junction_state", "shard_junctions", "FusedHeun", "Histogram", "RunningMoments", "SwitchCount",
    "DwellTime",
]
__version__ = "0.1.0"
