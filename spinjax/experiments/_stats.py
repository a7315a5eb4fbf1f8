"""Binomial statistics of switching counts."""

import numpy as np
from scipy import stats


def wilson_interval(successes, trials, confidence: float = 0.95):
    r"""Wilson score interval of a binomial proportion (Wilson, JASA 22, 209, 1927):

    $$\frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n} +
      \frac{z^2}{4n^2}}}{1 + z^2/n}, \qquad z = \Phi^{-1}\!\left(\tfrac{1+c}{2}\right).$$

    Unlike the Wald interval it stays inside [0, 1] and has a non-zero width at
    $\hat p = 0$ or 1 (its upper end at $k = 0$ is about $z^2/n$, the right scale for a
    write error rate with no observed error). Arrays broadcast; returns (lo, hi).

    Written here rather than delegated: ``scipy.stats.binomtest(k, n)
    .proportion_ci(method="wilson")`` is the same interval (tests/test_stats.py checks
    it to 1e-12 on a grid) but takes one scalar count per call, while the callers pass
    arrays (a switching map, 20000 counts in a coverage test); statsmodels'
    ``proportion_confint(method="wilson")`` is vectorized but would add statsmodels,
    pandas, patsy and formulaic to the install (24.8 MB of wheels, 87 MB unpacked) for
    these six lines.
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n):
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1; got successes "
                         f"in [{k.min()}, {k.max()}], trials in [{n.min()}, {n.max()}].")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence = {confidence}; the valid range is (0, 1).")
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def clopper_pearson_upper(successes, trials, confidence: float = 0.95):
    r"""One-sided Clopper-Pearson upper bound of a binomial proportion (Clopper and
    Pearson, Biometrika 26, 404, 1934): the $p$ at which $P(K \le k) = 1 - c$, i.e.
    the $c$ quantile of Beta$(k + 1, n - k)$; 1 for $k = n$. At $k = 0$ it is
    $1 - (1 - c)^{1/n} \approx -\ln(1 - c)/n$ (3/n at 95 %)."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n):
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1; got {k}, {n}.")
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = np.where(k >= n, 1.0, stats.beta.ppf(confidence, k + 1, np.maximum(n - k, 1)))
    return float(upper) if upper.ndim == 0 else upper
