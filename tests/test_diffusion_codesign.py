"""Co-design of the array's write pulse through the noise pipeline: the exact law of the
normals against Monte Carlo of the bits-to-Gaussian transform, the closed-form W2
against analytic values and quadrature, gradients against finite differences, and the
optimizer bringing a biased array (p = 0.45) back to p = 1/2."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

import spinjax as sj
from spinjax import trng
from spinjax._design import DesignFailed
from diffusion.codesign import (
    codesign_pulse, normal_law, pulse_energy_J, w2_to_normal, xor_probability)
from diffusion.device_noise import BitsToGaussian


@pytest.mark.parametrize("to_gaussian", [BitsToGaussian(), BitsToGaussian(k=6, xor=2),
                                         BitsToGaussian("clt", k=12)])
def test_normal_law_matches_monte_carlo(to_gaussian):
    """2e5 normals from Bernoulli bits with position-dependent p (0.40 to 0.55): the
    chi-square of the histogram against the exact law is within its 5-sigma range
    (dof = support - 1: mean dof, sigma sqrt(2 dof)), and the mean agrees within 5
    standard errors."""
    k = to_gaussian.k
    p_pos = np.linspace(0.40, 0.55, k)
    n = 200_000
    # BitsToGaussian XORs the raw stream's x equal parts with each other; tiling p_pos
    # gives every consumed bit position j raw probability p_pos[j] in each part.
    raw = jax.random.bernoulli(jax.random.key(0), jnp.tile(jnp.asarray(p_pos),
                                                           n * to_gaussian.xor))
    raw = raw.astype(jnp.uint8)
    z = np.asarray(to_gaussian(raw, n))
    support, probs = normal_law(jnp.asarray(p_pos), to_gaussian)
    support, probs = np.asarray(support, np.float64), np.asarray(probs, np.float64)
    assert abs(probs.sum() - 1) < 1e-5
    idx = np.searchsorted(support, z - 1e-4)
    counts = np.bincount(idx, minlength=len(support))
    assert counts.sum() == n
    expected = n * probs
    keep = expected > 5
    chi2 = np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep])
    dof = keep.sum() - 1
    assert abs(chi2 - dof) < 5 * np.sqrt(2 * dof), (chi2, dof)
    mean = float(support @ probs)
    assert abs(z.mean() - mean) < 5 * z.std() / np.sqrt(n)


def test_xor_probability():
    """XOR of two bits of p: p^2 + (1-p)^2 is P(0), so P(1) = 2p(1-p)."""
    p = jnp.asarray([0.1, 0.45, 0.5])
    np.testing.assert_allclose(xor_probability(p, 2), 2 * p * (1 - p), rtol=1e-6)


def test_w2_analytic_values():
    """A point mass at c: W2^2 = 1 + c^2 (the variance of N(0,1) plus the shift); two
    points +-1 with 1/2 each: W2^2 = 2 - 2 E|Z| = 2 - 2 sqrt(2/pi)."""
    for c in (0.0, 0.7):
        assert abs(float(w2_to_normal(jnp.asarray([c]), jnp.asarray([1.0]))) - (1 + c * c)) < 1e-5
    v = float(w2_to_normal(jnp.asarray([-1.0, 1.0]), jnp.asarray([0.5, 0.5])))
    assert abs(v - (2 - 2 * np.sqrt(2 / np.pi))) < 1e-5


def test_w2_against_quadrature():
    """The 8-bit inverse-CDF law at p = 0.45 per bit: closed form against the quantile
    integral int_0^1 (F^-1(u) - Phi^-1(u))^2 du by quadrature in float64."""
    tg = BitsToGaussian(k=8)
    support, probs = normal_law(0.45, tg)
    s, q = np.asarray(support, np.float64), np.asarray(probs, np.float64)
    c = np.concatenate([[0.0], np.cumsum(q)])
    c[-1] = 1.0
    total = 0.0
    for i in range(len(s)):
        total += integrate.quad(lambda u: (s[i] - stats.norm.ppf(u)) ** 2, c[i], c[i + 1])[0]
    assert abs(float(w2_to_normal(support, probs)) - total) < 2e-5 * max(total, 1)


def test_w2_gradient_against_finite_difference():
    """d W2^2 / dp of the 10-bit law (float32): jax.grad against a central difference
    with h = 1e-3 in float32 (truncation O(h^2) negligible; rounding about 1e-6 / h)."""
    f = lambda p: w2_to_normal(*normal_law(p))  # noqa: E731
    for p in (0.45, 0.49):
        g = float(jax.grad(f)(jnp.float32(p)))
        fd = (float(f(jnp.float32(p + 1e-3))) - float(f(jnp.float32(p - 1e-3)))) / 2e-3
        assert abs(g - fd) < 0.01 * abs(fd) + 2e-3, (p, g, fd)
    assert abs(float(jax.grad(f)(jnp.float32(0.5)))) < 1e-3   # symmetric: stationary at 1/2


def test_pulse_energy_gradient():
    """The write energy at the schedule's width equals barrier_write_energy_J of the
    schedule's pulse, and its gradient in the width matches a central difference."""
    dev = sj.devices.vcma_mtj()
    sched = trng.precessional_schedule(dev)
    e = float(pulse_energy_J(dev, sched, 1.0, sched.width_s))
    assert abs(e - float(sj.devices.barrier_write_energy_J(dev, sched.pulse(1.0)))) < 1e-6 * e
    ga, gw = jax.grad(lambda a, w: pulse_energy_J(dev, sched, a, w), (0, 1))(1.0, 0.44e-9)
    h = 0.01e-9
    fd_w = (float(pulse_energy_J(dev, sched, 1.0, 0.44e-9 + h))
            - float(pulse_energy_J(dev, sched, 1.0, 0.44e-9 - h))) / (2 * h)
    assert abs(float(gw) - fd_w) < 0.01 * abs(fd_w)
    fd_a = (float(pulse_energy_J(dev, sched, 1.01, 0.44e-9))
            - float(pulse_energy_J(dev, sched, 0.99, 0.44e-9))) / 0.02
    assert abs(float(ga) - fd_a) < 0.01 * abs(fd_a)


