"""The one-engine table: four models x the solvers of ``spinjax.simulate`` x N.

Models, 300 K, float32, Gaussian increments, dt = 1 ps, m0 on the easy axis: ``affine``,
the PMA disk of ``sllg_throughput.py`` (VCMAAnisotropy + demag + 1e4 A/m in-plane bias,
no torque); ``vcma``, paper A's junction ``devices.vcma_mtj().model`` (VCMA, demag,
30 kA/m bias, ``BiasDrivenSTT``) under a ``Trapezoid`` voltage pulse (1.05 V from 20 ps,
20 ps edges, 0.4 ns plateau); ``stt``, the fields of ``devices.stt_mtj()`` with
``SlonczewskiSTT(asymmetry=1.5)`` and -8e10 A/m^2; ``sot``, ``devices.sot_mtj().model``
(``SpinOrbitTorque``, xi_DL = -0.33) with 6e10 A/m^2 in the channel, from +y.

Solvers: ``FusedHeun()`` (backend "auto": Pallas on a GPU, the XLA loop elsewhere), on
a GPU also ``FusedHeun(backend="xla")``, ``NormalizedHeun()`` (diffrax), the
hand-written ``lax.scan`` of ``sllg_throughput.py`` (affine only, ``jax.random.normal``
noise) and, if importable, cmtj (``make_cmtj``: the affine physics in C++ float64, 1e4
junctions one after another in one process). Rates: all JAX rows in one worker, those
of one N compiled, then timed in turns (3 calls each, 5 on the CPU); rate = N x steps /
the fastest call. Ratios are between rows of this run.

Gradients, one row per model, each in a fresh worker: ``jax.grad`` of the mean final
m_z in one parameter (affine: K_i0; vcma: the pulse amplitude; stt, sot: the current)
through ``simulate``'s default solver (FusedHeun, segment checkpointing), timed against
the jitted forward of the same size. Peak memory: GPU, the allocator's
``peak_bytes_in_use`` since the worker started (the forward runs first); CPU, ``VmHWM``
reset through ``/proc/self/clear_refs`` before each.

A time budget (``--budget-s``; 250 s GPU, 360 s CPU, 45 s ``--quick``; 60 % for the
rates) skips a row predicted not to finish in time, with a note, and stops a worker
still running at its end (plus a grace), keeping its finished rows. Writes
``OUT/engine_<platform>.json`` (rows; machine: CPU or GPU, jax, date) and, for a full
run with ``--out`` in ``benchmarks/results``, the section between the ``engine[_gpu]``
markers of ``benchmarks/README.md``. Usage::

    python benchmarks/engine.py --platform gpu --out benchmarks/results   # < 5 min, H100
    python benchmarks/engine.py --platform cpu --out benchmarks/results   # a few minutes
    python benchmarks/engine.py --platform cpu --out /tmp/engine --quick  # < 1 min
"""

import argparse
import functools
import importlib.util
import json
import math
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import harness as h  # noqa: E402
from tables import describe_device, fmt as _f, fmt_n as _n  # noqa: E402
from sllg_throughput import PHYSICS, derived_physics  # noqa: E402

DT = 1e-12
MODELS = ("affine", "vcma", "stt", "sot")
PARAMS = dict(affine=("K_i0 (mJ/m^2)", 1.0), vcma=("pulse amplitude (V)", 1.05),
              stt=("J (1e10 A/m^2)", -8.0), sot=("J_HM (1e10 A/m^2)", 6.0))
SOLVERS = dict(fused="FusedHeun()", fused_xla='FusedHeun(backend="xla")', cmtj="cmtj",
               normalized="NormalizedHeun()", scan="lax.scan (hand-written)")
CPU = ((10**3, 1000), (10**4, 500), (10**5, 100))
SIZES = dict(  # (N, steps) of the fused rows, the diffrax rows, the gradients, cmtj
    gpu=dict(fused=((10**5, 1000), (10**6, 1000), (10**7, 1000)),
             diffrax=((10**5, 1000), (10**6, 1000)), grad=(10**6, 1000), cmtj=(10**4, 1000)),
    cpu=dict(fused=CPU, diffrax=CPU, grad=(10**4, 500), cmtj=(10**4, 1000)),
    quick=dict(fused=((10**3, 100),), diffrax=((10**3, 100),), grad=(10**3, 100),
               cmtj=(10**4, 100)))
