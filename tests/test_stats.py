"""The binomial intervals of spinjax.experiments against scipy's implementations."""

import numpy as np
import pytest
from scipy import stats

from spinjax.experiments import wilson_interval
from spinjax.experiments._stats import clopper_pearson_upper

GRID = [(k, n) for n in (1, 2, 7, 50, 1000, 10**6)
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n})]


@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.999])
def test_wilson_interval_is_scipys(confidence):
    """Equal to ``binomtest(k, n).proportion_ci(method="wilson")`` (no continuity
    correction) on a grid of counts, edges k = 0 and k = n included, in one array call."""
    k, n = np.array(GRID).T
    lo, hi = wilson_interval(k, n, confidence)
    want = np.array([tuple(stats.binomtest(int(a), int(b)).proportion_ci(
        confidence_level=confidence, method="wilson")) for a, b in GRID])
    np.testing.assert_allclose(lo, want[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(hi, want[:, 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("confidence", [0.5, 0.95, 0.999])
def test_clopper_pearson_upper_is_scipys_exact_one_sided(confidence):
    k, n = np.array(GRID).T
    want = [stats.binomtest(int(a), int(b), alternative="less").proportion_ci(
        confidence_level=confidence, method="exact").high for a, b in GRID]
    # scipy finds the exact bound by root finding (absolute tolerance about 1e-13)
    np.testing.assert_allclose(clopper_pearson_upper(k, n, confidence), want, rtol=1e-9,
                               atol=1e-12)
