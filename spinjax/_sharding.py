r"""Junction arrays spread over many accelerators with JAX's own sharding machinery.

A junction array's state has shape (N, ..., 3); it is split along its first axis over a
one-dimensional `jax.sharding.Mesh` whose axis is called ``"junctions"``, and
every parameter or drive leaf with the same leading length is split the same way
(others are replicated). [`spinjax.simulate`][] then runs unchanged (``jit``
propagates the shardings through the solve), and with ``simulate(..., mesh=mesh)`` it
does the placing itself.

Reproducibility: the thermal noise of step $n$ is ``jax.random.normal(fold_in(key, n),
(N, ..., 3))`` with JAX's partitionable Threefry (``jax_threefry_partitionable``, on by
default), whose value at each index does not depend on how the array is split: the
same key gives the same per-junction result on 1 or 8 devices (tested).

Several hosts: after ``jax.distributed.initialize()``,
[`junction_mesh`][spinjax.sharding.junction_mesh] over ``jax.devices()`` (every host's
devices) is the same call; each process then holds only its own devices' shards.
"""

import os

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._checks import SimulationInputError

AXIS = "junctions"


class InsufficientMemoryError(MemoryError):
    """An array or a solve would not fit in the memory of the device(s) it would use;
    raised before anything is allocated, with the bytes needed and available."""


def junction_mesh(n_devices: int | None = None, *, devices=None) -> Mesh:
    """A one-axis mesh (axis ``"junctions"``) over the first `n_devices` of `devices`
    (default ``jax.devices()``: every device of every process). Asking for more
    devices than exist is an error that says how many there are."""
    devices = list(jax.devices() if devices is None else devices)
    n = len(devices) if n_devices is None else n_devices
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise SimulationInputError(f"n_devices = {n_devices!r}; the valid range is 1 to "
                                   f"{len(devices)} (the devices jax sees).")
    if n > len(devices):
        raise SimulationInputError(
            f"n_devices = {n}, but only {len(devices)} device(s) exist "
            f"({devices[0].platform}); the valid range is 1 to {len(devices)}. On a CPU, "
            f"XLA_FLAGS=--xla_force_host_platform_device_count={n} (set before jax "
            f"starts) makes {n} host devices.")
    return Mesh(np.array(devices[:n]), (AXIS,))


def _n_shards(mesh: Mesh) -> int:
    if AXIS not in mesh.axis_names:
        raise SimulationInputError(f"mesh axes {mesh.axis_names} have no {AXIS!r} axis; "
                                   f"build it with spinjax.junction_mesh().")
    return int(mesh.shape[AXIS])


def check_divisible(n: int, mesh: Mesh) -> None:
    """An error unless `n` junctions split evenly over the mesh's junction axis."""
    k = _n_shards(mesh)
    if n % k:
        lo, hi = (n // k) * k, -(-n // k) * k
        raise SimulationInputError(
            f"N = {n} junctions do not split evenly over the mesh's {k} devices: use a "
            f"multiple of {k} (for example {hi}, or {lo}). Padding with extra junctions "
            f"is left to the caller, who knows whether the padded ones may enter "
            f"averages.")


def shard_junctions(tree, mesh: Mesh, n: int):
    """Place every array leaf of `tree` whose first axis has length `n` (a junction
    axis) split along it over the mesh, and every other array leaf replicated."""
    check_divisible(n, mesh)
    split = NamedSharding(mesh, PartitionSpec(AXIS))
    whole = NamedSharding(mesh, PartitionSpec())

    def place(x):
        if not isinstance(x, (jax.Array, np.ndarray)):
            return x
        s = split if (np.ndim(x) >= 1 and np.shape(x)[0] == n) else whole
        return jax.device_put(x, s)
    return jax.tree.map(place, tree)


def device_memory_bytes(device) -> int | None:
    """Bytes the allocator of `device` may still hand out: the accelerator's
    ``memory_stats()`` limit less what is in use, or on a CPU the host's available
    memory (``MemAvailable``); None if unknown."""
    stats = device.memory_stats() if hasattr(device, "memory_stats") else None
    if stats and "bytes_limit" in stats:
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    if device.platform == "cpu" and os.path.exists("/proc/meminfo"):
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    return None


def check_fits(needed_bytes_per_device: int, mesh: Mesh | None, what: str) -> None:
    """[`InsufficientMemoryError`][spinjax.sharding.InsufficientMemoryError] if
    `needed_bytes_per_device` exceeds the free memory of any device of `mesh` (default: the
    first device)."""
    devices = list(mesh.devices.flat) if mesh is not None else [jax.devices()[0]]
    # Each process checks its own devices: another host's devices are not addressable
    # here (their memory_stats() raises), and that host checks them itself.
    local = [d for d in devices if d.process_index == jax.process_index()]
    for d in local:
        free = device_memory_bytes(d)
        if free is not None and needed_bytes_per_device > free:
            k = len(devices)
            raise InsufficientMemoryError(
                f"{what} needs {needed_bytes_per_device / 2**30:.2f} GiB on each of {k} "
                f"device(s), but {d} has {free / 2**30:.2f} GiB free. Use more devices "
                f"(a larger mesh), fewer junctions, or save reduced observables "
                f"(Save(every=k, fn=...)) instead of states.")


def junction_state(n: int, direction=(0.0, 0.0, 1.0), *, mesh: Mesh | None = None,
                   dtype=jnp.float32) -> jax.Array:
    """`n` junctions all along `direction` (normalized), shape (n, 3), created directly
    in its shards on `mesh` (no device ever holds the whole array), after checking that
    the shards fit."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise SimulationInputError(f"n = {n!r}; the valid range is 1 to inf junctions.")
    u = np.asarray(direction, np.float64)
    if u.shape != (3,) or not np.all(np.isfinite(u)) or not np.linalg.norm(u) > 0:
        raise SimulationInputError(f"direction = {direction!r} must be 3 finite numbers, "
                                   f"not all zero.")
    k = 1 if mesh is None else _n_shards(mesh)
    if mesh is not None:
        check_divisible(n, mesh)
    check_fits(n // k * 3 * jnp.dtype(dtype).itemsize, mesh, f"a state of {n} junctions")
    u = jnp.asarray(u / np.linalg.norm(u), dtype)
    out = None if mesh is None else NamedSharding(mesh, PartitionSpec(AXIS))
    return jax.jit(lambda: jnp.broadcast_to(u, (n, 3)), out_shardings=out)()