BUDGET_S = dict(gpu=250.0, cpu=360.0, quick=45.0)
TITLE = "One engine: models x solvers"


@functools.cache
def preset(name: str):
    """A preset's model, built once and outside any trace (a preset needs concrete
    values), so that a traced loss only rebuilds what depends on its parameter."""
    import equinox as eqx
    import spinjax as sj
    if name == "stt":
        return eqx.tree_at(lambda m: m.torques, sj.devices.stt_mtj().model,
                           (sj.SlonczewskiSTT(polarization=0.6, asymmetry=1.5),))
    return dict(vcma=sj.devices.vcma_mtj, sot=sj.devices.sot_mtj)[name]().model


def build(p: dict, name: str, theta=None):
    """(model, drive, easy axis) of model `name`, its parameter at `theta`."""
    import spinjax as sj
    from sllg_throughput import _spinjax_layer
    theta, z = PARAMS[name][1] if theta is None else theta, (0.0, 0.0, 1.0)
    if name == "affine":
        return sj.SLLG(_spinjax_layer(sj, p), (
            sj.VCMAAnisotropy(K_i0=theta * 1e-3), sj.Demagnetization(factors=p["demag"]),
            sj.Zeeman(bias_A_per_m=p["bias"]))), sj.Drive(), z
    if name == "vcma":
        return preset(name), sj.Drive(voltage_V=sj.Trapezoid(
            theta, start_s=20e-12, width_s=400e-12, rise_s=20e-12, fall_s=20e-12)), z
    if name == "stt":
        return preset(name), sj.Drive(j_stt_A_per_m2=theta * 1e10), z
    return preset(name), sj.Drive(j_sot_A_per_m2=theta * 1e10), (0.0, 1.0, 0.0)


def timed(fn, *args, repeats=3, min_s=2.0):
    """(median, first call, output): a warm-up call, then 1 to `repeats` timed calls."""
    import jax
    t, out = time.perf_counter(), jax.block_until_ready(fn(*args))
    first, times = time.perf_counter() - t, []
    while len(times) < repeats and (not times or sum(times) < min_s):
        t, out = time.perf_counter(), jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t)
    return statistics.median(times), first, out


def make_run(p, model, solver, n, steps):
    import jax
    import jax.numpy as jnp
    import spinjax as sj
    from sllg_throughput import make_scan
    if solver == "scan":
        return make_scan(p, n, steps), SOLVERS["scan"]
    sllg, drive, axis = build(p, model)
    m0 = jnp.tile(jnp.asarray(axis, jnp.float32), (n, 1))
    obj = dict(fused=sj.FusedHeun(), fused_xla=sj.FusedHeun(backend="xla"),
               normalized=sj.NormalizedHeun())[solver]
    key, label = jax.random.key(0), ("NormalizedHeun (diffrax)" if solver == "normalized"
                                     else f"FusedHeun ({obj.resolved_backend()})")
    return (lambda: sj.simulate(sllg, m0, t1=steps * DT, dt=DT, key=key, drive=drive,
                                solver=obj).m), label


def predict(done: list, model: str, solver: str, n: int, steps: int, calls: int):
    """Seconds the case should take (compile and `calls` calls), from the last row of
    the same solver (the same model preferred); None without one."""
    same = [r for r in done if r["solver"] == solver]
    ref = next((r for r in reversed(same) if r["model"] == model), same[-1] if same else None)
    return ref and ref["compile_s"] + calls * n * steps / ref["junction_steps_per_s"]


