r"""Scoring and energy bookkeeping shared by the paper-A demo and ``benchmarks/diffusion.py``.

- [`time_sampling`][diffusion.evaluate.time_sampling]: one sampler call (compiled on the
  first call) and the median wall time of `repeats` further calls with the same arguments,
  which hit the compiled program: sampling time without compilation.
- [`score_samples`][diffusion.evaluate.score_samples], and
  [`sample_and_score`][diffusion.evaluate.sample_and_score] (sample, then score): the
  image-quality metrics of [`diffusion.metrics`][] on the classifier's features, "FD
  (classifier features)" with a bootstrap interval and extrapolated to infinitely many
  samples, KID and the class histogram. Not FID.
  [`fd_difference`][diffusion.evaluate.fd_difference] bootstraps the difference of two
  generators' FDs.
- [`time_normal_draws`][diffusion.evaluate.time_normal_draws] and
  [`energy_per_image`][diffusion.evaluate.energy_per_image]: the energy of the random
  numbers of one image, from a junction array (write energy of the tuned pulse per bit) and
  from software on a CPU (measured) and a GPU (stated, not measured).

Only the random numbers are costed: the U-Net's evaluations are the same for every
noise source and are left out of every row. All energies in J, times in s, powers in W.
"""

import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

from .classifier import predict
from .errors import EvaluateError
from .metrics import (
    bootstrap_interval, class_histogram, frechet_distance, kernel_distance, subsample_interval)
from .samplers import ddpm_sample

CPU_POWER_W = 12.5
"""2 cores' share of a 56-core, 350 W Xeon (benchmarks/energy_table.py): 2 x 350/56 W.
Scale it by the cores a measurement used."""
GPU_POWER_W = 700.0
"""NVIDIA H100 SXM board power (datasheet)."""
GPU_WRITE_BYTES_PER_S = 3.35e12
"""H100 SXM HBM3 bandwidth (datasheet), taken as the bound on storing random numbers."""


def _check_int(name, value, lo):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise EvaluateError(f"{name} = {value!r}; expected an integer >= {lo}.")
    return int(value)


def _check_positive(name, value):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise EvaluateError(f"{name} = {value!r}; expected a finite number > 0.") from None
    if not (np.isfinite(v) and v > 0):
        raise EvaluateError(f"{name} = {value!r}; expected a finite number > 0.")
    return v


def time_sampling(eps, schedule, source, key, shape, steps, *, repeats: int = 1,
                  sampler=ddpm_sample) -> dict:
    """Sample `shape` images in `steps` steps with noise from `source`, then time
    `repeats` more identical calls (same key: same samples, no recompilation).

    Returns a dict: ``x`` (the samples, numpy), ``normals`` (standard normals drawn),
    ``first_call_s`` (the first call, compilation included), ``times_s`` (the timed
    calls) and ``wall_s`` (their median; None when `repeats` is 0).
    """
    repeats = _check_int("repeats", repeats, 0)
    steps = _check_int("steps", steps, 1)

    def call():
        t0 = time.perf_counter()
        x, n = sampler(eps, schedule, source, key, shape, steps, return_num_normals=True)
        x = jax.block_until_ready(x)
        return x, n, time.perf_counter() - t0

    x, n, first = call()
    times = [call()[2] for _ in range(repeats)]
    return dict(x=np.asarray(x), normals=int(n), first_call_s=first, times_s=times,
                wall_s=statistics.median(times) if times else None)


def _check_level(level):
    if not 0 < level < 1:
        raise EvaluateError(f"level = {level!r}; expected a probability in (0, 1).")


def _check_ref(f_ref):
    f_ref = np.asarray(f_ref, np.float64)
    if f_ref.ndim != 2 or f_ref.shape[0] < 2 or not np.all(np.isfinite(f_ref)):
        raise EvaluateError(f"f_ref must be finite features of shape (n >= 2, d); got shape "
                            f"{f_ref.shape}.")
    return f_ref


