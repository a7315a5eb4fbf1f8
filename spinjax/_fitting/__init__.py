"""Fitting device parameters to measured switching data through the stochastic solver."""

from .data import SwitchingData, from_arrays, read_csv
from .start import FitFailed
from .switching_fit import FitResult, fit_switching, grid_outcome

__all__ = ["FitFailed", "FitResult", "SwitchingData", "fit_switching", "from_arrays", "grid_outcome",
           "read_csv"]
