"""diffusion.evaluate: the energy bookkeeping is exact arithmetic on the stated inputs,
the CPU timing is positive, sample_and_score orders noise sources by their distance
from the reference (bootstrap and extrapolated FD) and repeats itself for the same key,
the FD difference's interval covers 0 only for equal generators, and bad arguments are
named."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj
from spinjax import trng
from diffusion.classifier import Classifier, predict
from diffusion.evaluate import (
    EvaluateError, energy_per_image, fd_difference, sample_and_score, time_normal_draws,
    time_sampling)
from diffusion.noise import AbstractNoiseSource, SoftwareNoise
from diffusion.schedules import linear_schedule

DEV = sj.devices.vcma_mtj()
PULSE = trng.precessional_schedule(DEV).pulse(0.967)   # about p = 1/2 (energy_table)


def test_energy_bookkeeping_is_exact():
    """640 normals of 10 bits: the device row is exactly 6400 x E_write of the pulse,
    the cycle row 6400 x (2 E_write + E_read), the CPU row normals x s x W and the GPU
    row normals x 4 B / 3.35e12 B/s x 700 W; doubling the CPU power doubles its row
    exactly. E_write is of the order of energy_table's 1.4e-15 J."""
    e = energy_per_image(640, 10, DEV, PULSE, 2e-8)
    e_w = float(sj.devices.barrier_write_energy_J(DEV, PULSE))
    e_r = float(sj.devices.read_energy_J(DEV, 0.1, 1e-9, "parallel"))
    assert e["bits_per_image"] == 6400 and e["write_J_per_bit"] == e_w
    assert e["device"]["J_per_image"] == 6400 * e_w
    assert e["device_cycle"]["J_per_image"] == 6400 * (2 * e_w + e_r)
    assert e["software_cpu"]["J_per_image"] == 640.0 * 2e-8 * 12.5
    assert e["software_gpu"]["J_per_image"] == 640.0 * 4 / 3.35e12 * 700.0
    assert 1e-16 < e_w < 1e-13
    e2 = energy_per_image(640, 10, DEV, PULSE, 2e-8, cpu_power_W=25.0)
    assert e2["software_cpu"]["J_per_image"] == 2 * e["software_cpu"]["J_per_image"]
    assert e2["device"]["J_per_image"] == e["device"]["J_per_image"]
    for row in ("device", "device_cycle", "software_cpu", "software_gpu"):
        assert e[row]["J_per_image"] > 0 and len(e[row]["assumptions"]) > 20


def test_cpu_timing_is_positive_and_feeds_the_energy():
    t = time_normal_draws(20_000, jax.random.key(0), repeats=2)
    assert 0 < t < 2.0
    e = energy_per_image(100, 10, DEV, PULSE, t / 20_000)
    assert e["software_cpu"]["J_per_image"] == 100.0 * (t / 20_000) * 12.5 > 0


@pytest.mark.parametrize("kwargs, name", [
    (dict(normals_per_image=0), "normals_per_image"),
    (dict(normals_per_image=float("nan")), "normals_per_image"),
    (dict(bits_per_normal=0), "bits_per_normal"),
    (dict(bits_per_normal=1.5), "bits_per_normal"),
    (dict(cpu_s_per_normal=float("inf")), "cpu_s_per_normal"),
    (dict(cpu_power_W=0.0), "cpu_power_W"),
    (dict(gpu_write_bytes_per_s=-1.0), "gpu_write_bytes_per_s"),
])
def test_energy_bad_inputs_name_the_argument(kwargs, name):
    args = dict(normals_per_image=64, bits_per_normal=10, device=DEV, pulse=PULSE,
                cpu_s_per_normal=1e-8)
    with pytest.raises(EvaluateError, match=name):
        energy_per_image(**{**args, **kwargs})


def test_zero_amplitude_pulse_is_an_error():
    """A 0 V pulse has no write energy: an error, not a device row of 0 J."""
    with pytest.raises(EvaluateError, match="barrier_write_energy_J"):
        energy_per_image(64, 10, DEV, trng.precessional_schedule(DEV).pulse(0.0), 1e-8)


class Shifted(AbstractNoiseSource):
    """Software normals + 1: a badly biased source."""

    def init(self, key):
        return key

    def sample(self, state, shape):
        key, sub = jax.random.split(state)
        return jax.random.normal(sub, shape) + 1.0, key


