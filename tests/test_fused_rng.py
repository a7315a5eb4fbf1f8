"""The fused path's counter-based generator: jax's Threefry-2x32 bit for bit, and its
Box-Muller normals N(0, 1) and independent. Tolerances are stated per test from the
number of samples; the seeds are fixed."""

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.random import threefry_2x32
from scipy import stats

from spinjax import _counter_rng as crng

# --------------------------------------------------------------------------------------
# 1. The generator


def test_threefry_is_jax_threefry_bit_for_bit():
    """Threefry-2x32-20 of (x0, x1) under (k0, k1) equals jax's ``threefry_2x32``, which
    hashes a count array split in halves (x0 = first half, x1 = second half), for 64
    random keys (plus the extreme keys 0 and 0xFFFFFFFF) and 4096 counters each,
    including 0 and 0xFFFFFFFF in either word."""
    rng = np.random.default_rng(11)
    keys = rng.integers(0, 2**32, (64, 2), dtype=np.uint64).astype(np.uint32)
    keys[0] = (0, 0)
    keys[1] = (0xFFFFFFFF, 0xFFFFFFFF)
    keys[2] = (0, 0xFFFFFFFF)
    x = rng.integers(0, 2**32, (64, 2, 4096), dtype=np.uint64).astype(np.uint32)
    x[:, :, :4] = np.array([[0, 0, 0xFFFFFFFF, 0xFFFFFFFF], [0, 0xFFFFFFFF, 0, 0xFFFFFFFF]],
                           np.uint32)
    ref = jax.vmap(lambda k, c: threefry_2x32((k[0], k[1]), c.reshape(-1)))(
        jnp.asarray(keys), jnp.asarray(x))
    ref = np.asarray(ref).reshape(64, 2, 4096)
    k0, k1 = (jnp.asarray(keys[:, i, None]) for i in range(2))
    y0, y1 = crng.threefry2x32(k0, k1, jnp.asarray(x[:, 0]), jnp.asarray(x[:, 1]))
    np.testing.assert_array_equal(np.asarray(y0), ref[:, 0])
    np.testing.assert_array_equal(np.asarray(y1), ref[:, 1])
    # the per-junction keys are Threefry of (index, 0xFFFFFFFF) under the user's key
    words = jax.random.key_data(jax.random.key(7))
    idx = jnp.arange(1000, dtype=jnp.uint32)
    j0, j1 = crng.junction_keys(words, idx)
    ref = np.asarray(threefry_2x32((words[0], words[1]),
                                   jnp.concatenate([idx, jnp.full_like(idx, 0xFFFFFFFF)])))
    np.testing.assert_array_equal(np.concatenate([np.asarray(j0), np.asarray(j1)]), ref)


def test_uniforms_give_finite_bounded_normals():
    """The smallest word gives u = 2^-24 and the largest 1 - 2^-24, both exact in
    float32 (the top 23 bits b give (b + 1/2) 2^-23): u stays inside (0, 1), so no
    normal is NaN or infinite, and Box-Muller's radius never exceeds
    sqrt(48 ln 2) = 5.77."""
    w = jnp.asarray([0, 1, 511, 512, 2**31, 2**32 - 513, 2**32 - 1], jnp.uint32)
    u = np.asarray(crng.unit_open(w), np.float64)
    assert u[0] == 2.0**-24 and u[-1] == 1 - 2.0**-24
    assert np.all(u > 0) and np.all(u < 1) and np.all(np.diff(u) >= 0)
    z0, z1 = crng.box_muller(w, w[::-1])
    assert np.all(np.isfinite(z0)) and np.all(np.isfinite(z1))
    assert np.max(np.hypot(z0, z1)) <= np.sqrt(-2 * np.log(2.0**-24)) * (1 + 1e-6)


def test_step_normals_are_independent_standard_normals():
    """3 normals per lane and step, 2^16 lanes (per-junction keys) x 3 steps: each
    component's n = 196 608 samples have mean and variance within 5 sigma of 0 and 1
    (sigma = 1/sqrt(n) = 2.3e-3 and sqrt(2/n) = 3.2e-3) and pass a KS test against
    N(0, 1) at the 1e-3 level (Box-Muller of 24-bit uniforms: the law is exact to
    |z| = 5.9, beyond the resolution of the test). Correlations between the three
    components, between consecutive steps of one lane and between neighbouring lanes
    are within 5 sigma of 0 (sigma = 1/sqrt(pairs), pairs >= n); a counter or key
    reused across components, steps or lanes gives a correlation of order 1."""
    lanes, steps = 2**16, 3
    k0, k1 = crng.junction_keys(jax.random.key_data(jax.random.key(3)),
                                jnp.arange(lanes, dtype=jnp.uint32))
    z = np.stack([np.stack(crng.step_normals(k0, k1, jnp.uint32(j)))
                  for j in range(steps)], 1).astype(np.float64)   # (3 comps, steps, lanes)
    n = steps * lanes
    for c in range(3):
        x = z[c].ravel()
        assert abs(x.mean()) < 5 / np.sqrt(n), (c, x.mean())
        assert abs(x.var() - 1) < 5 * np.sqrt(2 / n), (c, x.var())
        p = stats.kstest(x, "norm").pvalue
        assert p > 1e-3, (c, p)

    def check_uncorrelated(name, a, b):
        r = np.corrcoef(a.ravel(), b.ravel())[0, 1]
        assert abs(r) < 5 / np.sqrt(a.size), (name, r, a.size)

    check_uncorrelated("x-y", z[0], z[1])
    check_uncorrelated("x-z", z[0], z[2])
    check_uncorrelated("y-z", z[1], z[2])
    check_uncorrelated("step j - step j+1", z[:, :-1], z[:, 1:])
    check_uncorrelated("lane i - lane i+1", z[:, :, :-1], z[:, :, 1:])
    # and their squares: z_x and z_y share one Box-Muller radius, so z_x^2 and z_y^2
    # are uncorrelated only if the radius and the phase words are independent
    check_uncorrelated("x^2-y^2", z[0] ** 2, z[1] ** 2)
