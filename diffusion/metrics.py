r"""Image-quality metrics on the features of the project's own classifier.

No Inception weights can be had offline, so the distances are computed on the
penultimate-layer features of a classifier trained here on the same data
([`diffusion.classifier`][]). Report them as "FD (classifier features)" and "KID
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
  reference set fixed) and take percentiles of the metric. For the Frechet distance
  these sit above the value: duplicated rows shrink the covariance's rank and add to
  the $d/n$ bias.
- Subsample intervals ([`subsample_interval`][diffusion.metrics.subsample_interval]): the
  metric on subsets drawn without replacement at several sizes, extrapolated to infinitely
  many samples (Chong and Forsyth 2020) with a delete-d jackknife standard error (Shao and
  Wu 1989). Use these for the Frechet distance.
"""

from typing import NamedTuple

import numpy as np
from scipy import stats

from .errors import MetricError


def _check_features(name, f):
    f = np.asarray(f, np.float64)
    if f.ndim != 2 or f.shape[0] < 2 or not np.all(np.isfinite(f)):
        raise MetricError(f"{name} must be finite features of shape (n >= 2, d); got "
                          f"shape {f.shape}.")
    return f


def _trace_sqrt_product(s1, s2) -> float:
    r"""$\mathrm{tr}\,(\Sigma_1\Sigma_2)^{1/2}$ for symmetric positive semi-definite
    $\Sigma_1$, $\Sigma_2$: with $A = \Sigma_1^{1/2}$ (symmetric), $\Sigma_1\Sigma_2 =
    A (A\Sigma_2 A) A^{-1}$ has the eigenvalues of the symmetric PSD $A\Sigma_2 A$, so
    the trace is $\sum_i \lambda_i(A\Sigma_2 A)^{1/2}$: two symmetric eigendecompositions
    instead of the Schur-form ``scipy.linalg.sqrtm`` of the non-symmetric product (half
    the time at d = 128, real by construction, and no regularization needed for
    singular covariances, n < d). Eigenvalues below zero are round-off of exact zeros
    (the matrices are PSD) and count as zero."""
    w, v = np.linalg.eigh(s1)
    a = (v * np.sqrt(np.maximum(w, 0.0))) @ v.T
    lam = np.linalg.eigvalsh(a @ s2 @ a)
    return float(np.sum(np.sqrt(np.maximum(lam, 0.0))))


def frechet_distance(f1, f2) -> float:
    r"""The Frechet distance between Gaussians fitted to feature sets `f1`, `f2` (n, d):
    $\lVert\mu_1-\mu_2\rVert^2 + \mathrm{tr}\,\Sigma_1 + \mathrm{tr}\,\Sigma_2 -
    2\,\mathrm{tr}(\Sigma_1\Sigma_2)^{1/2}$ (sample covariances, ``ddof = 1``)."""
    f1, f2 = _check_features("f1", f1), _check_features("f2", f2)
    if f1.shape[1] != f2.shape[1]:
        raise MetricError(f"f1 and f2 must have the same number of features; got shapes "
                          f"{f1.shape} and {f2.shape}.")
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.atleast_2d(np.cov(f1, rowvar=False)), np.atleast_2d(np.cov(f2, rowvar=False))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2)
                 - 2 * _trace_sqrt_product(s1, s2))


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
    """``metric(f_gen, f_ref)`` and its percentile bootstrap interval at `level` from
    `n_boot` resamples of the generated features (rows drawn with replacement; the
    reference fixed). Returns (value, lo, hi).

    ``scipy.stats.bootstrap`` does the resampling and the percentiles
    (``method="percentile"``, a ``numpy.random.default_rng(seed)``): its samples are of
    scalar observations, so it resamples the row indices of `f_gen` and the statistic
    indexes the rows. Same seed, same interval as the hand-written loop it replaced.
    """
    f_gen = _check_features("f_gen", f_gen)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise MetricError(f"n_boot = {n_boot!r}; the valid range is 1 to inf.")
    if not 0 < level < 1:
        raise MetricError(f"level = {level!r}; the valid range is (0, 1).")
    value = metric(f_gen, f_ref)
    res = stats.bootstrap((np.arange(len(f_gen)),), lambda rows: metric(f_gen[rows], f_ref),
                          n_resamples=int(n_boot), vectorized=False, confidence_level=level,
                          method="percentile",
                          random_state=np.random.default_rng(seed))  # `rng=` from scipy 1.15
    lo, hi = res.confidence_interval
    return float(value), float(lo), float(hi)


