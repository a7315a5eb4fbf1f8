"""Gradients through every solver of ``spinjax.simulate``, both modes.

The fused solver's reverse mode stores the state at the ends of checkpointed segments
and recomputes each segment on the backward pass, regenerating its thermal noise from
the counter-based generator (nothing random is stored); the Pallas kernel has a custom
JVP whose tangent is the XLA loop's, which JAX transposes for reverse mode. Checked
here on paper A's VCMA junction with its bias-driven STT and a trapezoid write, one
call (the old affine kernel refused this device):

- ``jax.grad`` through the Pallas kernel, the fused XLA loop and the diffrax path give
  the same gradient (the same noise: the same pathwise derivative), and ``jax.jacfwd``
  gives it too;
- in float64 the gradient equals a central finite difference of the loss with common
  random numbers (the same key), far below the tolerance in truncation and rounding;
- the compiled reverse pass's memory grows with the number of segments, not steps.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj

DT, STEPS = 1e-12, 200


def _loss(solver, n=64, dtype=jnp.float32, steps=STEPS):
    """mean tanh(-m_z / 0.5) at the end of a write by a trapezoid of amplitude V, plus
    0.1 x the time average of m_z (a running monitor), as a function of (V, alpha)."""
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], dtype), (n, 1))

    def loss(theta):
        model = sj.devices.vcma_mtj(alpha=theta[1]).model
        pulse = sj.Trapezoid(theta[0], 10e-12, 120e-12, 20e-12, 20e-12)
        sol = sj.simulate(model, m0, t1=steps * DT, dt=DT, key=jax.random.key(7),
                          drive=sj.Drive(voltage_V=pulse), solver=solver,
                          monitors=(sj.RunningMoments(),))
        return (jnp.mean(jnp.tanh(-sol.m[:, 2] / 0.5))
                + 0.1 * jnp.mean(sol.monitors[0][1]))
    return loss


SOLVERS = {"diffrax": sj.NormalizedHeun(), "xla": sj.FusedHeun(backend="xla"),
           "pallas": sj.FusedHeun(backend="pallas", interpret=True, block=64)}
THETA = jnp.array([1.3, 0.02], jnp.float32)


def test_reverse_mode_is_the_same_on_every_solver_and_equals_forward_mode():
    """float32, 64 junctions, 200 steps at 300 K: jax.grad through the Pallas kernel
    equals the XLA loop's to float32 rounding (1e-4 relative) and the diffrax path's
    within 2e-3 relative (the same noise, the same scheme; the two loops round
    differently over 200 steps of a path that amplifies perturbations); jax.jacfwd
    of the kernel gives the same; the loss is sensitive to both parameters."""
    grads = {k: np.asarray(jax.jit(jax.grad(_loss(s)))(THETA)) for k, s in SOLVERS.items()}
    assert np.all(np.abs(grads["xla"]) > 1e-3), grads
    np.testing.assert_allclose(grads["pallas"], grads["xla"], rtol=1e-4)
    np.testing.assert_allclose(grads["diffrax"], grads["xla"], rtol=2e-3)
    fwd = np.asarray(jax.jit(jax.jacfwd(_loss(SOLVERS["pallas"])))(THETA))
    np.testing.assert_allclose(fwd, grads["pallas"], rtol=1e-4)


def test_jvp_and_vmapped_jvp_through_the_kernel():
    """One direction, and a vmap over the primal point, give the XLA loop's values."""
    v = jnp.array([1.0, 0.0], jnp.float32)
    out = {b: jax.jvp(_loss(SOLVERS[b]), (THETA,), (v,)) for b in ("pallas", "xla")}
    np.testing.assert_allclose(np.asarray(out["pallas"]), np.asarray(out["xla"]), rtol=1e-4)
    thetas = jnp.stack([THETA, THETA * jnp.array([0.95, 1.5], jnp.float32)])
    vm = {b: jax.vmap(lambda t, b=b: jax.jvp(_loss(SOLVERS[b]), (t,), (v,)))(thetas)
          for b in ("pallas", "xla")}
    np.testing.assert_allclose(np.asarray(vm["pallas"]), np.asarray(vm["xla"]), rtol=1e-4)
    assert float(jnp.abs(vm["xla"][1][0] - vm["xla"][1][1])) > 1e-4  # the points differ


