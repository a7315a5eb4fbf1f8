"""Thermal physics against analytic results: Boltzmann, Langevin, Neel-Brown.

All runs are float32 (the default precision). Statistical tolerances are stated per
test from the number of samples; the random seeds are fixed, so every test is
deterministic, and a tolerance of 4 sigma (or a KS level of 1e-3) makes a false
failure of a correct solver rare while a wrong noise amplitude fails by many sigma.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import spinjax as sj
from spinjax.constants import KB, MU0

import physics as ph

T = 300.0
MS = 1.0e6
VOLUME = 1.0e-25  # m^3: small, so that Delta = K V / kT of a few needs a modest K
THICKNESS = 1.0e-9


def _layer(alpha=1.0):
    return sj.FreeLayer(Ms=MS, alpha=alpha, thickness_m=THICKNESS,
                        area_m2=VOLUME / THICKNESS, temperature_K=T)


def _uniaxial_model(delta, h, alpha=1.0):
    """A uniaxial macrospin of barrier Delta with an axial field h = H / H_K."""
    K = delta * KB * T / VOLUME
    HK = 2 * K / (MU0 * MS)
    fields = (sj.UniaxialAnisotropy(K_u=K), sj.Zeeman(bias_A_per_m=(0.0, 0.0, h * HK)))
    return sj.SLLG(_layer(alpha), fields)


@pytest.mark.parametrize("delta, noise", [
    (1.0, sj.GaussianIncrements()), (3.0, sj.GaussianIncrements()),
    (3.0, sj.RademacherIncrements()),
], ids=["delta1", "delta3", "delta3-rademacher"])
def test_boltzmann_distribution(delta, noise, solver):
    """m_z of 20 000 independent junctions after 20 tau_N against
    p(m_z) ~ exp[Delta (m_z^2 + 2 h m_z)], h = 0.1.

    KS test at the 1e-3 level; <m_z^2> within 4 sigma, sigma = std(m_z^2)/sqrt(N)
    (about 2e-3). Step dt = tau_N / 100 (0.03 rad of precession per step at Delta = 3):
    the weak error of Heun was measured at < 1e-3 in <m_z^2> there. The two-point
    (Rademacher) increments must give the same equilibrium: they keep weak order 1.
    """
    n, h = 20_000, 0.1
    tau = ph.neel_time(MS, VOLUME, 1.0, T)
    dt = tau / 100
    m0 = jax.random.normal(jax.random.key(2), (n, 3), jnp.float32)  # isotropic start
    sol = sj.simulate(_uniaxial_model(delta, h), m0, t1=2000 * dt, dt=dt,
                      key=jax.random.key(1), noise=noise, solver=solver)
    z = np.asarray(sol.m[:, 2], np.float64)
    p = stats.kstest(z, ph.boltzmann_cdf(delta, h)).pvalue
    assert p > 1e-3, f"KS p-value {p:.2g}"
    exact = ph.boltzmann_moment(lambda x: x * x, delta, h)
    sigma = (z**2).std() / np.sqrt(n)
    assert abs((z**2).mean() - exact) < 4 * sigma, ((z**2).mean(), exact, sigma)


@pytest.mark.parametrize("x", [0.5, 2.0, 5.0])
def test_langevin_curve(x, solver):
    """Isotropic macrospin in a field: <m_z> = coth(x) - 1/x, x = mu0 Ms V H / kT.

    10 000 junctions after 20 tau_N; tolerance 4 sigma, sigma = std(m_z)/sqrt(N)
    (3e-3 to 6e-3).
    """
    n = 10_000
    H = x * KB * T / (MU0 * MS * VOLUME)
    model = sj.SLLG(_layer(), (sj.Zeeman(bias_A_per_m=(0.0, 0.0, H)),))
    tau = ph.neel_time(MS, VOLUME, 1.0, T)
    dt = tau / 100
    m0 = jax.random.normal(jax.random.key(5), (n, 3), jnp.float32)
    sol = sj.simulate(model, m0, t1=2000 * dt, dt=dt, key=jax.random.key(6),
                      solver=solver)
    z = np.asarray(sol.m[:, 2], np.float64)
    sigma = z.std() / np.sqrt(n)
    assert abs(z.mean() - ph.langevin(x)) < 4 * sigma, (z.mean(), ph.langevin(x), sigma)


@pytest.mark.parametrize("delta", [3.0, 5.0])
def test_neel_brown_first_passage(delta, solver):
    """Mean first-passage time from m_z = 1 to the equator against the exact quadrature.

    2000 junctions, all of which cross; the default ``Save()`` (final state only): the
    monitor ticks every step regardless of the saves. Tolerance 4 sigma of the Monte Carlo mean
    (sigma = std/sqrt(N), about 2 %). The equator is checked once per step: discrete
    monitoring of a diffusion equals continuous monitoring of a barrier shifted by
    0.5826 sigma_z sqrt(dt) (Broadie, Glasserman and Kou 1997) with sigma_z^2 = 1/tau_N
    at the equator, which at dt = tau_N/200 moves the mean by about 8 % (larger than
    the tolerance): the quadrature is evaluated at the shifted barrier.
    """
    n = 2000
    tau = ph.neel_time(MS, VOLUME, 1.0, T)
    dt = tau / 200
    n_steps = 200 * (60 if delta == 3 else 250)
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (n, 1))
    sol = sj.simulate(_uniaxial_model(delta, 0.0), m0, t1=n_steps * dt, dt=dt,
                      key=jax.random.key(3), monitors=(sj.FirstPassage(threshold=0.0),),
                      solver=solver)
    fp = np.asarray(sol.monitors[0], np.float64)
    assert np.all(np.isfinite(fp)), f"{np.sum(~np.isfinite(fp))} junctions never crossed"
    mean, sigma = fp.mean(), fp.std() / np.sqrt(n)
    barrier = -0.5826 * np.sqrt(dt / tau)
    exact = ph.mfpt(1.0, delta, 0.0, tau, barrier=barrier)
    assert abs(mean - exact) < 4 * sigma, (mean / tau, exact / tau, sigma / tau)