class SubsampleInterval(NamedTuple):
    r"""The result of [`subsample_interval`][diffusion.metrics.subsample_interval].

    - `value`: the bias-corrected metric $\hat F_\infty$ (the fit's intercept);
    - `lo`, `hi`: its confidence interval; `se`: its standard error;
    - `plain`: the metric on all samples; `bias`: the fitted bias of `plain`, $c/n$;
    - `sizes`: the numbers of generated samples used (all of them first), `means`:
      the mean metric at each size.
    """

    value: float
    lo: float
    hi: float
    se: float
    plain: float
    bias: float
    sizes: tuple
    means: tuple


def subsample_interval(metric, f_gen, f_ref, *,
                       fractions: tuple = (0.5, 0.6, 0.7, 0.8, 0.9), n_sub: int = 20,
                       level: float = 0.95, subsample_ref: bool = True,
                       seed: int = 0) -> SubsampleInterval:
    r"""``metric(f_gen, f_ref)`` extrapolated to infinitely many samples, with a
    confidence interval from subsets drawn without replacement.

    For a smooth statistic of $n$ samples, $E\hat F_n = F_\infty + c/n + O(n^{-2})$.
    For the Frechet distance of $d$ features with $\Sigma_1 = \Sigma_2 = I$ and $n_1$,
    $n_2$ samples, $E\hat F - F \approx (d + d(d+1)/4)(1/n_1 + 1/n_2)$: the mean term
    gives $\mathrm{tr}\,\Sigma/n_i$, the covariance term
    $\lVert\hat\Sigma_1^{1/2} - \hat\Sigma_2^{1/2}\rVert_F^2 \approx
    \tfrac14\lVert\hat\Sigma_1 - \hat\Sigma_2\rVert_F^2$. At $n$ a few times $d$ the
    bias exceeds the spread. Chong and Forsyth (2020) remove it by evaluating at several
    sizes and extrapolating linearly in $1/n$ to $1/n = 0$. Here:

    1. For each fraction $r_k$: $m_k = \mathrm{round}(r_k n)$ generated rows (and, if
       `subsample_ref`, $\mathrm{round}(r_k n_\mathrm{ref})$ reference rows) drawn
       without replacement, `n_sub` times; $\bar F_k$ and $s_k^2$ are the mean and the
       variance of the metric over the subsets. Subsampling both sets at the same
       fraction scales both sets' $1/n$ terms alike, so both biases are removed; with
       a fixed reference only the generated set's is.
    2. Ordinary least squares of $(\hat F_n, \bar F_1, \dots, \bar F_K)$ on
       $(1, n/m_1, \dots, n/m_K)$: $\bar F = F_\infty + b\,n/m$. The intercept is
       $\hat F_\infty = \sum_k w_k \bar F_k$ ($\sum_k w_k = 1$), the slope $b$ the
       estimated bias of $\hat F_n$.
    3. Standard error. Without replacement, the variance of the size-$m$ statistic
       over subsets is $\sigma^2(1/m - 1/n)$ to first order, while
       $\mathrm{Var}\,\hat F_n = \sigma^2/n$; so $\frac{m}{n-m} s^2$ estimates
       $\mathrm{Var}\,\hat F_n$: the delete-d jackknife with $d = n - m$ (Shao and Wu
       1989; the finite-population-corrected m-out-of-n subsampling of Politis and
       Romano 1994). The $\bar F_k$ are averages of U-statistics that share their
       first-order (Hajek) projection, so to first order $\hat F_\infty$ has the
       variance of $\hat F_n$; the $K$ estimates $\frac{m_k}{n-m_k}s_k^2$ are averaged.
       Added to it: the Monte Carlo variance of the finite number of subsets,
       $\sum_k w_k^2 s_k^2/n_\mathrm{sub}$.
    4. Interval $\hat F_\infty \pm z_{(1+\mathrm{level})/2}\,\mathrm{se}$.

    Valid when the metric is a smooth function of the two samples' moments and
    $\hat F_n$ is about normal: a Frechet distance well above its own bias at $m$.
    For two equal distributions ($F_\infty = 0$, a degenerate statistic of spread
    $O(1/n)$) $\hat F_\infty$ can be negative and the interval is conservative. With
    $m$ below the number of features the covariances are singular and the $1/n$ law
    no longer holds: keep ``min(fractions) * n`` above $d$. The extrapolation
    amplifies the terms of order $n^{-2}$; check the coverage for a new regime
    (``tests/test_diffusion_metrics.py`` does for Gaussians).

    **Arguments:**

    - `metric`: ``metric(f_gen, f_ref) -> float``, e.g.
      [`frechet_distance`][diffusion.metrics.frechet_distance].
    - `f_gen`, `f_ref`: features (n, d) and (n_ref, d).
    - `fractions`: subset sizes as fractions of n, each in (0, 1).
    - `n_sub`: subsets per fraction (at least 2).
    - `level`: the interval's coverage, in (0, 1).
    - `subsample_ref`: subsample the reference at the same fraction (removes its bias
      and counts its sampling spread) or keep it whole.
    - `seed`: of the subset draws (numpy).

    **Returns:** a [`SubsampleInterval`][diffusion.metrics.SubsampleInterval] (`value`,
    `lo`, `hi`, `se`, `plain`, `bias`, `sizes`, `means`).

    **Example:**

    ```python
    r = subsample_interval(frechet_distance, f_gen, f_ref, n_sub=10)
    print(f"FD {r.value:.2f} [{r.lo:.2f}, {r.hi:.2f}] (all samples {r.plain:.2f})")
    ```

    References: M. J. Chong and D. Forsyth, "Effectively unbiased FID and Inception
    Score and where to find them", CVPR 2020 (arXiv:1911.07023); J. Shao and C. F. J.
    Wu, "A general theory for jackknife variance estimation", Ann. Statist. 17, 1176
    (1989); D. N. Politis and J. P. Romano, "Large sample confidence regions based on
    subsamples under minimal assumptions", Ann. Statist. 22, 2031 (1994).
    """
    f_gen = _check_features("f_gen", f_gen)
    f_ref = _check_features("f_ref", f_ref)
    n, n_ref = len(f_gen), len(f_ref)
    fr = np.atleast_1d(np.asarray(fractions, np.float64))
    if fr.ndim != 1 or fr.size < 1 or not np.all((fr > 0) & (fr < 1)):
        raise MetricError(f"fractions = {fractions!r}; give one or more fractions of n, "
                          f"each in (0, 1).")
    sizes = [int(round(r * n)) for r in fr]
    ref_sizes = [int(round(r * n_ref)) if subsample_ref else n_ref for r in fr]
    if min(sizes) < 2 or max(sizes) >= n or min(ref_sizes) < 2 or \
            (subsample_ref and max(ref_sizes) >= n_ref) or len(set(sizes)) < len(sizes):
        raise MetricError(f"fractions = {fractions!r} give subset sizes {sizes} of "
                          f"n = {n} generated and {ref_sizes} of {n_ref} reference rows; "
                          f"each must be distinct, at least 2 and below n: use fractions "
                          f"between 2/n and 1 - 1/n, further apart.")
    if isinstance(n_sub, bool) or not isinstance(n_sub, (int, np.integer)) or n_sub < 2:
        raise MetricError(f"n_sub = {n_sub!r}; the valid range is 2 to inf.")
    if not 0 < level < 1:
        raise MetricError(f"level = {level!r}; the valid range is (0, 1).")
    rng = np.random.default_rng(seed)
    plain = float(metric(f_gen, f_ref))
    means, mc_var, jack_var = [plain], [0.0], []
    for m, m_ref in zip(sizes, ref_sizes):
        vals = np.array([
            metric(f_gen[rng.choice(n, m, replace=False)],
                   f_ref[rng.choice(n_ref, m_ref, replace=False)] if subsample_ref
                   else f_ref)
            for _ in range(n_sub)], np.float64)
        var = vals.var(ddof=1)
        means.append(vals.mean())
        mc_var.append(var / n_sub)
        jack_var.append(m / (n - m) * var)
    x = np.array([1.0] + [n / m for m in sizes])
    design = np.column_stack([np.ones_like(x), x])
    w = np.linalg.pinv(design)          # rows: intercept and slope weights
    value, bias = w @ np.asarray(means)
    se = float(np.sqrt(np.mean(jack_var) + np.sum(w[0] ** 2 * np.asarray(mc_var))))
    z = stats.norm.ppf(0.5 + level / 2)
    return SubsampleInterval(float(value), float(value - z * se), float(value + z * se), se,
                             plain, float(bias), tuple([n] + sizes),
                             tuple(float(v) for v in means))
