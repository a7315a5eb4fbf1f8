"""Pulse waveforms: values against their definitions, gradients against finite
differences, and bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

import spinjax as sj

NS = 1e-9


def test_trapezoid_values_and_fwhm():
    p = sj.Trapezoid(0.8, 1 * NS, 2 * NS, 0.2 * NS, 0.4 * NS)
    t = jnp.array([0.5, 1.1, 1.2, 2.0, 3.2, 3.4, 3.6, 4.0], jnp.float64) * NS
    np.testing.assert_allclose(p(t), [0, 0.4, 0.8, 0.8, 0.8, 0.4, 0.0, 0.0], atol=1e-12)
    tt = np.linspace(0, 5 * NS, 500_001)
    above = np.asarray(p(jnp.asarray(tt))) >= 0.4
    fwhm = tt[above][-1] - tt[above][0]
    assert fwhm == pytest.approx((2 + (0.2 + 0.4) / 2) * NS, rel=1e-4)


def test_rectangular_is_a_step_without_edges():
    p = sj.rectangular(1.5, 1 * NS, 0.5 * NS)
    np.testing.assert_array_equal(p(jnp.array([0.99, 1.0, 1.49, 1.5, 1.51]) * NS),
                                  [0.0, 1.5, 1.5, 0.0, 0.0])


def test_gaussian_area_and_sinusoid():
    g = sj.GaussianPulse(2.0, 3 * NS, 0.1 * NS)
    area, _ = integrate.quad(lambda t: float(g(t)), 2 * NS, 4 * NS, points=[3 * NS])
    assert area == pytest.approx(2.0 * 0.1 * NS * np.sqrt(2 * np.pi), rel=1e-6)
    s = sj.Sinusoid(1.0, 1e9, phase_rad=np.pi / 2, offset=0.5)
    np.testing.assert_allclose(s(jnp.array([0.0, 0.5 * NS])), [1.5, -0.5], atol=1e-6)


def test_piecewise_linear_interpolates_and_is_zero_outside():
    p = sj.PiecewiseLinear(jnp.array([0.0, 1.0, 3.0]) * NS, jnp.array([0.0, 2.0, 0.0]))
    np.testing.assert_allclose(p(jnp.array([-1.0, 0.5, 2.0, 4.0]) * NS), [0, 1, 1, 0],
                               atol=1e-6)


@pytest.mark.parametrize("name", ["amplitude", "start_s", "width_s", "rise_s", "fall_s"])
def test_trapezoid_gradients_match_finite_differences(name):
    """At times on the ramps (not on corners) every parameter has a derivative; float64
    central differences agree to 1e-6 relative."""
    base = dict(amplitude=0.8, start_s=1 * NS, width_s=2 * NS, rise_s=0.2 * NS,
                fall_s=0.4 * NS)
    t = jnp.array([1.15, 3.3], jnp.float64) * NS  # on the rise and on the fall

    def f(x):
        return jnp.sum(sj.Trapezoid(**{**base, name: x})(t))

    x0 = jnp.asarray(base[name], jnp.float64)
    h = 1e-6 * x0
    fd = (f(x0 + h) - f(x0 - h)) / (2 * h)
    g = jax.grad(f)(x0)
    assert abs(float(fd)) > 1e-3 * abs(float(f(x0)) / float(x0))  # no cancellation
    assert float(g) == pytest.approx(float(fd), rel=1e-6)


def test_sequence_and_sum():
    reset = sj.rectangular(-1.0, 0.0, 1 * NS)
    write = sj.Trapezoid(0.9, 2 * NS, 0.4 * NS, 0.05 * NS, 0.05 * NS)
    seq = sj.Sequence((reset, write))
    t = jnp.array([0.5, 2.2], jnp.float64) * NS
    np.testing.assert_allclose(seq(t), reset(t) + write(t))
    np.testing.assert_allclose((reset + write)(t), seq(t))
    lo, hi = seq.support()
    assert float(lo) == 0.0 and float(hi) == pytest.approx(2.5 * NS)


@pytest.mark.parametrize("build, pattern", [
    (lambda: sj.Trapezoid(1.0, 0.0, -1 * NS), r"Trapezoid\.width_s = -1e-09 .*\[0, inf\)"),
    (lambda: sj.Trapezoid(1.0, 0.0, 1 * NS, rise_s=-1e-12), r"Trapezoid\.rise_s"),
    (lambda: sj.GaussianPulse(1.0, 0.0, 0.0), r"GaussianPulse\.sigma_s = 0 .*\(0, inf\)"),
    (lambda: sj.Sequence((sj.rectangular(1.0, 0.0, 2 * NS), sj.rectangular(1.0, 1 * NS, NS))),
     r"pulses\[0\] ends at 2e-09 s, after pulses\[1\] starts at 1e-09 s"),
    (lambda: sj.PiecewiseLinear(jnp.array([0.0, 2.0, 1.0]), jnp.zeros(3)),
     r"strictly increasing"),
])
def test_bad_pulses(build, pattern):
    with pytest.raises(sj.InvalidParameterError, match=pattern):
        build()


def test_pulse_drive_gradient_through_the_solve():
    """A VCMA voltage Trapezoid as a drive: d<m_z>/d(amplitude) by reverse mode against a
    central difference with the same key (float64, 256 junctions, 300 K) within 5 %."""
    layer = sj.FreeLayer(Ms=1.1e6, alpha=0.02, thickness_m=1.1e-9,
                         area_m2=sj.disk_area(60e-9), temperature_K=300.0)
    model = sj.SLLG(layer, (sj.VCMAAnisotropy(K_i0=0.927e-3, xi=80e-15, t_ox_m=1.5e-9),
                            sj.Demagnetization(factors=(0.0, 0.0, 1.0)),
                            sj.Zeeman(bias_A_per_m=(3e4, 0.0, 0.0))))
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float64), (256, 1))

    def mean_mz(v):
        pulse = sj.Trapezoid(v, 0.05 * NS, 0.2 * NS, 0.05 * NS, 0.05 * NS)
        sol = sj.simulate(model, m0, t1=0.4 * NS, dt=1e-12, key=jax.random.key(4),
                          drive=sj.Drive(voltage_V=pulse))
        return jnp.mean(sol.m[:, 2])

    v0, h = jnp.asarray(0.6, jnp.float64), 1e-4
    fd = (mean_mz(v0 + h) - mean_mz(v0 - h)) / (2 * h)
    g = jax.grad(mean_mz)(v0)
    assert abs(float(fd)) > 1e-3
    assert float(g) == pytest.approx(float(fd), rel=0.05)
