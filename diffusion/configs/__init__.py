"""Named training configurations, one module each with ``get_config()`` (the Flax
examples' layout): ``default`` (the 8x8 digits on a CPU, minutes) and ``fashion28``
(the shipped Fashion-MNIST 28x28 model, trained on one GPU in under 8 minutes)."""

from ..config import TrainConfig
from . import default, fashion28

CONFIGS = {"default": default, "fashion28": fashion28}


def get_config(name: str) -> TrainConfig:
    """The :class:`~diffusion.config.TrainConfig` named `name` (a key of ``CONFIGS``)."""
    if name not in CONFIGS:
        raise ValueError(f"config = {name!r}; valid: {', '.join(sorted(CONFIGS))}.")
    return CONFIGS[name].get_config()
