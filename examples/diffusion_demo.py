"""Paper A end to end: a diffusion model whose sampling noise comes from simulated VCMA
junction arrays, with image quality and energy per image for each noise source.

Steps: load the data (Fashion-MNIST if installed, else scikit-learn's digits); train the
U-Net (or resume the run in --workdir); train the feature classifier; calibrate the
array's write amplitude by gradient to p = 0.5, 0.48 and 0.45; co-design the pulse
(amplitude and width) from the biased p = 0.45 one by gradient of W2(generated normals,
N(0, 1)) + an energy penalty through the simulated writes (diffusion.codesign); measure each array's
per-junction P(1|0), P(1|1) from simulated cycles (the calibrated sources); sample the
same number of images with software noise and with each device source (DDPM, the same
model and steps); a few images with the physical source (every bit one sLLG write
inside the sampler); FD and KID on the classifier's features against the test set with
bootstrap intervals; energy per image. Writes report.json and image grids (PNG).

    python examples/diffusion_demo.py --out diffusion_demo          # minutes on a CPU
    python examples/diffusion_demo.py --dataset fashion-mnist --images 2000 \
        --set train_steps=20000 --set channels=64                  # an accelerator
"""

import argparse
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import spinjax as sj
from spinjax import trng
from spinjax._trng.nonideal import IncompleteReset
from diffusion.classifier import predict, train_classifier
from diffusion.codesign import codesign_pulse
from diffusion.config import apply_overrides, small_config
from diffusion.data import load_dataset
from diffusion.device_noise import (
    BitsToGaussian, DeviceCalibratedNoise, DevicePhysicalNoise, calibrate)
from diffusion.evaluate import energy_per_image, sample_and_score, time_normal_draws
from diffusion.noise import SoftwareNoise
from diffusion.samplers import ddpm_sample
from diffusion.schedules import make_schedule
from diffusion.train import train
from diffusion.unet import eps_fn


