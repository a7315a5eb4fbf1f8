"""Device presets, variation, the voltage-driven junction current and energies."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize

import spinjax as sj
from spinjax.constants import E_CHARGE, HBAR, KB, MU0
from spinjax.devices import (
    LogNormal, Normal, barrier_write_energy_J, read_energy_J, sample_devices, sot_mtj,
    stt_mtj, superparamagnetic_mtj, vcma_mtj)
from spinjax._fields.demag import disk_factors, ellipsoid_factors

from physics import boltzmann_moment


def test_ellipsoid_factors_sphere_sum_and_disk():
    np.testing.assert_allclose(ellipsoid_factors([2.0, 2.0, 2.0]), [1 / 3] * 3, atol=1e-12)
    n = ellipsoid_factors([[30e-9, 90e-9, 0.8e-9], [5.0, 3.0, 1.0]])
    np.testing.assert_allclose(n.sum(-1), 1.0, atol=1e-12)
    assert n[0, 0] > n[0, 1]  # the short in-plane axis is the harder one
    # The closed spheroid form (jax) agrees with Carlson's integral (SciPy).
    d, t = np.array([60e-9, 20e-9]), np.array([1.1e-9, 1.5e-9])
    ref = ellipsoid_factors(np.stack([d / 2, d / 2, t / 2], -1))
    np.testing.assert_allclose(disk_factors(jnp.asarray(d), jnp.asarray(t)), ref, rtol=1e-10)
    with pytest.raises(sj.InvalidParameterError, match="semi_axes_m"):
        ellipsoid_factors([1.0, -1.0, 1.0])


def _k_eff(dev, voltage=0.0):
    """K_eff = K_i(V)/t_F - mu0 Ms^2 (N_z - N_x)/2 for a perpendicular disk preset."""
    layer = dev.model.layer
    vcma, demag = dev.model.fields[0], dev.model.fields[1]
    n = np.asarray(demag.factors)
    return (float(vcma.K_i(voltage)) / float(layer.thickness_m)
            - 0.5 * MU0 * float(layer.Ms) ** 2 * (n[2] - n[0]))


@pytest.mark.parametrize("preset,delta", [(vcma_mtj, 58.7), (stt_mtj, 45.0),
                                          (superparamagnetic_mtj, 3.0)])
def test_thermal_stability_is_k_eff_v_over_kt(preset, delta):
    dev = preset(temperature_K=300.0)
    layer = dev.model.layer
    expected = _k_eff(dev) * float(layer.volume_m3) / (KB * 300.0)
    assert float(dev.thermal_stability()) == pytest.approx(expected, rel=1e-4)
    assert expected == pytest.approx(delta, rel=0.01)  # the value the docstring states


def test_sot_preset_in_plane_barrier():
    dev = sot_mtj()
    n = np.asarray(dev.model.fields[1].factors)
    layer = dev.model.layer
    k = 0.5 * MU0 * float(layer.Ms) ** 2 * (n[0] - n[1])  # shape anisotropy, hard x
    assert float(dev.thermal_stability()) == pytest.approx(
        k * float(layer.volume_m3) / (KB * 300.0), rel=1e-3)


def test_thermal_state_is_boltzmann():
    """<m_z^2> of 4000 junctions of the STT preset (Delta = 45, h = 0) against the exact
    Boltzmann moment; 1 - m_z^2 is close to exponential with mean 1/Delta, so its
    sample mean has relative sigma 1/sqrt(4000) = 1.6 %: accepted within 4 sigma."""
    dev = stt_mtj()
    n = 4000
    m = dev.thermal_state(jax.random.key(1), (n,), t_s=1e-9)
    delta = float(dev.thermal_stability())
    s2 = np.asarray(1 - m[:, 2] ** 2, np.float64)
    ref = 1 - boltzmann_moment(lambda z: z * z, delta, 0.0)
    assert abs(s2.mean() - ref) < 4 * ref / np.sqrt(n)
    assert np.all(np.asarray(m[:, 2]) > 0)  # no escape over a barrier of 45 kT


def test_thermal_state_errors():
    with pytest.raises(sj.InvalidParameterError, match="well"):
        stt_mtj().thermal_state(jax.random.key(0), (4,), well=0)
    with pytest.raises(sj.InvalidParameterError, match="empty"):
        stt_mtj().thermal_state(jax.random.key(0), (0,))


def _r_ap(dev, v):
    return float(dev.tmr.r_ap_ohm(v))


@pytest.mark.parametrize("factor,switches", [(1.1, True), (0.9, False)])
def test_voltage_driven_stt_critical_voltage(factor, switches):
    """A voltage on the STT preset (T = 0) from the antiparallel state: the current
    V/R_AP(V) through the bias-dependent TMR and the VCMA-lowered anisotropy at V
    together set Sun's threshold J_c0(V) = 2 e alpha mu0 Ms t_F H_K,eff(V) / (hbar P).
    1.1 times the critical voltage switches, 0.9 times does not."""
    dev = stt_mtj(temperature_K=0.0)
    layer = dev.model.layer
    area, ms, t_f = float(layer.area_m2), float(layer.Ms), float(layer.thickness_m)
    alpha, p = float(layer.alpha), 0.6

    def excess(v):  # J(V) - J_c0(V); positive V favours parallel (AP -> P)
        h_k = 2 * _k_eff(dev, v) / (MU0 * ms)
        j_c = 2 * E_CHARGE * alpha * MU0 * ms * t_f * h_k / (HBAR * p)
        return v / (_r_ap(dev, v) * area) - j_c

    v_c = optimize.brentq(excess, 0.05, 3.0)
    tilt = 0.05
    m0 = jnp.array([np.sin(tilt), 0.0, -np.cos(tilt)])
    sol = sj.simulate(dev.model, m0, t1=60e-9, dt=2e-12,
                      drive=sj.Drive(voltage_V=factor * v_c))
    assert (float(sol.m[2]) > 0) == switches


def test_bias_driven_current_density():
    dev = stt_mtj()
    torque = dev.model.torques[0]
    m = jnp.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]])
    j = torque.current_density(m, dev.model.layer, 0.3)
    r = np.array([float(dev.tmr.r_p_ohm), _r_ap(dev, 0.3)])
    np.testing.assert_allclose(j, 0.3 / (r * float(dev.model.layer.area_m2)), rtol=1e-5)


def test_variation_deterministic_and_laws():
    spreads = {"diameter_m": Normal(0.03), "alpha": LogNormal(0.2)}
    a = sample_devices(jax.random.key(3), vcma_mtj, 20000, spreads)
    b = sample_devices(jax.random.key(3), vcma_mtj, 20000, spreads)
    np.testing.assert_array_equal(a.model.layer.alpha, b.model.layer.alpha)
    # log(alpha / 0.02) ~ N(0, 0.2^2): mean within 4 sigma (0.2/sqrt(n) = 1.4e-3),
    # sd within 4 sigma (0.2/sqrt(2n) = 1e-3).
    la = np.log(np.asarray(a.model.layer.alpha, np.float64) / 0.02)
    assert abs(la.mean()) < 4 * 0.2 / np.sqrt(20000)
    assert abs(la.std() - 0.2) < 4 * 0.2 / np.sqrt(40000)
    area = np.asarray(a.model.layer.area_m2)
    d = np.sqrt(4 * area / np.pi)
    assert abs(d.mean() / 60e-9 - 1) < 4 * 0.03 / np.sqrt(20000)
    # Adding a spread does not change the others' draws.
    c = sample_devices(jax.random.key(3), vcma_mtj, 20000, {**spreads, "K_i0": Normal(0.02)})
    np.testing.assert_array_equal(a.model.layer.alpha, c.model.layer.alpha)
    assert np.std(np.asarray(c.model.fields[0].K_i0)) > 0


def test_variation_bad_input():
    with pytest.raises(sj.InvalidParameterError, match="empty"):
        sample_devices(jax.random.key(0), vcma_mtj, 0, {})
    with pytest.raises(sj.InvalidParameterError, match="not a parameter"):
        sample_devices(jax.random.key(0), vcma_mtj, 4, {"radius": Normal(0.1)})
    with pytest.raises(sj.InvalidParameterError, match="relative_sigma"):
        sample_devices(jax.random.key(0), vcma_mtj, 4, {"alpha": Normal(-0.1)})
    with pytest.raises(sj.InvalidParameterError, match="alpha"):  # draws below zero
        sample_devices(jax.random.key(0), vcma_mtj, 20000, {"alpha": Normal(0.9)})


def test_write_and_read_energy_closed_form():
    """A trapezoid of amplitude V, plateau w and edges e on a fixed resistance R:
    E = V^2 (w + 2e/3) / R + C V^2 (the edges contribute V^2 e / (3R) each). Small V,
    so the TMR barely depends on bias; checked at the grid's trapezoid accuracy."""
    dev = stt_mtj()
    v, w, e = 0.01, 1e-9, 0.1e-9
    pulse = sj.Trapezoid(v, 0.0, w, e, e)
    r = float(dev.tmr.resistance(jnp.array([0.0, 0.0, 1.0]), v))
    c = float(dev.capacitance_F())
    expected = v**2 * (w + 2 * e / 3) / r + c * v**2
    assert float(barrier_write_energy_J(dev, pulse, num=20001)) == pytest.approx(
        expected, rel=1e-4)
    r_ap = _r_ap(dev, 0.1)
    assert float(read_energy_J(dev, 0.1, 2e-9)) == pytest.approx(
        0.01 * 2e-9 / r_ap + c * 0.01, rel=1e-5)
    assert c == pytest.approx(8.8541878128e-12 * 9.8 * float(dev.area_m2) / 1e-9)


