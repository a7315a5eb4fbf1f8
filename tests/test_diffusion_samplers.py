r"""Schedules and samplers (diffusion/schedules.py, diffusion/samplers.py) against the
exact score of Gaussian data.

For data $x_0 \sim \mathcal N(\mu, s^2)$ per pixel the forward marginal is
$x_t \sim \mathcal N(\sqrt{\bar\alpha_t}\mu,\ v_t)$, $v_t = \bar\alpha_t s^2 + 1 -
\bar\alpha_t$, and the exact noise prediction $E[\varepsilon \mid x_t]$ is

$$\varepsilon^*(x_t, t) = \sqrt{1-\bar\alpha_t}\,(x_t - \sqrt{\bar\alpha_t}\,\mu)/v_t.$$

It is affine in $x_t$, so every sampler here is an affine map of its standard normals
and its output is exactly Gaussian. Its exact mean and variance are read off the sampler
itself with an *impulse* noise source (batch row $j$ receives a 1 at draw $j$ and zeros
elsewhere; row 0 never does, so it is the output mean and row $j$ minus row 0 is the
coefficient of draw $j$), and checked against an independent float64 moment recursion
written from the papers' formulas. What remains is:

- discretization error (exact moments vs $\mu$, $s$), measured here for the linear
  schedule, $T = 1000$, $\mu = 0.3$, $s = 0.5$ and bounded per sampler (table in
  ``CASES``): the beta-tilde DDPM under-disperses (its reverse variance is the lower
  bound of Ho et al.), DDIM is first order in $1/S$, and every sampler's mean carries
  the prior mismatch $x_T \sim \mathcal N(0, 1)$ vs $\mathcal N(\sqrt{\bar\alpha_{T-1}}
  \mu, v_{T-1})$, $\sqrt{\bar\alpha_{T-1}} = 0.0064$, which the deterministic DDIM maps
  to a mean error of $s\mu\sqrt{\bar\alpha_{T-1}} = 0.001$;
- sampling error of a Monte Carlo run, $N$ = 2048 x 4 x 4 = 32768 independent pixels:
  $\sigma_\mathrm{mean} = s/\sqrt N = 0.0028$, $\sigma_\mathrm{std} \approx
  s/\sqrt{2N} = 0.0020$; allowed 5 sigma.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from diffusion.noise import AbstractNoiseSource, SoftwareNoise
from diffusion.samplers import SamplerError, ddim_sample, ddpm_sample, sde_sample
from diffusion.schedules import (
    ScheduleError, cosine_schedule, linear_schedule, make_schedule, posterior_variance,
    q_sample, respace, respaced_timesteps)

MU, S = 0.3, 0.5
T = 1000
SHAPE = (2048, 4, 4, 1)
N = int(np.prod(SHAPE))
SIGMA_MEAN = S / np.sqrt(N)
SIGMA_STD = S / np.sqrt(2 * N)


@pytest.fixture(scope="module")
def schedule():
    return linear_schedule(T)


def exact_eps_fn(schedule):
    abar_all = schedule.alphas_cumprod

    def eps_fn(x, t):
        a = abar_all[t].reshape((-1,) + (1,) * (x.ndim - 1))
        return jnp.sqrt(1.0 - a) * (x - jnp.sqrt(a) * MU) / (a * S ** 2 + 1.0 - a)
    return eps_fn


# ----------------------------------------------------------------------- noise sources

class ImpulseNoise(AbstractNoiseSource):
    """Draw j (counted from 1) is 1 on batch row j and 0 elsewhere."""

    def init(self, key):
        return jnp.ones((), jnp.int32)

    def sample(self, state, shape):
        rows = (jnp.arange(shape[0], dtype=jnp.int32) == state).astype(jnp.float32)
        return jnp.broadcast_to(rows.reshape((-1,) + (1,) * (len(shape) - 1)), shape), state + 1


class ZeroNoise(AbstractNoiseSource):
    def init(self, key):
        return jnp.zeros((), jnp.int32)

    def sample(self, state, shape):
        return jnp.zeros(shape, jnp.float32), state


class FixedNoise(AbstractNoiseSource):
    """Always returns the same array (the x_T of a deterministic sampler)."""

    z: jax.Array

    def init(self, key):
        return jnp.zeros((), jnp.int32)

    def sample(self, state, shape):
        return self.z, state


class Log:
    """A host-side list, hashed by identity (a static field of the source below)."""

    def __init__(self):
        self.sizes = []


class CountingNoise(AbstractNoiseSource):
    """SoftwareNoise that reports every draw's size to a host-side log at run time."""

    log: Log = eqx.field(static=True)

    def init(self, key):
        return key

    def sample(self, state, shape):
        key, sub = jax.random.split(state)
        z = jax.random.normal(sub, shape, jnp.float32)
        jax.debug.callback(lambda n: self.log.sizes.append(int(n)), jnp.int32(z.size))
        return z, key


