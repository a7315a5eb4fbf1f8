"""Debiasing of biased random bit streams: XOR of streams and von Neumann extraction."""

import jax
import jax.numpy as jnp

from .._params import InvalidParameterError
from .._validate import check_bits, check_int, is_traced


def _check_bits(bits, name="bits", min_length=1):
    """`bits` as a uint8 array of 0s and 1s (`spinjax._validate.check_bits`). A
    traced array (inside ``jit``) cannot be checked by value: only its dtype is."""
    if is_traced(bits):
        if not (jnp.issubdtype(bits.dtype, jnp.integer) or bits.dtype == jnp.bool_):
            raise InvalidParameterError(f"{name} must hold integers 0/1 or booleans; got "
                                        f"dtype {bits.dtype}.")
        return bits.astype(jnp.uint8)
    return jnp.asarray(check_bits(name, bits, min_length))


def _check_axis(axis, ndim):
    if isinstance(axis, bool) or not isinstance(axis, int) or not -ndim <= axis < ndim:
        raise InvalidParameterError(f"axis = {axis!r}; the bits have {ndim} axes, so the "
                                    f"valid range is [{-ndim}, {ndim - 1}] (an integer).")
    return axis % ndim


def xor_streams(bits, k: int, axis: int = 0) -> jax.Array:
    r"""XOR of `k` independent bit streams taken along `axis` (its length must be a
    multiple of k): stream $j$ of the output is $b_{jk} \oplus \dots \oplus b_{jk+k-1}$.

    For independent streams with bias $\epsilon = p - 1/2$ the output bias is
    $\epsilon_k = -(-2\epsilon)^k/2$, of magnitude $2^{k-1}|\epsilon|^k$ (the piling-up
    lemma: Matsui, EUROCRYPT '93, LNCS 765, 386, 1994), at the cost of k input bits per output bit.
    """
    bits = _check_bits(bits)
    k = check_int("k", k)
    axis = _check_axis(axis, bits.ndim)
    n = bits.shape[axis]
    if n % k:
        raise InvalidParameterError(f"the length {n} of axis {axis} is not a multiple of "
                                    f"k = {k}.")
    moved = jnp.moveaxis(bits, axis, 0)
    grouped = moved.reshape((n // k, k) + moved.shape[1:])
    out = jax.lax.reduce(grouped, jnp.uint8(0), jax.lax.bitwise_xor, (1,))
    return jnp.moveaxis(out, 0, axis)


def von_neumann(bits) -> tuple[jax.Array, jax.Array]:
    r"""Von Neumann extraction over consecutive pairs of the last axis.

    Pair $(0, 1) \to 0$, $(1, 0) \to 1$, $(0, 0)$ and $(1, 1)$ are discarded, which
    removes any bias of independent, identically distributed bits exactly, keeping
    on average $p(1-p)$ output bits per input bit (von Neumann, 1951). Returns
    ``(values, valid)`` of the pair shape, so it stays jit-compatible; the extracted
    stream is ``values[valid]``.
    """
    bits = _check_bits(bits, min_length=2)
    if bits.ndim == 0 or bits.shape[-1] < 2:
        raise InvalidParameterError(f"bits has shape {bits.shape}; von Neumann extraction "
                                    "needs at least 2 bits (one pair) along the last axis.")
    n = bits.shape[-1] - bits.shape[-1] % 2
    first, second = bits[..., 0:n:2], bits[..., 1:n:2]
    return first, first != second


def bias(bits) -> jax.Array:
    """$\\epsilon = \\langle b\\rangle - 1/2$ of a bit array (over all elements)."""
    return jnp.mean(_check_bits(bits).astype(jnp.float32)) - 0.5
