"""A trained model as it ships: the score network's EMA weights and the feature
classifier's weights (one orbax checkpoint), its
[`TrainConfig`][diffusion.config.TrainConfig], a fingerprint of the data it was trained on,
and its training record.

Layout of an export directory (``diffusion/checkpoints/fashion28`` is one):

    config.json   the TrainConfig
    meta.json     data fingerprint, steps, wall time, device, classifier accuracy
    log.jsonl     the training log (loss, gradient norm, steps/s)
    params/       orbax checkpoint of {"ema_params", "classifier_params"}

Only the EMA weights ship (the sampling weights; the raw weights and the optimizer
moments stay in the training run's own checkpoints), which keeps the shipped model at
4 bytes per parameter. [`load`][diffusion.checkpoint.load] refuses a checkpoint trained
under another config or on other data, saying what differs.
"""

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .classifier import Classifier
from .config import TrainConfig
from .data import Dataset
from .errors import CheckpointMismatch, MissingCheckpointError
from .unet import UNet, UNetEps, eps_fn

__all__ = ["SHIPPED", "CheckpointMismatch", "Pretrained", "data_fingerprint", "export",
           "load"]

SHIPPED = Path(__file__).parent / "checkpoints" / "fashion28"


def data_fingerprint(data: Dataset) -> dict:
    """What identifies the training data: its name, image shape, sizes and a SHA-256 of
    the first 4096 training images and labels (as stored: float32 in [-1, 1])."""
    n = min(len(data.x_train), 4096)
    h = hashlib.sha256(np.ascontiguousarray(data.x_train[:n], np.float32).tobytes())
    h.update(np.ascontiguousarray(data.y_train[:n], np.int32).tobytes())
    return dict(name=data.name, image_shape=list(data.x_train.shape[1:]),
                train=int(len(data.x_train)), test=int(len(data.x_test)),
                num_classes=int(data.num_classes), sha256=h.hexdigest()[:16])


@dataclasses.dataclass(frozen=True)
class Pretrained:
    """A loaded export: `model` and `ema_params` (the score network), `classifier` and
    `classifier_params` (the quality metrics' features), `config`, `meta`."""

    config: TrainConfig
    model: UNet
    ema_params: dict
    classifier: Classifier
    classifier_params: dict
    meta: dict

    @property
    def eps(self) -> UNetEps:
        """The samplers' ``eps_fn``."""
        return eps_fn(self.model, {"params": self.ema_params})

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.meta["data"]["image_shape"])


def _abstract_params(config: TrainConfig, image_shape, num_classes: int) -> dict:
    model = UNet(**config.model_kwargs())
    x = jnp.zeros((1, *image_shape), jnp.float32)
    unet = jax.eval_shape(lambda: model.init(jax.random.key(0), x, jnp.zeros((1,), jnp.int32),
                                             train=False)["params"])
    clf = jax.eval_shape(lambda: Classifier(num_classes=num_classes).init(
        jax.random.key(0), x)["params"])
    return {"ema_params": unet, "classifier_params": clf}


def export(out_dir, config: TrainConfig, ema_params, classifier_params, data: Dataset,
           meta: dict, log_file=None) -> Path:
    """Write an export directory (see the module docstring) to `out_dir`, replacing one
    that is there; `meta` is stored with the data fingerprint added."""
    import orbax.checkpoint as ocp
    out = Path(out_dir).absolute()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "config.json").write_text(config.to_json() + "\n")
    full = dict(meta, data=data_fingerprint(data))
    (out / "meta.json").write_text(json.dumps(full, indent=1, allow_nan=False) + "\n")
    if log_file is not None and Path(log_file).is_file():
        shutil.copyfile(log_file, out / "log.jsonl")
    tree = {"ema_params": ema_params, "classifier_params": classifier_params}
    with ocp.StandardCheckpointer() as ckptr:
        ckptr.save(out / "params", jax.device_get(tree))
    return out


def _differences(stored: dict, expected: dict) -> list[str]:
    return [f"{k}: checkpoint {stored.get(k)!r}, expected {expected.get(k)!r}"
            for k in sorted(set(stored) | set(expected)) if stored.get(k) != expected.get(k)]


def load(path=SHIPPED, *, config: TrainConfig | None = None,
         data: Dataset | None = None) -> Pretrained:
    """Load an export directory. With `config`, its model hyperparameters must equal the
    stored ones; with `data`, the data fingerprint must match
    ([`data_fingerprint`][diffusion.checkpoint.data_fingerprint]); otherwise
    [`CheckpointMismatch`][diffusion.checkpoint.CheckpointMismatch] lists what differs. A
    missing directory or file raises
    [`MissingCheckpointError`][diffusion.errors.MissingCheckpointError] (a
    ``FileNotFoundError``) naming it."""
    import orbax.checkpoint as ocp
    path = Path(path).absolute()
    for name in ("config.json", "meta.json", "params"):
        if not (path / name).exists():
            raise MissingCheckpointError(
                f"checkpoint {str(path)!r} lacks {name!r} (an export directory holds "
                "config.json, meta.json and params/).")
    stored = TrainConfig.from_json((path / "config.json").read_text())
    meta = json.loads((path / "meta.json").read_text())
    if config is not None:
        diff = _differences(stored.model_kwargs(), config.model_kwargs())
        diff += _differences({"schedule": stored.schedule, "timesteps": stored.timesteps},
                             {"schedule": config.schedule, "timesteps": config.timesteps})
        if diff:
            raise CheckpointMismatch(f"checkpoint {str(path)!r} was trained under another "
                                     f"config: {'; '.join(diff)}.")
    if data is not None:
        diff = _differences(meta["data"], data_fingerprint(data))
        if diff:
            raise CheckpointMismatch(f"checkpoint {str(path)!r} was trained on other data: "
                                     f"{'; '.join(diff)}.")
    abstract = _abstract_params(stored, meta["data"]["image_shape"],
                                meta["data"]["num_classes"])
    with ocp.StandardCheckpointer() as ckptr:
        on_disk = ckptr.metadata(path / "params")
        tree = getattr(on_disk, "item_metadata", on_disk)
        got = {jax.tree_util.keystr(k): tuple(v.shape)
               for k, v in jax.tree_util.tree_leaves_with_path(tree)}
        want = {jax.tree_util.keystr(k): tuple(v.shape)
                for k, v in jax.tree_util.tree_leaves_with_path(abstract)}
        if got != want:
            diff = [f"{k}: checkpoint {got.get(k)}, config {want.get(k)}"
                    for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)]
            raise CheckpointMismatch(f"checkpoint {str(path)!r}: the weights do not fit its "
                                     f"config.json ({len(diff)} arrays differ, e.g. "
                                     f"{'; '.join(diff[:3])}).")
        params = ckptr.restore(path / "params", abstract)
    return Pretrained(stored, UNet(**stored.model_kwargs()), params["ema_params"],
                      Classifier(num_classes=meta["data"]["num_classes"]),
                      params["classifier_params"], meta)