# ------------------------------------------------------------------ reference moments

def _abar64(schedule):
    return np.asarray(schedule.alphas_cumprod, np.float64)


def _eps_affine(a):
    """eps*(x) = A x + B at alpha-bar a."""
    v = a * S ** 2 + 1 - a
    return np.sqrt(1 - a) / v, -np.sqrt(1 - a) * np.sqrt(a) * MU / v


def reference_moments(schedule, sampler, num_steps, eta=0.0, variance="posterior"):
    """Mean and std of the sampler's output by propagating (m, v) through its affine
    steps in float64, written from the papers' update rules: Ho et al. eq. 11 (the
    epsilon form of the DDPM mean, not the x0 form the sampler uses), Song et al.
    2021 eq. 12 (DDIM), Euler-Maruyama on the reverse VP-SDE."""
    abar = _abar64(schedule)
    m, v = 0.0, 1.0
    if sampler in ("ddpm", "ddim"):
        kept = np.round(np.linspace(0, T - 1, num_steps)).astype(int)
        ak = abar[kept]
        prev = np.concatenate([[1.0], ak[:-1]])
        for i in reversed(range(num_steps)):
            a, p = ak[i], prev[i]
            A, B = _eps_affine(a)
            if sampler == "ddpm":
                beta = 1 - a / p
                c1 = (1 - beta / np.sqrt(1 - a) * A) / np.sqrt(1 - beta)
                c0 = -beta / np.sqrt(1 - a) * B / np.sqrt(1 - beta)
                var = beta * (1 - p) / (1 - a) if variance == "posterior" else beta
            else:
                sig2 = eta ** 2 * (1 - p) / (1 - a) * (1 - a / p)
                k = np.sqrt(1 - p - sig2) - np.sqrt(p * (1 - a) / a)
                c1, c0, var = np.sqrt(p / a) + k * A, k * B, sig2
            m, v = c1 * m + c0, c1 ** 2 * v + (var if i > 0 else 0.0)
    else:
        grid = np.linspace(1.0, 1e-3, num_steps + 1)
        betas = np.asarray(schedule.betas, np.float64)
        for k in range(num_steps):
            t, h = grid[k], grid[k] - grid[k + 1]
            b = T * np.interp(t * (T - 1), np.arange(T), betas)
            a = abar[int(np.round(t * (T - 1)))]
            A, B = _eps_affine(a)
            c1 = 1 + (0.5 * b - b * A / np.sqrt(1 - a)) * h
            c0 = -b * B / np.sqrt(1 - a) * h
            m, v = c1 * m + c0, c1 ** 2 * v + (b * h if k < num_steps - 1 else 0.0)
    return m, np.sqrt(v)


def run(sampler, eps_fn, schedule, noise, key, shape, num_steps, eta=0.0, variance="posterior",
        **kwargs):
    if sampler == "ddpm":
        return ddpm_sample(eps_fn, schedule, noise, key, shape, num_steps, variance=variance,
                           clip_x0=None, **kwargs)
    if sampler == "ddim":
        return ddim_sample(eps_fn, schedule, noise, key, shape, num_steps, eta, clip_x0=None,
                           **kwargs)
    return sde_sample(eps_fn, schedule, noise, key, shape, num_steps, **kwargs)