def score_samples(x, clf, clf_params, f_ref, *, n_boot: int = 30, n_sub: int = 20,
                  kid_subsets: int = 20, level: float = 0.95) -> dict:
    r"""Image-quality metrics of samples `x` (n, H, W, C) against reference features
    `f_ref` (n_ref, d) of the classifier `clf` (parameters `clf_params`).

    Returns a dict: ``fd`` = (value, lo, hi), the Frechet distance of the classifier
    features and its percentile bootstrap interval at `level` from `n_boot` resamples
    of the generated features (the interval sits above the value: resampling
    duplicates features, which the distance's $d/n$ bias sees); ``fd_extrapolated`` =
    (value, lo, hi), the distance extrapolated to infinitely many samples with its
    interval ([`diffusion.metrics.subsample_interval`][], `n_sub` subsets per size,
    both sets subsampled: free of the $d/n$ bias, valid for n well above d) and
    ``fd_bias``, the bias of ``fd[0]`` it fitted; ``kid`` = (mean, standard error over
    `kid_subsets` subsets of up to 300 images: the spread of subsets of these samples,
    not of new samples); ``classes`` ([`diffusion.metrics.class_histogram`][]);
    ``features``, those of `x`.
    """
    n_boot = _check_int("n_boot", n_boot, 1)
    n_sub = _check_int("n_sub", n_sub, 2)
    kid_subsets = _check_int("kid_subsets", kid_subsets, 2)
    _check_level(level)
    f_ref = _check_ref(f_ref)
    logits, feats = predict(clf, clf_params, x)
    if feats.shape[1] != f_ref.shape[1]:
        raise EvaluateError(f"f_ref has {f_ref.shape[1]} features per image but the "
                            f"classifier gives {feats.shape[1]}.")
    fd = bootstrap_interval(frechet_distance, feats, f_ref, n_boot=n_boot, level=level)
    ext = subsample_interval(frechet_distance, feats, f_ref, n_sub=n_sub, level=level)
    kid = kernel_distance(feats, f_ref, subsets=kid_subsets,
                          subset_size=min(300, len(feats), len(f_ref)))
    return dict(fd=fd, fd_extrapolated=(ext.value, ext.lo, ext.hi), fd_bias=ext.bias,
                kid=kid, classes=class_histogram(logits), features=feats)


def sample_and_score(eps, schedule, source, key, shape, steps, clf, clf_params, f_ref, *,
                     n_boot: int = 30, n_sub: int = 20, kid_subsets: int = 20,
                     repeats: int = 1, sampler=ddpm_sample, level: float = 0.95) -> dict:
    """[`time_sampling`][diffusion.evaluate.time_sampling], then
    [`score_samples`][diffusion.evaluate.score_samples] of its samples. Returns the latter's
    dict with ``normals_per_image``, ``sample_s``
    ([`time_sampling`][diffusion.evaluate.time_sampling]'s ``wall_s``: compilation excluded;
    None when `repeats` is 0), ``first_call_s``, ``times_s`` and ``x``, the samples. The
    same arguments give the same result."""
    for name, v, lo in (("n_boot", n_boot, 1), ("n_sub", n_sub, 2),
                        ("kid_subsets", kid_subsets, 2)):
        _check_int(name, v, lo)   # before the sampling, which takes time
    _check_level(level)
    _check_ref(f_ref)
    shape = tuple(shape)
    if not shape:
        raise EvaluateError("shape = (); expected (images, H, W, C), images >= 2.")
    _check_int("shape[0] (the number of images)", shape[0], 2)
    run = time_sampling(eps, schedule, source, key, shape, steps, repeats=repeats,
                        sampler=sampler)
    scores = score_samples(run["x"], clf, clf_params, f_ref, n_boot=n_boot, n_sub=n_sub,
                           kid_subsets=kid_subsets, level=level)
    return dict(scores, normals_per_image=run["normals"] / shape[0], sample_s=run["wall_s"],
                first_call_s=run["first_call_s"], times_s=run["times_s"], x=run["x"])


