"""Image-quality metrics against closed forms: the Frechet distance of two Gaussian
feature sets, its bias-corrected subsample interval (bias and coverage over repeated
draws), the unbiasedness of the kernel distance, and a classifier that learns."""

import numpy as np
import pytest

from diffusion.errors import MetricError
from diffusion.metrics import (
    bootstrap_interval, class_histogram, frechet_distance, kernel_distance,
    subsample_interval)


def test_frechet_distance_matches_the_gaussian_formula():
    """Features N(mu_i, diag(s_i^2)) in d = 4, n = 20000 each: the exact distance is
    |mu1 - mu2|^2 + sum (s1 - s2)^2 = 1.25 + 0.5 = 1.75; the estimate's sampling sigma
    is about 0.02 here, its bias about d/n, so within 0.1. Equal distributions give
    about 0 (below 0.01)."""
    rng = np.random.default_rng(0)
    mu1, mu2 = np.zeros(4), np.array([1.0, 0.5, 0.0, 0.0])
    s1, s2 = np.array([1.0, 1.0, 2.0, 1.0]), np.array([1.0, 1.5, 1.5, 1.0])
    f1 = mu1 + s1 * rng.standard_normal((20000, 4))
    f2 = mu2 + s2 * rng.standard_normal((20000, 4))
    exact = np.sum((mu1 - mu2) ** 2) + np.sum((s1 - s2) ** 2)
    assert abs(frechet_distance(f1, f2) - exact) < 0.1
    f3 = mu1 + s1 * rng.standard_normal((20000, 4))
    assert frechet_distance(f1, f3) < 0.01


def test_frechet_distance_agrees_with_the_sqrtm_formula():
    """The eigenvalue form of tr (S1 S2)^(1/2) against scipy's sqrtm of the product:
    correlated features, d = 16, n = 200 (to 1e-10 relative); singular covariances,
    n = 10 < d = 16, where sqrtm meets zero eigenvalues (to 1e-6)."""
    from scipy import linalg

    def with_sqrtm(f1, f2):
        s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
        covmean = np.real(linalg.sqrtm(s1 @ s2))
        return np.sum((f1.mean(0) - f2.mean(0)) ** 2) + np.trace(s1 + s2 - 2 * covmean)

    rng = np.random.default_rng(5)
    mix = rng.standard_normal((16, 16)) / 4
    for n, rtol in ((200, 1e-10), (10, 1e-6)):
        f1 = rng.standard_normal((n, 16)) @ mix
        f2 = 0.2 + 1.5 * rng.standard_normal((n, 16))
        np.testing.assert_allclose(frechet_distance(f1, f2), with_sqrtm(f1, f2), rtol=rtol)


def test_kernel_distance_is_unbiased_and_separates():
    """Same distribution: KID within 3 standard errors of 0; a shifted one far above."""
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2000, 8)), rng.standard_normal((2000, 8))
    kid, se = kernel_distance(a, b, subsets=40, subset_size=400)
    assert abs(kid) < 3 * se + 1e-3
    kid2, se2 = kernel_distance(a, b + 0.5, subsets=40, subset_size=400)
    assert kid2 > 10 * se2 and kid2 > kid


def test_histogram_and_bootstrap():
    logits = np.eye(4)[[0, 0, 1, 3]] * 5
    h = class_histogram(logits)
    assert h["counts"] == [2, 1, 0, 1] and abs(h["tv_from_uniform"] - 0.25) < 1e-12
    rng = np.random.default_rng(2)
    f = rng.standard_normal((500, 3))
    v, lo, hi = bootstrap_interval(frechet_distance, f + 1.0, f, n_boot=30)
    assert lo <= v <= hi or abs(v - lo) < 0.2   # percentile intervals may sit off the point
    assert 2.5 < v < 3.5   # |mu shift|^2 = 3


def _gaussian_pair(rng, d, n, delta):
    return rng.standard_normal((n, d)), delta + rng.standard_normal((n, d))


