"""Importance sampling of write errors (spinjax._wer.importance): the likelihood ratio
against exact Gaussian tails, the estimate against brute force at the cheap write of
tests/test_wer.py (VCMA preset, 1.61 V, 0.35 ns, 0.3 ns settle: WER about 6e-3), the
coverage of its intervals, and what it reports where it cannot reach."""

import json
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import spinjax as sj
from spinjax._increments import GaussianIncrements, TabulatedIncrements
from spinjax._wer.importance import Proposal
from spinjax.devices import vcma_mtj
from spinjax.wer import TargetNotReachedWarning, write_error_rate

VCMA = vcma_mtj()
SHORT = dict(settle_s=0.3e-9)
CHEAP = dict(pulse=1.61, width_s=0.35e-9, **SHORT)


def _wer(key, **kw):
    a = {**CHEAP, **kw}
    return write_error_rate(VCMA, a.pop("pulse"), a.pop("width_s"), key=key, **a)


def _weighted_tail(q, key, n, f):
    xi, _, log_w = q.draw(key, n)
    a = np.where(f(np.asarray(xi, np.float64)), np.exp(log_w), 0.0)
    return a.mean(), a.std(ddof=1) / math.sqrt(n)


def test_weights_are_the_likelihood_ratio_of_a_gaussian_tail():
    """A proposal shifted to 4.5 and narrowed along e_1 of R^40: the weighted indicator
    of xi_1 > 4.5 gives the Gaussian tail 3.4e-6 (within 4 s.e., where plain sampling of
    20000 would see nothing); xi_1 is the drawn z, and the law across V is untouched
    (xi_2 standard normal by a Kolmogorov-Smirnov test)."""
    q = Proposal(40)
    e1 = np.zeros(40)
    e1[0] = 1.0
    q.add(e1, jnp.zeros((1, 40)), np.zeros((1, 0)))
    q.mu, q.cov = np.array([4.5]), np.array([[0.7]])
    p, se = _weighted_tail(q, jax.random.key(0), 20000, lambda x: x[:, 0] > 4.5)
    assert abs(p - stats.norm.sf(4.5)) < 4 * se and se < 0.05 * p
    xi, z, _ = q.draw(jax.random.key(1), 20000)
    np.testing.assert_allclose(np.asarray(xi[:, 0]), z[:, 0], atol=1e-5)
    assert stats.kstest(np.asarray(xi[:, 1]), "norm").pvalue > 1e-3


def test_a_new_direction_is_orthogonal_and_keeps_the_samples():
    """A gradient joins V only by its part orthogonal to V, and only when that part is at
    least 30 % of it; the coordinates of earlier samples along it are their projections."""
    q = Proposal(6)
    xi = jax.random.normal(jax.random.key(2), (5, 6))
    z = q.add(np.array([1.0, 1, 0, 0, 0, 0]), xi, np.zeros((5, 0)))
    z = q.add(np.array([1.0, 1.1, 0, 0, 0, 0]), xi, z)           # almost parallel: no
    assert q.k == 1 and z.shape == (5, 1)
    z = q.add(np.array([1.0, 0, 1, 0, 0, 0]), xi, z)
    assert q.k == 2 and np.allclose(q.V.T @ q.V, np.eye(2), atol=1e-12)
    assert np.allclose(z, np.asarray(xi, np.float64) @ q.V, atol=1e-5)


def test_tabulated_noise_is_the_same_path_on_both_solvers():
    """The table of the counter draws of a key reproduces that key's trajectory, on the
    fused solver and on the diffrax path (through which the importance sampler takes its
    gradients)."""
    model = VCMA.model
    m0 = jnp.tile(jnp.array([0.1, 0.0, 1.0]), (3, 1))
    key = jax.random.key(5)
    kw = dict(t1=40 * 2e-12, dt=2e-12)
    ref = sj.simulate(model, m0, key=key, solver=sj.FusedHeun(backend="xla"), **kw).m
    from spinjax._counter_rng import junction_key_words
    k0, k1 = junction_key_words(key, (3,))
    table = jnp.stack([jnp.stack(GaussianIncrements().draw(k0, k1, jnp.uint32(j),
                                                           jnp.float32), -1)
                       for j in range(40)])
    for solver in (sj.FusedHeun(backend="xla"), sj.NormalizedHeun()):
        m = sj.simulate(model, m0, key=jax.random.key(9), solver=solver,
                        noise=TabulatedIncrements(table), **kw).m
        np.testing.assert_allclose(m, ref, atol=2e-5)


@pytest.fixture(scope="module")
def reference():
    """Brute force at the cheap write: 65536 writes (about 400 errors)."""
    return _wer(jax.random.key(100), trials=65536, batch=16384)