def fd_difference(f_a, f_b, f_ref, *, n_boot: int = 30, level: float = 0.95,
                  seed: int = 0) -> tuple[float, float, float]:
    """FD(`f_a`, `f_ref`) - FD(`f_b`, `f_ref`) and its percentile bootstrap interval,
    `f_a` and `f_b` resampled independently (the reference fixed). Both distances
    carry the same small-sample bias at equal n, which the difference cancels: an
    interval that contains 0 says the two generators are not told apart by this test.
    Returns (value, lo, hi).

    Why a loop and not ``scipy.stats.bootstrap`` (which
    [`bootstrap_interval`][diffusion.metrics.bootstrap_interval] uses): scipy resamples its
    samples one after the other (all of `f_a`'s resamples, then all of `f_b`'s), this loop
    interleaves them (a, b, a, b, ...) from one generator, so the same seed would give
    other intervals than the recorded demo and benchmark figures, and the loop is four
    lines."""
    n_boot = _check_int("n_boot", n_boot, 1)
    _check_level(level)
    f_a, f_b = np.asarray(f_a, np.float64), np.asarray(f_b, np.float64)
    rng = np.random.default_rng(seed)
    value = frechet_distance(f_a, f_ref) - frechet_distance(f_b, f_ref)
    boots = [frechet_distance(f_a[rng.integers(0, len(f_a), len(f_a))], f_ref)
             - frechet_distance(f_b[rng.integers(0, len(f_b), len(f_b))], f_ref)
             for _ in range(n_boot)]
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return float(value), float(lo), float(hi)


def fd_comparison(f_a, f_b, f_ref, *, tolerance: float, n_boot: int = 200,
                  level: float = 0.95, seed: int = 0) -> dict:
    r"""Is generator A (features `f_a`) told apart from B (`f_b`) by FD, at this
    sample size? [`fd_difference`][diffusion.evaluate.fd_difference] gives $\Delta$ = FD(A)
    - FD(B) with its interval $[l, h]$; the verdict is "different" when the interval
      excludes 0, "equivalent"
    when it lies inside $\pm$`tolerance` (two one-sided tests at level $(1+\ell)/2$
    each), else "undecided". ``mdd_80`` is the smallest true difference detected with
    80 % power by a two-sided test at 5 %: $(z_{0.975} + z_{0.8})\,\sigma_\Delta$,
    with $\sigma_\Delta$ = (h - l) / (2 z_{(1+\ell)/2}) the bootstrap's standard
    error; the comparison is decided at this size when ``mdd_80`` <= `tolerance`."""
    from scipy.stats import norm
    if (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float, np.number))
            or not (np.isfinite(tolerance) and tolerance > 0)):
        raise EvaluateError(f"tolerance = {tolerance!r}; expected a finite FD difference > 0.")
    value, lo, hi = fd_difference(f_a, f_b, f_ref, n_boot=n_boot, level=level, seed=seed)
    se = (hi - lo) / (2 * norm.ppf((1 + level) / 2))
    mdd = float((norm.ppf(0.975) + norm.ppf(0.8)) * se)
    verdict = ("different" if lo > 0 or hi < 0 else
               "equivalent" if -tolerance < lo and hi < tolerance else "undecided")
    return dict(difference=[value, lo, hi], tolerance=float(tolerance), verdict=verdict,
                se=float(se), mdd_80=mdd, powered=bool(mdd <= tolerance),
                n_a=int(len(f_a)), n_b=int(len(f_b)))


