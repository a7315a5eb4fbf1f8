"""The standardized noise increments: moments and independence."""

import jax
import numpy as np
import pytest
from scipy import stats

import spinjax as sj

N = 1_000_000


@pytest.mark.parametrize("law", [sj.GaussianIncrements(), sj.RademacherIncrements()],
                         ids=type)
def test_first_moments(law):
    """Mean 0, variance 1, third moment 0 within 4 sigma over 1e6 draws (sigma of the
    mean 1e-3, of the variance <= 1.4e-3, of the third moment <= 3.9e-3)."""
    x = np.asarray(law.sample(jax.random.key(0), (N // 3, 3), np.float32), np.float64)
    assert abs(x.mean()) < 4 * x.std() / np.sqrt(x.size)
    assert abs(np.mean(x**2) - 1) <= 4 * np.sqrt(np.var(x**2) / x.size) + 1e-6
    assert abs(np.mean(x**3)) < 4 * np.sqrt(np.mean(x**6) / x.size)


def test_gaussian_is_normal():
    x = np.asarray(sj.GaussianIncrements().sample(jax.random.key(1), (N,), np.float32))
    assert stats.kstest(x, "norm").pvalue > 1e-3


def test_rademacher_signs_are_balanced_per_bit_and_uncorrelated():
    """Each of the 32 bit positions of the random words carries a fair sign (binomial
    4-sigma band), and neighbouring draws are uncorrelated (|r| < 4 / sqrt(n))."""
    x = np.asarray(sj.RademacherIncrements().sample(jax.random.key(2), (32 * 31250,),
                                                     np.float32))
    assert set(np.unique(x)) == {-1.0, 1.0}
    per_bit = x.reshape(-1, 32).mean(axis=0)
    assert np.all(np.abs(per_bit) < 4 / np.sqrt(31250))
    r = np.mean(x[1:] * x[:-1])
    assert abs(r) < 4 / np.sqrt(x.size)
