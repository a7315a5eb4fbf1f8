"""The shipped model: Fashion-MNIST at 28x28 on one GPU.

A 3-level U-Net of width 32 (widths 32, 64, 64 at 28, 14 and 7 pixels; one residual
block per level; self-attention at 7x7): 1.11 M parameters, 0.36 GFLOP per image per
evaluation, small enough that `make demo` samples it on 2 CPU cores. AdamW at 1e-3
with 500 warm-up steps, batch 256, EMA 0.9995, the cosine schedule with T = 1000.
``python -m diffusion.main --config fashion28 --workdir DIR --time-budget-s 360``
trains it on an H100/H200 within 8 minutes (the budget stops it before
40k steps if the device is slower), compilation, classifier and export included.
"""

from ..config import TrainConfig


def get_config() -> TrainConfig:
    return TrainConfig(dataset="fashion-mnist", channels=32, channel_mults=(1, 2, 2),
                       num_res_blocks=1, attention=True, dropout=0.0, schedule="cosine",
                       timesteps=1000, learning_rate=1e-3, warmup_steps=500,
                       weight_decay=1e-4, grad_clip=1.0, batch_size=256,
                       train_steps=40_000, ema_decay=0.9995, log_every=500,
                       checkpoint_every=4000)
