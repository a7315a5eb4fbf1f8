"""Switching experiments: Wilson intervals, the precessional window, write error
rates and R-H loops against analytic results."""

import jax
import numpy as np
import pytest

import spinjax as sj
from spinjax.constants import MU0
from spinjax.devices import stt_mtj, vcma_mtj
from spinjax.experiments import (
    first_maximum, half_precession_period_s, rh_loop, switching_map, wilson_interval,
    write_error_rate)

from physics import astroid_field


def test_wilson_interval_values_and_coverage():
    # k = 0: the upper end is z^2 / (n + z^2) exactly.
    lo, hi = wilson_interval(0, 10)
    z2 = 1.959963984540054**2
    assert lo == 0 and hi == pytest.approx(z2 / (10 + z2))
    # Coverage of the 95 % interval at p = 0.1, n = 50: exactly, by summing the
    # binomial law over k (Wilson's coverage oscillates within a few % of nominal),
    # and by 20000 binomial draws, within 4 sigma (sigma = sqrt(c(1-c)/20000)).
    from scipy import stats
    ks = np.arange(51)
    lo, hi = wilson_interval(ks, 50)
    exact = np.sum(stats.binom.pmf(ks, 50, 0.1) * ((lo <= 0.1) & (0.1 <= hi)))
    assert 0.92 < exact < 0.98
    rng = np.random.default_rng(0)
    k = rng.binomial(50, 0.1, 20000)
    lo, hi = wilson_interval(k, 50)
    cover = np.mean((lo <= 0.1) & (0.1 <= hi))
    assert abs(cover - exact) < 4 * np.sqrt(exact * (1 - exact) / 20000)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(5, 4)


def test_precessional_window_first_maximum_at_half_period():
    """At the compensation voltage of the VCMA preset (K_eff(V) = 0) m precesses freely
    about the bias field H_x: it reaches the other well after pi/(gamma0 H_x) = 0.473
    ns, the first maximum of P_sw(width). The pulse's effective duration is its
    plateau plus one edge (linear edges of 20 ps). 128 junctions per width at 300 K;
    the peak is a plateau of P_sw = 1 about 0.2 ns wide, located within one grid
    step (25 ps, 5 %)."""
    dev = vcma_mtj()
    layer = dev.model.layer
    vcma, demag = dev.model.fields[0], dev.model.fields[1]
    n = np.asarray(demag.factors)
    k_demag = 0.5 * MU0 * float(layer.Ms) ** 2 * (n[2] - n[0]) * float(layer.thickness_m)
    v0 = (float(vcma.K_i0) - k_demag) * float(vcma.t_ox_m) / float(vcma.xi)
    widths = np.linspace(0.1e-9, 1.0e-9, 37)
    res = switching_map(dev, [v0], widths, n=128, key=jax.random.key(0), edge_s=20e-12)
    peak = first_maximum(widths + 20e-12, res.p[:, 0])
    half = half_precession_period_s(3.0e4)
    assert half == pytest.approx(0.4733e-9, rel=1e-3)
    assert abs(peak - half) < 0.05 * half
    assert res.p[:, 0].max() > 0.97
    # Far below compensation the barrier holds: no switching at any width.
    low = switching_map(dev, [0.3], widths[::6], n=128, key=jax.random.key(1))
    assert low.switched.sum() == 0


def test_write_error_rate_batches_and_bounds():
    """The WER over batches equals the errors of the union of the batches; at a pulse
    that always switches, 0 errors in 2048 trials has the Wilson upper bound
    z^2/(n + z^2) = 1.9e-3."""
    dev = vcma_mtj()
    res = write_error_rate(dev, 1.61, 0.45e-9, trials=2048, batch=1024,
                           key=jax.random.key(2))
    assert res.trials == 2048 and res.errors == 0
    j = res.to_json()
    assert j["wilson95_high"] == pytest.approx(3.8415 / (2048 + 3.8415), rel=1e-3)
    part = write_error_rate(dev, 1.2, 0.45e-9, trials=512, batch=256,
                            key=jax.random.key(3))
    one = [switching_map(dev, [1.2], [0.45e-9], n=256,
                         key=jax.random.fold_in(jax.random.key(3), b)) for b in range(2)]
    assert part.errors == sum(256 - int(o.switched[0, 0]) for o in one)
    with pytest.raises(sj.InvalidParameterError, match="trials"):
        write_error_rate(dev, 1.2, 0.45e-9, trials=0, key=jax.random.key(0))


