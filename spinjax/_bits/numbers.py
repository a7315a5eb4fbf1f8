"""Random bits into numbers: k-bit uniforms and three routes to Gaussians."""

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtri

from .._params import InvalidParameterError
from .._validate import check_int
from .debias import _check_bits


def _groups(bits, size: int, name: str):
    """The bits' last axis must hold at least one whole group of `size` bits."""
    if bits.ndim == 0:
        raise InvalidParameterError("bits is a single bit (shape ()); it must have a last "
                                    f"axis of at least {name} = {size} bits.")
    if bits.shape[-1] < size:
        raise InvalidParameterError(f"{name} = {size} but the last axis of bits has only "
                                    f"{bits.shape[-1]} bits; the valid range of {name} is "
                                    f"[1, {bits.shape[-1]}].")


def uniforms(bits, k: int) -> jax.Array:
    r"""Uniform numbers in (0, 1) from consecutive groups of `k` bits of the last axis:
    $u = (\sum_j b_j 2^{k-1-j} + 1/2) / 2^k$, the midpoints of the $2^k$ cells (so
    never 0 or 1). Resolution $2^{-k}$; a bias $\epsilon$ of the bits shifts the mean
    by about $\epsilon$. Output shape: last axis divided by k."""
    k = check_int("k", k, 1, 24)   # float32 resolution
    bits = _check_bits(bits)
    _groups(bits, k, "k")
    n = bits.shape[-1] - bits.shape[-1] % k
    groups = bits[..., :n].reshape(bits.shape[:-1] + (n // k, k)).astype(jnp.uint32)
    weights = (2 ** np.arange(k - 1, -1, -1)).astype(np.uint32)
    word = jnp.sum(groups * weights, axis=-1)
    return (word.astype(jnp.float32) + 0.5) / (2.0**k)


def gaussian_clt(bits, n_sum: int) -> jax.Array:
    r"""Approximate N(0, 1) by the central limit theorem: the standardized sum of
    `n_sum` bits, $(\sum b - n/2)/\sqrt{n/4}$. A lattice with spacing $2/\sqrt n$ and
    tails cut at $\pm\sqrt n$; the excess kurtosis is $-2/n$."""
    n_sum = check_int("n_sum", n_sum)
    bits = _check_bits(bits)
    _groups(bits, n_sum, "n_sum")
    n = bits.shape[-1] - bits.shape[-1] % n_sum
    s = jnp.sum(bits[..., :n].reshape(bits.shape[:-1] + (n // n_sum, n_sum)), axis=-1,
                dtype=jnp.float32)
    return (s - n_sum / 2) / jnp.sqrt(n_sum / 4)


def gaussian_box_muller(bits, k: int) -> jax.Array:
    r"""N(0, 1) pairs by Box-Muller from k-bit uniforms $u_1, u_2$:
    $\sqrt{-2\ln u_1}\,(\cos 2\pi u_2, \sin 2\pi u_2)$ (Box and Muller 1958). With k-bit
    uniforms the tails end at $\sqrt{2 k \ln 2}$."""
    u = uniforms(bits, k)
    if u.shape[-1] < 2:
        raise InvalidParameterError(f"Box-Muller needs two uniforms, 2 k = {2 * k} bits, on "
                                    f"the last axis of bits; it has {bits.shape[-1]}.")
    m = u.shape[-1] - u.shape[-1] % 2
    u1, u2 = u[..., 0:m:2], u[..., 1:m:2]
    r = jnp.sqrt(-2 * jnp.log(u1))
    return jnp.concatenate([r * jnp.cos(2 * jnp.pi * u2), r * jnp.sin(2 * jnp.pi * u2)],
                           axis=-1)


def gaussian_inverse_cdf(bits, k: int) -> jax.Array:
    """N(0, 1) by the inverse normal CDF of k-bit uniforms, $\\Phi^{-1}(u)$."""
    return ndtri(uniforms(bits, k))


def gaussian_quality(samples) -> dict:
    """How close samples are to N(0, 1): the Kolmogorov-Smirnov distance and the first
    four moments (mean, variance, skewness, excess kurtosis: 0, 1, 0, 0 for a Gaussian).
    Uses ``scipy.stats``."""
    from scipy import stats
    try:
        x = np.asarray(samples, np.float64).ravel()
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(f"samples must be an array of numbers; got "
                                    f"{type(samples).__name__} ({err}).") from err
    if x.size < 4 or not np.all(np.isfinite(x)):
        raise InvalidParameterError(f"samples has {x.size} values ({int(np.sum(~np.isfinite(x)))}"
                                    " not finite); the quality report needs at least 4, all "
                                    "finite.")
    d = stats.describe(x)
    return dict(n=int(d.nobs), ks_distance=float(stats.kstest(x, "norm").statistic),
                mean=float(d.mean), variance=float(d.variance), skewness=float(d.skewness),
                excess_kurtosis=float(d.kurtosis))
