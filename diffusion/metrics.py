r"""Image-quality metrics on the features of the project's own classifier.

No Inception weights can be had offline, so the distances are computed on the
penultimate-layer features of a classifier trained here on the same data
(:mod:`diffusion.classifier`). Report them as "FD (classifier features)" and "KID
(classifier features)", never as FID: the numbers are not comparable with published
FIDs.

- Frechet distance between Gaussians fitted to two feature sets (Dowson and Landau
  1982; Heusel et al. 2017):
  $d^2 = \lVert\mu_1-\mu_2\rVert^2 + \mathrm{tr}(\Sigma_1 + \Sigma_2 -
  2(\Sigma_1\Sigma_2)^{1/2})$. Biased upwards by about $\mathrm{tr}$-terms of order
  $d/n$ for $n$ samples of $d$ features: compare only at equal $n$.
- Kernel distance (Binkowski et al. 2018): the unbiased MMD$^2$ with the cubic
  polynomial kernel $k(x, y) = (x\cdot y/d + 1)^3$, averaged over random subsets; zero
  in expectation for equal distributions.
- Class histogram of generated images under the classifier, and its total-variation
  distance from uniform (a collapsed or class-biased generator shows here).
- Bootstrap intervals: resample the generated features with replacement (the
  reference set fixed) and take percentiles of the metric.
"""

import numpy as np
from scipy import linalg


def _check_features(name, f):
    f = np.asarray(f, np.float64)
    if f.ndim != 2 or f.shape[0] < 2 or not np.all(np.isfinite(f)):
        raise ValueError(f"{name} must be finite features of shape (n >= 2, d); got "
                         f"shape {f.shape}.")
    return f


def frechet_distance(f1, f2) -> float:
    """The Frechet distance between Gaussians fitted to feature sets `f1`, `f2` (n, d)."""
    f1, f2 = _check_features("f1", f1), _check_features("f2", f2)
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2)
    if not np.all(np.isfinite(covmean)):   # near-singular product: regularize (as FID codes do)
        eps = 1e-6 * np.eye(s1.shape[0])
        covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = np.real(covmean)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean))


def kernel_distance(f1, f2, *, subsets: int = 50, subset_size: int = 500,
                    seed: int = 0) -> tuple[float, float]:
    r"""KID: the mean over `subsets` random subsets (of ``min(subset_size, n)`` each)
    of the unbiased MMD$^2$ with the kernel $(x\cdot y/d + 1)^3$; returns (mean, its
    standard error over the subsets)."""
    f1, f2 = _check_features("f1", f1), _check_features("f2", f2)
    d = f1.shape[1]
    m = min(subset_size, f1.shape[0], f2.shape[0])
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(subsets):
        x = f1[rng.choice(f1.shape[0], m, replace=False)]
        y = f2[rng.choice(f2.shape[0], m, replace=False)]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        off = m * (m - 1)
        vals.append((kxx.sum() - np.trace(kxx)) / off + (kyy.sum() - np.trace(kyy)) / off
                    - 2 * kxy.mean())
    vals = np.asarray(vals)
    return float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(len(vals)))


def class_histogram(logits, num_classes: int | None = None) -> dict:
    """Counts of the predicted classes of `logits` (n, K), their fractions and the
    total-variation distance of the fractions from uniform."""
    logits = np.asarray(logits)
    k = num_classes or logits.shape[1]
    counts = np.bincount(np.argmax(logits, axis=1), minlength=k)
    frac = counts / counts.sum()
    return {"counts": counts.tolist(), "fractions": frac.tolist(),
            "tv_from_uniform": float(0.5 * np.abs(frac - 1 / k).sum())}


def bootstrap_interval(metric, f_gen, f_ref, *, n_boot: int = 50, level: float = 0.95,
                       seed: int = 0) -> tuple[float, float, float]:
    """``metric(f_gen, f_ref)`` and its percentile bootstrap interval from `n_boot`
    resamples of the generated features (with replacement; the reference fixed).
    Returns (value, lo, hi)."""
    f_gen = _check_features("f_gen", f_gen)
    rng = np.random.default_rng(seed)
    value = metric(f_gen, f_ref)
    boots = [metric(f_gen[rng.integers(0, len(f_gen), len(f_gen))], f_ref)
             for _ in range(n_boot)]
    a = (1 - level) / 2
    lo, hi = np.quantile(boots, [a, 1 - a])
    return float(value), float(lo), float(hi)
