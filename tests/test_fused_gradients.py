"""Forward-mode gradients through the fused path (``spinjax.fused_simulate``).

The Pallas kernel has a custom JVP (a tangent kernel that linearizes the Heun step in
its body and carries every direction beside one recomputed state). Checked here, on
the CPU with the kernel in interpret mode:

- ``jax.jacfwd``, ``jax.jvp`` and a vmap over primals through the kernel equal the same
  transformations of the XLA path (which JAX differentiates itself);
- the gradient equals a central finite difference of the loss with common random
  numbers (the same key: the pathwise derivative), in float64 where truncation and
  rounding errors are far below the tolerance.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj

DT, PULSE_STEPS, RELAX_STEPS = 1e-12, 120, 60


def _loss(backend, n=64, dtype=jnp.float32):
    """mean tanh(-m_z / 0.5) after a VCMA write pulse of amplitude V and a relaxation,
    as a function of (V, alpha): the loss of ``benchmarks/fused_gradients.py``."""
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], dtype), (n, 1))
    k1, k2 = jax.random.split(jax.random.key(7))
    kw = dict(backend=backend, interpret=True, block=64)

    def loss(theta):
        model = sj.devices.vcma_mtj(alpha=theta[1]).model
        model = eqx.tree_at(lambda m: m.torques, model, ())  # BiasDrivenSTT: not affine
        pulse = sj.fused_simulate(model, m0, t1=PULSE_STEPS * DT, dt=DT, key=k1,
                                  drive=sj.Drive(voltage_V=theta[0]), **kw)
        relax = sj.fused_simulate(model, pulse.m, t1=RELAX_STEPS * DT, dt=DT, key=k2, **kw)
        return jnp.mean(jnp.tanh(-relax.m[:, 2] / 0.5)) + 0.1 * jnp.mean(pulse.mean_mz)
    return loss


THETA = jnp.array([1.05, 0.02], jnp.float32)


def test_jacfwd_through_the_kernel_equals_the_xla_path_and_reverse_mode():
    """Two parameters, one tangent launch per segment: the same gradient as JAX's own
    forward mode of the XLA loop (float32, 64 junctions, 180 steps at 300 K), to
    float32 rounding (rtol 1e-5); the loss is sensitive to both (non-zero entries).
    ``jax.grad`` works through backend="xla" and agrees; through the Pallas kernel only
    forward mode exists (a kernel has no transpose), and JAX says so."""
    g_pallas = jax.jit(jax.jacfwd(_loss("pallas")))(THETA)
    g_xla = jax.jit(jax.jacfwd(_loss("xla")))(THETA)
    assert np.all(np.abs(np.asarray(g_xla)) > 1e-3)
    np.testing.assert_allclose(np.asarray(g_pallas), np.asarray(g_xla), rtol=1e-5)
    g_rev = jax.jit(jax.grad(_loss("xla")))(THETA)
    np.testing.assert_allclose(np.asarray(g_rev), np.asarray(g_xla), rtol=1e-4)
    with pytest.raises(NotImplementedError, match="Transpose rule"):
        jax.grad(_loss("pallas"))(THETA)


def test_jvp_and_vmapped_jvp_through_the_kernel():
    """One direction (the unbatched tangent kernel) and a vmap over the primal point
    (Pallas's own batching of both kernels) give the XLA path's values."""
    v = jnp.array([1.0, 0.0], jnp.float32)
    out = {b: jax.jvp(_loss(b), (THETA,), (v,)) for b in ("pallas", "xla")}
    np.testing.assert_allclose(np.asarray(out["pallas"]), np.asarray(out["xla"]), rtol=1e-5)
    thetas = jnp.stack([THETA, THETA * jnp.array([0.95, 1.5], jnp.float32)])
    vm = {b: jax.vmap(lambda t, b=b: jax.jvp(_loss(b), (t,), (v,)))(thetas)
          for b in ("pallas", "xla")}
    np.testing.assert_allclose(np.asarray(vm["pallas"]), np.asarray(vm["xla"]), rtol=1e-5)
    assert float(jnp.abs(vm["xla"][1][0] - vm["xla"][1][1])) > 1e-4  # the points differ


def test_gradient_equals_central_difference_with_common_random_numbers():
    """float64, 64 junctions: jacfwd through the kernel against (L(x+h) - L(x-h))/2h
    with the same keys, h = 1e-5 relative. The truncation error is O(h^2 L''') and the
    rounding error about 1e-16 |L| / h ~ 1e-11: both far below rtol = 1e-6."""
    assert jax.config.jax_enable_x64  # tests/conftest.py
    loss = jax.jit(_loss("pallas", dtype=jnp.float64))
    theta = jnp.array([1.05, 0.02], jnp.float64)
    g = jax.jit(jax.jacfwd(_loss("pallas", dtype=jnp.float64)))(theta)
    for i in range(2):
        h = 1e-5 * float(theta[i])
        e = jnp.zeros(2, jnp.float64).at[i].set(h)
        fd = (loss(theta + e) - loss(theta - e)) / (2 * h)
        np.testing.assert_allclose(float(g[i]), float(fd), rtol=1e-6, atol=1e-9)
