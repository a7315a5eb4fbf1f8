"""The TensorFlow-free metric writers: clu's MetricWriter methods, event files that
TensorBoard's record format and protobufs read back, and no TensorFlow imported."""

import struct
import subprocess
import sys

import numpy as np
import pytest

from diffusion.writers import (
    LoggingWriter, MetricWriter, MultiWriter, TensorBoardWriter, create_default_writer)


def read_events(logdir):
    """Every Event in the event files of `logdir`: TFRecord framing (length, masked CRC,
    payload, masked CRC), parsed with tensorboardX's Event protobuf."""
    from tensorboardX.proto.event_pb2 import Event
    events = []
    for path in sorted(logdir.glob("events.out.tfevents.*")):
        raw, pos = path.read_bytes(), 0
        while pos < len(raw):
            (length,) = struct.unpack("<Q", raw[pos:pos + 8])
            events.append(Event.FromString(raw[pos + 12:pos + 12 + length]))
            pos += 12 + length + 4
    return events


def test_scalars_images_texts_hparams_read_back(tmp_path):
    lines = []
    with create_default_writer(tmp_path, log=lines.append) as w:
        w.write_hparams({"learning_rate": 1e-3, "channel_mults": (1, 2), "ema": True})
        for step in (1, 2, 3):
            w.write_scalars(step, {"loss": 1.0 / step, "grad_norm": np.float32(2.0)})
        w.write_images(3, {"samples": np.random.default_rng(0).random((4, 8, 8, 1))})
        w.write_texts(3, {"note": "hello"})
        w.write_histograms(3, {"weights": np.arange(100.0)})
    events = read_events(tmp_path)
    scalars = [(e.step, v.tag, v.simple_value) for e in events for v in e.summary.value
               if v.HasField("simple_value")]
    assert [(s, round(x, 6)) for s, tag, x in scalars if tag == "loss"] == [
        (1, 1.0), (2, 0.5), (3, round(1 / 3, 6))]
    tags = {v.tag for e in events for v in e.summary.value}
    assert {"samples", "weights", "_hparams_/experiment"} <= tags | {
        t.split("/image")[0] for t in tags}, tags
    assert any("loss = 0.5" in ln for ln in lines) and any("hparams" in ln for ln in lines)


def test_interface_and_bad_values(tmp_path):
    for cls in (LoggingWriter, TensorBoardWriter, MultiWriter):
        assert issubclass(cls, MetricWriter)
    w = TensorBoardWriter(tmp_path)
    with pytest.raises(ValueError, match="loss"):
        w.write_scalars(0, {"loss": np.zeros(3)})
    with pytest.raises(ValueError, match="image 'x'"):
        w.write_images(0, {"x": np.zeros((8, 8, 2))})
    w.close()


def test_training_imports_no_tensorflow():
    """Training, its metrics and its writers never import TensorFlow."""
    code = ("import sys, diffusion.train, diffusion.writers, clu.metrics; "
            "diffusion.writers.create_default_writer(None); "
            "print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False", out
