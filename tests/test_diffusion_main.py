"""The GPU training script (``python -m diffusion.main``) run for a few steps on the CPU
with the shipped config's model, its export, and the checkpoint checks: the shipped
model loads, classifies Fashion-MNIST as its record says, and a checkpoint is refused
for another config or data set with what differs."""

import dataclasses
import json

import numpy as np
import pytest

from diffusion.checkpoint import SHIPPED, CheckpointMismatch, load
from diffusion.classifier import accuracy
from diffusion.configs import get_config
from diffusion.data import find_fashion_mnist, load_dataset
from diffusion.main import main

FASHION = find_fashion_mnist()
needs_fashion = pytest.mark.skipif(FASHION is None, reason="Fashion-MNIST not installed "
                                   "(apt-get install dataset-fashion-mnist)")


def test_main_trains_a_few_steps_and_exports(tmp_path, capsys):
    data = [] if FASHION else ["--set", "dataset=digits"]
    argv = ["--config", "fashion28", "--workdir", str(tmp_path / "run"), "--set",
            "train_steps=2", "--set", "batch_size=8", "--set", "limit=64", "--set",
            "log_every=1", *data, "--classifier-steps", "2", "--sample-images", "4",
            "--sample-steps", "2"]
    rc = main(argv)
    assert rc == 0, capsys.readouterr()
    export = tmp_path / "run" / "export"
    meta = json.loads((export / "meta.json").read_text())
    assert meta["steps"] == 2 and meta["parameters"] == 1_112_801
    assert (tmp_path / "run" / "samples.png").stat().st_size > 1000
    limited = load_dataset("fashion-mnist" if FASHION else "digits", limit=64)
    model = load(export, config=get_config("fashion28"), data=limited)
    assert model.meta["data"]["train"] == 64
    with pytest.raises(CheckpointMismatch, match="train: checkpoint 64, expected"):
        load(export, data=load_dataset("fashion-mnist" if FASHION else "digits", limit=32))
    # The same command again in the same folder resumes the finished run: no step is
    # retrained. (Same arguments: the classifier and the sampler reuse their compiled
    # steps.)
    capsys.readouterr()
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "resumed from step 2" in out and "step 1:" not in out


def test_main_rejects_bad_arguments(tmp_path, capsys):
    for argv, msg in ((["--config", "nope"], "invalid choice"),
                      (["--set", "nope=1"], "unknown config key"),
                      (["--time-budget-s", "0"], "--time-budget-s"),
                      (["--classifier-steps", "0"], "--classifier-steps")):
        with pytest.raises(SystemExit) as exc:
            main(["--workdir", str(tmp_path), *argv])
        assert exc.value.code == 2
        assert msg in capsys.readouterr().err


@needs_fashion
def test_shipped_model_matches_its_record():
    """The shipped export loads against the fashion28 config and the installed data, and
    its classifier reaches the recorded test accuracy exactly (same weights, same data)."""
    data = load_dataset("fashion-mnist")
    model = load(SHIPPED, config=get_config("fashion28"), data=data)
    assert model.meta["steps"] >= 10_000
    acc = accuracy(model.classifier, model.classifier_params, data.x_test, data.y_test)
    assert acc == pytest.approx(model.meta["classifier_test_accuracy"], abs=2e-4)
    assert acc > 0.85


def test_checkpoint_refused_for_other_config_or_data(tmp_path):
    with pytest.raises(CheckpointMismatch, match="channels: checkpoint 32, expected 64"):
        load(SHIPPED, config=dataclasses.replace(get_config("fashion28"), channels=64))
    with pytest.raises(CheckpointMismatch, match="image_shape: checkpoint"):
        load(SHIPPED, data=load_dataset("digits"))
    with pytest.raises(FileNotFoundError, match="lacks 'config.json'"):
        load(tmp_path)
    files = sorted(p for p in SHIPPED.rglob("*") if p.is_file())
    assert max(p.stat().st_size for p in files) < 16e6
    assert np.sum([p.stat().st_size for p in files]) < 8e6


@pytest.mark.parametrize("make, name", [
    (lambda: __import__("diffusion.config").config.TrainConfig(batch_size="64"), "batch_size"),
    (lambda: __import__("diffusion.config").config.TrainConfig(learning_rate=float("nan")),
     "learning_rate"),
    (lambda: __import__("diffusion.config").config.TrainConfig(attention=1), "attention"),
])
def test_config_refuses_wrong_types(make, name):
    with pytest.raises(ValueError, match=name):
        make()


@pytest.mark.parametrize("junctions, amplitude, name", [
    (0, 0.97, "junctions"), (8.0, 0.97, "junctions"), (True, 0.97, "junctions"),
    (8, float("nan"), "amplitude_V"), (8, "1", "amplitude_V"), (8, np.ones(3), "amplitude_V")])
def test_physical_source_refuses_bad_arguments(junctions, amplitude, name):
    import spinjax as sj
    from diffusion.device_noise import DevicePhysicalNoise
    dev = sj.devices.vcma_mtj()
    with pytest.raises(ValueError, match=name):
        DevicePhysicalNoise(dev, sj.trng.precessional_schedule(dev), amplitude, junctions)