def grid_png(x, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = min(len(x), 64)
    side = int(np.ceil(np.sqrt(n)))
    fig, axes = plt.subplots(side, side, figsize=(side, side))
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i < n:
            ax.imshow(np.asarray(x[i, ..., 0]), cmap="gray", vmin=-1, vmax=1)
    fig.suptitle(title, fontsize=8)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def array_sources(args, key, log):
    """Calibrated device sources: amplitudes tuned by gradient, then each array's
    Markov chain measured from simulated cycles."""
    dev = sj.devices.vcma_mtj()
    sched = trng.precessional_schedule(dev)
    amps, sources, info = {}, {}, {}
    for p in (0.5, 0.48, 0.45):
        res = trng.tune_amplitude_by_gradient(dev, sched, jax.random.fold_in(key, int(p * 100)),
                                              p, 0.85, 1.15, n_pairs=args.tune_pairs,
                                              tol=0.004)
        amps[p] = float(res.params["amplitude"])
        log(f"array amplitude for p = {p}: {amps[p]:.4f} V ({len(res.log)} gradient steps, "
            f"verified p = {float(np.ravel(res.p)[0]):.4f})")
    # Co-design: from the biased (p = 0.45) pulse, amplitude and width by gradient of
    # W2(law of the normals, N(0, 1)) + energy penalty through the simulated writes.
    t0 = time.perf_counter()
    cd = codesign_pulse(dev, sched, jax.random.fold_in(key, 45), amplitude_V=amps[0.45],
                        steps=args.codesign_steps)
    info["codesign"] = dict(cd.to_json(), seconds=time.perf_counter() - t0)
    log(f"co-designed from p = 0.45: A = {cd.amplitude_V:.4f} V, w = {cd.width_s * 1e9:.4f} ns, "
        f"verified p = {cd.p:.4f} +- {cd.p_se:.4f}, W2^2 {cd.history[0]['w2']:.2e} -> "
        f"{cd.w2:.2e}, energy {cd.energy0_J:.3e} -> {cd.energy_J:.3e} J "
        f"({info['codesign']['seconds']:.0f} s)")
    cd_sched = trng.precessional_schedule(dev, width_s=cd.width_s)
    n = args.junctions
    varied = sj.devices.sample_devices(jax.random.fold_in(key, 7), sj.devices.vcma_mtj, n,
                                       {"K_i0": sj.devices.Normal(0.002)})
    physical = {
        "ideal (p = 0.5)": DevicePhysicalNoise(dev, sched, amps[0.5], n),
        "biased p = 0.48": DevicePhysicalNoise(dev, sched, amps[0.48], n),
        "biased p = 0.45": DevicePhysicalNoise(dev, sched, amps[0.45], n),
        "correlated (30 % failed resets)": DevicePhysicalNoise(
            dev, sched, amps[0.5], n, reset=IncompleteReset(0.3)),
        "variation (0.2 % K_i0)": DevicePhysicalNoise(varied, trng.precessional_schedule(varied),
                                                      amps[0.5], n),
        "p = 0.45 after XOR of 2": DevicePhysicalNoise(dev, sched, amps[0.45], n,
                                                       to_gaussian=BitsToGaussian(xor=2)),
        "co-designed from p = 0.45 (W2 + energy)": DevicePhysicalNoise(
            dev, cd_sched, cd.amplitude_V, n),
    }
    for i, (name, src) in enumerate(physical.items()):
        t0 = time.perf_counter()
        sources[name] = calibrate(src, jax.random.fold_in(key, 100 + i), args.calib_cycles)
        p = np.asarray(sources[name].p10 / (1 - sources[name].p11 + sources[name].p10))
        info[name] = dict(mean_p=float(p.mean()), spread_p=float(p.std()),
                          lag1=float(np.mean(np.asarray(sources[name].p11 - sources[name].p10))),
                          calibration_s=time.perf_counter() - t0)
        log(f"calibrated {name}: mean p {p.mean():.4f}, spread {p.std():.4f}, lag-1 "
            f"{info[name]['lag1']:+.4f}")
    return dev, sched, amps, physical, sources, info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("diffusion_demo"))
    ap.add_argument("--workdir", type=Path, default=None, help="training run (default OUT/run)")
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--set", action="append", default=[], help="TrainConfig key=value")
    ap.add_argument("--images", type=int, default=400)
    ap.add_argument("--sample-steps", type=int, default=100)
    ap.add_argument("--physical-images", type=int, default=4)
    ap.add_argument("--junctions", type=int, default=1024)
    ap.add_argument("--calib-cycles", type=int, default=200)
    ap.add_argument("--tune-pairs", type=int, default=8192)
    ap.add_argument("--classifier-steps", type=int, default=600)
    ap.add_argument("--codesign-steps", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    log = lambda s: print(f"[{time.perf_counter() - t_start:6.1f} s] {s}", flush=True)  # noqa: E731
    cfg = apply_overrides(small_config(dataset=args.dataset, train_steps=2000, batch_size=64,
                                       log_every=250, checkpoint_every=1000), args.set)
    data = load_dataset(cfg.dataset, path=cfg.data_path, pad_to=cfg.pad_to, limit=cfg.limit)
    log(f"data: {data.name} from {data.source}, train {data.x_train.shape}")
    model, state = train(cfg, args.workdir or out / "run", data.x_train, log=log)
    eps = eps_fn(model, {"params": state.ema_params})
    clf, clf_params, acc = train_classifier(data.x_train, data.y_train, data.x_test, data.y_test,
                                            num_classes=data.num_classes,
                                            steps=args.classifier_steps, log=log)
    _, f_ref = predict(clf, clf_params, data.x_test)
    key = jax.random.key(args.seed)
    dev, sched, amps, physical, sources, info = array_sources(args, key, log)
    schedule = make_schedule(cfg.schedule, cfg.timesteps)
    shape = (args.images, *data.x_train.shape[1:])
    rows = []
    n = args.junctions
    ideal = {k: DeviceCalibratedNoise(jnp.full((n,), 0.5), jnp.full((n,), 0.5),
                                      BitsToGaussian(k=k)) for k in (10, 16)}
    all_sources = {"software (jax.random.normal)": SoftwareNoise(),
                   "ideal bits (Bernoulli 1/2, 10-bit inverse CDF)": ideal[10],
                   "ideal bits (Bernoulli 1/2, 16-bit inverse CDF)": ideal[16], **sources}
    for i, (name, src) in enumerate(all_sources.items()):
        r = sample_and_score(eps, schedule, src, jax.random.fold_in(key, 1000), shape,
                             args.sample_steps, clf, clf_params, f_ref, repeats=0)
        grid_png(r.pop("x"), out / f"samples_{i}.png", name)
        r.pop("features")
        r["sample_s"] = r.pop("first_call_s")   # one call each, compilation included
        rows.append(dict(source=name, **r, **info.get(name, {})))
        fd, ext = r["fd"], r["fd_extrapolated"]
        log(f"{name}: FD {fd[0]:.2f} [{fd[1]:.2f}, {fd[2]:.2f}], extrapolated {ext[0]:.2f} "
            f"[{ext[1]:.2f}, {ext[2]:.2f}], KID {r['kid'][0]:.4f}, {r['sample_s']:.1f} s")
    # A few images with the physical source: every bit one sLLG write in the loop.
    t0 = time.perf_counter()
    xp = ddpm_sample(eps, schedule, physical["ideal (p = 0.5)"], jax.random.fold_in(key, 2000),
                     (args.physical_images, *data.x_train.shape[1:]), args.sample_steps)
    xp = np.asarray(jax.block_until_ready(xp))
    phys_s = time.perf_counter() - t0
    grid_png(xp, out / "samples_physical.png", "physical source (sLLG writes in the loop)")
    log(f"physical source: {args.physical_images} images in {phys_s:.1f} s "
        f"({args.physical_images / phys_s:.3g} images/s, compilation included)")
    # Energy of the random numbers of one image (the U-Net's cost is the same for all).
    npi = rows[0]["normals_per_image"]
    cpu_s = time_normal_draws(int(npi * args.images), jax.random.key(1)) / (npi * args.images)
    energy = {"tuned (p = 0.5)": energy_per_image(npi, 10, dev, sched.pulse(amps[0.5]), cpu_s),
              "co-designed": energy_per_image(
                  npi, 10, dev, trng.precessional_schedule(
                      dev, width_s=info["codesign"]["width_s"]).pulse(
                      info["codesign"]["amplitude_V"]), cpu_s)}
    report = dict(data=dict(name=data.name, source=data.source), config=json.loads(cfg.to_json()),
                  classifier_test_accuracy=acc, amplitudes_V={str(k): v for k, v in amps.items()},
                  quality=rows, physical=dict(images=args.physical_images, seconds=phys_s),
                  energy=energy, codesign=info["codesign"],
                  total_s=time.perf_counter() - t_start,
                  note="FD and KID are on the project's classifier features ('FD (classifier "
                       "features)'), not Inception features: not comparable with FID.")
    (out / "report.json").write_text(json.dumps(report, indent=1, default=float) + "\n")
    print("\n| noise source | FD (classifier features) [95 % bootstrap] | FD extrapolated "
          "to n = inf [95 %] | KID | TV from uniform classes | sampling s |\n"
          "|---|---:|---:|---:|---:|---:|")
    for r in rows:
        fd, ext = r["fd"], r["fd_extrapolated"]
        print(f"| {r['source']} | {fd[0]:.2f} [{fd[1]:.2f}, {fd[2]:.2f}] | {ext[0]:.2f} "
              f"[{ext[1]:.2f}, {ext[2]:.2f}] | {r['kid'][0]:.4f} +- {r['kid'][1]:.4f} | "
              f"{r['classes']['tv_from_uniform']:.3f} | {r['sample_s']:.1f} |")
    c = info["codesign"]
    print(f"\nco-design from p = 0.45: p {c['history'][0]['p']:.3f} -> {c['p']:.4f} +- "
          f"{c['p_se']:.4f}, W2^2 {c['history'][0]['w2']:.2e} -> {c['w2']:.2e}, energy per "
          f"write {c['energy0_J']:.3e} -> {c['energy_J']:.3e} J")
    print(f"\nclassifier test accuracy {acc:.4f}\n\n| random numbers of one image | J | "
          "assumptions |\n|---|---:|---|")
    e = energy["tuned (p = 0.5)"]
    for label, row in (("device array, writes (p = 0.5 pulse)", e["device"]),
                       ("device array, writes (co-designed pulse)",
                        energy["co-designed"]["device"]),
                       ("device array, write + reset + read", e["device_cycle"]),
                       ("software, this CPU (measured)", e["software_cpu"]),
                       ("software, H100 (stated, not measured)", e["software_gpu"])):
        print(f"| {label} | {row['J_per_image']:.3g} | {row['assumptions']} |")
    log(f"report in {out}/report.json")


if __name__ == "__main__":
    main()