@pytest.mark.parametrize("name", ["xla", "diffrax"])
def test_gradient_equals_central_difference_with_common_random_numbers(name):
    """float64, 32 junctions: jax.grad against (L(x+h) - L(x-h)) / 2h with the same
    key, h = 1e-5 relative. The truncation error is O(h^2 L''') and the rounding error
    about 1e-16 |L| / h ~ 1e-11: both far below rtol = 1e-6. The fused solver's
    gradient equals the diffrax path's to 1e-8 relative (float64: the same noise and
    scheme, so the same pathwise derivative)."""
    assert jax.config.jax_enable_x64  # tests/conftest.py
    theta = jnp.array([1.3, 0.02], jnp.float64)
    loss = jax.jit(_loss(SOLVERS[name], n=32, dtype=jnp.float64))
    g = np.asarray(jax.jit(jax.grad(_loss(SOLVERS[name], n=32, dtype=jnp.float64)))(theta))
    for i in range(2):
        h = 1e-5 * float(theta[i])
        e = jnp.zeros(2, jnp.float64).at[i].set(h)
        fd = (loss(theta + e) - loss(theta - e)) / (2 * h)
        np.testing.assert_allclose(g[i], float(fd), rtol=1e-6, atol=1e-9)
    if name == "xla":
        other = jax.jit(jax.grad(_loss(SOLVERS["diffrax"], n=32, dtype=jnp.float64)))(theta)
        np.testing.assert_allclose(g, np.asarray(other), rtol=1e-8)


def test_reverse_mode_memory_grows_with_segments_not_steps():
    """XLA's buffer plan of the compiled gradient (4096 junctions, float32): from 400
    to 6400 steps (16x) the temporary memory grows about 4x (the default segment is
    the square root of the steps: sqrt(16) more stored states), not 16x as storing
    every step would; fixing the segment at 400 steps makes 6400 steps cost at most
    1.5x what 400 do plus the 15 extra stored states."""
    def temp_bytes(steps, solver):
        f = jax.jit(jax.grad(_loss(solver, n=4096, steps=steps)))
        plan = f.lower(THETA).compile().memory_analysis()
        return plan.temp_size_in_bytes
    default = sj.FusedHeun(backend="xla")
    small, big = temp_bytes(400, default), temp_bytes(6400, default)
    assert big < 6 * small, (small, big)
    state = 4096 * 3 * 4
    fixed = sj.FusedHeun(backend="xla", segment_steps=400)
    assert temp_bytes(6400, fixed) < 1.5 * temp_bytes(400, fixed) + 16 * state


@pytest.mark.parametrize("name", ["Ms", "thickness_m", "area_m2", "alpha"])
def test_float32_gradients_of_the_noise_and_torque_scales_are_finite(name):
    """The SI values of a nanomagnet are tiny (V = 5e-25 m^3): a derivative of a
    quotient multiplies by the divisor's inverse square, which overflows float32 unless
    the formulas divide one factor at a time. The float32 gradients of the thermal
    field strength and of the spin-torque field per current density in each layer
    parameter equal the float64 ones to 1e-5 relative."""
    import equinox as eqx
    from spinjax._torques.base import torque_field_per_current

    layer = sj.devices.superparamagnetic_mtj().model.layer
    for f in (sj.thermal_field_strength, torque_field_per_current):
        grads = []
        for dtype in (jnp.float32, jnp.float64):
            cast = jax.tree.map(lambda x: jnp.asarray(x, dtype), layer)
            x0 = getattr(cast, name)
            grads.append(float(jax.grad(lambda x: jnp.sum(f(eqx.tree_at(
                lambda lay: getattr(lay, name), cast, x))))(x0)))
        assert np.isfinite(grads[0]), (f.__name__, grads)
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=0)
