"""The errors of the diffusion package: one base class, one subclass per concept.

Every error the package raises for a bad argument, configuration, file or checkpoint is
a [`DiffusionError`][diffusion.errors.DiffusionError], which is a ``ValueError`` (so
``except ValueError`` keeps working);
[`MissingDataError`][diffusion.errors.MissingDataError] and
[`MissingCheckpointError`][diffusion.errors.MissingCheckpointError] are also
``FileNotFoundError``. Each module re-exports the error it raises (``from diffusion.samplers
import SamplerError`` works).
"""

__all__ = [
    "CheckpointMismatch", "CodesignError", "ConfigError", "DataError", "DeviceNoiseError",
    "DiffusionError", "EvaluateError", "MetricError", "MissingCheckpointError",
    "MissingDataError", "OutputError",
    "SamplerError", "ScheduleError", "UNetConfigError",
]


class DiffusionError(ValueError):
    """An argument, configuration, file or checkpoint the diffusion package cannot use;
    the message names the parameter, its value and the valid range."""


class ConfigError(DiffusionError):
    """A [`TrainConfig`][diffusion.config.TrainConfig] field, an override or a preset name
    outside its valid range ([`diffusion.config`][], [`diffusion.configs`][],
    [`diffusion.train`][])."""


class DataError(DiffusionError):
    """A data file or directory is missing, malformed or inconsistent, or a data
    argument is out of range ([`diffusion.data`][], [`diffusion.input_pipeline`][])."""


class MissingDataError(DataError, FileNotFoundError):
    """A data file or directory does not exist (also a ``FileNotFoundError``)."""


class UNetConfigError(DiffusionError):
    """A U-Net hyperparameter or input outside its valid range ([`diffusion.unet`][])."""


class ScheduleError(DiffusionError):
    """A schedule or SDE parameter outside its valid range ([`diffusion.schedules`][],
    [`diffusion.sde`][])."""


class SamplerError(DiffusionError):
    """A sampler argument outside its valid range ([`diffusion.samplers`][],
    [`diffusion.sharding`][])."""


class DeviceNoiseError(DiffusionError):
    """A device noise source's parameter outside its valid range
    ([`diffusion.device_noise`][])."""


class CodesignError(DiffusionError):
    """A pulse co-design argument outside its valid range ([`diffusion.codesign`][])."""


class MetricError(DiffusionError):
    """Features or an interval argument a metric cannot use ([`diffusion.metrics`][])."""


class EvaluateError(DiffusionError):
    """An argument of [`diffusion.evaluate`][] outside its valid range."""


class OutputError(DiffusionError):
    """Images, rows or scalars that a figure or a log writer cannot write
    ([`diffusion.figures`][], [`diffusion.writers`][])."""


class CheckpointMismatch(DiffusionError):
    """A checkpoint that does not belong to the config or the data it is used with
    ([`diffusion.checkpoint`][])."""


class MissingCheckpointError(DiffusionError, FileNotFoundError):
    """An export directory, or one of its files, does not exist (also a
    ``FileNotFoundError``; [`diffusion.checkpoint`][])."""
