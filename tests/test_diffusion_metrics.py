"""Image-quality metrics against closed forms: the Frechet distance of two Gaussian
feature sets, the unbiasedness of the kernel distance, and a classifier that learns."""

import numpy as np

from diffusion.metrics import (
    bootstrap_interval, class_histogram, frechet_distance, kernel_distance)


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