def test_read_disturb_depends_on_polarity_and_state():
    """A 5 ns read at 0.7 V (0.86 of the preset's T = 0 critical voltage of 0.81 V from
    the antiparallel state) on 1000 STT junctions at 300 K: the antiparallel state is
    pushed towards parallel and some flip (thermally activated over a barrier the
    current lowers; 16 of 1000 measured with this key, 109 at 0.8 V); the parallel
    state, stabilized by the same current, and the antiparallel state read at 0.1 V
    do not flip (their barriers stay near 45 kT: rate about e^-40)."""
    dev = stt_mtj()
    n = 1000
    key = jax.random.key(4)
    ap = dev.thermal_state(key, (n,), well=-1)
    par = dev.thermal_state(jax.random.fold_in(key, 1), (n,), well=1)
    bits_ap, _ = dev.read_pulse(ap, key=key, voltage_V=0.7, duration_s=5e-9)
    bits_p, _ = dev.read_pulse(par, key=key, voltage_V=0.7, duration_s=5e-9)
    bits_low, _ = dev.read_pulse(ap, key=key, voltage_V=0.1, duration_s=5e-9)
    flips_ap = n - int(np.sum(bits_ap))
    assert flips_ap >= 5, flips_ap
    assert int(np.sum(bits_p)) == 0
    assert int(np.sum(bits_low)) == n
