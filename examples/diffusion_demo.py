"""Paper A end to end: a diffusion model whose sampling noise comes from simulated VCMA
junction arrays, with image quality and energy per image for each noise source.

By default it samples the shipped Fashion-MNIST 28x28 model
(``diffusion/checkpoints/fashion28``, trained on one H200) when Fashion-MNIST is
installed (Debian's ``dataset-fashion-mnist``, or ``$SPINJAX_DATA_DIR``); otherwise it
trains the small 8x8-digits model first and says why. Then: tune the array's write
amplitude by gradient to p = 0.5, 0.48 and 0.45; co-design a pulse from the biased one;
calibrate each array from simulated write cycles; sample the same number of images
with every noise source (same model, key and DDPM steps); a few images with the
physical source (every bit an sLLG write inside the sampler); FD and KID on the
project's classifier features with intervals; software vs the tuned array decided by
an FD-difference test with its power; energy per image. Writes report.json,
quality.md, energy.md and figures (PNG) to --out.

    python examples/diffusion_demo.py --out diffusion_demo        # minutes on 2 cores
    python examples/diffusion_demo.py --train                     # retrain first
"""

import argparse
import json
import math
import re
import sys
import time
from pathlib import Path

import jax
import numpy as np

from diffusion.checkpoint import SHIPPED, load
from diffusion.classifier import predict
from diffusion.configs import get_config
from diffusion.device_noise import DevicePhysicalNoise
from diffusion.data import HOW_TO_GET, find_fashion_mnist, load_dataset
from diffusion.evaluate import (energy_per_image, fd_comparison, sample_and_score,
                                time_normal_draws)
from diffusion.figures import energy_table, fd_chart, sample_grid
from diffusion.samplers import ddpm_sample
from diffusion.schedules import make_schedule
from diffusion.sources import TUNED, paper_a_sources, reference_sources
from diffusion.train import train_and_evaluate
from spinjax import trng

SOFTWARE = "software (jax.random.normal)"


def choose_data(dataset: str, log):
    """Fashion-MNIST when found (or asked for), else the 8x8 digits, with the reason."""
    if dataset == "auto":
        found = find_fashion_mnist()
        if found is None:
            log(f"data: scikit-learn's 8x8 digits, because Fashion-MNIST was not found; to "
                f"run the 28x28 model, {HOW_TO_GET}")
            return load_dataset("digits")
        dataset = "fashion-mnist"
    data = load_dataset(dataset)
    log(f"data: {data.name} from {data.source}: train {data.x_train.shape[0]}, test "
        f"{data.x_test.shape[0]} images of {data.x_train.shape[1:3]}")
    return data


