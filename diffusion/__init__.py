"""diffusion: a Flax score model whose sampling noise can come from simulated junctions.

Paper A in software: a denoising diffusion model (U-Net, DDPM/DDIM/reverse-SDE samplers)
whose Gaussian noise is replaced, inside the jitted sampling loop, by Gaussians built
from the switching outcomes of a simulated VCMA junction array (spinjax). spinjax never
imports this package.
"""
