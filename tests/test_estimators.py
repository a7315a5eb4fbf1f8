"""Gradients of switching probabilities: the smoothing estimator against central
finite differences of the Monte Carlo probability (common random numbers) and
against the slope of a fitted logistic curve.

The VCMA preset, precessional write (plateau 0.44 ns, edges 30 ps, two-point noise),
1e4 antithetic pairs (2e4 junctions) per estimate and 1e4 pairs per finite
difference. The estimator and the finite difference are independent (different
keys); they are compared within 4 combined standard errors plus the smoothing bias,
which for a smoothing width s against the curve's scale w is of relative order
(s/w)^2/2 (s/w <= 1/3 here, so < 6 %: added to the tolerance as 0.06 |grad|).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize, special

import spinjax as sj
from spinjax.devices import vcma_mtj
from spinjax._estimators import paired_difference, pulse_outcome, smoothed_probability

N = 10_000
OUTCOME = pulse_outcome(vcma_mtj, width_s=0.44e-9)


def _theta(amplitude):
    return {"amplitude": amplitude, "width_s": 0.44e-9, "temperature_K": 300.0,
            "alpha": 0.02}


def _estimate(name, value_of, scale, amplitude, seed):
    theta = _theta(amplitude)
    params = {name: jnp.asarray(theta[name])}
    fixed = {k: v for k, v in theta.items() if k != name}
    outcome = pulse_outcome(vcma_mtj, **fixed)
    return smoothed_probability(outcome, params, {name: scale}, jax.random.key(seed),
                                n_pairs=N)


@pytest.mark.parametrize("name,amplitude,scale,fd_step", [
    ("amplitude", 0.97, 0.01, 0.01),           # the middle of the sigmoid, V
    ("width_s", 0.97, 10e-12, 10e-12),         # s
    ("temperature_K", 0.85, 15.0, 30.0),       # the low tail, where T matters, K
    ("alpha", 1.10, 0.003, 0.006),             # the high tail, where alpha matters
])
def test_gradient_matches_finite_difference(name, amplitude, scale, fd_step):
    est = _estimate(name, None, scale, amplitude, seed=1)
    g, g_se = float(est.grad[name]), float(est.grad_se[name])
    theta = _theta(amplitude)
    outcome = pulse_outcome(vcma_mtj, **{k: v for k, v in theta.items() if k != name})
    fd, fd_se = paired_difference(lambda pp, key: outcome({name: pp[name]}, key),
                                  {name: theta[name]}, name, fd_step,
                                  jax.random.key(2), N)
    tol = 4 * np.hypot(g_se, fd_se) + 0.06 * abs(fd)
    assert abs(g - fd) < tol, (name, g, g_se, fd, fd_se)
    assert abs(fd) > 4 * fd_se  # a real, resolved derivative, not a zero test


def test_gradient_at_the_middle_matches_logistic_slope():
    """P(V) at 7 amplitudes (1e4 junctions each) fitted by a binomial-likelihood
    logistic P = 1/(1 + exp(-(V - V50)/w)); its slope at V50 is 1/(4w). The
    estimator at V50 must agree within 4 combined sigma (the fit's from its inverse
    Hessian) plus 10 % (the logistic is a model of the curve, not the curve)."""
    amps = np.linspace(0.88, 1.06, 7)
    n = N
    pp = {"amplitude": jnp.asarray(np.repeat(amps, n))}
    # one solve: 7 x n junctions (pairs are irrelevant here: the array is 2 x 3.5 n)
    b = np.asarray(OUTCOME(pp, jax.random.key(3)), np.float64).reshape(7, n)
    k = b.sum(1)

    def nll(x):
        v50, logw = x
        p = special.expit((amps - v50) / np.exp(logw))
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return -np.sum(k * np.log(p) + (n - k) * np.log(1 - p))

    fit = optimize.minimize(nll, [0.97, np.log(0.04)], method="BFGS")
    v50, w = fit.x[0], np.exp(fit.x[1])
    cov = fit.hess_inv
    slope = 1 / (4 * w)
    slope_se = slope * np.sqrt(cov[1, 1])
    est = _estimate("amplitude", None, 0.01, float(v50), seed=4)
    g, g_se = float(est.grad["amplitude"]), float(est.grad_se["amplitude"])
    assert abs(float(est.p) - 0.5) < 4 * float(est.p_se) + 0.02
    assert abs(g - slope) < 4 * np.hypot(g_se, slope_se) + 0.10 * slope, (g, g_se, slope)


def test_same_key_same_estimate_and_bad_input():
    small = lambda pp, key: OUTCOME(pp, key)  # noqa: E731
    a = smoothed_probability(small, {"amplitude": jnp.asarray(0.97)}, {"amplitude": 0.01},
                             jax.random.key(0), n_pairs=64)
    b = smoothed_probability(small, {"amplitude": jnp.asarray(0.97)}, {"amplitude": 0.01},
                             jax.random.key(0), n_pairs=64)
    assert float(a.grad["amplitude"]) == float(b.grad["amplitude"])
    with pytest.raises(sj.InvalidParameterError, match="scale"):
        smoothed_probability(small, {"amplitude": jnp.asarray(0.97)}, {"amplitude": 0.0},
                             jax.random.key(0), n_pairs=64)
    with pytest.raises(sj.InvalidParameterError, match="n_pairs"):
        smoothed_probability(small, {"amplitude": jnp.asarray(0.97)}, {"amplitude": 0.01},
                             jax.random.key(0), n_pairs=1)
    with pytest.raises(sj.InvalidParameterError, match="neither"):
        OUTCOME({"radius": jnp.ones(4)}, jax.random.key(0))


def test_common_noise_axes_share_the_noise():
    """Two copies of the same junctions with common_noise_axes=1 follow identical
    thermal paths (bitwise); without it they differ."""
    dev = vcma_mtj()
    m0 = jnp.broadcast_to(jnp.array([0.2, 0.0, 0.98]), (2, 16, 3))
    kw = dict(t1=0.2e-9, dt=2e-12, key=jax.random.key(0))
    same = sj.simulate(dev.model, m0, common_noise_axes=1, **kw).m
    np.testing.assert_array_equal(same[0], same[1])
    diff = sj.simulate(dev.model, m0, **kw).m
    assert float(jnp.max(jnp.abs(diff[0] - diff[1]))) > 1e-3
    with pytest.raises(sj.SimulationInputError, match="common_noise_axes"):
        sj.simulate(dev.model, m0, common_noise_axes=2, **kw)
