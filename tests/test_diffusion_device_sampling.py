"""Device noise inside the jitted samplers: on Gaussian data, whose exact epsilon
predictor is known, the sample moments with an ideal calibrated array match the
software source's, a biased array (p = 0.45) shifts the sample mean by the amount its
biased Gaussians predict, and the physical source (every bit one sLLG write) runs
inside the sampler's scan."""

import jax
import jax.numpy as jnp
import numpy as np

import spinjax as sj
from spinjax import trng
from diffusion.device_noise import BitsToGaussian, DeviceCalibratedNoise, DevicePhysicalNoise
from diffusion.noise import SoftwareNoise
from diffusion.samplers import ddim_sample
from diffusion.schedules import linear_schedule

MU, S = 0.3, 0.5
SCHED = linear_schedule(1000)


def eps_exact(x, t):
    """epsilon*(x_t, t) for data N(MU, S^2): sqrt(1-a)(x - sqrt(a) MU) / (a S^2 + 1 - a)."""
    a = SCHED.alphas_cumprod[t].reshape((-1,) + (1,) * (x.ndim - 1))
    return jnp.sqrt(1 - a) * (x - jnp.sqrt(a) * MU) / (a * S**2 + 1 - a)


def _moments(noise, key=0, n=8192):
    x = ddim_sample(eps_exact, SCHED, noise, jax.random.key(key), (n, 2, 2, 1), 20, eta=1.0,
                    clip_x0=None)
    x = np.asarray(x, np.float64)
    return x.mean(), x.std()


def test_ideal_array_matches_software_and_bias_shows():
    """32768 pixels each: sampling sigma of the mean about S/sqrt(32768) = 0.003 (the
    pixels of one image are independent here). An ideal calibrated array (p = 1/2, no
    correlation; inverse-CDF of 10-bit uniforms) gives the software source's mean and
    std within 5 sigma. At p = 0.45 each 10-bit uniform leans low: its Gaussians have
    mean -0.19 (measured on 2e5 draws; -0.076 at p = 0.48), which DDIM passes into
    the samples: the mean moves down by at least 10 sigma."""
    m_sw, s_sw = _moments(SoftwareNoise())
    n = 1024
    ideal = DeviceCalibratedNoise(jnp.full((n,), 0.5), jnp.full((n,), 0.5), BitsToGaussian())
    m_id, s_id = _moments(ideal)
    sig = S / np.sqrt(8192 * 4)
    assert abs(m_id - m_sw) < 5 * np.sqrt(2) * sig, (m_id, m_sw)
    assert abs(s_id - s_sw) < 5 * np.sqrt(2) * sig, (s_id, s_sw)
    biased = DeviceCalibratedNoise(jnp.full((n,), 0.45), jnp.full((n,), 0.45), BitsToGaussian())
    z, _ = biased.sample(biased.init(jax.random.key(1)), (20000,))
    assert float(z.mean()) < -0.15
    m_b, _ = _moments(biased)
    assert m_b < m_sw - 10 * sig, (m_b, m_sw)


def test_physical_source_runs_inside_the_sampler():
    """4 pixels x 2 images, 3 DDIM steps with eta = 1 (each step draws 8 normals = 80
    bits: one write cycle of a 128-junction VCMA array per draw): finite samples, and
    the same key gives the same samples."""
    dev = sj.devices.vcma_mtj()
    src = DevicePhysicalNoise(dev, trng.precessional_schedule(dev), 1.0, 128)
    run = lambda k: ddim_sample(eps_exact, SCHED, src, jax.random.key(k), (2, 2, 2, 1), 3,  # noqa: E731
                                eta=1.0)
    a, b = np.asarray(run(0)), np.asarray(run(0))
    assert np.all(np.isfinite(a)) and a.shape == (2, 2, 2, 1)
    np.testing.assert_array_equal(a, b)
