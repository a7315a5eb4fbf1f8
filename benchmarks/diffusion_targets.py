"""Paper A's targets for the diffusion model whose noise comes from a junction array.

One run, one trained model (``examples/diffusion_demo.py``'s small U-Net on
scikit-learn's 8x8 digits, trained by ``diffusion.train.train`` in `--workdir`; a run
of the same configuration there is resumed, so a second benchmark reuses its weights),
one feature classifier, DDPM with the same images and steps for every source:

(a) quality: FD (classifier features: not FID) and KID of `--images` samples against
    the test set, with software noise (``jax.random.normal``) and with an ideal
    unbiased device array: a ``DeviceCalibratedNoise`` calibrated (``calibrate``, per
    junction P(1|0), P(1|1)) from simulated cycles of a ``DevicePhysicalNoise`` at the
    VCMA write amplitude that ``spinjax.trng.tune_amplitude_by_gradient`` tunes to
    p = 1/2. Target: the device's FD inside the software's 95 % bootstrap interval or
    within 10 % of the software's FD. The same with the FD extrapolated to infinitely
    many samples (``diffusion.metrics.subsample_interval``), and with the mean FD over
    `--keys` independent sets of samples (the first call's and each later call's; the
    spread between keys is the sampling noise that one set's interval does not see):
    within 10 % or 2 standard errors. FD(device) - FD(software) is also bootstrapped.
(b) sampling time of the calibrated device source over the software source: each
    compiled by a first call, then `--repeats` rounds of one timed call each,
    interleaved (software, device, software, ...) so that load from other jobs falls on
    both, each with a new key (the same compiled program); the ratio of the medians.
    Target <= 1.5.
(c) physical source: `--physical-images` images with every bit one simulated sLLG write
    of the array inside the jitted sampler; images/s of a second call (compile
    excluded) and of the first call.
(d) energy per image of the random numbers (``diffusion.evaluate.energy_per_image``):
    device writes, software on the CPU (``jax.random.normal`` timed here x power),
    software on an H100 (stated bandwidth bound, not measured).

Usage::

    python benchmarks/diffusion_targets.py            # full run, about 10 min on 2 cores
    python benchmarks/diffusion_targets.py --quick    # tiny sizes, a smoke check (about 1 min)
    python benchmarks/diffusion_targets.py --platform gpu

A full run writes ``benchmarks/results/diffusion.json`` (``diffusion_gpu.json`` on a
GPU) and the section between the ``diffusion`` markers of benchmarks/README.md;
``--quick`` writes ``diffusion_quick.json`` and only prints the section. ``--report
JSON`` prints the section of an existing JSON (``--write-readme``: into the README too).
"""

import hashlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import harness as h  # noqa: E402

TITLE = "Diffusion with device noise"
FULL = dict(images=400, sample_steps=100, train_steps=2000, classifier_steps=600,
            physical_images=4, junctions=1024, calib_cycles=200, tune_pairs=8192, n_boot=30,
            repeats=3, keys=6)
QUICK = dict(images=64, sample_steps=20, train_steps=100, classifier_steps=100,
             physical_images=2, junctions=256, calib_cycles=50, tune_pairs=1024, n_boot=10,
             repeats=1, keys=2)
FD_REL_TOL, TIME_RATIO_MAX = 0.10, 1.5


