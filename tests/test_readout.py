"""TMR readout against its definition, and a threshold read of simulated states."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj


def test_resistance_limits_and_angle_dependence():
    tmr = sj.TMR(r_p_ohm=2000.0, tmr0=1.5, v_half_V=0.4)
    m = jnp.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]], jnp.float64)
    r = np.asarray(tmr.resistance(m))
    g_p, g_ap = 1 / 2000.0, 1 / 5000.0
    np.testing.assert_allclose(r, [2000.0, 5000.0, 2 / (g_p + g_ap)], rtol=1e-12)


def test_tmr_ratio_halves_at_v_half():
    tmr = sj.TMR(r_p_ohm=2000.0, tmr0=1.5, v_half_V=0.4)
    assert float(tmr.ratio(0.4)) == pytest.approx(0.75)
    assert float(tmr.r_ap_ohm(0.4)) == pytest.approx(3500.0)
    assert float(tmr.ratio(-0.4)) == pytest.approx(0.75)  # symmetric in bias


def test_threshold_read_of_a_thermal_array():
    """Bits read through TMR equal the sign of m . p for a thermal PMA array (Delta
    about 60, so |m_z| stays near 1), with per-junction R_P."""
    n = 512
    layer = sj.FreeLayer(Ms=1.1e6, alpha=0.02, thickness_m=1.1e-9,
                         area_m2=sj.disk_area(60e-9), temperature_K=300.0)
    model = sj.SLLG(layer, (sj.VCMAAnisotropy(K_i0=0.927e-3),
                            sj.Demagnetization(factors=(0.0, 0.0, 1.0))))
    up = jax.random.bernoulli(jax.random.key(0), 0.3, (n,))
    m0 = jnp.where(up[:, None], 1.0, -1.0) * jnp.array([0.0, 0.0, 1.0], jnp.float32)
    sol = sj.simulate(model, m0, t1=0.5e-9, dt=1e-12, key=jax.random.key(1))
    tmr = sj.TMR(r_p_ohm=jnp.linspace(1800.0, 2200.0, n), tmr0=1.2)
    bits = tmr.read(sol.m, sj.midpoint_threshold(tmr, 0.1), voltage_V=0.1)
    np.testing.assert_array_equal(np.asarray(bits), np.asarray(sol.m[:, 2] < 0).astype(int))


@pytest.mark.parametrize("threshold", [1000.0, 9000.0])
def test_threshold_outside_rp_rap_raises(threshold):
    tmr = sj.TMR(r_p_ohm=2000.0, tmr0=1.5)
    with pytest.raises(sj.InvalidParameterError,
                       match=r"threshold_ohm = .* outside the valid range \(R_P, R_AP\(V\)\)"):
        tmr.read(jnp.array([0.0, 0.0, 1.0]), threshold)


def test_bad_tmr_parameters():
    with pytest.raises(sj.InvalidParameterError, match=r"TMR\.r_p_ohm = -5"):
        sj.TMR(r_p_ohm=-5.0, tmr0=1.0)
    with pytest.raises(sj.InvalidParameterError, match=r"TMR\.tmr0 = -0\.1"):
        sj.TMR(r_p_ohm=1e3, tmr0=-0.1)
