"""Training configuration: the [`TrainConfig`][diffusion.config.TrainConfig] dataclass and
command-line overrides (``--set key=value``). The named presets live in
[`diffusion.configs`][] (``default`` for a CPU, ``fashion28`` for one GPU), one module
each."""

import dataclasses
import json
import math

from .errors import ConfigError


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on (with the data and the seed, it fixes the
    result).

    - data: `dataset` ("auto": Fashion-MNIST if installed, else scikit-learn's 8x8
      digits; "fashion-mnist", "digits", or `data_path` a directory of IDX files),
      `pad_to` (pad images to this side with the background value), `limit` (first n
      examples, for fast runs);
    - model ([`diffusion.unet.UNet`][]): `channels`, `channel_mults`,
      `num_res_blocks`, `attention`, `dropout`;
    - diffusion: `schedule` ("linear" or "cosine"), `timesteps` T;
    - optimization (optax): AdamW with `learning_rate`, linear warm-up over
      `warmup_steps`, `weight_decay`, gradient clipping at global norm `grad_clip`,
      `batch_size`, `train_steps`; `ema_decay` of the weights' moving average;
    - bookkeeping: `seed`, `log_every`, `checkpoint_every` (steps), `keep_checkpoints`.
    """

    dataset: str = "auto"
    data_path: str | None = None
    pad_to: int | None = None
    limit: int | None = None
    channels: int = 32
    channel_mults: tuple = (1, 2)
    num_res_blocks: int = 1
    attention: bool = True
    dropout: float = 0.0
    schedule: str = "cosine"
    timesteps: int = 1000
    learning_rate: float = 2e-3
    warmup_steps: int = 200
    weight_decay: float = 1e-4
    grad_clip: float = 1.0
    batch_size: int = 128
    train_steps: int = 3000
    ema_decay: float = 0.999
    seed: int = 0
    log_every: int = 100
    checkpoint_every: int = 500
    keep_checkpoints: int = 2

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v, kind = getattr(self, f.name), type(getattr(TrainConfig, f.name, None))
            bad = ((kind is int and (isinstance(v, bool) or not isinstance(v, int)))
                   or (kind is float and (isinstance(v, bool) or not isinstance(v, (int, float))
                                          or not math.isfinite(v)))
                   or (kind is bool and not isinstance(v, bool)))
            if bad:
                raise ConfigError(f"TrainConfig.{f.name} = {v!r}; it must be a finite "
                                  f"{kind.__name__}.")
        checks = {"channels": self.channels >= 1, "num_res_blocks": self.num_res_blocks >= 1,
                  "timesteps": self.timesteps >= 2, "learning_rate": self.learning_rate > 0,
                  "batch_size": self.batch_size >= 1, "train_steps": self.train_steps >= 1,
                  "ema_decay": 0 <= self.ema_decay < 1, "grad_clip": self.grad_clip > 0,
                  "dropout": 0 <= self.dropout < 1, "warmup_steps": self.warmup_steps >= 0,
                  "checkpoint_every": self.checkpoint_every >= 1,
                  "log_every": self.log_every >= 1}
        for name, ok in checks.items():
            if not ok:
                raise ConfigError(f"TrainConfig.{name} = {getattr(self, name)!r} is out of "
                                  f"range (see the TrainConfig docstring).")
        if self.schedule not in ("linear", "cosine"):
            raise ConfigError(f"TrainConfig.schedule = {self.schedule!r}; valid: 'linear', "
                              f"'cosine'.")

    def model_kwargs(self) -> dict:
        return dict(channels=self.channels, channel_mults=tuple(self.channel_mults),
                    num_res_blocks=self.num_res_blocks, attention=self.attention,
                    dropout=self.dropout)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
        d = json.loads(text)
        d["channel_mults"] = tuple(d["channel_mults"])
        return cls(**d)


def apply_overrides(config: TrainConfig, pairs: list[str]) -> TrainConfig:
    """``["train_steps=200", "channel_mults=1,2,2"]`` applied to `config`, each value
    parsed to the type of the field's current value (an unknown key is an error that
    lists the valid ones)."""
    fields = {f.name: f for f in dataclasses.fields(config)}
    changes = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"override {pair!r} must look like key=value.")
        key, value = pair.split("=", 1)
        if key not in fields:
            raise ConfigError(f"unknown config key {key!r}; valid keys: {sorted(fields)}.")
        current = getattr(config, key)
        if isinstance(current, bool):
            parsed = value.lower() in ("1", "true", "yes")
        elif isinstance(current, tuple):
            parsed = tuple(int(v) for v in value.split(","))
        elif isinstance(current, int):
            parsed = int(value)
        elif isinstance(current, float):
            parsed = float(value)
        elif value.lower() == "none":
            parsed = None
        else:
            parsed = int(value) if key in ("pad_to", "limit") else value
        changes[key] = parsed
    return dataclasses.replace(config, **changes)