def test_subsample_interval_removes_the_bias_and_covers():
    """Features N(0, I) and N(delta, I) in d = 12, n = 300 each, |delta|^2 = 1: the exact
    FD is 1. The plain FD is biased by (d + d(d+1)/4)(1/n + 1/n) = 0.34 (see the
    docstring), twice its spread (about 0.17), so its bootstrap intervals (resampling
    with replacement, which adds to the bias) rarely hold 1.

    Over R = 200 independent draws (n_sub = 16, the default fractions 0.5..0.9):
    - the extrapolated FD_inf averages to 1 within 3 standard errors of the mean
      (sd/sqrt(R), about 0.013), and its mean error is below a quarter of the plain
      FD's; the fitted bias averages to 0.34 within 10 %;
    - the 95 % interval holds 1 in at least 0.95 - 3 sigma = 0.904 of the draws,
      sigma = sqrt(0.95 x 0.05 / 200) = 0.0154 the binomial sigma of the coverage;
    - the standard error is honest: its mean is between 0.8 and 1.5 times the spread
      of FD_inf over the draws (the delete-d jackknife errs upwards, by the
      second-order terms);
    - the bootstrap intervals of the first 50 draws hold 1 in fewer than half of them
      (their coverage is about 0.05 here).
    """
    d, n, R = 12, 300, 200
    delta = np.zeros(d)
    delta[0] = 1.0
    exact = 1.0
    bias_theory = (d + d * (d + 1) / 4) * 2 / n
    rng = np.random.default_rng(3)
    res, boot_hits = [], []
    for r in range(R):
        a, b = _gaussian_pair(rng, d, n, delta)
        res.append(subsample_interval(frechet_distance, a, b, n_sub=16, seed=r))
        if r < 50:
            _, lo, hi = bootstrap_interval(frechet_distance, a, b, n_boot=30, seed=r)
            boot_hits.append(lo <= exact <= hi)
    value = np.array([x.value for x in res])
    plain = np.array([x.plain for x in res])
    se_mean = value.std(ddof=1) / np.sqrt(R)
    assert abs(value.mean() - exact) < 3 * se_mean, (value.mean(), se_mean)
    assert abs(value.mean() - exact) < 0.25 * abs(plain.mean() - exact)
    assert abs(np.mean([x.bias for x in res]) - bias_theory) < 0.1 * bias_theory
    coverage = np.mean([x.lo <= exact <= x.hi for x in res])
    assert coverage >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / R), coverage
    ratio = np.mean([x.se for x in res]) / value.std(ddof=1)
    assert 0.8 < ratio < 1.5, ratio
    assert np.mean(boot_hits) < 0.5, np.mean(boot_hits)


def test_subsample_interval_with_a_fixed_reference_removes_only_the_generated_bias():
    """The same Gaussians with the reference kept whole: only the generated set's 1/n
    term is extrapolated away, so FD_inf averages to 1 + (d + d(d+1)/4)/n = 1.17
    (R = 60 draws, standard error of the mean about 0.02; within 4 of them)."""
    d, n, R = 12, 300, 60
    delta = np.zeros(d)
    delta[0] = 1.0
    rng = np.random.default_rng(4)
    value = np.array([
        subsample_interval(frechet_distance, *_gaussian_pair(rng, d, n, delta), n_sub=16,
                           subsample_ref=False, seed=r).value for r in range(R)])
    expected = 1.0 + (d + d * (d + 1) / 4) / n
    assert abs(value.mean() - expected) < 4 * value.std(ddof=1) / np.sqrt(R), value.mean()


def test_subsample_interval_rejects_bad_arguments():
    f = np.random.default_rng(0).standard_normal((20, 3))
    with pytest.raises(ValueError, match="fractions"):
        subsample_interval(frechet_distance, f, f, fractions=(0.5, 1.0))
    with pytest.raises(ValueError, match="distinct"):
        subsample_interval(frechet_distance, f, f, fractions=(0.5, 0.51))
    with pytest.raises(ValueError, match="n_sub"):
        subsample_interval(frechet_distance, f, f, n_sub=1)
    with pytest.raises(ValueError, match="level"):
        subsample_interval(frechet_distance, f, f, level=1.0)


def test_classifier_learns_digits_and_its_features_separate_classes():
    """The feature extractor trained 300 steps on the 1438 8x8 training digits: test
    accuracy above 0.85 on the 359 held-out digits (chance 0.10), and the FD between
    two classes' features far above the FD between two halves of one class (about 180
    test images per pair of halves; the same-class FD only carries the small-sample
    bias)."""
    from diffusion.classifier import predict, train_classifier
    from diffusion.data import load_dataset
    d = load_dataset("digits")
    model, params, acc = train_classifier(d.x_train, d.y_train, d.x_test, d.y_test,
                                          steps=300, log=lambda s: None)
    assert acc > 0.85, acc
    _, f = predict(model, params, d.x_train)
    a, b = f[d.y_train == 0], f[d.y_train == 1]
    same = frechet_distance(a[: len(a) // 2], a[len(a) // 2:])
    assert frechet_distance(a, b) > 5 * same


@pytest.mark.parametrize("kw,name", [(dict(n_boot=0), "n_boot"), (dict(n_boot=2.5), "n_boot"),
                                     (dict(level=1.0), "level"), (dict(level=0.0), "level")])
def test_bootstrap_interval_refuses_bad_arguments(kw, name):
    f = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(MetricError, match=name):
        bootstrap_interval(frechet_distance, f, f, **kw)
