r"""The training input pipeline: which examples form the batch of each step.

One rule, shared by the jitted training step
([`batch_indices`][diffusion.input_pipeline.batch_indices], on the device) and the host-side
iterator ([`batches`][diffusion.input_pipeline.batches]): epoch $e$ is the permutation
``jax.random.permutation(fold_in(key, -1 - e), n)`` of the $n$ examples, cut into
$E = \lfloor n/B \rfloor$ batches of $B$; step $s$ takes batch $s \bmod E$ of epoch
$\lfloor s/E \rfloor$. The batch of a step is a function of ``(key, s)`` alone, so a
training run restarted from a checkpoint at step $s$ sees the batches it would have seen
([`diffusion.train`][]), and ``batches(x, y, B, key)`` yields, in order, the batches the
training steps $0, 1, \dots$ take with the same key.

Loading the data (files, the digits fallback, padding) is [`diffusion.data`][].
"""

import itertools
import math
from collections.abc import Iterator

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int, PRNGKeyArray

from .data import _check_int
from .errors import DataError

__all__ = ["batch_indices", "batches", "epoch_permutation"]


def epoch_permutation(key: PRNGKeyArray, epoch, n: int) -> Int[Array, " n"]:
    """The order of the `n` examples in epoch `epoch` (an int, or a traced int32):
    ``permutation(fold_in(key, -1 - epoch), n)``, the int32 folded in as uint32."""
    return jax.random.permutation(jax.random.fold_in(key, jnp.asarray(-1 - epoch, jnp.int32)),
                                  n)


def batch_indices(key: PRNGKeyArray, step, n: int, batch_size: int) -> Int[Array, " B"]:
    r"""The indices of the examples in the batch of step `step` (a traced int32 inside
    ``jit``; `n` and `batch_size` $\le n$ static): slice $s \bmod E$ of
    [`epoch_permutation`][diffusion.input_pipeline.epoch_permutation] of epoch
    $\lfloor s/E \rfloor$, $E = \lfloor n/B \rfloor$ (the remainder of each epoch is
    skipped)."""
    per_epoch = n // batch_size
    perm = epoch_permutation(key, step // per_epoch, n)
    return jax.lax.dynamic_slice(perm, ((step % per_epoch) * batch_size,), (batch_size,))


def batches(x: np.ndarray, y: np.ndarray, batch_size: int, key: PRNGKeyArray, *,
            drop_remainder: bool = True, epochs: int | None = 1
            ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Shuffled ``(x, y)`` NumPy batches, epoch by epoch in the order of
    [`epoch_permutation`][diffusion.input_pipeline.epoch_permutation] (the training steps'
    batches, for the same key).

    Same key, same batches. ``epochs=None`` repeats forever; ``drop_remainder=False``
    yields a last, smaller batch in each epoch. Arguments are checked at the call.
    """
    n = len(x)
    if n == 0 or len(y) != n:
        raise DataError(f"x and y must be non-empty and of one length, got {n} and "
                        f"{len(y)}")
    _check_int("batch_size", batch_size, 1, n if drop_remainder else math.inf,
               " (the number of examples, when drop_remainder=True)")
    if epochs is not None:
        _check_int("epochs", epochs, 1, note=" or None (forever)")
    stop = n - n % batch_size if drop_remainder else n

    def generate():
        for epoch in itertools.count() if epochs is None else range(epochs):
            perm = np.asarray(epoch_permutation(key, epoch, n))
            for start in range(0, stop, batch_size):
                idx = perm[start:start + batch_size]
                yield x[idx], y[idx]

    return generate()