def test_rh_loop_zero_temperature_is_stoner_wohlfarth():
    """T = 0, field 2 degrees off the easy axis, strong damping (alpha = 0.5) so the
    magnet follows the field quasi-statically: the loop switches at the
    Stoner-Wohlfarth field H_K/(cos^2/3 + sin^2/3)^3/2 = 0.859 H_K, delayed by the
    finite sweep rate (0.75 kA/m per ns here) by less than 5 %; a slower sweep
    switches closer to it. A minor loop to -0.5 H_K never switches."""
    dev = stt_mtj(temperature_K=0.0, alpha=0.5)
    layer, vcma, demag = dev.model.layer, dev.model.fields[0], dev.model.fields[1]
    n = np.asarray(demag.factors)
    h_k = (2 * float(vcma.K_i0) / (MU0 * float(layer.Ms) * float(layer.thickness_m))
           - float(layer.Ms) * (n[2] - n[0]))
    psi = np.deg2rad(2.0)
    h_sw = astroid_field(psi) * h_k
    axis = (np.sin(psi), 0.0, np.cos(psi))
    fast, slow = (rh_loop(dev, 1.3 * h_k, n=1, key=jax.random.key(0), sweep_time_s=t,
                          dt=2e-12, points=2000, axis=axis) for t in (100e-9, 400e-9))
    for loop in (fast, slow):
        np.testing.assert_allclose(-loop.down_switch_A_per_m, loop.up_switch_A_per_m,
                                   rtol=1e-4)
    assert 1.0 < slow.coercive_field_A_per_m / h_sw < 1.05
    assert slow.coercive_field_A_per_m < fast.coercive_field_A_per_m
    # Both sweeps are quasi-static by the stated criterion: the field moves 6.5 H_K in
    # the sweep time, (dH/dt) / (alpha gamma0 H_K^2) = 6.5 / (t alpha gamma0 H_K) << 1 %.
    for loop, t in ((fast, 100e-9), (slow, 400e-9)):
        ratio = 6.5 / (t * 0.5 * sj.constants.GAMMA0 * h_k)
        assert loop.quasi_static and loop.sweep_rate_ratio == pytest.approx(ratio, rel=0.02)
    minor = rh_loop(dev, 0.5 * h_k, n=1, key=jax.random.key(0), sweep_time_s=50e-9,
                    dt=2e-12, axis=axis)
    assert np.isnan(minor.down_switch_A_per_m).all()
    r = minor.resistance_ohm
    assert np.allclose(r, float(dev.tmr.r_p_ohm), rtol=1e-3)


def test_switching_map_bad_input():
    dev = vcma_mtj()
    with pytest.raises(sj.InvalidParameterError, match="n = 0"):
        switching_map(dev, [1.0], [1e-9], n=0, key=jax.random.key(0))
    with pytest.raises(sj.InvalidParameterError, match="widths_s"):
        switching_map(dev, [1.0], [-1e-9], n=4, key=jax.random.key(0))
    with pytest.raises(sj.InvalidParameterError, match="input_name"):
        switching_map(dev, [1.0], [1e-9], n=4, key=jax.random.key(0), input_name="x")
    with pytest.raises(sj.InvalidParameterError, match="h_max"):
        rh_loop(dev, -1.0, n=1, key=jax.random.key(0), sweep_time_s=1e-9)


def test_thermally_activated_stt_switching_time():
    """The thermally activated regime of STT switching, exactly: for a uniaxial
    macrospin with the polarizer along its axis, the damping-like torque enters the
    m_z equation exactly as an axial field a_J/alpha (its field-like image vanishes
    there), so m_z is the 1-d diffusion of an axial field h = a_J/(alpha H_K) and the
    mean switching time is the exact Neel-Brown quadrature at that h. Delta = 3,
    h = -0.2 (a current assisting the escape), 2000 junctions, tolerance 4 sigma of
    the Monte Carlo mean (about 2 %), barrier shifted by the discrete-monitoring
    correction 0.5826 sqrt(dt/tau_N) as in test_thermal."""
    import jax.numpy as jnp
    import physics as ph
    from spinjax._torques.base import torque_field_per_current
    from spinjax.constants import KB
    t, ms, volume, thickness, delta, h, pol = 300.0, 1.0e6, 1.0e-25, 1.0e-9, 3.0, -0.2, 0.6
    layer = sj.FreeLayer(Ms=ms, alpha=1.0, thickness_m=thickness,
                         area_m2=volume / thickness, temperature_K=t)
    k = delta * KB * t / volume
    h_k = 2 * k / (MU0 * ms)
    j = h * 1.0 * h_k / (float(torque_field_per_current(layer)) * pol)
    model = sj.SLLG(layer, (sj.UniaxialAnisotropy(K_u=k),),
                    (sj.SlonczewskiSTT(polarization=pol),))
    n = 2000
    tau = ph.neel_time(ms, volume, 1.0, t)
    dt = tau / 200
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (n, 1))
    sol = sj.simulate(model, m0, t1=200 * 30 * dt, dt=dt, key=jax.random.key(5),
                      drive=sj.Drive(j_stt_A_per_m2=j),
                      save=sj.Save(every=1, fn=lambda t, m: None),
                      monitors=(sj.FirstPassage(threshold=0.0),))
    fp = np.asarray(sol.monitors[0], np.float64)
    assert np.all(np.isfinite(fp))
    mean, sigma = fp.mean(), fp.std() / np.sqrt(n)
    exact = ph.mfpt(1.0, delta, h, tau, barrier=-0.5826 * np.sqrt(dt / tau))
    assert abs(mean - exact) < 4 * sigma, (mean / tau, exact / tau, sigma / tau)
    # and the current matters: without it the escape takes 1.6 times longer.
    assert ph.mfpt(1.0, delta, 0.0, tau) > 1.4 * exact
