"""Invariants of the scheme: |m| = 1, energy conservation, weak order, determinism."""

import jax
import jax.numpy as jnp
import numpy as np

import spinjax as sj
from spinjax.constants import KB

import physics as ph

MS, T_F = 1.0e6, 1.2e-9


def _pma_model(alpha, temperature, bias=(1e5, 0.0, 2e4)):
    layer = sj.FreeLayer(Ms=MS, alpha=alpha, thickness_m=T_F, area_m2=sj.disk_area(50e-9),
                         temperature_K=temperature)
    fields = (sj.VCMAAnisotropy(K_i0=1.0e-3), sj.Demagnetization(factors=(0.0, 0.0, 1.0)),
              sj.Zeeman(bias_A_per_m=bias))
    return sj.SLLG(layer, fields)


def test_norm_preserved_float32():
    """||m| - 1| < 1e-5 after 1e5 float32 steps with thermal noise (256 junctions)."""
    model = _pma_model(0.01, 300.0)
    m0 = jax.random.normal(jax.random.key(0), (256, 3), jnp.float32)
    sol = sj.simulate(model, m0, t1=1e5 * 1e-12, dt=1e-12, key=jax.random.key(1))
    assert sol.m.dtype == jnp.float32
    assert int(sol.num_steps) == 100_000
    assert float(jnp.max(jnp.abs(jnp.linalg.norm(sol.m, axis=-1) - 1))) < 1e-5


def test_energy_conserved_without_damping():
    """alpha = 0, T = 0: the energy density stays within 1e-4 of its initial value over
    1e4 steps of large-angle precession (0.02 rad per step; measured 1.8e-5)."""
    model = _pma_model(0.0, 0.0)
    inputs = sj.Drive()(0.0)
    m0 = jnp.array([np.sin(1.0), 0.0, np.cos(1.0)], jnp.float32)
    sol = sj.simulate(model, m0, t1=1e4 * 2e-13, dt=2e-13, save=sj.Save(every=100))
    e = np.asarray(jax.vmap(lambda m: model.energy_density(m, inputs))(
        sol.ys.astype(jnp.float64)))
    assert np.max(np.abs(e - e[0])) / abs(e[0]) < 1e-4
    # the precession is real: m moved by about a radian around the field
    assert float(jnp.max(jnp.linalg.norm(sol.ys - sol.ys[0], axis=-1))) > 0.5


def test_weak_order_one():
    """<m_z^2> at Delta = 3 converges with weak order 1 in dt.

    100 000 junctions, averaged over 5 snapshots spaced tau_N after 5 tau_N; the
    Monte Carlo sigma of each error is below 1e-3 while the error at dt = tau_N/8 is
    about 0.019. The fitted slope of log|error| against log dt over dt = tau_N/8,
    /16, /32 must lie in [0.6, 1.4] (measured 0.79; sigma of the slope about 0.06)."""
    n, delta, T, V = 100_000, 3.0, 300.0, 1e-25
    layer = sj.FreeLayer(Ms=MS, alpha=1.0, thickness_m=1e-9, area_m2=V / 1e-9,
                         temperature_K=T)
    model = sj.SLLG(layer, (sj.UniaxialAnisotropy(K_u=delta * KB * T / V),))
    tau = ph.neel_time(MS, V, 1.0, T)
    exact = ph.boltzmann_moment(lambda x: x * x, delta, 0.0)
    m0 = jax.random.normal(jax.random.key(2), (n, 3), jnp.float32)
    divs = np.array([8, 16, 32])
    errors = []
    for div in divs:
        dt = tau / div
        sol = sj.simulate(model, m0, t1=10 * div * dt, dt=dt, key=jax.random.key(int(div)),
                          save=sj.Save(every=int(div), fn=lambda t, m: jnp.mean(m[:, 2] ** 2)),
                          max_angle=1.0)
        errors.append(float(np.mean(sol.ys[6:])) - exact)
    errors = np.array(errors)
    assert np.all(errors > 4e-3), errors  # each error resolved at > 4 sigma (sigma < 1e-3)
    slope = np.polyfit(np.log(1.0 / divs), np.log(errors), 1)[0]
    assert 0.6 < slope < 1.4, (slope, errors)


def test_same_key_same_result_different_key_differs():
    model = _pma_model(0.01, 300.0)
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (64, 1))
    run = lambda key: sj.simulate(model, m0, t1=500e-12, dt=1e-12, key=key).m
    a, b = run(jax.random.key(7)), run(jax.random.key(7))
    c = run(jax.random.key(8))
    assert bool(jnp.all(a == b))
    assert float(jnp.max(jnp.abs(a - c))) > 1e-3
    # junctions of one array see independent noise
    assert float(jnp.max(jnp.abs(a[0] - a[1]))) > 1e-3


def test_saving_every_k_steps_and_reduced_observable():
    """Save(every=k) records t0 and every k-th step; Save(fn=...) reduces per save; the
    final state does not depend on the save cadence beyond rounding."""
    model = _pma_model(0.01, 300.0)
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (32, 1))
    kw = dict(t1=400e-12, dt=1e-12, key=jax.random.key(3))
    full = sj.simulate(model, m0, save=sj.Save(every=100), **kw)
    reduced = sj.simulate(model, m0, save=sj.Save(every=100, fn=lambda t, m: m[:, 2].mean()),
                          **kw)
    final = sj.simulate(model, m0, **kw)
    assert full.ys.shape == (5, 32, 3) and reduced.ys.shape == (5,)
    np.testing.assert_allclose(np.asarray(full.ts), np.arange(5) * 100e-12, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(full.ys[:, :, 2].mean(1)), np.asarray(reduced.ys),
                               rtol=1e-6)
    np.testing.assert_allclose(np.asarray(final.m), np.asarray(full.ys[-1]), atol=1e-5)
    assert final.ts is None and final.ys is None
