"""The samplers over several devices: the batch of images and a device noise source's
junction array split along a [`spinjax.junction_mesh`][spinjax.sharding.junction_mesh] (its
``"junctions"`` axis).

[`placer`][diffusion.sharding.placer] pins the carry of a sampler's scan with
``with_sharding_constraint`` after every step, so ``jit`` keeps both split: the batch axis
of the images, and every leaf of the noise state whose first axis is the source's junction
axis. The normals come from partitionable Threefry or from the sharded sLLG, so the same key
gives the same images on any number of devices (up to float rounding of per-shard kernels).
"""

import jax
from jax.sharding import NamedSharding, PartitionSpec

from spinjax.sharding import AXIS, n_shards

from .errors import SamplerError


def check_mesh(mesh, shape, noise):
    """The batch (and a device source's junctions) must split evenly over the mesh."""
    if mesh is None:
        return None
    k = n_shards(mesh)
    if shape[0] % k:
        raise SamplerError(f"shape[0] = {shape[0]} images do not split evenly over the "
                           f"mesh's {k} devices: use a multiple of {k}.")
    n = getattr(noise, "junctions", None)
    if n is not None and n % k:
        raise SamplerError(f"the noise source's {n} junctions do not split evenly over "
                           f"the mesh's {k} devices: use a multiple of {k}.")
    return mesh


def placer(mesh, noise):
    """``place((x, state))``: the batch axis of `x` split over `mesh`'s ``"junctions"``
    axis, and every leaf of the noise state whose first axis is the source's junction
    axis (``noise.junctions``) split the same way; other leaves left to XLA."""
    if mesh is None:
        return None
    split = NamedSharding(mesh, PartitionSpec(AXIS))
    n = getattr(noise, "junctions", None)

    def leaf(a):
        if (isinstance(a, jax.Array) and a.ndim >= 1 and a.shape[0] == n
                and not jax.dtypes.issubdtype(a.dtype, jax.dtypes.prng_key)):
            return jax.lax.with_sharding_constraint(a, split)
        return a

    def place(carry):
        x, state = carry
        return jax.lax.with_sharding_constraint(x, split), jax.tree.map(leaf, state)

    return place
