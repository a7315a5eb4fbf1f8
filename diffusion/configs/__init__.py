"""Named training configurations, one module each with ``get_config()`` (the Flax
examples' layout), and the only presets of the package:

- ``default``: the CPU configuration (the 8x8 digits on 2 cores, minutes);
- ``fashion28``: the GPU variant, the shipped Fashion-MNIST 28x28 model (one H100/H200,
  under 8 minutes).

``get_config("default", train_steps=200)`` is a preset with some fields replaced; from
the command line, ``python -m diffusion.main --config NAME --set key=value``.
"""

import dataclasses

from ..config import TrainConfig
from ..errors import ConfigError
from . import default, fashion28

CONFIGS = {"default": default, "fashion28": fashion28}


def get_config(name: str, **overrides) -> TrainConfig:
    """The [`TrainConfig`][diffusion.config.TrainConfig] named `name` (a key of
    ``CONFIGS``), with the fields in `overrides` replaced (validated as any TrainConfig
    is)."""
    if name not in CONFIGS:
        raise ConfigError(f"config = {name!r}; valid: {', '.join(sorted(CONFIGS))}.")
    config = CONFIGS[name].get_config()
    fields = {f.name for f in dataclasses.fields(config)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ConfigError(f"unknown config key(s) {unknown}; valid keys: {sorted(fields)}.")
    return dataclasses.replace(config, **overrides)
