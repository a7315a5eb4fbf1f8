"""``spinjax.sharding``: junction arrays split over devices. The mesh axis name, its size
for a mesh, and the helpers that build and place the state (also at the top level).
The implementation lives in ``spinjax/_sharding.py``."""

from ._sharding import (
    AXIS, InsufficientMemoryError, _n_shards, junction_mesh, junction_state,
    shard_junctions)



def n_shards(mesh) -> int:
    """The number of devices along the junction axis of `mesh` (a
    [`spinjax.junction_mesh`][spinjax.sharding.junction_mesh]); raises
    [`spinjax.SimulationInputError`][] naming the mesh's axes if it has no junction axis."""
    return _n_shards(mesh)

__all__ = ["AXIS", "InsufficientMemoryError", "junction_mesh", "junction_state", "n_shards",
           "shard_junctions"]
