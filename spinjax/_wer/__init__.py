"""Write error rates: brute force on the engine, adaptive multilevel splitting, and the
Fokker-Planck reference of axially symmetric devices."""

from .estimate import write_error_rate
from .problem import Shifted
from .result import TargetNotReachedWarning, WERSweep, WriteErrorRate
from .splitting import ReactionCoordinateError
from .sweep import wer_sweep
from .fokker_planck import FokkerPlanckWER, fokker_planck_wer
