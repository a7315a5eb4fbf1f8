"""Fitting noisy pump-probe data (paper B, arXiv:2002.09104): the estimates and their
stated uncertainties against the truth of the simulation.

One T = 0 simulation of the W/CoFeB preset (loops at 20 and 40 ns, a 61-field sweep);
the noise is added afterwards, so repeating it is cheap. Read noise: sigma_V = 0.16 uV
per read at the 0.225 mA probe, sigma_R = 0.71 mOhm, 0.4 of the UMR part of one read
(Delta R_UMR j / J_ref = 1.84 mOhm) and 0.19 of the UMR offset between the +j and -j
reads; the coverage check uses sigma_V = 0.5 uV (2.2 mOhm, above both of those).
"""

import dataclasses
import json

import jax
import numpy as np
import pytest
from scipy import stats

from spinjax._params import InvalidParameterError
from spinjax.devices import liu_critical_current, w_cofeb
from spinjax.experiments.pump_probe import run_pump_probe
from spinjax.experiments.pump_probe_fit import (
    fit_field_sweep, fit_pump_probe, switching_threshold)
from spinjax.experiments.pump_probe_noise import (
    add_measurement_noise, noisy_reads, read_noise_ohm)

V_RMS = 0.16e-6


@pytest.fixture(scope="module")
def clean():
    """W/CoFeB at T = 0: 49 pump amplitudes in [-1.6, 1.6] J_c0, H_x = 0.2 H_k, probe
    0.1 J_c0, fields in [-1.5, 0.3] H_k: 2 x 2 x 49 + 2 x 61 = 318 junctions, one solve."""
    bar = w_cofeb(temperature_K=0.0)
    jc0 = float(liu_critical_current(bar))
    hk = float(bar.anisotropy_fields()[0])
    res = run_pump_probe(bar, np.linspace(-1.6, 1.6, 49) * jc0, [20e-9, 40e-9],
                         np.linspace(-1.5, 0.3, 61) * hk, j_probe=0.1 * jc0, h_x=0.2 * hk)
    return bar, res


def test_fit_recovers_field_umr_critical_current_and_xi(clean):
    """h and Delta R_UMR within 3 sigma and 10 % of the truth (measured: h 0.4 % and UMR
    3 % standard uncertainty); J_c0 within 10 % of the T = 0 switching current
    (:func:`switching_current`, 1.16 J_c0 here, not Liu's J_c0: see
    tests/test_pump_probe.py), with the grid's Delta / sqrt(12) as its uncertainty;
    xi_DL by Liu's formula negative and within 10 % of what Liu's formula gives from the
    switching current, xi J_c0 / J_sw; chi^2 consistent with its degrees of freedom."""
    bar, res = clean
    noisy = add_measurement_noise(res, bar, jax.random.key(0), voltage_rms_V=V_RMS)
    fit = fit_pump_probe(bar, noisy, voltage_rms_V=V_RMS)
    g = res.given
    assert abs(fit.h_per_j - g["h_per_j"]) < 3 * fit.h_per_j_sigma
    assert fit.h_per_j == pytest.approx(g["h_per_j"], rel=0.10)
    assert abs(fit.d_umr_ohm - g["d_umr_ohm"]) < 3 * fit.d_umr_ohm_sigma
    assert fit.d_umr_ohm == pytest.approx(g["d_umr_ohm"], rel=0.10)
    assert abs(fit.offset_ohm) < 3 * fit.offset_ohm_sigma          # no offset was added
    assert fit.j_c0 == pytest.approx(g["j_switch"], rel=0.10)
    assert np.all(fit.j_c_up < 0) and np.all(fit.j_c_down > 0)    # xi_DL < 0 (W)
    step = res.j_pump[1] - res.j_pump[0]
    np.testing.assert_allclose(fit.j_c_up_sigma, step / np.sqrt(12), rtol=1e-6)
    xi_liu = g["xi_dl"] * g["j_c0_liu"] / g["j_switch"]
    assert fit.xi_dl_liu < 0
    assert fit.xi_dl_liu == pytest.approx(xi_liu, rel=0.10)
    assert fit.xi_dl_liu_sigma == pytest.approx(abs(fit.xi_dl_liu) * fit.j_c0_sigma
                                                / fit.j_c0, rel=1e-9)
    dof = 4 * res.h_sweep.shape[1] - 5
    lo, hi = stats.chi2.ppf([5e-4, 1 - 5e-4], dof) / dof
    assert lo < fit.chi2_per_dof < hi
    assert json.loads(json.dumps(fit.to_json()))["h_per_j"] == pytest.approx(fit.h_per_j)


