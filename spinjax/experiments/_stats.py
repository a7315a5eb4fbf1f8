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