def rates_worker(spec: dict, platform: str) -> None:
    """One N at a time: its rows compiled, then timed in turns, so that the rows compared
    share the same stretch of load; a row's time is its fastest call (load only slows)."""
    import jax
    h.check_device(platform)
    p, done, rounds = derived_physics(PHYSICS), [], spec["rounds"]

    def call(run):
        t, out = time.perf_counter(), jax.block_until_ready(run())
        return time.perf_counter() - t, out
    for n in sorted({c[2] for c in spec["cases"]}):
        group = []  # (row, run, call times) of this N
        for model, solver, _, steps in (c for c in spec["cases"] if c[2] == n):
            row = dict(kind="rate", model=model, solver=solver, n=n, steps=steps)
            left = spec["deadline"] - time.time() - sum((rounds - 1) * min(t) for *_, t in group)
            guess = predict(done, model, solver, n, steps, rounds + 1)
            if left <= 0 or (guess is not None and guess > left):
                h.emit(dict(row, skipped=f"budget: {max(left, 0):.0f} s left" + (
                       f", predicted {guess:.0f} s" if guess is not None else "")))
                continue
            try:
                run, label = make_run(p, model, solver, n, steps)
                (first, out), (second, _) = call(run), call(run)  # the first compiles
                row.update(label=label, first_s=first, mean_mz=float(out[..., 2].mean()))
                group.append((row, run, [second]))
            except Exception as e:  # noqa: BLE001  (a failing row is reported, not fatal)
                h.emit(dict(row, error=f"{type(e).__name__}: {e}"[:400]))
        for _ in range(rounds - 1):
            if time.time() + sum(min(t) for *_, t in group) > spec["deadline"]:
                break
            for _, run, times in group:
                times.append(call(run)[0])
        for row, _, times in group:
            best = min(times)
            row.update(seconds=best, seconds_by_round=times, compile_s=max(
                row["first_s"] - best, 0.0), junction_steps_per_s=n * row["steps"] / best)
            done.append(row)
            h.emit(row)


def reset_peak(gpu: bool) -> bool:
    """Restart the count of VmHWM (CPU); False where it cannot (GPU allocator)."""
    return not gpu and h.reset_peak_mem()


def grad_worker(spec: dict, platform: str) -> None:
    import jax
    import jax.numpy as jnp
    import spinjax as sj
    h.check_device(platform)
    p, gpu, (n, steps), last = derived_physics(PHYSICS), platform == "gpu", spec["size"], 0.0
    peak = (lambda: h.device_mem_mb().get("peak_gpu_mem_mb")) if gpu else h.peak_mem_mb
    for name in spec["models"]:
        row = dict(kind="gradient", model=name, parameter=PARAMS[name][0], n=n, steps=steps)
        left = spec["deadline"] - time.time()
        if left < last:  # the previous model's time: this one would not finish
            h.emit(dict(row, skipped=f"budget: {max(left, 0):.0f} s left"))
            continue
        start, m0 = time.time(), jnp.tile(jnp.asarray(build(p, name)[2], jnp.float32), (n, 1))

        def loss(theta, name=name, m0=m0):
            model, drive, _ = build(p, name, theta)
            return jnp.mean(sj.simulate(model, m0, t1=steps * DT, dt=DT, key=jax.random.key(0),
                                        drive=drive).m[..., 2])
        theta = jnp.float32(PARAMS[name][1])
        try:  # the forward first: on a GPU its peak is then part of the gradient's
            fresh = reset_peak(gpu)
            tf, ff, value = timed(jax.jit(loss), theta)
            row.update(forward_s=tf, forward_first_s=ff, value=float(value),
                       forward_peak_mb=peak())
            fresh = reset_peak(gpu) and fresh
            tg, fg, g = timed(jax.jit(jax.grad(loss)), theta)
            row.update(gradient_s=tg, gradient_first_s=fg, grad=float(g), ratio=tg / tf,
                       gradient_peak_mb=peak(), peak_reset=fresh,
                       solver=sj.FusedHeun().resolved_backend())
        except Exception as e:  # noqa: BLE001  (a failing row is reported, not fatal)
            row["error"] = f"{type(e).__name__}: {e}"[:400]
        last = time.time() - start
        h.emit(row)


def cmtj_worker(spec: dict) -> None:
    n, steps = spec["size"]
    row = dict(kind="rate", model="affine", solver="cmtj", n=n, steps=steps, label="cmtj")
    if importlib.util.find_spec("cmtj") is None:
        return h.emit(dict(row, skipped="cmtj is not installed"))
    from sllg_throughput import make_cmtj
    run = make_cmtj(derived_physics(PHYSICS), n, steps, n)
    t, out = time.perf_counter(), run()
    sec = time.perf_counter() - t
    h.emit(dict(row, junction_steps_per_s=n * steps / sec, seconds=sec,
                mean_mz=statistics.fmean(m[2] for m in out)))


