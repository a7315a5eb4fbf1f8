"""Zero-temperature physics against closed forms: Kittel, Stoner-Wohlfarth, Sun, Liu.

Deterministic runs (T = 0), so tolerances are set by discretization only: dt keeps the
precession angle per step at or below 0.05 rad, where Heun's phase error per period is
about 1e-4.
"""

import diffrax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj
from spinjax.constants import E_CHARGE, GAMMA0, HBAR, MU0

import physics as ph

MS = 1.0e6
T_F = 1.2e-9
K_I = 1.0e-3  # J/m^2: H_K,eff = 2 K_i / (t mu0 Ms) - Ms = 3.26e5 A/m


def _pma(alpha, bias=(0.0, 0.0, 0.0)):
    layer = sj.FreeLayer(Ms=MS, alpha=alpha, thickness_m=T_F, area_m2=sj.disk_area(50e-9))
    fields = (sj.VCMAAnisotropy(K_i0=K_I), sj.Demagnetization(factors=(0.0, 0.0, 1.0)),
              sj.Zeeman(bias_A_per_m=bias))
    return sj.SLLG(layer, fields)


H_KEFF = 2 * K_I / (T_F * MU0 * MS) - MS


def _zero_crossing_frequency(t, x):
    """Frequency from linearly interpolated zero crossings of x(t) (one sign)."""
    x = x - x.mean()
    i = np.nonzero((x[:-1] < 0) & (x[1:] >= 0))[0]
    tc = t[i] - x[i] * (t[i + 1] - t[i]) / (x[i + 1] - x[i])
    return (len(tc) - 1) / (tc[-1] - tc[0])


def test_kittel_field_along_z(solver):
    """f = gamma0 (H + H_K,eff) / (2 pi (1 + alpha^2)) within 1 %; the ring-down rate
    1/tau = alpha gamma0 (H + H_K,eff) / (1 + alpha^2) within 3 %.

    (The 1/(1 + alpha^2) of the explicit form is 1e-4 here.)"""
    alpha, H = 0.01, 1.0e5
    model = _pma(alpha, bias=(0.0, 0.0, H))
    omega = GAMMA0 * (H + H_KEFF) / (1 + alpha**2)
    dt = 0.02 / omega
    n = 40_000
    m0 = jnp.array([[np.sin(0.05), 0.0, np.cos(0.05)]], jnp.float32)
    sol = sj.simulate(model, m0, t1=n * dt, dt=dt, save=sj.Save(every=10), solver=solver)
    t, m = np.asarray(sol.ts, np.float64), np.asarray(sol.ys, np.float64)[:, 0]
    phase = np.unwrap(np.arctan2(m[:, 1], m[:, 0]))
    f = abs(np.polyfit(t, phase, 1)[0]) / (2 * np.pi)
    assert f == pytest.approx(omega / (2 * np.pi), rel=0.01)
    rate = -np.polyfit(t, np.log(np.hypot(m[:, 0], m[:, 1])), 1)[0]
    assert rate == pytest.approx(alpha * omega, rel=0.03)


def test_kittel_in_plane_field_below_saturation(solver):
    """In-plane H_x < H_K,eff on a PMA film:
    f = (gamma0 / 2 pi) H_K,eff sqrt(1 - (H_x / H_K,eff)^2) within 1 %."""
    alpha, hx = 1e-3, 0.5
    model = _pma(alpha, bias=(hx * H_KEFF, 0.0, 0.0))
    theta = np.arcsin(hx)  # equilibrium tilt from z
    f_exact = GAMMA0 * H_KEFF * np.sqrt(1 - hx**2) / (2 * np.pi)
    dt = 0.02 / (2 * np.pi * f_exact)
    m0 = jnp.array([[np.sin(theta + 0.02), 0.0, np.cos(theta + 0.02)]], jnp.float32)
    sol = sj.simulate(model, m0, t1=20_000 * dt, dt=dt, save=sj.Save(every=2), solver=solver)
    f = _zero_crossing_frequency(np.asarray(sol.ts, np.float64), np.asarray(sol.ys[:, 0, 1]))
    assert f == pytest.approx(f_exact, rel=0.01)


def test_adaptive_solve_matches_fixed_steps():
    """The PID-controlled solve (T = 0, rtol 1e-6) reproduces a fine fixed-step
    trajectory (0.002 rad per step) within 2e-3 over 90 rad of precession, in fewer steps."""
    model = _pma(0.05, bias=(1e5, 0.0, 0.0))
    m0 = jnp.array([0.0, 0.1, 1.0], jnp.float64)
    fixed = sj.simulate(model, m0, t1=1e-9, dt=2e-14, save=sj.Save(every=5000))
    adaptive = sj.simulate(model, m0, t1=1e-9, dt=2e-14, save=sj.Save(every=5000),
                           adaptive=diffrax.PIDController(rtol=1e-6, atol=1e-8))
    assert np.max(np.abs(np.asarray(fixed.ys) - np.asarray(adaptive.ys))) < 2e-3
    assert int(adaptive.num_steps) < int(fixed.num_steps)


