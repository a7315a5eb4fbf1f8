"""The noise sources of paper A's quality table, built from spinjax's VCMA preset.

[`paper_a_sources`][diffusion.sources.paper_a_sources] tunes the array's write amplitude by
gradient to p = 0.5, 0.48 and 0.45 (``spinjax.trng.tune_amplitude_by_gradient``), co-designs
a pulse from the biased p = 0.45 one ([`diffusion.codesign.codesign_pulse`][]), and builds
one physical source per row (every bit one sLLG write:
[`DevicePhysicalNoise`][diffusion.device_noise.DevicePhysicalNoise]) and its calibrated twin
(each junction's measured two-state Markov chain: [`diffusion.device_noise.calibrate`][]),
which samples as fast as software noise.
"""

import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

import spinjax as sj
from spinjax import trng

from .codesign import codesign_pulse
from .device_noise import BitsToGaussian, DeviceCalibratedNoise, DevicePhysicalNoise, calibrate
from .noise import SoftwareNoise

__all__ = ["TUNED", "paper_a_sources", "reference_sources"]

TUNED = "junction array tuned to p = 0.5"


def reference_sources(junctions: int, ideal_bits: tuple[int, ...] = (10,)) -> dict:
    """Software normals and ideal bits (Bernoulli 1/2 per junction, no device) turned
    into normals by a k-bit inverse CDF for each k in `ideal_bits` (16 bits shows how
    much of a gap is the 10-bit discretization)."""
    half = jnp.full((junctions,), 0.5)
    return {"software (jax.random.normal)": SoftwareNoise(),
            **{f"ideal bits (Bernoulli 1/2, {k}-bit inverse CDF)":
               DeviceCalibratedNoise(half, half, BitsToGaussian(k=k)) for k in ideal_bits}}


def paper_a_sources(key, *, junctions: int = 1024, calib_cycles: int = 200,
                    tune_pairs: int = 8192, codesign_steps: int = 60,
                    log: Callable[[str], None] = print):
    """Tune, co-design and calibrate the device rows of the quality table.

    Returns ``(device, schedule, amplitudes, physical, calibrated, info)``:
    The co-design takes 2 x `tune_pairs` pairs per step and verifies its p with
    4 x `tune_pairs`. `amplitudes` {p: V}; `physical` and `calibrated` {row name: source}, the rows:
    tuned (p = 0.5), biased p = 0.48 and p = 0.45, 30 % failed resets, 0.2 % K_i0
    variation, p = 0.45 after XOR of 2 bits, co-designed from p = 0.45; `info` per row
    the measured mean p, its spread over junctions and the lag-1 correlation, and the
    co-design's record under "codesign".
    """
    dev = sj.devices.vcma_mtj()
    sched = trng.precessional_schedule(dev)
    amps, info = {}, {}
    for p in (0.5, 0.48, 0.45):
        res = trng.tune_amplitude_by_gradient(dev, sched, jax.random.fold_in(key, int(p * 100)),
                                              p, 0.85, 1.15, n_pairs=tune_pairs, tol=0.004)
        amps[p] = float(res.params["amplitude"])
        log(f"array amplitude for p = {p}: {amps[p]:.4f} V ({len(res.log)} gradient steps, "
            f"verified p = {float(np.ravel(res.p)[0]):.4f})")
    t0 = time.perf_counter()
    cd = codesign_pulse(dev, sched, jax.random.fold_in(key, 45), amplitude_V=amps[0.45],
                        steps=codesign_steps, n_pairs=2 * tune_pairs,
                        verify_pairs=4 * tune_pairs)
    info["codesign"] = dict(cd.to_json(), seconds=time.perf_counter() - t0)
    log(f"co-designed from p = 0.45: A = {cd.amplitude_V:.4f} V, w = {cd.width_s * 1e9:.4f} "
        f"ns, verified p = {cd.p:.4f} +- {cd.p_se:.4f}, energy {cd.energy0_J:.3e} -> "
        f"{cd.energy_J:.3e} J ({info['codesign']['seconds']:.0f} s)")
    cd_sched = trng.precessional_schedule(dev, width_s=cd.width_s)
    n = junctions
    varied = sj.devices.sample_devices(jax.random.fold_in(key, 7), sj.devices.vcma_mtj, n,
                                       {"K_i0": sj.devices.Normal(0.002)})
    physical = {
        TUNED: DevicePhysicalNoise(dev, sched, amps[0.5], n),
        "biased p = 0.48": DevicePhysicalNoise(dev, sched, amps[0.48], n),
        "biased p = 0.45": DevicePhysicalNoise(dev, sched, amps[0.45], n),
        "p = 0.45 after XOR of 2 bits": DevicePhysicalNoise(
            dev, sched, amps[0.45], n, to_gaussian=BitsToGaussian(xor=2)),
        "30 % failed resets": DevicePhysicalNoise(dev, sched, amps[0.5], n,
                                                  reset=trng.IncompleteReset(0.3)),
        "0.2 % K_i0 variation": DevicePhysicalNoise(
            varied, trng.precessional_schedule(varied), amps[0.5], n),
        "co-designed from p = 0.45": DevicePhysicalNoise(dev, cd_sched, cd.amplitude_V, n),
    }
    calibrated = {}
    for i, (name, src) in enumerate(physical.items()):
        t0 = time.perf_counter()
        calibrated[name] = c = calibrate(src, jax.random.fold_in(key, 100 + i), calib_cycles)
        p = np.asarray(c.p10 / (1 - c.p11 + c.p10))
        info[name] = dict(mean_p=float(p.mean()), spread_p=float(p.std()),
                          lag1=float(np.mean(np.asarray(c.p11 - c.p10))),
                          calibration_s=time.perf_counter() - t0)
        log(f"calibrated {name}: mean p {p.mean():.4f}, spread {p.std():.4f}, lag-1 "
            f"{info[name]['lag1']:+.4f} ({info[name]['calibration_s']:.1f} s)")
    return dev, sched, amps, physical, calibrated, info
