"""The CPU configuration: a 2-level U-Net of width 32 (0.70 M parameters) on the 8x8
digits, 2000 steps of batch 64 (about 3 minutes on 2 cores)."""

from ..config import TrainConfig


def get_config() -> TrainConfig:
    return TrainConfig(dataset="digits", channels=32, channel_mults=(1, 2),
                       num_res_blocks=1, attention=True, train_steps=2000, batch_size=64,
                       log_every=250, checkpoint_every=1000)
