r"""Per-junction statistics of TRNG bits of shape (cycles, N): bias and the lag-1
correlation between consecutive cycles."""

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._bits.debias import _check_bits
from .._params import InvalidParameterError
from .._validate import is_traced


def _as_cycles(bits):
    bits = _check_bits(bits)
    if bits.ndim != 2:
        raise InvalidParameterError(f"bits must have shape (cycles, N); got {bits.shape}.")
    return bits.astype(jnp.float32)


def bias_per_junction(bits) -> Float[Array, " N"]:
    r"""$\epsilon_i = \frac1C \sum_n b_{n,i} - \frac12$ for each junction $i$; its
    sampling sigma is $\sqrt{p(1-p)/C}$ for $C$ independent cycles."""
    return jnp.mean(_as_cycles(bits), axis=0) - 0.5


def lag1_correlation(bits, pooled: bool = False):
    r"""The lag-1 autocorrelation between cycles,
    $\rho_1 = \mathrm{cov}(b_n, b_{n+1}) / \mathrm{var}(b_n)$.

    Per junction (shape (N,), each about its own mean; the estimator is biased by
    about $-1/C$ for $C$ cycles), or with ``pooled=True`` one number over all junctions
    about the global mean (for identical junctions; sampling sigma about
    $1/\sqrt{N (C - 1)}$ for independent bits). Junctions with a constant stream
    (stuck) have zero variance and give NaN per junction.
    """
    if not isinstance(pooled, (bool, np.bool_)):
        raise InvalidParameterError(f"pooled = {pooled!r}; valid values: True, False.")
    b = _as_cycles(bits)
    if b.shape[0] < 2:
        raise InvalidParameterError(f"lag-1 correlation needs at least 2 cycles; got "
                                    f"{b.shape[0]}.")
    if pooled:
        d = b - jnp.mean(b)
        var = jnp.mean(d * d)
        if not is_traced(var) and float(var) == 0:
            raise InvalidParameterError(f"bits are all {int(b[0, 0])}: a constant stream has "
                                        "no variance, so its correlation is undefined.")
        return jnp.mean(d[1:] * d[:-1]) / var
    d = b - jnp.mean(b, axis=0)
    return jnp.mean(d[1:] * d[:-1], axis=0) / jnp.mean(d * d, axis=0)