def run(args, log) -> dict:
    import jax
    import numpy as np

    import spinjax as sj
    from spinjax import trng
    from diffusion.classifier import predict, train_classifier
    from diffusion.configs import get_config
    from diffusion.data import load_dataset
    from diffusion.device_noise import DevicePhysicalNoise, calibrate
    from diffusion.evaluate import (
        CPU_POWER_W, GPU_POWER_W, energy_per_image, fd_difference, sample_and_score,
        score_samples, time_normal_draws, time_sampling)
    from diffusion.noise import SoftwareNoise
    from diffusion.samplers import ddpm_sample
    from diffusion.schedules import make_schedule
    from diffusion.train import train
    from diffusion.unet import eps_fn

    gpu = args.platform == "gpu"
    machine = h.machine_info("quick" if args.quick else "full")
    machine["device"] = dict(args.device_info, device_kind=h.check_device("gpu")) if gpu else \
        dict(device_kind=f"{machine['cpu']} ({machine['cores']} cores)", device_platform="cpu")
    key = jax.random.key(args.seed)
    t0 = time.perf_counter()
    cfg = get_config("default", train_steps=args.train_steps, seed=args.seed)
    data = load_dataset(cfg.dataset)
    workdir = args.workdir or Path(tempfile.gettempdir()) / "spinjax_bench_diffusion" / \
        hashlib.sha256(cfg.to_json().encode()).hexdigest()[:12]
    ckpts = Path(workdir) / "checkpoints"
    resumed = max((int(d.name) for d in ckpts.iterdir() if d.name.isdigit()), default=0) \
        if ckpts.is_dir() else 0
    model, state = train(cfg, workdir, data.x_train, log=log)
    eps = eps_fn(model, {"params": state.ema_params})
    train_s = time.perf_counter() - t0
    clf, clf_params, acc = train_classifier(data.x_train, data.y_train, data.x_test,
                                            data.y_test, num_classes=data.num_classes,
                                            steps=args.classifier_steps, seed=args.seed, log=log)
    _, f_ref = predict(clf, clf_params, data.x_test)

    # The array: amplitude tuned by gradient to p = 1/2, then calibrated from cycles.
    t0 = time.perf_counter()
    dev = sj.devices.vcma_mtj()
    sched = trng.precessional_schedule(dev)
    tuned = trng.tune_amplitude_by_gradient(dev, sched, jax.random.fold_in(key, 50), 0.5,
                                            0.85, 1.15, n_pairs=args.tune_pairs, tol=0.004)
    amp = float(tuned.params["amplitude"])
    physical = DevicePhysicalNoise(dev, sched, amp, args.junctions)
    calibrated = calibrate(physical, jax.random.fold_in(key, 100), args.calib_cycles)
    p = np.asarray(calibrated.p10 / (1 - calibrated.p11 + calibrated.p10))
    array = dict(amplitude_V=amp, tune_steps=len(tuned.log),
                 tuned_p=float(np.ravel(tuned.p)[0]), junctions=args.junctions,
                 calib_cycles=args.calib_cycles, mean_p=float(p.mean()),
                 spread_p=float(p.std()),
                 lag1=float(np.mean(np.asarray(calibrated.p11 - calibrated.p10))),
                 sllg_steps_per_cycle=sched.steps, dt_s=sched.dt_s,
                 seconds=time.perf_counter() - t0)
    log(f"array: {amp:.4f} V, calibrated mean p {array['mean_p']:.4f}, lag-1 "
        f"{array['lag1']:+.4f} ({array['seconds']:.0f} s)")

    # (a) quality, and the first (compiling) call of each source.
    schedule = make_schedule(cfg.schedule, cfg.timesteps)
    img = data.x_train.shape[1:]
    shape = (args.images, *img)
    k_sample = jax.random.fold_in(key, 1000)
    sources = {"software": SoftwareNoise(), "device": calibrated}
    rows, feats = {}, {}
    for name, src in sources.items():
        r = sample_and_score(eps, schedule, src, k_sample, shape, args.sample_steps, clf,
                             clf_params, f_ref, n_boot=args.n_boot, repeats=0)
        rows[name] = {k: v for k, v in r.items() if k not in ("x", "features")}
        rows[name]["replicates"] = [{k: r[k] for k in ("fd", "fd_extrapolated", "kid")}]
        feats[name] = r["features"]
        log(f"{name}: FD {r['fd'][0]:.3f} [{r['fd'][1]:.3f}, {r['fd'][2]:.3f}], extrapolated "
            f"{r['fd_extrapolated'][0]:.3f} [{r['fd_extrapolated'][1]:.3f}, "
            f"{r['fd_extrapolated'][2]:.3f}], KID "
            f"{r['kid'][0]:.4f}, first call {r['first_call_s']:.1f} s")
    # (b) interleaved timed calls, compile excluded; each round a new key (the same
    # compiled program), whose samples are scored too: the spread between keys. Rounds
    # beyond `repeats` (up to `keys` keys in all) are scored, not timed.
    for i in range(max(args.repeats, args.keys - 1)):
        for name, src in sources.items():
            t = time.perf_counter()
            x = jax.block_until_ready(ddpm_sample(eps, schedule, src,
                                                  jax.random.fold_in(k_sample, i + 1), shape,
                                                  args.sample_steps))
            if i < args.repeats:
                rows[name]["times_s"].append(time.perf_counter() - t)
            sc = score_samples(np.asarray(x), clf, clf_params, f_ref, n_boot=args.n_boot)
            rows[name]["replicates"].append({k: sc[k] for k in ("fd", "fd_extrapolated", "kid")})
    for r in rows.values():
        r["sample_s"] = statistics.median(r["times_s"])
        for k in ("fd", "fd_extrapolated", "kid"):
            v = np.array([rep[k][0] for rep in r["replicates"]])
            r[k + "_over_keys"] = dict(values=v.tolist(), mean=float(v.mean()),
                                       sd=float(v.std(ddof=1)) if len(v) > 1 else None)
    ratio = rows["device"]["sample_s"] / rows["software"]["sample_s"]
    log(f"sampling s: software {rows['software']['times_s']}, device {rows['device']['times_s']}")
    for name, r in rows.items():
        log(f"{name} over keys: FD {r['fd_over_keys']['values']}, "
            f"KID {r['kid_over_keys']['values']}")

    # (c) the physical source: every bit one sLLG write in the jitted loop.
    n_img = args.physical_images
    ph = time_sampling(eps, schedule, physical, jax.random.fold_in(key, 2000), (n_img, *img),
                       args.sample_steps, repeats=1)
    per_draw = n_img * math.prod(img)
    bits = physical.to_gaussian.bits_per_normal
    cycles = args.sample_steps * math.ceil(per_draw * bits / args.junctions)
    phys = dict(images=n_img, steps=args.sample_steps, first_call_s=ph["first_call_s"],
                wall_s=ph["wall_s"], images_per_s=n_img / ph["wall_s"],
                images_per_s_with_compile=n_img / ph["first_call_s"], write_cycles=cycles,
                junction_steps_per_s=cycles * args.junctions * sched.steps / ph["wall_s"],
                finite=bool(np.all(np.isfinite(ph["x"]))))
    log(f"physical: {n_img} images in {ph['wall_s']:.1f} s ({phys['images_per_s']:.3g} "
        f"images/s; first call {ph['first_call_s']:.1f} s)")

    # (d) energy per image of the random numbers.
    npi = rows["software"]["normals_per_image"]
    n_draw = int(npi * args.images)
    cpu = jax.devices("cpu")[0]
    cpu_s = time_normal_draws(n_draw, jax.random.fold_in(key, 3000), repeats=5, device=cpu)
    energy = energy_per_image(npi, calibrated.to_gaussian.bits_per_normal, dev,
                              sched.pulse(amp), cpu_s / n_draw,   # XLA uses every core
                              cpu_power_W=CPU_POWER_W / 2 * machine["cores"])
    if gpu:
        gpu_s = time_normal_draws(n_draw, jax.random.fold_in(key, 3001), repeats=5)
        energy["software_gpu_measured"] = dict(
            J_per_image=npi * gpu_s / n_draw * GPU_POWER_W,
            assumptions=f"jax.random.normal timed on this GPU ({gpu_s / n_draw:.3g} s per "
                        f"normal) x {GPU_POWER_W:g} W board power")
    def fd_target(key):
        sw, dv = rows["software"][key], rows["device"][key]
        inside, rel = sw[1] <= dv[0] <= sw[2], abs(dv[0] - sw[0]) / abs(sw[0])
        return dict(met=bool(inside or rel <= FD_REL_TOL), inside_software_interval=bool(inside),
                    relative_difference=rel, tolerance=FD_REL_TOL)

    def over_keys(key):
        sw, dv = rows["software"][key + "_over_keys"], rows["device"][key + "_over_keys"]
        n = len(sw["values"])
        d, rel = dv["mean"] - sw["mean"], abs(dv["mean"] - sw["mean"]) / abs(sw["mean"])
        se = math.sqrt((sw["sd"] ** 2 + dv["sd"] ** 2) / n) if n > 1 else None
        return dict(met=bool(rel <= FD_REL_TOL or (se is not None and abs(d) <= 2 * se)),
                    keys=n, difference=d, se=se, relative_difference=rel,
                    tolerance=FD_REL_TOL)

    diff = fd_difference(feats["device"], feats["software"], f_ref, n_boot=args.n_boot)
    targets = dict(
        fd=dict(fd_target("fd"), device_minus_software=diff,
                difference_interval_contains_0=bool(diff[1] <= 0 <= diff[2])),
        fd_extrapolated=fd_target("fd_extrapolated"),
        fd_over_keys=over_keys("fd"),
        time_ratio=dict(met=bool(ratio <= TIME_RATIO_MAX), ratio=ratio, max=TIME_RATIO_MAX))
    machine.update(loadavg_end=os.getloadavg())
    return dict(machine=machine, platform=args.platform, sizes={k: getattr(args, k) for k in FULL},
                seed=args.seed, workdir=str(workdir), config=json.loads(cfg.to_json()),
                data=dict(name=data.name, source=data.source, test_images=len(data.x_test)),
                train_s=train_s, trained_steps=int(state.step), resumed_from_step=resumed,
                classifier_test_accuracy=acc,
                array=array, quality=rows, physical=phys, energy=energy, targets=targets,
                note="FD and KID on the project's classifier features, not Inception: "
                     "not comparable with FID.")


