"""The SDE interface (diffusion/sde.py): the VP-SDE's marginal against its own drift and
diffusion (the moment ODEs integrated independently), its O(1/T) agreement with the
discrete chain the network is trained on, the discrete-model score, and the samplers
giving the same samples for a VPSDE as for its schedule."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from diffusion.errors import ScheduleError
from diffusion.noise import SoftwareNoise
from diffusion.samplers import SamplerError, ddim_sample, ddpm_sample, sde_sample
from diffusion.schedules import cosine_schedule, linear_schedule
from diffusion.sde import VPSDE, AbstractSDE, as_sde


def test_abstract_sde_cannot_be_instantiated():
    with pytest.raises(TypeError):
        AbstractSDE()
    assert isinstance(VPSDE(linear_schedule(10)), AbstractSDE)


@pytest.mark.parametrize("schedule", [linear_schedule(50, 2e-3, 0.4), cosine_schedule(50)],
                         ids=["linear", "cosine"])
def test_marginal_solves_the_moment_odes(schedule):
    """For dx = -beta/2 x dt + sqrt(beta) dW the mean coefficient m and the variance v of
    p_t(x | x0) obey m' = -beta m / 2 and v' = -beta v + beta (m(0) = 1, v(0) = 0).
    Integrated in float64 with RK4 (8 substeps per segment of the piecewise-linear
    beta: exact up to 1e-9 here) from `beta(t)` alone; `marginal` is float32 (allowed
    2e-5 absolute)."""
    sde = VPSDE(schedule)
    T = schedule.num_timesteps
    n = 8 * (T - 1)
    h = 1.0 / n
    beta = lambda t: float(sde.beta(np.float64(t)))  # noqa: E731

    def rhs(t, y):
        b = beta(t)
        return np.array([-0.5 * b * y[0], -b * y[1] + b])

    y, out = np.array([1.0, 0.0]), {}
    checkpoints = {8 * (k * (T - 1) // 7) + 3 for k in range(7)} | {n}  # mid-segment, and 1
    for k in range(n):
        t = k * h
        k1 = rhs(t, y)
        k2 = rhs(t + h / 2, y + h / 2 * k1)
        k3 = rhs(t + h / 2, y + h / 2 * k2)
        k4 = rhs(t + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if k + 1 in checkpoints:
            out[(k + 1) * h] = y.copy()
    ts = np.array(sorted(out))
    mean, std = sde.marginal(jnp.ones((len(ts), 1)), jnp.asarray(ts, jnp.float32))
    np.testing.assert_allclose(np.asarray(mean)[:, 0], [out[t][0] for t in ts], atol=2e-5)
    np.testing.assert_allclose(np.asarray(std)[:, 0] ** 2, [out[t][1] for t in ts], atol=2e-5)


@pytest.mark.parametrize("kind,bound", [("linear", 1.7), ("cosine", 0.9)])
def test_marginal_matches_the_discrete_chain_to_order_one_over_T(kind, bound):
    """alpha-bar(t_i) of the SDE against the schedule's alpha-bar_i at t_i = i/(T-1):
    T * max |difference| measured 1.65, 1.61 (linear, T = 50, 1000) and 0.85, 0.87
    (cosine): first order in 1/T, as the samplers' docstrings say."""
    scaled = []
    for T in (50, 1000):
        schedule = (linear_schedule(T, 0.1 / T, 20.0 / T) if kind == "linear"
                    else cosine_schedule(T))
        t = jnp.asarray(np.arange(T) / (T - 1), jnp.float32)
        mean, std = VPSDE(schedule).marginal(jnp.ones((T,)), t)
        abar = np.asarray(schedule.alphas_cumprod, np.float64)
        scaled.append(T * np.max(np.abs(np.asarray(mean, np.float64) ** 2 - abar)))
        np.testing.assert_allclose(np.asarray(mean, np.float64) ** 2
                                   + np.asarray(std, np.float64) ** 2, 1.0, atol=2e-6)
    assert max(scaled) < bound and abs(scaled[0] / scaled[1] - 1) < 0.1, scaled


def test_discrete_model_score_and_timestep():
    schedule = linear_schedule(100)
    sde = VPSDE(schedule)
    t = np.array([1.0, 0.5, 0.1234, 0.0])
    np.testing.assert_array_equal(sde.timestep(t), [99, 50, 12, 0])
    np.testing.assert_array_equal(np.asarray(sde.timestep(jnp.asarray(t, jnp.float32))),
                                  [99, 50, 12, 0])
    eps = jnp.full((2, 3), 0.7, jnp.float32)
    s = sde.eps_score(eps, 50)
    np.testing.assert_allclose(s, -0.7 / np.sqrt(1 - float(schedule.alphas_cumprod[50])),
                               rtol=1e-6)
    # The reverse drift f - g^2 s and the probability-flow drift f - g^2 s / 2.
    x = jnp.ones((2, 3))
    b = float(sde.beta(0.5))
    np.testing.assert_allclose(sde.reverse_drift(x, 0.5, s), -0.5 * b - b * s, rtol=1e-5)
    np.testing.assert_allclose(sde.reverse_drift(x, 0.5, s, probability_flow=True),
                               -0.5 * b - 0.5 * b * s, rtol=1e-5)
    sched, kept = sde.discretize(10)
    assert sched.num_timesteps == 10 and kept[0] == 0 and kept[-1] == 99


def test_samplers_take_a_vpsde_or_its_schedule():
    schedule = cosine_schedule(100)
    sde = VPSDE(schedule)
    eps_fn = lambda x, t: 0.1 * x  # noqa: E731
    key, shape = jax.random.key(3), (2, 3, 3, 1)
    for sample in (lambda s: ddpm_sample(eps_fn, s, SoftwareNoise(), key, shape, 10),
                   lambda s: ddim_sample(eps_fn, s, SoftwareNoise(), key, shape, 10, 0.5),
                   lambda s: sde_sample(eps_fn, s, SoftwareNoise(), key, shape, 10)):
        np.testing.assert_array_equal(sample(sde), sample(schedule))
    with pytest.raises(SamplerError, match="sde"):
        ddpm_sample(eps_fn, schedule.betas, SoftwareNoise(), key, shape, 10)


def test_sde_errors():
    with pytest.raises(ScheduleError, match="schedule"):
        VPSDE(np.ones(3))
    with pytest.raises(ScheduleError):
        as_sde("linear")
    with pytest.raises(ScheduleError, match="shape"):
        VPSDE(linear_schedule(10)).marginal(jnp.ones((3, 2)), jnp.ones((2,)))
