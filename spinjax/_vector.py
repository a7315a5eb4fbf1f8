"""Row-wise 3-vector algebra over the last axis, written component by component.

A reduction over the length-3 axis (``jnp.sum(..., -1)``, ``jnp.linalg.norm``) splits
XLA's CPU loop fusions and cost 1.6-3x in the sLLG step (benchmarks/README.md); these
helpers keep every step one fused elementwise loop.
"""

import jax
import jax.numpy as jnp


def dot(a: jax.Array, b: jax.Array) -> jax.Array:
    """``sum(a * b, -1)`` as an explicit sum of three products (broadcasting)."""
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]


def col(x) -> jax.Array:
    """Append a length-1 axis so a per-junction scalar broadcasts against (*N, 3)."""
    return jnp.asarray(x)[..., None]


def norm(v: jax.Array) -> jax.Array:
    """Euclidean length over the last axis."""
    return jnp.sqrt(dot(v, v))


def normalize(v: jax.Array) -> jax.Array:
    """``v / |v|`` over the last axis (rsqrt of an explicit sum of squares)."""
    s = v[..., :1] ** 2 + v[..., 1:2] ** 2 + v[..., 2:] ** 2
    return v * jax.lax.rsqrt(s)


def cross(a: jax.Array, b: jax.Array) -> jax.Array:
    """``a x b`` over the last axis."""
    return jnp.cross(a, b)