def report(res) -> str:
    m, s, q, t = res["machine"], res["sizes"], res["quality"], res["targets"]
    a, ph, e = res["array"], res["physical"], res["energy"]
    yes = lambda ok: "**met**" if ok else "**NOT met**"  # noqa: E731
    x = lambda num, den: e[num]["J_per_image"] / e[den]["J_per_image"]  # noqa: E731
    train_text = (f"{res['train_s']:.0f} s in this run" if not res["resumed_from_step"] else
                  f"resumed from step {res['resumed_from_step']} of the work directory's run: "
                  f"{res['train_s']:.0f} s in this run")
    out = [f"Measured {m['date']} ({m['mode']} mode, {m['total_s'] / 60:.1f} min) on "
           f"{m['device']['device_kind']}, {m['platform']}; jax {m['jax']}. Load average "
           f"{m['loadavg_start'][0]:.2f} at the start, {m['loadavg_end'][0]:.2f} at the end. "
           f"spinjax: {m['spinjax_start']}.", "",
           f"Model: the demo's small U-Net ({res['config']['channels']} channels, "
           f"{res['config']['schedule']} schedule, T = {res['config']['timesteps']}) trained "
           f"{res['trained_steps']} steps on {res['data']['name']} ({train_text}); classifier "
           "test accuracy "
           f"{res['classifier_test_accuracy']:.3f}. DDPM, {s['images']} images x "
           f"{s['sample_steps']} steps per source, the same key. Array: {a['junctions']} VCMA "
           f"junctions at {a['amplitude_V']:.4f} V (tuned by gradient to p = 1/2), calibrated "
           f"from {a['calib_cycles']} cycles: mean p {a['mean_p']:.4f}, lag-1 "
           f"{a['lag1']:+.4f}; 10-bit inverse-CDF Gaussians.", "",
           f"| noise source | FD (classifier features) [95 % bootstrap, {s['n_boot']}] | "
           "FD extrapolated to n = inf [95 %] | KID | TV from uniform classes | "
           f"sampling s (median of {s['repeats']}) | first call s |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for name, label in (("software", "software (jax.random.normal)"),
                        ("device", "ideal device array (calibrated)")):
        r = q[name]
        ext = r["fd_extrapolated"]
        out.append(f"| {label} | {r['fd'][0]:.3f} [{r['fd'][1]:.3f}, {r['fd'][2]:.3f}] | "
                   f"{ext[0]:.3f} [{ext[1]:.3f}, {ext[2]:.3f}] | "
                   f"{r['kid'][0]:.4f} +- {r['kid'][1]:.4f} | "
                   f"{r['classes']['tv_from_uniform']:.3f} | {r['sample_s']:.2f} | "
                   f"{r['first_call_s']:.1f} |")
    out += ["", f"Physical source (every bit one sLLG write of the {a['junctions']}-junction "
            f"array, {a['sllg_steps_per_cycle']} steps of {a['dt_s'] * 1e12:g} ps per write, "
            f"inside the jitted sampler): {ph['images']} images x {ph['steps']} steps in "
            f"{ph['wall_s']:.1f} s = "
            f"**{ph['images_per_s']:.3g} images/s** ({ph['junction_steps_per_s']:.3g} "
            f"junction-steps/s; {ph['images_per_s_with_compile']:.3g} images/s with the "
            "compilation of the first call).", "",
            f"Energy of the random numbers of one image "
            f"({q['software']['normals_per_image']:.0f} normals, {e['bits_per_image']:.0f} "
            "bits; the U-Net's evaluations are the same for every "
            "source and are not counted):", "", "| source | J per image | assumptions |",
            "|---|---:|---|"]
    labels = dict(device="device array: writes", device_cycle="device array: write + reset "
                  "+ read", software_cpu="software, CPU (measured time)",
                  software_gpu="software, H100 (stated, not measured)",
                  software_gpu_measured="software, this GPU (measured time)")
    for k, label in labels.items():
        if k in e:
            out.append(f"| {label} | {e[k]['J_per_image']:.3g} | {e[k]['assumptions']} |")
    fd, tr = t["fd"], t["time_ratio"]
    fx = t["fd_extrapolated"]

    def fd_line(tg, key, what):
        return (f"- device {what} within the software's interval or within "
                f"{tg['tolerance']:.0%}: {yes(tg['met'])} (device {q['device'][key][0]:.3f}, "
                f"software {q['software'][key][0]:.3f}: {tg['relative_difference']:.1%} apart, "
                f"{'inside' if tg['inside_software_interval'] else 'outside'} the interval).")

    def over_keys_line(tg):
        se = "" if tg["se"] is None else f" +- {tg['se']:.3f}"
        return (f"- mean FD over {tg['keys']} keys within {tg['tolerance']:.0%} or 2 standard "
                f"errors: {yes(tg['met'])} (device {q['device']['fd_over_keys']['mean']:.3f}, "
                f"software {q['software']['fd_over_keys']['mean']:.3f}: difference "
                f"{tg['difference']:+.3f}{se}, {tg['relative_difference']:.1%}).")

    def keys_text(name, k):
        v = q[name][k + "_over_keys"]
        sd = "" if v["sd"] is None else f", sd {v['sd']:.3g}"
        return f"{', '.join(f'{x:.3g}' for x in v['values'])} (mean {v['mean']:.3g}{sd})"

    dm = fd["device_minus_software"]
    out += ["", f"Spread between keys: the samples of the first call and of each later call "
            f"({t['fd_over_keys']['keys']} keys, {s['images']} images each). FD software "
            f"{keys_text('software', 'fd')}; device {keys_text('device', 'fd')}. KID software "
            f"{keys_text('software', 'kid')}; device {keys_text('device', 'kid')}. The intervals "
            "of the table are those of one set of samples (the first key)."]
    out += ["", "Targets:", "", fd_line(fd, "fd", "FD (bootstrap interval)"),
            fd_line(fx, "fd_extrapolated", "FD extrapolated to n = inf (subsample interval)"),
            over_keys_line(t["fd_over_keys"]),
            f"- FD(device) - FD(software) = {dm[0]:+.3f} [{dm[1]:+.3f}, {dm[2]:+.3f}] (both "
            "sets resampled, 95 % bootstrap): the interval "
            f"{'contains' if fd['difference_interval_contains_0'] else 'does NOT contain'} 0.",
            f"- calibrated-device / software sampling time <= {tr['max']}: {yes(tr['met'])} "
            f"({tr['ratio']:.2f}).",
            f"- device energy per image (no target set): {x('software_cpu', 'device'):.2g}x "
            f"below the CPU, {x('software_gpu', 'device'):.2g}x below the stated H100 bound "
            f"(writes only; {x('software_cpu', 'device_cycle'):.2g}x and "
            f"{x('software_gpu', 'device_cycle'):.2g}x with reset and read)."]
    return "\n".join(out)


