"""The CPU configuration: a 2-level U-Net of width 32 (0.70 M parameters) on the 8x8
digits, 2000 steps of batch 64 (about 3 minutes on 2 cores).

One Adam step of this U-Net (forward, backward, update; measured on the project's
2-core CPU, jax 0.10.2): 0.21 s for a batch of 128 8x8 images, 1.0 s for 128 at 16x16,
2.2 s for 64 at 28x28 (attention at 14x14 is 0.45 s of it); compiling the step takes
about 10 s.
"""

from ..config import TrainConfig


def get_config() -> TrainConfig:
    return TrainConfig(dataset="digits", channels=32, channel_mults=(1, 2),
                       num_res_blocks=1, attention=True, train_steps=2000, batch_size=64,
                       log_every=250, checkpoint_every=1000)