SCHED = linear_schedule(100)
SHAPE = (64, 8, 8, 1)


def eps_toy(x, t):
    return 0.3 * x


@pytest.fixture(scope="module")
def scorer():
    """An untrained classifier with 8 features, and the features of 64 reference
    samples (module scope: the conftest's standard-promotion fixture is not active)."""
    with jax.numpy_dtype_promotion("standard"):
        clf = Classifier(num_classes=4, width=8, features=8)
        params = clf.init(jax.random.key(0), jnp.zeros((1, 8, 8, 1)))["params"]
        x_ref = time_sampling(eps_toy, SCHED, SoftwareNoise(), jax.random.key(10), SHAPE, 10,
                              repeats=0)["x"]
        _, f_ref = predict(clf, params, x_ref)
    return clf, params, f_ref


def test_sample_and_score_orders_sources_and_repeats(scorer):
    """Samples of the reference's own sampler (another key) score a finite FD with
    lo <= hi; a source biased by +1 scores above that interval; the same key gives
    the same samples and numbers; 10 steps draw 10 x 64 normals per image."""
    clf, params, f_ref = scorer
    r = sample_and_score(eps_toy, SCHED, SoftwareNoise(), jax.random.key(1), SHAPE, 10,
                         clf, params, f_ref, n_boot=20, repeats=1)
    fd, lo, hi = r["fd"]
    assert np.isfinite([fd, lo, hi]).all() and 0 <= lo <= hi
    assert lo - (hi - lo) <= fd <= hi
    ext, ext_lo, ext_hi = r["fd_extrapolated"]
    assert ext_lo <= ext <= ext_hi and ext < fd   # the d/n bias removed: below the plain FD
    assert np.isfinite(r["kid"]).all() and sum(r["classes"]["counts"]) == 64
    assert r["normals_per_image"] == 640 and r["sample_s"] > 0 and len(r["times_s"]) == 1
    again = sample_and_score(eps_toy, SCHED, SoftwareNoise(), jax.random.key(1), SHAPE, 10,
                             clf, params, f_ref, n_boot=20, repeats=0)
    assert again["fd"] == r["fd"] and np.array_equal(again["x"], r["x"])
    assert again["sample_s"] is None
    bad = sample_and_score(eps_toy, SCHED, Shifted(), jax.random.key(1), SHAPE, 10,
                           clf, params, f_ref, n_boot=20, repeats=0)
    assert bad["fd"][1] > hi, (bad["fd"], r["fd"])
    assert bad["fd_extrapolated"][1] > ext_hi, (bad["fd_extrapolated"], r["fd_extrapolated"])


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_boot=0), "n_boot"),
    (dict(n_sub=1), "n_sub"),
    (dict(repeats=-1), "repeats"),
    (dict(shape=(1, 8, 8, 1)), "shape"),
    (dict(steps=0), "steps"),
    (dict(f_ref=np.zeros((5,))), "f_ref"),
    (dict(f_ref=np.zeros((5, 3))), "f_ref"),
])
def test_sample_and_score_bad_inputs_name_the_argument(scorer, kwargs, name):
    clf, params, f_ref = scorer
    args = dict(eps=eps_toy, schedule=SCHED, source=SoftwareNoise(), key=jax.random.key(1),
                shape=SHAPE, steps=10, clf=clf, clf_params=params, f_ref=f_ref)
    with pytest.raises(EvaluateError, match=name):
        sample_and_score(**{**args, **kwargs})


def test_fd_difference_covers_zero_only_for_equal_generators():
    """Two samples of N(0, I) in d = 4 (n = 400 each) against a third: the interval of
    the FD difference contains 0; a generator shifted by 0.5 in every feature (FD about
    1 more) gives an interval above 0."""
    rng = np.random.default_rng(3)
    ref, a, b = (rng.standard_normal((400, 4)) for _ in range(3))
    d, lo, hi = fd_difference(a, b, ref, n_boot=50)
    assert lo <= 0 <= hi and lo <= d <= hi
    d, lo, hi = fd_difference(a + 0.5, b, ref, n_boot=50)
    assert 0.5 < lo and abs(d - 1.0) < 0.4
    with pytest.raises(EvaluateError, match="n_boot"):
        fd_difference(a, b, ref, n_boot=0)