def test_importance_agrees_with_brute_force_and_reports(reference, tmp_path):
    """The importance-sampled WER at the cheap write agrees with brute force within the
    two intervals combined (3 s.e.); the same key gives the same result; the result
    counts its work, serializes its diagnostics to strict JSON and plots."""
    kw = dict(method="importance", stage_size=400, rel_precision=0.15, target=1e-12)
    a = _wer(jax.random.key(3), **kw)
    b = _wer(jax.random.key(3), **kw)
    assert (a.wer, a.ci_low, a.ci_high) == (b.wer, b.ci_low, b.ci_high)
    assert a.method == "importance" and a.status == "converged"
    assert a.rel_halfwidth <= 0.15 and a.diagnostics["errors"] >= 100
    se_a = (a.ci_high - a.wer) / 1.96
    se_b = math.sqrt(reference.wer * (1 - reference.wer) / reference.trials)
    assert abs(a.wer - reference.wer) < 3 * math.hypot(se_a, se_b), (a.wer, reference.wer)
    assert a.junction_steps >= a.trajectories * 100 > 0
    j = a.to_json()
    json.dumps(j, allow_nan=False)
    assert j["diagnostics"]["proposal"]["directions"] >= 1
    from matplotlib.figure import Figure
    assert isinstance(a.plot(tmp_path / "is.png"), Figure)


def test_importance_budget_says_so_with_the_estimate_reached():
    """A budget of two stages: the result holds what the last stage estimated, status
    'budget', and a TargetNotReachedWarning names the method."""
    with pytest.warns(TargetNotReachedWarning, match="importance"):
        res = _wer(jax.random.key(4), method="importance", stage_size=200,
                   max_trajectories=400, target=1e-12, rel_precision=0.01)
    assert res.status == "budget" and res.method == "importance"
    assert 0 <= res.ci_low <= res.wer <= res.ci_high <= 1


@pytest.mark.parametrize("name,value", [("max_dim", 0), ("max_dim", 65),
                                        ("stage_size", 10), ("stage_size", 2.5)])
def test_bad_importance_parameters_name_the_parameter(name, value):
    with pytest.raises(sj.InvalidParameterError, match=name):
        _wer(jax.random.key(0), method="importance", **{name: value})


@pytest.mark.slow
def test_importance_intervals_cover_brute_force(reference):
    """20 importance-sampling runs (stages of 200 writes, to +-30 %) against the
    brute-force count of 65536 writes (relative s.e. 5 %): the count lies inside at
    least 16 of the 20 intervals, which a true coverage of 95 % fails with probability
    0.26 % and a coverage of 70 % passes with probability 24 % (as the splitting test).
    About 2 minutes on 2 cores."""
    inside = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TargetNotReachedWarning)
        for k in range(20):
            r = _wer(jax.random.key(300 + k), method="importance", stage_size=200,
                     rel_precision=0.3, target=1e-12)
            inside += r.ci_low <= reference.wer <= r.ci_high
    print(f"coverage: brute force {reference.wer:.4g} inside {inside} of 20 intervals")
    assert inside >= 16, inside


def _problem(device, amplitude, width_s, **kw):
    from spinjax._wer.estimate import _trapezoid
    from spinjax._wer.problem import make_problem
    a = dict(input_name=None, start_well=1, dt=2e-12, settle_s=0.3e-9, duration_s=None,
             noise=GaussianIncrements(), solver=None, m0=None, delay_s=0.1e-9,
             edge_s=20e-12)
    a.update(kw)
    pulse = _trapezoid(device, amplitude, width_s, a.pop("delay_s"), a.pop("edge_s"))
    return make_problem(device, pulse, **a)


def test_the_start_is_a_fixed_point_under_collinear_stt_only():
    """The bottom of the start well stays put at zero temperature under the STT preset's
    collinear current (so the write fails by staying there, and 'auto' splits along the
    escape coordinate) and not under the VCMA preset's pulse with its in-plane bias
    field (importance sampling). The escape coordinate's growth is the linearized
    instability: ln G rises linearly during a rectangular pulse."""
    from spinjax._wer.coordinates import _log_growth, start_is_fixed
    stt = _problem(sj.devices.stt_mtj(), 1.5, 2e-9, start_well=-1, delay_s=0.0,
                   edge_s=0.0, settle_s=0.0)
    assert start_is_fixed(stt)
    assert not start_is_fixed(_problem(VCMA, 1.61, 0.35e-9))
    lg = _log_growth(stt)
    slope = np.diff(lg[8:-1])   # the last interval holds the end of the pulse
    assert lg[-1] > 1.0 and np.allclose(slope, slope.mean(), rtol=0.05)


@pytest.mark.slow
def test_splitting_matches_the_fokker_planck_reference_at_1e_7():
    """The STT preset at 1.5 V for 9 ns from the thermal distribution of the -z well (the
    conventions of fokker_planck_wer: rectangular pulse, judged at its end): the
    Fokker-Planck WER 7.5e-8 lies inside the 95 % interval of method='auto', which
    splits along the escape coordinate (brute force would need about 1e9 writes).
    About 70 s on 2 cores."""
    from spinjax.wer import fokker_planck_wer
    dev = sj.devices.stt_mtj()
    ref = float(fokker_planck_wer(dev, [9e-9], voltage_V=1.5).wer[0])
    assert 5e-8 < ref < 1e-7
    res = write_error_rate(dev, 1.5, 9e-9, key=jax.random.key(0), start_well=-1,
                           edge_s=0.0, delay_s=0.0, settle_s=0.0, particles=100, kill=10,
                           replicas=8, rel_precision=0.3)
    assert res.method == "splitting" and res.status == "converged"
    assert res.ci_low <= ref <= res.ci_high, (res.wer, res.ci_low, res.ci_high, ref)
