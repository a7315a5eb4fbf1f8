"""diffusion: a Flax score model whose sampling noise can come from simulated junctions.

Paper A in software: a denoising diffusion model (U-Net, DDPM/DDIM/reverse-SDE samplers)
whose Gaussian noise is replaced, inside the jitted sampling loop, by Gaussians built
from the switching outcomes of a simulated VCMA junction array (spinjax). spinjax never
imports this package.

The layout of the Flax examples: ``main`` (the command line) over
``train.train_and_evaluate(config, workdir)``; ``configs/`` the only presets
(``default`` for a CPU, ``fashion28`` for one GPU) of ``config.TrainConfig``; ``data``
loads the images and ``input_pipeline`` draws the training batches; ``unet`` the model;
``writers`` the training logs; ``checkpoint`` the export; ``schedules`` and ``sde``
the forward process (``sde.AbstractSDE``: drift, diffusion, marginal, prior), which
``samplers`` read (``sharding`` splits them over devices); ``noise``, ``device_noise``,
``codesign`` and ``sources`` the noise sources; ``classifier``, ``metrics``,
``evaluate`` and ``figures`` the report; ``errors`` the one error base class,
``errors.DiffusionError``.
"""
