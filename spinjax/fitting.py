"""``spinjax.fitting``: device parameters fitted to measured switching data through the
stochastic solver (maximum likelihood with Monte Carlo gradients), the data's reading
and checks, and the VCMA preset in the coordinates the data identify (compensation
voltage and VCMA coefficient). The implementation lives in ``spinjax/_fitting/``."""

from ._fitting import (
    FitFailed, FitResult, SwitchingData, fit_switching, from_arrays, grid_outcome, read_csv)
from ._fitting.vcma_params import k_i0_from_compensation, vcma_mtj_compensation

__all__ = ["FitFailed", "FitResult", "SwitchingData", "fit_switching", "from_arrays",
           "grid_outcome", "k_i0_from_compensation", "read_csv", "vcma_mtj_compensation"]