def get_model(args, data, log):
    """The shipped (or --checkpoint) model for Fashion-MNIST; a model trained here for
    --train or for other data."""
    if data.name == "fashion-mnist" and not args.train:
        model = load(args.checkpoint, config=get_config("fashion28"), data=data)
        m = model.meta
        log(f"model: {args.checkpoint} ({m['parameters']:,} parameters, {m['steps']} steps "
            f"on {m['device']}, {m['train_wall_s']:.0f} s; classifier accuracy "
            f"{m['classifier_test_accuracy']:.4f})")
        return model
    name = "fashion28" if data.name == "fashion-mnist" else "default"
    config = get_config(name)
    workdir = args.workdir or args.out / "run"
    log(f"model: training config {name!r} in {workdir} (resumes a run there)"
        + ("; on a CPU this 28x28 model takes hours: pass --time-budget-s"
           if name == "fashion28" and jax.default_backend() == "cpu" else ""))
    train_and_evaluate(config, workdir, time_budget_s=args.time_budget_s,
                       classifier_steps=args.classifier_steps, log=log)
    return load(workdir / "export", config=config, data=data)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def strict(obj):
    """`obj` with every non-finite float replaced by None (strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("diffusion_demo"), help="output folder")
    ap.add_argument("--checkpoint", type=Path, default=SHIPPED,
                    help="an export folder (default: the shipped fashion28 model)")
    ap.add_argument("--train", action="store_true",
                    help="train the model here instead of loading the checkpoint")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="training run folder with --train (default OUT/run)")
    ap.add_argument("--time-budget-s", type=float, default=None,
                    help="with --train: stop training after this many seconds")
    ap.add_argument("--classifier-steps", type=int, default=1500,
                    help="with --train: steps of the feature classifier")
    ap.add_argument("--dataset", default="auto", choices=("auto", "fashion-mnist", "digits"),
                    help="auto: Fashion-MNIST if installed, else the 8x8 digits")
    ap.add_argument("--images", type=int, default=32, help="images per noise source")
    ap.add_argument("--sample-steps", type=int, default=15, help="DDPM steps (respaced)")
    ap.add_argument("--physical-images", type=int, default=4,
                    help="images sampled with every bit an sLLG write")
    ap.add_argument("--junctions", type=int, default=1024,
                    help="junctions per calibrated array")
    ap.add_argument("--physical-junctions", type=int, default=None,
                    help="junctions of the physical source's array (default: one write "
                         "cycle per sampler step, 10 bits per pixel)")
    ap.add_argument("--calib-cycles", type=int, default=100,
                    help="write cycles that calibrate each array")
    ap.add_argument("--tune-pairs", type=int, default=4096,
                    help="antithetic write pairs per gradient step of the tuning")
    ap.add_argument("--codesign-steps", type=int, default=15, help="co-design steps")
    ap.add_argument("--reference-images", type=int, default=2000,
                    help="test images whose classifier features are the reference of FD "
                         "and KID (default 2000; all 10000 on an accelerator)")
    ap.add_argument("--tolerance", type=float, default=0.1,
                    help="FD difference, relative to software's FD, below which the tuned "
                         "array counts as equivalent (default 0.1)")
    ap.add_argument("--seed", type=int, default=0, help="the key of everything random")
    args = ap.parse_args(argv)
    for name in ("images", "reference_images", "sample_steps", "physical_images",
                 "junctions", "calib_cycles", "tune_pairs", "codesign_steps",
                 "classifier_steps"):
        low = 16 if name in ("images", "reference_images") else 1
        if getattr(args, name) < low:
            ap.error(f"--{name.replace('_', '-')} = {getattr(args, name)}; it must be >= {low}")
    if args.physical_junctions is not None and args.physical_junctions < 1:
        ap.error(f"--physical-junctions = {args.physical_junctions}; it must be >= 1")
    if not (math.isfinite(args.tolerance) and args.tolerance > 0):
        ap.error(f"--tolerance = {args.tolerance}; it must be a finite number > 0")
    if args.time_budget_s is not None and not args.time_budget_s > 0:
        ap.error(f"--time-budget-s = {args.time_budget_s}; it must be > 0")
    return args


def main(argv=None):
    args = parse(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    log = lambda s: print(f"[{time.perf_counter() - t_start:6.1f} s] {s}", flush=True)  # noqa: E731
    data = choose_data(args.dataset, log)
    model = get_model(args, data, log)
    n_ref = min(args.reference_images, len(data.x_test))
    _, f_ref = predict(model.classifier, model.classifier_params, data.x_test[:n_ref])
    log(f"reference: classifier features of {n_ref} test images")
    key = jax.random.key(args.seed)
    dev, sched, amps, physical, calibrated, info = paper_a_sources(
        key, junctions=args.junctions, calib_cycles=args.calib_cycles,
        tune_pairs=args.tune_pairs, codesign_steps=args.codesign_steps, log=log)
    schedule = make_schedule(model.config.schedule, model.config.timesteps)
    shape = (args.images, *model.image_shape)
    rows, feats = [], {}
    for name, src in {**reference_sources(args.junctions), **calibrated}.items():
        r = sample_and_score(model.eps, schedule, src, jax.random.fold_in(key, 1000), shape,
                             args.sample_steps, model.classifier, model.classifier_params,
                             f_ref, repeats=0)
        feats[name] = r.pop("features")
        fd, ext = r["fd"], r["fd_extrapolated"]
        sample_grid(r.pop("x"), f"{name}: FD {ext[0]:.2f} [{ext[1]:.2f}, {ext[2]:.2f}] "
                    f"({args.images} images, {args.sample_steps} DDPM steps)"
                    ).savefig(out / f"samples_{slug(name)}.png", dpi=100)
        r["sample_s"] = r.pop("first_call_s")  # one call each, compilation included
        rows.append(dict(source=name, **r, **info.get(name, {})))
        log(f"{name}: FD {fd[0]:.2f} [{fd[1]:.2f}, {fd[2]:.2f}], extrapolated {ext[0]:.2f} "
            f"[{ext[1]:.2f}, {ext[2]:.2f}], KID {r['kid'][0]:.4f}, {r['sample_s']:.1f} s")
    by = {r["source"]: r for r in rows}
    soft = by[SOFTWARE]["fd_extrapolated"]
    tolerance = args.tolerance * by[SOFTWARE]["fd"][0]
    comparison = fd_comparison(feats[TUNED], feats[SOFTWARE], f_ref, tolerance=tolerance)
    targets = {name: dict(fd_extrapolated=by[name]["fd_extrapolated"][0],
                          inside_software_interval=bool(
                              soft[1] <= by[name]["fd_extrapolated"][0] <= soft[2]))
               for name in (TUNED, "biased p = 0.45")}
    fd_chart(rows, reference=SOFTWARE,
             title=f"FD extrapolated to n = inf, 95 % interval ({data.name}, {args.images} "
                   f"images per source)").savefig(out / "fd_chart.png", dpi=110)
    # A few images with the physical source: every bit one sLLG write in the loop.
    t0 = time.perf_counter()
    n_phys = args.physical_junctions or args.physical_images * math.prod(model.image_shape) * 10
    source = DevicePhysicalNoise(dev, sched, amps[0.5], n_phys)
    xp = ddpm_sample(model.eps, schedule, source, jax.random.fold_in(key, 2000),
                     (args.physical_images, *model.image_shape), args.sample_steps)
    xp = np.asarray(jax.block_until_ready(xp))
    phys_s = time.perf_counter() - t0
    writes = args.physical_images * math.prod(model.image_shape) * args.sample_steps * 10
    sample_grid(xp, f"physical source: every bit an sLLG write ({writes:,} writes, "
                f"{phys_s:.0f} s)").savefig(out / "samples_physical.png", dpi=100)
    log(f"physical source: {args.physical_images} images from {n_phys:,} junctions in "
        f"{phys_s:.1f} s ({args.physical_images / phys_s:.3g} images/s, compilation "
        f"included)")
    npi = rows[0]["normals_per_image"]
    cpu_s = time_normal_draws(int(npi * args.images), jax.random.key(1)) / (npi * args.images)
    cd = info["codesign"]
    energy = {"tuned": energy_per_image(npi, 10, dev, sched.pulse(amps[0.5]), cpu_s),
              "co-designed": energy_per_image(npi, 10, dev, trng.precessional_schedule(
                  dev, width_s=cd["width_s"]).pulse(cd["amplitude_V"]), cpu_s)}
    e = energy["tuned"]
    energy_rows = [("device array, writes (p = 0.5 pulse)", e["device"]),
                   ("device array, writes (co-designed pulse)", energy["co-designed"]["device"]),
                   ("device array, write + reset + read", e["device_cycle"]),
                   ("software, this CPU (measured)", e["software_cpu"]),
                   ("software, H100 (stated, not measured)", e["software_gpu"])]
    if jax.default_backend() != "cpu":  # the measured row assumes a CPU's power
        energy_rows.pop(3)
    energy_table([(k, v["J_per_image"], v["assumptions"]) for k, v in energy_rows]
                 ).savefig(out / "energy.png", dpi=110)
    quality_md = ["| noise source | FD [95 % bootstrap] | FD extrapolated to n = inf [95 %] "
                  "| KID | TV from uniform classes |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        fd, ext = r["fd"], r["fd_extrapolated"]
        quality_md.append(f"| {r['source']} | {fd[0]:.2f} [{fd[1]:.2f}, {fd[2]:.2f}] | "
                          f"{ext[0]:.2f} [{ext[1]:.2f}, {ext[2]:.2f}] | {r['kid'][0]:.4f} +- "
                          f"{r['kid'][1]:.4f} | {r['classes']['tv_from_uniform']:.3f} |")
    c = comparison
    verdict = (f"tuned array vs software: FD difference {c['difference'][0]:+.2f} "
               f"[{c['difference'][1]:+.2f}, {c['difference'][2]:+.2f}] with {args.images} "
               f"images each: {c['verdict']} (tolerance {c['tolerance']:.2f}; a difference of "
               f"{c['mdd_80']:.2f} is detected with 80 % power: "
               f"{'decided' if c['powered'] or c['verdict'] == 'different' else 'more images needed'})")
    (out / "quality.md").write_text("\n".join(quality_md) + f"\n\n{verdict}\n")
    (out / "energy.md").write_text(
        "| random numbers of one image | J | assumptions |\n|---|---:|---|\n" + "".join(
            f"| {k} | {v['J_per_image']:.3g} | {v['assumptions']} |\n" for k, v in energy_rows))
    report = dict(data=dict(name=data.name, source=data.source), model=model.meta,
                  config=json.loads(model.config.to_json()),
                  sizes=dict(images=args.images, sample_steps=args.sample_steps,
                             reference_images=n_ref,
                             junctions=args.junctions, calib_cycles=args.calib_cycles),
                  amplitudes_V={str(k): v for k, v in amps.items()}, quality=rows,
                  software_vs_tuned=comparison, targets=targets,
                  physical=dict(images=args.physical_images, junctions=n_phys,
                                seconds=phys_s, writes=writes),
                  energy=energy, codesign=cd, total_s=time.perf_counter() - t_start,
                  device=str(jax.devices()[0].device_kind),
                  note="FD and KID are on the project's classifier features, not Inception "
                       "features: not comparable with FID.")
    (out / "report.json").write_text(json.dumps(strict(report), indent=1, allow_nan=False) + "\n")
    print("\n" + "\n".join(quality_md) + f"\n\n{verdict}\n")
    for name, t in targets.items():
        print(f"{name}: FD {t['fd_extrapolated']:.2f}, "
              f"{'inside' if t['inside_software_interval'] else 'outside'} software's "
              f"interval [{soft[1]:.2f}, {soft[2]:.2f}]")
    print("\n" + (out / "energy.md").read_text())
    log(f"wrote report.json, quality.md, energy.md and figures to {out}")


if __name__ == "__main__":
    sys.exit(main())
