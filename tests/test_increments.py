"""The standardized noise increments drawn from the counter-based generator: moments,
normality and independence across components, junctions and steps."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import spinjax as sj
from spinjax._counter_rng import junction_key_words

JUNCTIONS = 1000
STEPS = 334          # 1000 x 334 x 3 = 1.0e6 draws


def _draws(law, seed, steps=STEPS, junctions=JUNCTIONS):
    """(steps, junctions, 3) draws of `law`, as a solver sees them."""
    k0, k1 = junction_key_words(jax.random.key(seed), (junctions,))
    one = jax.jit(lambda s: jnp.stack(law.draw(k0, k1, s, jnp.float32), -1))
    return np.stack([np.asarray(one(jnp.uint32(s)), np.float64) for s in range(steps)])


@pytest.mark.parametrize("law", [sj.GaussianIncrements(), sj.RademacherIncrements()],
                         ids=type)
def test_first_moments(law):
    """Mean 0, variance 1, third moment 0 within 4 sigma over 1e6 draws (sigma of the
    mean 1e-3, of the variance <= 1.4e-3, of the third moment <= 3.9e-3)."""
    x = _draws(law, 0).ravel()
    assert abs(x.mean()) < 4 * x.std() / np.sqrt(x.size)
    assert abs(np.mean(x**2) - 1) <= 4 * np.sqrt(np.var(x**2) / x.size) + 1e-6
    assert abs(np.mean(x**3)) < 4 * np.sqrt(np.mean(x**6) / x.size)


def test_gaussian_is_normal():
    x = _draws(sj.GaussianIncrements(), 1).ravel()
    assert stats.kstest(x, "norm").pvalue > 1e-3


@pytest.mark.parametrize("law", [sj.GaussianIncrements(), sj.RademacherIncrements()],
                         ids=type)
def test_components_junctions_and_steps_are_uncorrelated(law):
    """Correlations between the three components of one draw, between neighbouring
    junctions and between successive steps are all within 4 / sqrt(n) of zero (n the
    number of pairs, each product of unit-variance draws having variance 1)."""
    x = _draws(law, 2)
    pairs = {
        "x-y": (x[..., 0], x[..., 1]), "y-z": (x[..., 1], x[..., 2]),
        "x-z": (x[..., 0], x[..., 2]),
        "junction": (x[:, 1:], x[:, :-1]), "step": (x[1:], x[:-1]),
    }
    for name, (a, b) in pairs.items():
        r = np.mean(a * b)
        assert abs(r) < 4 / np.sqrt(a.size), (name, r)


def test_rademacher_signs_are_plus_minus_one():
    x = _draws(sj.RademacherIncrements(), 3, steps=20)
    assert set(np.unique(x)) == {-1.0, 1.0}