def run_worker(kind: str, spec: dict, platform: str, budget: h.Budget, log) -> list:
    """The rows a worker emitted (kept if it is stopped at the budget's end)."""
    rows, failure = h.run_worker(Path(__file__).resolve(), [
        "--worker", kind, "--spec", json.dumps(spec)], platform, budget, log=log,
        env=h.worker_env("cpu" if kind == "cmtj" else platform))
    if failure:
        rows.append(dict(kind=kind, model=",".join(spec.get("models", ["all"])), error=failure))
        log(str(rows[-1]))
    return rows


def cases(platform: str, size: dict) -> list:
    fused = ("fused", "fused_xla") if platform == "gpu" else ("fused",)
    out = [(m, s, n, st) for n, st in size["fused"] for m in MODELS for s in fused]
    out += [(m, "normalized", n, st) for n, st in size["diffrax"] for m in MODELS]
    out += [("affine", "scan", n, st) for n, st in size["fused"]]
    return sorted(out, key=lambda c: c[2])  # every solver at small N first


def run_all(platform: str, quick: bool, budget_s: float, log) -> dict:
    t0, mode, size = time.time(), "quick" if quick else "full", SIZES["quick" * quick or platform]
    budget = h.Budget(budget_s, grace=8.0 if quick else 30.0)
    rounds = 3 if quick or platform == "gpu" else 5
    machine = dict(h.machine_record(mode, platform), rounds=rounds)  # exits without a GPU
    rows = run_worker("rates", dict(cases=cases(platform, size), deadline=t0 + 0.6 * budget_s,
                                    rounds=rounds), platform, budget, log)
    rows += run_worker("cmtj", dict(size=size["cmtj"]), platform, budget, log)
    end, last = time.time() + budget.end - time.monotonic(), 0.0  # the budget's end
    for models in [list(MODELS)] if quick else [[m] for m in MODELS]:  # quick: one worker
        if time.time() + last > end:  # as long as the last gradient worker: it would not fit
            rows += [dict(kind="gradient", model=m, skipped=f"budget: {end - time.time():.0f}"
                          f" s left, the last gradient took {last:.0f} s") for m in models]
            continue
        spec, t = dict(models=models, size=size["grad"], deadline=end), time.time()
        rows += run_worker("grad", spec, platform, budget, log)
        last = time.time() - t
    h.finish_machine(machine, total_s=time.time() - t0, budget_s=budget_s)
    return dict(machine=machine, platform=platform, solvers=SOLVERS, params=PARAMS,
                physics=PHYSICS, rows=rows)