@pytest.mark.parametrize("psi_deg", [10.0, 45.0, 80.0])
def test_stoner_wohlfarth_astroid(psi_deg, solver):
    """T = 0 switching field at angle psi from the easy axis within 2 % of the astroid
    h_sw = (cos^2/3 psi + sin^2/3 psi)^(-3/2): 901 junctions with fields h in
    [0.3, 1.2] H_K (resolution 0.1 %), opposite to m at angle psi, alpha = 1, 5 ns."""
    K, alpha = 1.0e5, 1.0
    HK = 2 * K / (MU0 * MS)
    psi = np.deg2rad(psi_deg)
    h = np.linspace(0.3, 1.2, 901)
    direction = np.array([np.sin(psi), 0.0, -np.cos(psi)])
    fields = (h[:, None] * HK * direction).astype(np.float32)
    layer = sj.FreeLayer(Ms=MS, alpha=alpha, thickness_m=T_F, area_m2=sj.disk_area(50e-9))
    model = sj.SLLG(layer, (sj.UniaxialAnisotropy(K_u=K), sj.Zeeman(bias_A_per_m=fields)))
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (h.size, 1))
    dt = 0.05 / (GAMMA0 * 2.2 * HK / 2)
    sol = sj.simulate(model, m0, t1=50_000 * dt, dt=dt, solver=solver)
    switched = np.asarray(sol.m[:, 2]) < 0
    h_sw = h[np.argmax(switched)]
    assert switched.any() and np.all(switched[h >= h_sw]), "switching not monotonic in h"
    assert h_sw == pytest.approx(ph.astroid_field(psi), rel=0.02)


def _final_m(model, m0, drive, t1, dt, solver):
    """Final m after about t1 seconds (a whole number of steps)."""
    return np.asarray(sj.simulate(model, m0, t1=round(t1 / dt) * dt, dt=dt, drive=drive,
                                  solver=solver).m)


def test_sun_critical_current_stt(solver):
    """PMA junction with STT from a polarizer along +z, m starting 1 deg from -z:
    J_c0 = 2 e alpha mu0 Ms t_F H_K / (hbar eta), eta = P (Lambda = 1) (Sun 2000).
    1.1 J_c0 switches within 100 ns, 0.9 J_c0 does not."""
    alpha, K, P = 0.05, 1.0e5, 0.6
    HK = 2 * K / (MU0 * MS)
    layer = sj.FreeLayer(Ms=MS, alpha=alpha, thickness_m=T_F, area_m2=sj.disk_area(50e-9))
    stt = sj.SlonczewskiSTT(polarizer=(0.0, 0.0, 1.0), polarization=P)
    model = sj.SLLG(layer, (sj.UniaxialAnisotropy(K_u=K),), (stt,))
    jc0 = 2 * E_CHARGE * alpha * MU0 * MS * T_F * HK / (HBAR * P)
    tilt = np.deg2rad(1.0)
    m0 = jnp.array([[np.sin(tilt), 0.0, -np.cos(tilt)]] * 2, jnp.float32)
    drive = sj.Drive(j_stt_A_per_m2=jnp.array([1.1, 0.9]) * jc0)
    mz = _final_m(model, m0, drive, t1=100e-9, dt=0.05 / (GAMMA0 * 1.2 * HK),
                  solver=solver)[:, 2]
    assert mz[0] > 0.99 and mz[1] < -0.99, mz


def test_liu_critical_current_sot(solver):
    """In-plane magnet (easy axis y) with damping-like SOT, sigma = +y, m starting 1 deg
    from -y: J_c0 = (2e / hbar) (mu0 Ms t_F alpha / xi_DL) (H_k + M_eff / 2) (Liu et al.
    2012). 1.1 J_c0 switches within 200 ns, 0.9 J_c0 does not.

    Interfacial anisotropy lowers M_eff to 0.2 Ms = 4 H_k: for M_eff >> H_k the state
    just above J_c0 is a steady large-angle precession rather than a switch (Sun 2000),
    which the macrospin reproduces too (measured: at M_eff = Ms, 1.1 J_c0 precesses)."""
    alpha, K, xi, ms = 0.05, 2.0e4, 0.3, 8.0e5
    HK = 2 * K / (MU0 * ms)
    meff = 0.2 * ms
    K_i = (ms - meff) * MU0 * ms * T_F / 2  # K_i / t_F - mu0 Ms^2 / 2 = -mu0 Ms M_eff / 2
    layer = sj.FreeLayer(Ms=ms, alpha=alpha, thickness_m=T_F, area_m2=sj.disk_area(100e-9))
    fields = (sj.UniaxialAnisotropy(K_u=K, axis=(0.0, 1.0, 0.0)),
              sj.Demagnetization(factors=(0.0, 0.0, 1.0)), sj.VCMAAnisotropy(K_i0=K_i))
    model = sj.SLLG(layer, fields, (sj.SpinOrbitTorque(xi_dl=xi, sigma=(0.0, 1.0, 0.0)),))
    jc0 = 2 * E_CHARGE / HBAR * MU0 * ms * T_F * alpha / xi * (HK + meff / 2)
    tilt = np.deg2rad(1.0)
    m0 = jnp.array([[np.sin(tilt), -np.cos(tilt), 0.0]] * 2, jnp.float32)
    drive = sj.Drive(j_sot_A_per_m2=jnp.array([1.1, 0.9]) * jc0)
    my = _final_m(model, m0, drive, t1=200e-9, dt=0.05 / (GAMMA0 * (HK + ms)),
                  solver=solver)[:, 1]
    assert my[0] > 0.99 and my[1] < -0.99, my