def main(argv=None) -> None:
    ap = h.parser(__doc__, quick="tiny sizes: a smoke check")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="training run (default: a directory under the system's tmp named "
                         "by the configuration's hash)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    for k, v in FULL.items():
        ap.add_argument("--" + k.replace("_", "-"), type=int, default=None,
                        help=f"default {v} ({QUICK[k]} with --quick)")
    args = ap.parse_args(argv)
    if h.rendered(args, report, "diffusion", TITLE):
        return
    for k in FULL:
        v = getattr(args, k)
        setattr(args, k, (QUICK if args.quick else FULL)[k] if v is None else v)
        lo = 2 if k in ("images", "calib_cycles") else 1
        if getattr(args, k) < lo:
            raise SystemExit(f"--{k.replace('_', '-')} = {getattr(args, k)}; the valid range "
                             f"is {lo} to inf.")
    if args.platform == "gpu":
        args.device_info = h.probe("gpu")   # exits when there is no GPU
    h.use_platform(args.platform, also_cpu=True)   # cpu too: the CPU row of the energy
    t0 = time.perf_counter()
    log = lambda s: print(f"[{time.perf_counter() - t0:6.1f} s] {s}", flush=True)  # noqa: E731
    res = run(args, log)
    res["machine"]["total_s"] = time.perf_counter() - t0
    h.save(res, report(res), "diffusion", args.platform, args.quick, TITLE, out=args.out,
           readme=not args.quick and args.out is None)


if __name__ == "__main__":
    main()