def report(res: dict) -> str:
    m, gpu = res["machine"], res["platform"] == "gpu"
    ok = [r for r in res["rows"] if "junction_steps_per_s" in r or "ratio" in r]
    rate = {(r["model"], r["solver"], r["n"]): r["junction_steps_per_s"] for r in ok
            if r["kind"] == "rate"}
    cmtj = next((r for r in ok if r["solver"] == "cmtj"), None)
    host = describe_device(m) if gpu else (f"{m['cpu']}, {m['cores']} cores, {m['platform']}"
                                           f"; jax {m['jax']}, diffrax {m['diffrax']}")
    out = [f"Measured {m['date']} ({m['mode']} mode, {m['total_s'] / 60:.1f} min, budget "
           f"{m['budget_s']:.0f} s) on {host}. Load average {m['loadavg_start'][0]:.2f} at "
           f"the start, {m['loadavg_end'][0]:.2f} at the end; spinjax {m['spinjax_start']}"
           + ("" if m["spinjax_start"] == m["spinjax_end"] else
              f" (**{m['spinjax_end']} at the end**)") + "."]
    out += ([] if gpu else ["", "The CPU run shares its 2 cores with other jobs: the rates "
            "are lower bounds that move with the load; the ratios, between rows of the same "
            "run, are the figures to read."]) + [
            "", f"Junction-steps/s: the fastest of {m['rounds']} timed calls after a warm-up "
            "call, the rows of one N timed in turns. "
            "Ratios, same run: `/ scan` the hand-written `lax.scan` at the same N (affine "
            "rows); `fused / diffrax` FusedHeun over NormalizedHeun (same model, N); "
            "`/ affine` the same solver on the affine model; `/ cmtj` over cmtj"
            + (f" ({_f(cmtj['junction_steps_per_s'])} junction-steps/s at N = "
               f"{_n(cmtj['n'])}, {cmtj['steps']} steps, one core)" if cmtj else "") + ".",
            "", "| model | solver | N | steps | junction-steps/s | / scan | fused / diffrax "
            "| / affine | / cmtj | compile s |", "|---|---|" + "---:|" * 8]
    for r in (r for r in ok if r["kind"] == "rate" and r["solver"] != "cmtj"):
        x, mod, sol, n = r["junction_steps_per_s"], r["model"], r["solver"], r["n"]
        scan = rate.get(("affine", "scan", n)) if mod == "affine" and sol != "scan" else None
        dif = rate.get((mod, "normalized", n)) if sol.startswith("fused") else None
        aff = rate.get(("affine", sol, n)) if mod != "affine" else None
        cm = cmtj["junction_steps_per_s"] if cmtj and mod == "affine" else None
        out.append(f"| {mod} | {r['label']} | {_n(n)} | {r['steps']} | {_f(x)} | "
                   + " | ".join(_f(b and x / b, ".2f") for b in (scan, dif, aff))
                   + f" | {_f(cm and x / cm, '.1f')} | {r['compile_s']:.1f} |")
    grads = [r for r in ok if r["kind"] == "gradient"]
    if grads:
        mem = "GPU allocator peak since the worker started" if gpu else "VmHWM, reset before each"
        who = "one worker" if m["mode"] == "quick" else "each model in a fresh worker"
        out += ["", f"Reverse mode (`jax.grad` of the mean final m_z, FusedHeun "
                f"({grads[0]['solver']}), {who}; peak MB: {mem}):", "",
                "| model | parameter | N | steps | forward s | gradient s | gradient / forward "
                "| forward peak MB | gradient peak MB | d mean m_z / d parameter |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        out += [f"| {r['model']} | {r['parameter']} | {_n(r['n'])} | {r['steps']} | "
                f"{r['forward_s']:.3g} | {r['gradient_s']:.3g} | {r['ratio']:.1f} | "
                f"{_f(r['forward_peak_mb'], '.0f')} | {_f(r['gradient_peak_mb'], '.0f')} | "
                f"{r['grad']:.3g} |" for r in grads]
    bad = [r for r in res["rows"] if r not in ok]
    out += [""] * bool(bad) + [
        "- not measured: " + " ".join(str(x) for x in (r["kind"], r.get("model"), SOLVERS.get(
            r.get("solver")), "n" in r and f"N = {_n(r['n'])}") if x) + ": "
        + (r.get("skipped") or r.get("error", ""))[-300:].replace("\n", " ") for r in bad]
    return "\n".join(out)


def main(argv=None) -> None:
    ap = h.parser(__doc__, quick="one small size, under a minute",
                  budget="time budget of the run in seconds")
    ap.add_argument("--out", type=Path, help="folder of engine_<platform>.json (created)")
    ap.add_argument("--worker", choices=("rates", "grad", "cmtj"), help=argparse.SUPPRESS)
    ap.add_argument("--spec", type=json.loads, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return dict(rates=rates_worker, grad=grad_worker,
                    cmtj=lambda s, _: cmtj_worker(s))[args.worker](args.spec, args.platform)
    if h.rendered(args, report, "engine", TITLE):
        return
    if args.out is None or args.budget_s is not None and not 0 < args.budget_s < math.inf:
        ap.error("--out FOLDER is required" if args.out is None else
                 f"--budget-s {args.budget_s} is not a positive number of seconds")
    out, results = args.out.expanduser().resolve(), h.RESULTS.resolve()
    in_results = out == results or results in out.parents
    if args.quick and in_results:
        ap.error(f"--quick would overwrite the full run's record in {out}; pass another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        ap.error(f"cannot use --out {args.out} as a folder: {e.strerror}")
    h.use_platform("cpu")  # the driver holds no device memory
    budget_s = args.budget_s or BUDGET_S["quick" if args.quick else args.platform]
    res = run_all(args.platform, args.quick, budget_s,
                  log=lambda s: print(s, file=sys.stderr, flush=True))
    h.save(res, report(res), "engine", args.platform, args.quick, TITLE,
           out=out / f"engine_{args.platform}.json", readme=in_results and not args.quick)


if __name__ == "__main__":
    main()
