"""Device noise sources: the physical source (every bit one sLLG write) and the
calibrated one (a per-junction Markov chain fitted to a physical run) give the same
per-junction bias and lag-1 correlation within sampling error, and their Gaussians are
standard normal when the array is unbiased."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj
from spinjax import trng
from spinjax._trng.nonideal import IncompleteReset
from diffusion.device_noise import (
    BitsToGaussian, DeviceCalibratedNoise, DevicePhysicalNoise, calibrate, run_cycles)

N, CYCLES = 256, 400


@pytest.fixture(scope="module")
def physical():
    """256 VCMA junctions with 0.2 % K_i0 variation (a spread of per-junction p), 30 %
    failed resets (correlation between cycles), at 1.0 V."""
    dev = sj.devices.sample_devices(jax.random.key(0), sj.devices.vcma_mtj, N,
                                    {"K_i0": sj.devices.Normal(0.002)})
    return DevicePhysicalNoise(dev, trng.precessional_schedule(dev), 1.0, N,
                               reset=IncompleteReset(0.3))


def _stats(bits):
    b = np.asarray(bits, np.float64)
    return b.mean(0), float(np.nanmean(np.asarray(trng.lag1_correlation(jnp.asarray(bits)))))


def test_physical_and_calibrated_bits_agree(physical):
    """Calibrated from 400 physical cycles (key 1), then 400 cycles of each source with
    other keys. Per junction the two biases differ by sampling error: the mean of
    (p_phys - p_cal)^2 / (var_phys + var_cal + var_calibration) is about 1 (256
    junctions: sigma of the mean about 0.1 for independent bits; the chains'
    correlation widens it, so the bound is 0.5-2). The mean per-junction lag-1
    correlations agree within 0.03 (each about 1/sqrt(400) per junction, averaged over
    256), and the per-junction biases of the two correlate (device variation carries
    over)."""
    cal = calibrate(physical, jax.random.key(1), CYCLES)
    assert isinstance(cal, DeviceCalibratedNoise) and cal.junctions == N
    bits_p, _ = run_cycles(physical, physical.init(jax.random.key(2)), CYCLES)
    bits_c, _ = run_cycles(cal, cal.init(jax.random.key(3)), CYCLES)
    p_p, rho_p = _stats(bits_p)
    p_c, rho_c = _stats(bits_c)
    # failed resets correlate cycles: rho = r (1 - p_+ - p_-), negative for p > 1/2
    assert 0.1 < p_p.mean() < 0.9 and abs(rho_p) > 0.02, (p_p.mean(), rho_p)
    var = p_p * (1 - p_p) / CYCLES
    ratio = np.mean((p_p - p_c) ** 2 / (3 * np.maximum(var, 1e-4)))
    assert 0.3 < ratio < 2.0, ratio
    assert abs(rho_p - rho_c) < 0.03, (rho_p, rho_c)
    assert np.corrcoef(p_p, p_c)[0, 1] > 0.5


def test_gaussians_from_bits_and_static_bit_count(physical):
    """A draw of 500 normals takes ceil(500 x 10 / 256) = 20 cycles; the same key gives
    the same normals; from ideal bits (a software Bernoulli(1/2) stream through the same
    scheme) the normals have mean 0 and variance 1 within 4 sigma."""
    state = physical.init(jax.random.key(5))
    z, new = physical.sample(state, (20, 25))
    assert z.shape == (20, 25) and int(new[1]) == 20
    z2, _ = physical.sample(physical.init(jax.random.key(5)), (20, 25))
    np.testing.assert_array_equal(np.asarray(z), np.asarray(z2))
    ideal = DeviceCalibratedNoise(jnp.full((N,), 0.5), jnp.full((N,), 0.5), BitsToGaussian())
    zi, _ = ideal.sample(ideal.init(jax.random.key(6)), (20000,))
    assert abs(float(zi.mean())) < 4 / np.sqrt(20000)
    assert abs(float(zi.var()) - 1) < 4 * np.sqrt(2 / 20000)


def test_calibrated_chains_in_parallel_equal_the_sequential_chains():
    """DeviceCalibratedNoise.cycles composes the per-step maps with an associative
    scan; the bits must be those of the plain sequential Markov chain drawn with
    ``bernoulli(k_t, p_{1|last})`` from the same keys, bit for bit (512 junctions with
    different p10, p11; 77 cycles), state included."""
    rng = np.random.default_rng(0)
    src = DeviceCalibratedNoise(jnp.asarray(rng.uniform(0.2, 0.6, 512), jnp.float32),
                                jnp.asarray(rng.uniform(0.3, 0.8, 512), jnp.float32),
                                BitsToGaussian())
    state = src.init(jax.random.key(1))
    key, last = state

    def one(last, k):
        p = jnp.where(last == 1, src.p11, src.p10)
        b = jax.random.bernoulli(k, p).astype(jnp.uint8)
        return b, b

    key2, sub = jax.random.split(key)
    last_ref, ref = jax.lax.scan(one, last, jax.random.split(sub, 77))
    bits, (key_out, last_out) = src.cycles(state, 77)
    np.testing.assert_array_equal(np.asarray(bits), np.asarray(ref))
    np.testing.assert_array_equal(np.asarray(last_out), np.asarray(last_ref))
    assert 0.3 < float(bits.mean()) < 0.7
