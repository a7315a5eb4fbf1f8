"""Debiasing and bits-to-numbers, judged by the XOR law, by scipy and by NIST SP 800-22
(sp80022suite). Bits here come from jax.random.bernoulli with a chosen bias, so that
the functions are tested on known inputs (the junction-array TRNG is issue 3's)."""

import jax
import numpy as np
import pytest
import sp80022suite
from scipy import stats

import spinjax as sj

N = 1_000_000


def _biased(p, shape, seed):
    return jax.random.bernoulli(jax.random.key(seed), p, shape).astype(np.uint8)


@pytest.mark.parametrize("k", [2, 3])
def test_xor_follows_the_piling_up_law(k):
    """eps_k = -(-2 eps)^k / 2, of magnitude 2^(k-1) |eps|^k, for eps = 0.1 and 1e6
    output bits: within 4 sigma, sigma = 0.5 / sqrt(1e6) = 5e-4 (eps_2 = -0.02,
    eps_3 = +0.004)."""
    bits = _biased(0.6, (k, N), seed=k)
    eps = float(sj.bias(sj.xor_streams(bits, k, axis=0)))
    assert abs(eps - (-((-2 * 0.1) ** k) / 2)) < 4 * 0.5 / np.sqrt(N)


def test_von_neumann_removes_bias():
    """p = 0.7: the extracted bits are unbiased within 4 sigma and the fraction of
    pairs kept is 2 p (1 - p) = 0.42 within 4 sigma (5e5 pairs)."""
    values, valid = sj.von_neumann(_biased(0.7, (N,), seed=5))
    out = np.asarray(values)[np.asarray(valid)]
    assert abs(out.mean() - 0.5) < 4 * 0.5 / np.sqrt(out.size)
    kept = np.asarray(valid).mean()
    assert abs(kept - 0.42) < 4 * np.sqrt(0.42 * 0.58 / valid.size)


def test_nist_frequency_judges_bias_and_its_removal():
    """NIST SP 800-22 frequency (monobit) test at the 1 % level: 1e6 bits with p = 0.52
    fail it (z = 40); the XOR of two such streams (eps_2 = 8e-4, z = 1.6) passes."""
    biased = np.asarray(_biased(0.52, (2, N), seed=7))
    assert sp80022suite.frequency(biased[0].tobytes()) < 0.01
    xored = np.asarray(sj.xor_streams(biased, 2, axis=0))[0]
    assert sp80022suite.frequency(xored.tobytes()) > 0.01


def test_uniforms_map_bits_to_cell_midpoints():
    bits = np.array([[0, 0, 0, 1, 1, 1, 1, 0]], np.uint8)
    np.testing.assert_allclose(sj.uniforms(bits, 4), [[1.5 / 16, 14.5 / 16]])
    u = np.asarray(sj.uniforms(_biased(0.5, (16 * 100_000,), seed=8), 16))
    assert u.min() > 0 and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 1e-3


@pytest.mark.parametrize("make", [lambda b: sj.gaussian_box_muller(b, 16),
                                  lambda b: sj.gaussian_inverse_cdf(b, 16)],
                         ids=["box-muller", "inverse-cdf"])
def test_gaussians_from_16_bit_uniforms(make):
    """1e5 normals from fair bits: KS p-value > 1e-3 against N(0, 1)."""
    z = np.asarray(make(_biased(0.5, (16 * 100_000,), seed=9)))
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_clt_gaussian_quality_report():
    """Sums of 64 fair bits: variance 1 and excess kurtosis -2/64 within 4 sigma (1e5
    samples: sigma about 4.5e-3 and 1.5e-2); the lattice makes the KS distance about
    the half-spacing 1/sqrt(64) x phi(0) = 0.05, far above a continuous law's."""
    q = sj.gaussian_quality(sj.gaussian_clt(_biased(0.5, (64 * 100_000,), seed=10), 64))
    assert q["n"] == 100_000
    assert abs(q["variance"] - 1) < 4 * np.sqrt(2 / q["n"])
    assert abs(q["excess_kurtosis"] + 2 / 64) < 4 * np.sqrt(24 / q["n"])
    assert 0.02 < q["ks_distance"] < 0.08


def test_bad_bits():
    with pytest.raises(sj.InvalidParameterError, match="bits is empty"):
        sj.xor_streams(np.zeros((2, 0), np.uint8), 2)
    with pytest.raises(sj.InvalidParameterError, match="not a multiple of k = 3"):
        sj.xor_streams(np.zeros((4, 8), np.uint8), 3)
    # a float array is bits only if every value is exactly 0 or 1 (check_bits)
    with pytest.raises(sj.InvalidParameterError, match="only 0 and 1"):
        sj.von_neumann(np.full(8, 0.5, np.float32))
