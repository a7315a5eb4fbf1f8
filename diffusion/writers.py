"""Metric writers with clu's interface that need no TensorFlow.

clu's metrics (``clu.metrics``) need only JAX, but its writers (``clu.metric_writers``,
and ``clu.periodic_actions`` which imports them) import TensorFlow at package import,
a 1.3 GB dependency that accelerator images often lack. This module keeps the
interface of ``clu.metric_writers.interface.MetricWriter`` (the same method names,
arguments and meaning: ``write_summaries``, ``write_scalars``, ``write_images``,
``write_texts``, ``write_histograms``, ``write_hparams``, ``flush``, ``close``) and
writes TensorBoard event files with tensorboardX (pure Python over protobuf; about
0.7 MB installed), which TensorBoard reads as it reads TensorFlow's.

``create_default_writer(logdir)`` mirrors clu's function of that name: a writer to the
log and to event files in `logdir`.
"""

import abc
import logging
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .errors import OutputError

__all__ = ["MetricWriter", "LoggingWriter", "TensorBoardWriter", "MultiWriter",
           "create_default_writer"]

Scalar = int | float | np.number | np.ndarray


class MetricWriter(abc.ABC):
    """The interface of ``clu.metric_writers.MetricWriter``: write values keyed by name
    at an integer step."""

    @abc.abstractmethod
    def write_summaries(self, step: int, values: Mapping[str, Any],
                        metadata: Mapping[str, Any] | None = None):
        """Raw summaries (here: any value that
            [`write_scalars`][diffusion.writers.MetricWriter.write_scalars] accepts)."""

    @abc.abstractmethod
    def write_scalars(self, step: int, scalars: Mapping[str, Scalar]):
        """Scalars (Python or 0-d NumPy/JAX numbers)."""

    @abc.abstractmethod
    def write_images(self, step: int, images: Mapping[str, np.ndarray]):
        """Images: each value (H, W, C) or (N, H, W, C) with C in {1, 3, 4}, floats in
        [0, 1] or uint8."""

    @abc.abstractmethod
    def write_texts(self, step: int, texts: Mapping[str, str]):
        """Text (markdown in TensorBoard)."""

    @abc.abstractmethod
    def write_histograms(self, step: int, arrays: Mapping[str, np.ndarray],
                         num_buckets: Mapping[str, int] | None = None):
        """Histograms of arrays."""

    @abc.abstractmethod
    def write_hparams(self, hparams: Mapping[str, Any]):
        """The hyperparameters of the run (values: bool, int, float or str)."""

    @abc.abstractmethod
    def flush(self):
        """Write everything buffered."""

    @abc.abstractmethod
    def close(self):
        """Flush and release resources; the writer is unusable afterwards."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _scalar(name: str, value) -> float:
    arr = np.asarray(value)
    if arr.size != 1:
        raise OutputError(f"scalar {name!r} must hold one value; got shape {arr.shape}.")
    return float(arr.reshape(()))


def _hparam_value(value):
    return value if isinstance(value, (bool, int, float, str)) else str(value)


class LoggingWriter(MetricWriter):
    """Writes scalars, texts and hyperparameters as lines through `log` (a callable
    taking a string; default: the ``logging`` module at INFO); images and histograms by
    their shapes only."""

    def __init__(self, log: Callable[[str], Any] | None = None):
        self._log = log or logging.getLogger(__name__).info

    def write_summaries(self, step, values, metadata=None):
        self.write_scalars(step, values)

    def write_scalars(self, step, scalars):
        text = ", ".join(f"{k} = {_scalar(k, v):.6g}" for k, v in sorted(scalars.items()))
        self._log(f"[{step}] {text}")

    def write_images(self, step, images):
        self._log(f"[{step}] images: " + ", ".join(
            f"{k} {np.shape(v)}" for k, v in sorted(images.items())))

    def write_texts(self, step, texts):
        for k, v in sorted(texts.items()):
            self._log(f"[{step}] {k}: {v}")

    def write_histograms(self, step, arrays, num_buckets=None):
        self._log(f"[{step}] histograms: " + ", ".join(
            f"{k} {np.shape(v)}" for k, v in sorted(arrays.items())))

    def write_hparams(self, hparams):
        self._log("hparams: " + ", ".join(f"{k} = {v!r}" for k, v in sorted(hparams.items())))

    def flush(self):
        pass

    def close(self):
        pass


class TensorBoardWriter(MetricWriter):
    """TensorBoard event files in `logdir`, written by ``tensorboardX.SummaryWriter``."""

    def __init__(self, logdir):
        from tensorboardX import SummaryWriter
        self._writer = SummaryWriter(logdir=str(logdir))

    def write_summaries(self, step, values, metadata=None):
        self.write_scalars(step, values)

    def write_scalars(self, step, scalars):
        for k, v in scalars.items():
            self._writer.add_scalar(k, _scalar(k, v), global_step=int(step))

    def write_images(self, step, images):
        for k, v in images.items():
            arr = np.asarray(v)
            if arr.ndim == 3:
                arr = arr[None]
            if arr.ndim != 4 or arr.shape[-1] not in (1, 3, 4):
                raise OutputError(f"image {k!r} must be (H, W, C) or (N, H, W, C) with C in "
                                  f"(1, 3, 4); got shape {np.shape(v)}.")
            if arr.shape[-1] == 1:
                arr = np.repeat(arr, 3, axis=-1)
            self._writer.add_images(k, arr, global_step=int(step), dataformats="NHWC")

    def write_texts(self, step, texts):
        for k, v in texts.items():
            self._writer.add_text(k, str(v), global_step=int(step))

    def write_histograms(self, step, arrays, num_buckets=None):
        for k, v in arrays.items():
            bins = (num_buckets or {}).get(k, "auto")
            self._writer.add_histogram(k, np.asarray(v), global_step=int(step), bins=bins)

    def write_hparams(self, hparams):
        # The hparams plugin's three summaries, in this run's own event file (tensorboardX's
        # add_hparams would open a second run in a subdirectory).
        from tensorboardX.summary import hparams as hparams_summaries
        clean = {k: _hparam_value(v) for k, v in hparams.items()}
        for summary in hparams_summaries(clean, {}):
            self._writer.file_writer.add_summary(summary)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


class MultiWriter(MetricWriter):
    """Forwards every call to each of `writers`, in order."""

    def __init__(self, writers):
        self._writers = tuple(writers)

    def _each(self, name, *args, **kwargs):
        for w in self._writers:
            getattr(w, name)(*args, **kwargs)

    def write_summaries(self, step, values, metadata=None):
        self._each("write_summaries", step, values, metadata)

    def write_scalars(self, step, scalars):
        self._each("write_scalars", step, scalars)

    def write_images(self, step, images):
        self._each("write_images", step, images)

    def write_texts(self, step, texts):
        self._each("write_texts", step, texts)

    def write_histograms(self, step, arrays, num_buckets=None):
        self._each("write_histograms", step, arrays, num_buckets)

    def write_hparams(self, hparams):
        self._each("write_hparams", hparams)

    def flush(self):
        self._each("flush")

    def close(self):
        self._each("close")


def create_default_writer(logdir=None, *, just_logging: bool = False,
                          log: Callable[[str], Any] | None = None) -> MetricWriter:
    """A [`LoggingWriter`][diffusion.writers.LoggingWriter] and, unless `just_logging` or
    `logdir` is None, a [`TensorBoardWriter`][diffusion.writers.TensorBoardWriter] in
    `logdir` (clu's ``create_default_writer``, without TensorFlow)."""
    writers = [LoggingWriter(log)]
    if logdir is not None and not just_logging:
        writers.append(TensorBoardWriter(logdir))
    return MultiWriter(writers)