def test_width_parameter_outcome_matches_schedule():
    """cycle_outcome with a width parameter (window to width_max_s) reads the same p as
    the schedule's fixed-width outcome at the schedule's width: 8192 junctions each,
    independent keys, sigma of the difference 0.0078; bound 4 sigma. Without
    width_max_s a width parameter is refused."""
    dev = sj.devices.vcma_mtj()
    sched = trng.precessional_schedule(dev)
    n = 8192
    fixed = trng.cycle_outcome(dev, sched)({"amplitude": jnp.full(2 * n, 0.97)},
                                           jax.random.key(1))[:n]
    wide = trng.cycle_outcome(dev, sched, width_max_s=0.6e-9)(
        {"amplitude": jnp.full(2 * n, 0.97), "width_s": jnp.full(2 * n, sched.width_s)},
        jax.random.key(2))[:n]
    d = float(np.mean(fixed)) - float(np.mean(wide))
    assert abs(d) < 4 * np.sqrt(2 * 0.25 / n), d
    with pytest.raises(ValueError, match="width_max_s"):
        trng.cycle_outcome(dev, sched)({"amplitude": jnp.ones(4), "width_s": jnp.ones(4)},
                                       jax.random.key(0))


@pytest.fixture(scope="module")
def vcma():
    dev = sj.devices.vcma_mtj()
    return dev, trng.precessional_schedule(dev)


def test_codesign_recovers_unbiased_array(vcma):
    """From the amplitude at which the array reads 1 with p = 0.45 (W2^2 = 0.036), 40
    steps of 4096 pairs and two polishing steps of 16384 bring the verified p (16384
    writes, sigma 0.0039) to within 0.02 of 1/2, and W2^2 falls by 10x or more. The
    function raises unless W2^2 is within w2_tol of its floor: 6e-3 here, |p - 1/2|
    < 0.02, 4 sigma of the verification and the polish's own estimate (16384 pairs,
    sigma about 0.003) together; a w2_tol of 1e-3 (|p - 1/2| < 0.0084, 1.7 sigma)
    failed on a fair run at p = 0.513."""
    dev, sched = vcma
    log = []
    res = codesign_pulse(dev, sched, jax.random.key(3), amplitude_V=0.963, n_pairs=4096,
                         steps=40, verify_pairs=16384, w2_tol=6e-3, log=log.append)
    assert len(log) == 42 and log[0]["p"] < 0.47   # 40 steps, 2 polishing steps
    assert sum("polish" in e for e in log) == 2
    assert abs(res.p - 0.5) < 0.02
    assert res.w2 < 0.1 * log[0]["w2"]
    assert 0.85 < res.amplitude_V < 1.15 and 0.3e-9 < res.width_s < 0.6e-9


def test_codesign_fails_clearly_out_of_range(vcma):
    """An amplitude range that cannot reach p = 1/2 (below 0.93 V p < 0.1) ends in
    DesignFailed naming the p reached."""
    dev, sched = vcma
    with pytest.raises(DesignFailed, match="co-design ended at p"):
        codesign_pulse(dev, sched, jax.random.key(0), amplitude_V=0.9,
                       amplitude_range_V=(0.85, 0.92), width_range_s=(0.4e-9, 0.46e-9),
                       n_pairs=1024, steps=4, verify_pairs=2048)
    with pytest.raises(ValueError, match="amplitude = 1.2"):
        codesign_pulse(dev, sched, jax.random.key(0), amplitude_V=1.2)
    for bad in ({"steps": 0}, {"n_pairs": -4}, {"energy_weight": float("nan")},
                {"w2_tol": 0.0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            codesign_pulse(dev, sched, jax.random.key(0), amplitude_V=0.96, **bad)
