"""Pulse and device design by gradient through the stochastic solver, with optax."""

from .target import DesignFailed, DesignResult, default_optimizer, tune_to_probability
from .transforms import Bounded, Positive

__all__ = ["Bounded", "DesignFailed", "DesignResult", "Positive", "default_optimizer",
           "tune_to_probability"]