def impulse_moments(sampler, eps_fn, schedule, num_steps, draws, **kw):
    out = run(sampler, eps_fn, schedule, ImpulseNoise(), jax.random.key(0),
              (draws + 1, 1, 1, 1), num_steps, **kw)
    out = np.asarray(out, np.float64).ravel()
    return out[0], np.sqrt(np.sum((out[1:] - out[0]) ** 2))


# (sampler, num_steps, eta, variance, draws per pixel, |mean bias| bound, |std bias| bound)
# Measured biases (exact moments - (mu, s)), linear schedule, T = 1000:
#   ddpm 1000 beta-tilde: mean -1e-5,  std -0.0039
#   ddpm 100  beta-tilde: mean +3e-7,  std -0.0320
#   ddpm 100  beta:       mean +3e-7,  std +0.0086
#   ddim 100  eta = 0:    mean -9.3e-4, std -0.0142  (first order: -1.4/S)
#   ddim 100  eta = 1:    mean -3e-6,  std -0.0320  (= ddpm 100 beta-tilde)
#   sde  500:             mean -6e-5,  std +0.0017
CASES = [
    ("ddpm", T, 0.0, "posterior", T, 3e-4, 0.005),
    ("ddpm", 100, 0.0, "posterior", 100, 3e-4, 0.040),
    ("ddpm", 100, 0.0, "beta", 100, 3e-4, 0.011),
    ("ddim", 100, 0.0, "posterior", 1, 1.3e-3, 0.018),
    ("ddim", 100, 1.0, "posterior", 100, 3e-4, 0.040),
    ("sde", 500, 0.0, "posterior", 500, 3e-4, 0.0025),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-eta{c[2]}-{c[3]}")
def test_gaussian_data_moments(schedule, case):
    sampler, steps, eta, variance, draws, mean_bound, std_bound = case
    eps_fn = exact_eps_fn(schedule)
    kw = dict(eta=eta, variance=variance)

    # 1. The sampler's exact output law agrees with the independent recursion
    #    (float32 arithmetic over up to 1000 steps: measured <= 1.2e-5; allowed 5e-5).
    m, sd = impulse_moments(sampler, eps_fn, schedule, steps, draws, **kw)
    m_ref, sd_ref = reference_moments(schedule, sampler, steps, eta, variance)
    assert abs(m - m_ref) < 5e-5 and abs(sd - sd_ref) < 5e-5, (m, m_ref, sd, sd_ref)

    # 2. Discretization error within the measured bound.
    assert abs(m_ref - MU) < mean_bound, m_ref - MU
    assert abs(sd_ref - S) < std_bound, sd_ref - S

    # 3. Monte Carlo with SoftwareNoise: 5 sigma of N = 32768 around the exact law.
    x, count = run(sampler, eps_fn, schedule, SoftwareNoise(), jax.random.key(1), SHAPE,
                   steps, return_num_normals=True, **kw)
    assert x.shape == SHAPE and x.dtype == jnp.float32
    assert count == draws * N
    x = np.asarray(x, np.float64)
    assert abs(x.mean() - m) < 5 * SIGMA_MEAN, (x.mean(), m)
    assert abs(x.std() - sd) < 5 * SIGMA_STD, (x.std(), sd)


def test_ddim_eta0_is_first_order(schedule):
    """The std error of deterministic DDIM halves when the steps double (order 1):
    measured -0.0285 (S = 50) and -0.0142 (S = 100)."""
    eps_fn = exact_eps_fn(schedule)
    e50 = impulse_moments("ddim", eps_fn, schedule, 50, 1)[1] - S
    e100 = impulse_moments("ddim", eps_fn, schedule, 100, 1)[1] - S
    assert 1.7 < e50 / e100 < 2.3, (e50, e100)


# -------------------------------------------------------------- keys and noise sources

@pytest.mark.parametrize("sampler", ["ddpm", "ddim", "sde"])
def test_same_key_same_samples(schedule, sampler):
    eps_fn = exact_eps_fn(schedule)
    shape = (4, 3, 3, 1)
    k0, k1 = jax.random.key(3), jax.random.key(4)
    a = run(sampler, eps_fn, schedule, SoftwareNoise(), k0, shape, 20, eta=0.5)
    b = run(sampler, eps_fn, schedule, SoftwareNoise(), k0, shape, 20, eta=0.5)
    c = run(sampler, eps_fn, schedule, SoftwareNoise(), k1, shape, 20, eta=0.5)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_zero_noise_is_deterministic_and_gives_the_mean(schedule):
    """With a source of zeros, x_T = 0 and DDIM (eta = 0) maps it to the mean of its
    output law, mu up to the prior mismatch (about 1e-3); every pixel and every key
    gives the same value. DDPM with zeros is also key-independent."""
    eps_fn = exact_eps_fn(schedule)
    shape = (3, 2, 2, 1)
    a = ddim_sample(eps_fn, schedule, ZeroNoise(), jax.random.key(0), shape, 100, 0.0,
                    clip_x0=None)
    b = ddim_sample(eps_fn, schedule, ZeroNoise(), jax.random.key(9), shape, 100, 0.0,
                    clip_x0=None)
    np.testing.assert_array_equal(a, b)
    assert np.ptp(np.asarray(a)) == 0.0
    assert abs(float(a[0, 0, 0, 0]) - MU) < 1.3e-3
    c = ddpm_sample(eps_fn, schedule, ZeroNoise(), jax.random.key(0), shape, 50)
    d = ddpm_sample(eps_fn, schedule, ZeroNoise(), jax.random.key(5), shape, 50)
    np.testing.assert_array_equal(c, d)


def test_ddim_eta0_depends_on_x_T_only(schedule):
    """DDIM with eta = 0 draws x_T and nothing else: replaying SoftwareNoise's first
    draw through a fixed source gives the same samples."""
    eps_fn = exact_eps_fn(schedule)
    shape, key = (5, 3, 3, 1), jax.random.key(11)
    x_T, _ = SoftwareNoise().sample(SoftwareNoise().init(key), shape)
    a = ddim_sample(eps_fn, schedule, SoftwareNoise(), key, shape, 30, 0.0)
    b = ddim_sample(eps_fn, schedule, FixedNoise(x_T), key, shape, 30, 0.0)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_ddim_eta1_is_ddpm_on_the_same_steps(schedule):
    """Song et al.: eta = 1 is the beta-tilde DDPM; with the same draws the two agree
    (clipping included, which both apply through x0)."""
    eps_fn = exact_eps_fn(schedule)
    shape, key = (8, 4, 4, 1), jax.random.key(2)
    a = ddim_sample(eps_fn, schedule, SoftwareNoise(), key, shape, 50, 1.0)
    b = ddpm_sample(eps_fn, schedule, SoftwareNoise(), key, shape, 50)
    np.testing.assert_allclose(a, b, rtol=0, atol=2e-5)


@pytest.mark.parametrize("sampler,steps,eta,draws", [
    ("ddpm", 1000, 0.0, 1000), ("ddpm", 37, 0.0, 37), ("ddim", 25, 0.0, 1),
    ("ddim", 25, 0.3, 25), ("sde", 40, 0.0, 40), ("ddpm", 1, 0.0, 1), ("ddim", 1, 1.0, 1)])
def test_normals_consumed_equal_the_static_count(schedule, sampler, steps, eta, draws):
    eps_fn = exact_eps_fn(schedule)
    shape = (3, 2, 2, 1)
    log = Log()
    _, count = run(sampler, eps_fn, schedule, CountingNoise(log), jax.random.key(0), shape,
                   steps, eta=eta, return_num_normals=True)
    jax.effects_barrier()
    assert sum(log.sizes) == count == draws * int(np.prod(shape))


# ------------------------------------------------------------------------- schedules

def test_linear_schedule_matches_ho():
    sch = linear_schedule(T)
    np.testing.assert_allclose(sch.betas, np.linspace(1e-4, 0.02, T), rtol=1e-6)
    np.testing.assert_allclose(sch.alphas_cumprod, np.cumprod(1 - np.linspace(1e-4, 0.02, T)),
                               rtol=1e-5)
    assert sch.betas.dtype == jnp.float32 and sch.num_timesteps == T
    assert 4.0e-5 < float(sch.alphas_cumprod[-1]) < 4.1e-5


def test_cosine_schedule_matches_nichol_dhariwal():
    sch, s = cosine_schedule(T), 0.008
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
    unclipped = np.asarray(sch.betas) < 0.999
    assert unclipped.sum() >= T - 2 and float(sch.betas.max()) == pytest.approx(0.999)
    np.testing.assert_allclose(np.asarray(sch.alphas_cumprod)[unclipped],
                               (f[1:] / f[0])[unclipped], rtol=1e-4, atol=1e-7)
    assert make_schedule("cosine", 10).betas.shape == (10,)


def test_respace_keeps_the_marginals(schedule):
    new, kept = respace(schedule, 100)
    assert kept[0] == 0 and kept[-1] == T - 1 and np.all(np.diff(kept) > 0)
    np.testing.assert_array_equal(new.alphas_cumprod, schedule.alphas_cumprod[kept])
    np.testing.assert_allclose(np.cumprod(1 - np.asarray(new.betas, np.float64)),
                               new.alphas_cumprod, rtol=1e-5)
    same, all_steps = respace(schedule, T)
    assert same is schedule and np.array_equal(all_steps, np.arange(T))
    assert respaced_timesteps(T, 1).tolist() == [T - 1]
    # The beta-tilde of the respaced schedule: 0 at the first step, below beta after.
    tilde = np.asarray(posterior_variance(new))
    assert tilde[0] == 0 and np.all(tilde[1:] < np.asarray(new.betas)[1:])


def test_q_sample_moments(schedule):
    x0 = jnp.full((4096, 8), 0.7, jnp.float32)
    t = jnp.full((4096,), 300, jnp.int32)
    noise = jax.random.normal(jax.random.key(0), x0.shape, jnp.float32)
    xt = np.asarray(q_sample(schedule, x0, t, noise))
    a = float(schedule.alphas_cumprod[300])
    # N = 32768: sigma of the mean 0.0055 * sqrt(1-a) (< 0.006); 5 sigma.
    assert abs(xt.mean() - np.sqrt(a) * 0.7) < 0.03
    assert abs(xt.std() - np.sqrt(1 - a)) < 0.03


# -------------------------------------------------------------------------- errors

@pytest.mark.parametrize("call", [
    lambda: linear_schedule(0),
    lambda: linear_schedule(10, beta_end=1.0),
    lambda: linear_schedule(10, beta_start=0.1, beta_end=0.01),
    lambda: cosine_schedule(10, s=-0.1),
    lambda: make_schedule("quadratic", 10),
    lambda: respace(linear_schedule(10), 11),
    lambda: respace(linear_schedule(10), 0),
])
def test_schedule_errors(call):
    with pytest.raises(ScheduleError):
        call()


@pytest.mark.parametrize("call", [
    lambda e, s: ddpm_sample(e, s, SoftwareNoise(), jax.random.key(0), (2, 2), 0),
    lambda e, s: ddpm_sample(e, s, SoftwareNoise(), jax.random.key(0), (2, 2), T + 1),
    lambda e, s: ddpm_sample(e, s, SoftwareNoise(), jax.random.key(0), (2, 2), variance="x"),
    lambda e, s: ddim_sample(e, s, SoftwareNoise(), jax.random.key(0), (2, 2), 10, -0.1),
    lambda e, s: ddim_sample(e, s, SoftwareNoise(), jax.random.key(0), (2, 2), 10,
                             clip_x0=(1.0, -1.0)),
    lambda e, s: sde_sample(e, s, SoftwareNoise(), jax.random.key(0), (2, 2), 10, t_end=0.0),
    lambda e, s: sde_sample(e, s, object(), jax.random.key(0), (2, 2), 10),
    lambda e, s: ddim_sample(e, s, SoftwareNoise(), jax.random.key(0), (0, 2), 10),
    lambda e, s: ddim_sample(lambda x, t: x[:1], s, SoftwareNoise(), jax.random.key(0),
                             (2, 2), 10),
])
def test_sampler_errors(schedule, call):
    with pytest.raises(SamplerError):
        call(exact_eps_fn(schedule), schedule)