def test_intervals_for_h_cover_the_truth(clean):
    """200 noise realizations of the same clean data at sigma_V = 0.5 uV (2.2 mOhm per
    read): the 95 % intervals est +- 1.96 sigma of h (and of Delta R_UMR) cover the truth
    in k of 200 cases. For a true coverage of 0.95, k ~ Binomial(200, 0.95); the test
    accepts 179 <= k <= 198, which a correct 0.95 fails with probability 0.09 % (0.048 %
    below, 0.040 % above), while a coverage of 0.85 fails it with
    probability 96 %, one of 0.995 with 74 % (measured: 0.96 for h, 0.945 for the UMR)."""
    bar, res = clean
    hk = float(bar.anisotropy_fields()[0])
    v = 0.5e-6
    sigma = read_noise_ohm(bar, res.j_probe, v)
    n, covered = 200, np.zeros((2,), int)
    for key in jax.random.split(jax.random.key(1), n):
        _, rp, rm = noisy_reads(key, res.loop_d, res.sweep_r_plus, res.sweep_r_minus, sigma)
        f = fit_field_sweep(res.h_sweep, rp, rm, j_probe=res.j_probe, h_x=res.h_x, h_k=hk,
                            sigma_ohm=sigma)
        th, sd = np.asarray(f.theta), np.asarray(f.sigma)
        truth = np.array([res.given["h_per_j"], res.given["d_umr_ohm"]])
        covered += np.abs(th[[0, 3]] - truth) < 1.96 * sd[[0, 3]]
    lo = stats.binom.ppf(5e-4, n, 0.95)                 # P(k < lo) < 5e-4
    hi = stats.binom.isf(5e-4, n, 0.95)                 # P(k > hi) < 5e-4
    assert (lo, hi) == (179, 198)
    assert np.all((lo <= covered) & (covered <= hi)), covered


def test_offset_voltage_is_not_taken_for_umr(clean):
    """A thermoelectric offset of 1 uV (R_e = 2 V / I = 8.9 mOhm, 2.4x the UMR offset of
    R+ - R-) is even in m, so it goes into R_e, not into Delta R_UMR (odd in the branch)."""
    bar, res = clean
    noisy = add_measurement_noise(res, bar, jax.random.key(2), voltage_rms_V=V_RMS,
                                  offset_V=1e-6)
    fit = fit_pump_probe(bar, noisy, voltage_rms_V=V_RMS)
    r_e = 2e-6 / float(bar.current_A(res.j_probe))
    assert abs(fit.offset_ohm - r_e) < 3 * fit.offset_ohm_sigma
    assert abs(fit.d_umr_ohm - res.given["d_umr_ohm"]) < 3 * fit.d_umr_ohm_sigma
    assert abs(fit.h_per_j - res.given["h_per_j"]) < 3 * fit.h_per_j_sigma


def test_bad_input_raises(clean):
    bar, res = clean
    for v in (0.0, -1e-7, float("nan")):
        with pytest.raises(InvalidParameterError, match="voltage_rms_V"):
            fit_pump_probe(bar, res, voltage_rms_V=v)
        with pytest.raises(InvalidParameterError, match="voltage_rms_V"):
            add_measurement_noise(res, bar, jax.random.key(0), voltage_rms_V=v)
    with pytest.raises(InvalidParameterError, match="sigma_ohm"):
        noisy_reads(jax.random.key(0), res.loop_d, res.sweep_r_plus, res.sweep_r_minus, 0.0)
    rp = res.sweep_r_plus.copy()
    rp[1, 3] = np.nan
    with pytest.raises(InvalidParameterError, match="sweep_r_plus holds 1 non-finite"):
        fit_pump_probe(bar, dataclasses.replace(res, sweep_r_plus=rp), voltage_rms_V=V_RMS)
    d = res.loop_d.copy()
    d[0, 0, 0] = np.inf
    with pytest.raises(InvalidParameterError, match="loop_d"):
        fit_pump_probe(bar, dataclasses.replace(res, loop_d=d), voltage_rms_V=V_RMS)
    with pytest.raises(InvalidParameterError, match="shape"):
        fit_field_sweep(res.h_sweep[:1], res.sweep_r_plus[:1], res.sweep_r_minus[:1],
                        j_probe=res.j_probe, h_x=res.h_x, h_k=1.6e3, sigma_ohm=1e-3)


def test_switching_threshold_sharp_step_and_no_step():
    """A sharp step at J = 0.57, between the grid points 0.5 and 0.6 (D jumps by 10
    sigma): the posterior mean is the gap's midpoint and sigma = 0.1 / sqrt(12); flat
    data: nan; an unsorted grid raises."""
    j = np.linspace(-1.0, 1.0, 21)
    d = np.where(j > 0.57, 1.0, 0.0) + 0.1 * jax.random.normal(jax.random.key(3), (21,))
    mean, sd = switching_threshold(j, np.asarray(d), 0.1)
    assert mean == pytest.approx(0.55) and sd == pytest.approx(0.1 / np.sqrt(12))
    assert np.isnan(switching_threshold(j, np.zeros(21), 0.1)[0])
    with pytest.raises(InvalidParameterError, match="increasing"):
        switching_threshold(j[::-1], np.zeros(21), 0.1)
