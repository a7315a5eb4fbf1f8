"""Hall-bar readout, lock-in, Oersted field, presets and the harmonic Hall experiment
against closed forms (paper B, arXiv:2002.09104)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj
from spinjax._fields.oersted import OerstedField
from spinjax._readout.hall import HallReadout, harmonic_voltages, lock_in
from spinjax.constants import E_CHARGE, HBAR, MU0
from spinjax.devices import HallBar, liu_critical_current, pt_cofeb, switching_current, w_cofeb
from spinjax.experiments.harmonic_hall import harmonic_hall

RO = HallReadout(r0_ohm=1000.0, d_amr_ohm=3.0, d_smr_ohm=-1.5, d_umr_ohm=0.02,
                 d_ahe_ohm=0.8, d_phe_ohm=0.7, j_ref_A_per_m2=1e11)


def test_readout_at_known_angles():
    """R_xx = R0 + dAMR m_x^2 + dSMR m_y^2 + dUMR (j/j_ref) m_y and R_xy = dAHE m_z +
    dPHE m_x m_y at x, +-y, z and 45 deg in plane; exact up to float64 rounding."""
    s = np.sqrt(0.5)
    m = jnp.array([[1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [s, s, 0]], jnp.float64)
    r0 = np.asarray(RO.r_xx(m))
    np.testing.assert_allclose(r0, [1003.0, 998.5, 998.5, 1000.0, 1000.75], rtol=1e-14)
    rj = np.asarray(RO.r_xx(m, 5e10))  # UMR: +-0.01 Ohm on +-y, odd in j and in m_y
    np.testing.assert_allclose(rj - r0, [0.0, 0.01, -0.01, 0.0, 0.01 * s], atol=1e-12)
    np.testing.assert_allclose(np.asarray(RO.r_xx(m, -5e10)) - r0, -(rj - r0), atol=1e-12)
    np.testing.assert_allclose(np.asarray(RO.r_xy(m)), [0, 0, 0, 0.8, 0.35], atol=1e-14)
    np.testing.assert_allclose(np.asarray(RO.magnetoresistance(m, 5e10)), rj - 1000.0,
                               atol=1e-12)


def test_bad_parameters_raise():
    with pytest.raises(sj.InvalidParameterError, match=r"HallReadout\.r0_ohm = -1"):
        HallReadout(r0_ohm=-1.0)
    with pytest.raises(sj.InvalidParameterError, match=r"j_ref_A_per_m2 = 0 .*\(0, inf\)"):
        HallReadout(r0_ohm=1.0, j_ref_A_per_m2=0.0)
    with pytest.raises(sj.InvalidParameterError, match=r"OerstedField\.t_hm_m = -5e-09"):
        OerstedField(t_hm_m=-5e-9)
    bar = w_cofeb()
    with pytest.raises(sj.InvalidParameterError, match=r"HallBar\.width_m = 0"):
        HallBar(bar.model, bar.readout, width_m=0.0, length_m=1e-5, t_hm_m=5e-9,
                rho_hm_ohm_m=1e-6, rho_fm_ohm_m=1e-6)
    with pytest.raises(sj.InvalidParameterError, match=r"OerstedField\.t_hm_m .* differs"):
        HallBar(bar.model, bar.readout, width_m=5e-6, length_m=1e-5, t_hm_m=6e-9,
                rho_hm_ohm_m=1e-6, rho_fm_ohm_m=1e-6)
    with pytest.raises(sj.InvalidParameterError, match=r"FreeLayer\.alpha = -0\.1"):
        pt_cofeb(alpha=-0.1)
    with pytest.raises(TypeError, match="unknown preset parameter"):
        w_cofeb(xi=0.3)
    with pytest.raises(sj.InvalidParameterError, match="whole number"):
        lock_in(jnp.linspace(0, 1.5, 31), jnp.ones(31), 1.0)


def test_oersted_field_and_energy():
    """H = (j t_HM / 2) u, u = -y by default, and H = -(1/mu0 Ms) de/dm by autodiff."""
    term = OerstedField(t_hm_m=4e-9)
    layer = sj.FreeLayer(Ms=1e6, alpha=0.01, thickness_m=1e-9, area_m2=1e-14)
    inputs = sj.Inputs(jnp.zeros(3), jnp.zeros(()), jnp.zeros(()), jnp.asarray(2e11))
    m = sj.normalize(jax.random.normal(jax.random.key(0), (5, 3), jnp.float64))
    h = np.asarray(term.field(m, layer, inputs))
    np.testing.assert_allclose(h, np.broadcast_to([0.0, -400.0, 0.0], (5, 3)), rtol=1e-14)
    grad = jax.grad(lambda m: jnp.sum(term.energy_density(m, layer, inputs)))(m)
    np.testing.assert_allclose(h, -np.asarray(grad) / (MU0 * 1e6), rtol=1e-10, atol=1e-9)


def test_preset_fields_and_currents():
    """The presets' H_k, M_eff, in-plane field per current (Oersted + field-like) and
    Liu's J_c0 equal their closed forms; the switching current without fields is the
    energy-balance value 2 alpha M_eff / (pi |xi| a1) (thin-film limit)."""
    bar = w_cofeb()
    hk, meff = (float(x) for x in bar.anisotropy_fields())
    assert hk == pytest.approx(1.6e3, rel=1e-12) and meff == pytest.approx(6.4e5, rel=1e-12)
    a1 = HBAR / (2 * E_CHARGE * MU0 * 1.1e6 * 1.4e-9)
    assert float(bar.in_plane_field_per_j()) == pytest.approx(-2.5e-9 - 0.05 * a1, rel=1e-12)
    jc0 = 2 * E_CHARGE / HBAR * MU0 * 1.1e6 * 1.4e-9 * 0.01 / 0.3 * (hk + meff / 2)
    assert float(liu_critical_current(bar)) == pytest.approx(jc0, rel=1e-12)
    j_star = 2 * 0.01 * meff / (np.pi * 0.3 * a1)
    assert float(switching_current(bar, current_field=False)) == pytest.approx(j_star, rel=1e-4)
    # total current: J w (t_HM + t_F rho_HM / rho_F)
    assert float(bar.current_A(1e11)) == pytest.approx(1e11 * 5e-6 * (5e-9 + 1.4e-9 * 2.6 / 1.7))
    assert float(pt_cofeb().sot.xi_dl) > 0 > float(bar.sot.xi_dl)
    assert float(pt_cofeb().readout.d_umr_ohm) > 0 > float(bar.readout.d_umr_ohm)


def test_lock_in_recovers_synthetic_amplitudes():
    """A band-limited signal sampled over 3 whole periods: the lock-in returns each
    harmonic's sine and cosine amplitudes to float64 rounding (the trapezoid rule is
    exact for trigonometric polynomials of degree below the number of samples)."""
    f = 1e7
    t = np.linspace(0.0, 3 / f, 601)
    w = 2 * np.pi * f
    v = (0.3 + 1.3 * np.sin(w * t) + 0.4 * np.cos(w * t) + 0.7 * np.sin(2 * w * t)
         - 0.25 * np.cos(2 * w * t) + 0.1 * np.sin(3 * w * t))
    v2 = np.stack([v, 2 * v], -1)  # two junctions
    x1, y1 = lock_in(t, v2, f, 1)
    x2, y2 = lock_in(t, v2, f, 2)
    np.testing.assert_allclose(np.c_[x1, y1, x2, y2], [[1.3, 0.4, 0.7, -0.25],
                                                        [2.6, 0.8, 1.4, -0.5]], atol=1e-12)
    i0, r0, beta = 2e-3, 500.0, 40.0  # R = R0 + beta I: V_2w = I0^2 beta / 2
    cur = i0 * np.sin(w * t)
    v1w, v2w = harmonic_voltages(t, cur, r0 + beta * cur, f)
    assert float(v1w) == pytest.approx(i0 * r0, rel=1e-12)
    assert float(v2w) == pytest.approx(0.5 * i0**2 * beta, rel=1e-12)


def test_harmonic_hall_matches_avci_formula():
    """Simulated lock-in of a macrospin W/CoFeB bar (T = 0, H_k = 0 so m follows the
    10 mT-scale field, alpha = 0.05) under J0 = 2e10 A/m^2 at 20 MHz: V_1w and V_2w
    agree with the quasi-static formulas of Avci et al. (PRB 90, 224427, 2014) within
    2 % of their largest value. The quasi-static error is of order (omega tau)^2 with
    tau = 0.26 ns the relaxation time (about 1e-3), the second-order tilt terms of
    order (a J / H)^2 do not reach 2 omega; measured 0.02 %."""
    bar = w_cofeb(temperature_K=0.0, alpha=0.05, H_k_A_per_m=0.0)
    phi = np.deg2rad(np.array([0.0, 30.0, 60.0, 90.0, 135.0, 200.0]))
    res = harmonic_hall(bar, phi, 2e4, 2e10, frequency_hz=20e6, dt=1e-12,
                        samples_per_period=250, dtype=jnp.float64)
    for sim, ana in ((res.v1w, res.v1w_analytic), (res.v2w, res.v2w_analytic)):
        assert np.max(np.abs(sim - ana)) < 0.02 * np.max(np.abs(ana)), (sim, ana)
    assert np.max(np.abs(res.v2w)) > 1e-6  # a microvolt-scale signal, not a zero test
    assert set(res.to_json()) >= {"v1w", "v2w", "phi_rad"}
