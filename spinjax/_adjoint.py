r"""How reverse-mode gradients get through a solve: the choice of diffrax adjoint.

Differentiating an $S$-step solve needs every step's state in the backward pass.
``diffrax.RecursiveCheckpointAdjoint(checkpoints=K)`` stores $K$ of them and
recomputes the rest (binomial checkpointing, Stumm and Walther 2010): with the default
$K$ (about $\log S$ levels) memory is small and the backward pass recomputes each step
about $\log S$ times; with $K = S$ nothing is recomputed. Measured on a 2-core CPU
(benchmarks/gradients.py, $10^4$ junctions, $10^3$ steps, one idle run): gradient/forward
10.6x with the default, 13.9x with $K = 16$ and 8.6x with $K = S$ (120 MB); on an
H100 at $10^5$ junctions, 8.2x with the default and 4.5x with $K = S$.

`default_adjoint` is what [`spinjax.simulate`][] uses when no adjoint is
given: store every step when that costs at most `STORE_ALL_BUDGET_BYTES` (the
states, $N \cdot S \cdot 3$ floats, per device), else diffrax's default. The choice
depends on the shapes only (not on the free memory of the moment), so a call compiles
once and the same key gives the same gradient. Pass ``adjoint=`` to choose yourself
(e.g. ``RecursiveCheckpointAdjoint(checkpoints=16)`` on a small accelerator). The
forward solve is the same whatever the adjoint.

**A few parameters: forward mode.** Reverse mode costs the same for one parameter or a
million (per-junction amplitudes), but its backward pass of one step costs several
forward steps. For a handful of parameters (a pulse's amplitude and width, a
device's damping and anisotropy) ``jax.jacfwd`` of a loss whose solves use
``adjoint=diffrax.ForwardMode()`` carries one tangent per parameter along the forward
solve, stores nothing and is cheaper: for two parameters 2.6-4.2x a forward against
4.6-9.9x in reverse mode on the 2-core CPU (benchmarks/gradients.py, ``jacfwd``).
"""

import diffrax
import numpy as np

STORE_ALL_BUDGET_BYTES = 2 * 2**30
"""Stored states (bytes per device) up to which gradients store every step: 2 GiB,
which keeps the gradient through $10^4$ steps of $10^4$ junctions (1.2 GB in float32)
under the 4 GB target of the gradients issue."""


def store_all_bytes(n_junctions: int, n_steps: int, itemsize: int) -> int:
    """Bytes of every step's state of `n_junctions` junctions (3 components each)."""
    return int(n_junctions) * int(n_steps) * 3 * int(itemsize)


def default_adjoint(n_junctions: int, n_steps: int, steps_per_solve: int, itemsize: int,
                    n_devices: int = 1,
                    budget_bytes: int | None = None) -> diffrax.AbstractAdjoint:
    """``RecursiveCheckpointAdjoint(checkpoints=steps_per_solve)`` (store every step of
    each ``diffeqsolve`` of `steps_per_solve` steps) when the states of all `n_steps`
    steps of `n_junctions` junctions, split over `n_devices`, fit in `budget_bytes`
    (default `STORE_ALL_BUDGET_BYTES`) on each; otherwise diffrax's default
    ``RecursiveCheckpointAdjoint()``."""
    budget = STORE_ALL_BUDGET_BYTES if budget_bytes is None else budget_bytes
    need = store_all_bytes(-(-int(n_junctions) // max(1, int(n_devices))), n_steps, itemsize)
    if need <= budget:
        return diffrax.RecursiveCheckpointAdjoint(checkpoints=int(steps_per_solve))
    return diffrax.RecursiveCheckpointAdjoint()


def junction_count(batch_shape) -> int:
    """Junctions in an array of shape `batch_shape` (the state without its last axis)."""
    return int(np.prod(batch_shape, dtype=np.int64))
