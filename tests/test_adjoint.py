"""The default adjoint of simulate: store every step while the states fit a budget
(no recomputation in the backward pass), diffrax's recursive checkpointing beyond it;
the gradient is the same either way (same noise), and the compiled gradient's memory
shows which one was taken; forward mode (jax.jacfwd, diffrax.ForwardMode) agrees."""

import diffrax
import jax
import jax.numpy as jnp
import numpy as np

import spinjax as sj
from spinjax import _adjoint


def test_policy_from_shapes():
    """1e4 junctions x 1e4 steps in float32 store 1.2 GB (under 2 GiB): every step;
    1e5 x 1e4 (12 GB) falls back, unless split over 8 devices (1.5 GB each)."""
    a = _adjoint.default_adjoint(10_000, 10_000, 10_000, 4)
    assert isinstance(a, diffrax.RecursiveCheckpointAdjoint) and a.checkpoints == 10_000
    b = _adjoint.default_adjoint(100_000, 10_000, 10_000, 4)
    assert b.checkpoints is None
    c = _adjoint.default_adjoint(100_000, 10_000, 100, 4, n_devices=8)
    assert c.checkpoints == 100   # per diffeqsolve of Save(every=100)
    assert _adjoint.store_all_bytes(10_000, 10_000, 4) == 1_200_000_000


def _grad_fn(n, steps, adjoint=None):
    dev = sj.devices.vcma_mtj()
    m0 = sj.junction_state(n)

    def loss(amplitude):
        sol = sj.simulate(dev.model, m0, t1=steps * 2e-12, dt=2e-12, key=jax.random.key(0),
                          drive=sj.Drive(voltage_V=sj.Trapezoid(amplitude, *(
                              jnp.float32(x) for x in (0.1e-9, 0.44e-9, 0.03e-9, 0.03e-9)))),
                          adjoint=adjoint, solver=sj.NormalizedHeun())
        return jnp.mean(jnp.tanh(-sol.m[:, 2] / 0.5))
    return jax.jit(jax.grad(loss))


def test_default_gradient_equals_recursive_and_stores_every_step(monkeypatch):
    """256 junctions, 400 steps, float32: the default (every step stored, 1.2 MB) and
    recursive checkpointing give the same gradient to float32 rounding (relative 1e-4;
    the same noise, a different order of recomputation). XLA's plan of the default
    holds at least the 400 states (N x steps x 12 B); with the budget set to 1 kB the
    policy falls back and the plan is several times smaller."""
    n, steps = 256, 400
    a = jnp.float32(1.05)
    g_def = float(_grad_fn(n, steps)(a))
    g_rec = float(_grad_fn(n, steps, diffrax.RecursiveCheckpointAdjoint())(a))
    assert np.isfinite(g_def) and abs(g_def - g_rec) <= 1e-4 * abs(g_rec) + 1e-6
    plan = _grad_fn(n, steps).lower(a).compile().memory_analysis().temp_size_in_bytes
    assert plan >= n * steps * 12
    monkeypatch.setattr(_adjoint, "STORE_ALL_BUDGET_BYTES", 1024)
    small = _grad_fn(n, steps).lower(a).compile().memory_analysis().temp_size_in_bytes
    assert small < plan / 3, (small, plan)


def test_forward_mode_gradient_equals_reverse_mode():
    """jax.jacfwd with adjoint=diffrax.ForwardMode() (one tangent per parameter, for a
    few parameters) gives the reverse-mode gradient to float32 rounding (1e-4)."""
    n, steps = 256, 400
    dev = sj.devices.vcma_mtj()
    m0 = sj.junction_state(n)

    def loss(amplitude, adjoint):
        sol = sj.simulate(dev.model, m0, t1=steps * 2e-12, dt=2e-12, key=jax.random.key(0),
                          drive=sj.Drive(voltage_V=sj.Trapezoid(amplitude, *(
                              jnp.float32(x) for x in (0.1e-9, 0.44e-9, 0.03e-9, 0.03e-9)))),
                          adjoint=adjoint)
        return jnp.mean(jnp.tanh(-sol.m[:, 2] / 0.5))
    a = jnp.float32(1.05)
    g_rev = float(jax.jit(jax.grad(lambda x: loss(x, None)))(a))
    g_fwd = float(jax.jit(jax.jacfwd(lambda x: loss(x, diffrax.ForwardMode())))(a))
    assert np.isfinite(g_rev) and abs(g_fwd - g_rev) <= 1e-4 * abs(g_rev) + 1e-6