def time_normal_draws(n: int, key, *, repeats: int = 3, dtype=jnp.float32,
                      device=None) -> float:
    """Median wall time in s of one jitted ``jax.random.normal(key, (n,), dtype)`` on
    `device` (a ``jax.Device``; None: the default one), after an untimed call that
    compiles it (``block_until_ready``)."""
    n = _check_int("n", n, 1)
    repeats = _check_int("repeats", repeats, 1)
    if device is not None:
        key = jax.device_put(key, device)
    draw = jax.jit(lambda k: jax.random.normal(k, (n,), dtype))
    jax.block_until_ready(draw(key))
    times = []
    for i in range(repeats):
        k = jax.random.fold_in(key, i + 1)
        t0 = time.perf_counter()
        jax.block_until_ready(draw(k))
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def energy_per_image(normals_per_image, bits_per_normal: int, device, pulse,
                     cpu_s_per_normal, *, cpu_power_W: float = CPU_POWER_W,
                     gpu_power_W: float = GPU_POWER_W,
                     gpu_write_bytes_per_s: float = GPU_WRITE_BYTES_PER_S,
                     bytes_per_normal: int = 4, read_V: float = 0.1,
                     read_s: float = 1e-9) -> dict:
    r"""Energy of the random numbers of one image, in J, from three sources.

    - ``device``: $n_\mathrm{bits} E_\mathrm{write}$ with $n_\mathrm{bits}$ =
      `normals_per_image` x `bits_per_normal` and $E_\mathrm{write}$ =
      ``spinjax.devices.barrier_write_energy_J(device, pulse)`` (the write `pulse` on
      the barrier in the parallel state: $\int V^2/R\,dt + C V^2$);
      ``device_cycle`` adds per bit a reset counted as one more such write and a read at
      `read_V` for `read_s` (``read_energy_J``, parallel state), the per-bit count of
      ``benchmarks/energy_table.py``. Access transistors and drivers are not counted.
    - ``software_cpu``: `normals_per_image` x `cpu_s_per_normal` (measured, e.g. with
      [`time_normal_draws`][diffusion.evaluate.time_normal_draws]) x `cpu_power_W`.
    - ``software_gpu``: `normals_per_image` x `bytes_per_normal` /
      `gpu_write_bytes_per_s` x `gpu_power_W`: an H100 whose random numbers cost no
      more than storing them to HBM; stated, not measured.

    Returns a dict of those three (and ``device_cycle``), each a dict with
    ``J_per_image`` and ``assumptions`` (text), and the inputs ``bits_per_image``,
    ``write_J_per_bit``.
    """
    from spinjax.devices import barrier_write_energy_J, read_energy_J

    normals = _check_positive("normals_per_image", normals_per_image)
    bits_per_normal = _check_int("bits_per_normal", bits_per_normal, 1)
    bytes_per_normal = _check_int("bytes_per_normal", bytes_per_normal, 1)
    s_per_normal = _check_positive("cpu_s_per_normal", cpu_s_per_normal)
    cpu_power_W = _check_positive("cpu_power_W", cpu_power_W)
    gpu_power_W = _check_positive("gpu_power_W", gpu_power_W)
    gpu_bw = _check_positive("gpu_write_bytes_per_s", gpu_write_bytes_per_s)
    read_V, read_s = _check_positive("read_V", read_V), _check_positive("read_s", read_s)
    e_write = float(barrier_write_energy_J(device, pulse))
    e_read = float(read_energy_J(device, read_V, read_s, "parallel"))
    if not (np.isfinite(e_write) and e_write > 0):
        raise EvaluateError(f"barrier_write_energy_J of the pulse is {e_write!r}; expected a "
                            f"finite energy > 0 (check the pulse's amplitude).")
    bits = normals * bits_per_normal
    return dict(
        bits_per_image=bits, write_J_per_bit=e_write, read_J_per_bit=e_read,
        device=dict(J_per_image=bits * e_write, assumptions=(
            f"{bits_per_normal} bits per normal, each one write of the tuned pulse: "
            f"barrier Joule heat + C V^2 in the parallel state ({e_write:.3g} J); no reset, "
            "read, access transistor or driver")),
        device_cycle=dict(J_per_image=bits * (2 * e_write + e_read), assumptions=(
            f"per bit: the write, a reset counted as one more write, a read at {read_V:g} V "
            f"for {read_s:g} s ({e_read:.3g} J), as benchmarks/energy_table.py")),
        software_cpu=dict(J_per_image=normals * s_per_normal * cpu_power_W, assumptions=(
            f"jax.random.normal measured at {s_per_normal:.3g} s per normal x "
            f"{cpu_power_W:g} W (at 350/56 W per core of a 56-core 350 W Xeon: "
            f"{cpu_power_W / (350 / 56):g} cores)")),
        software_gpu=dict(J_per_image=normals * bytes_per_normal / gpu_bw * gpu_power_W,
                          assumptions=(
            f"not measured: H100 SXM at {gpu_power_W:g} W with {bytes_per_normal}-byte "
            f"normals bound by HBM3 write bandwidth {gpu_bw:.3g} B/s")))
