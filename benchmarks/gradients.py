"""Cost of one reverse-mode gradient through the stochastic LLG against one forward solve.

Model: the VCMA preset ``spinjax.devices.vcma_mtj(alpha=alpha)`` (60 nm CoFeB/MgO disk,
VCMA, demagnetization, 30 kA/m in-plane bias, bias-driven STT, 300 K Brown field),
driven by ``spinjax.Trapezoid(amplitude, 0.1 ns, 0.44 ns, 30 ps, 30 ps)`` (0.47 ns FWHM,
half a precession; amplitude 1.05 V, between no switching at 0.97 V and 94 %
at 1.1 V), N junctions
from +z, dt = 1 ps, Gaussian increments, float32. The loss is

    L(amplitude, alpha) = mean over junctions of tanh(-m_z(t1) / 0.5)

(a smooth switching indicator; its width 0.5 keeps tanh' non-zero in float32 at the
relaxed |m_z| ~ 0.97, where a width of 0.1 rounds tanh to +-1 and the gradient after
1e4 steps to exactly 0), with ``m`` the final state of ``spinjax.simulate``;
the device is rebuilt inside the loss from the traced ``alpha`` and the pulse from the
traced amplitude. Forward: ``jax.jit(L)``; gradient: ``jax.jit(jax.grad(L, (0, 1)))``.
Both are compiled ahead (``.lower().compile()``; the compile time is reported apart),
then called once untimed and ``repeats`` times timed (``block_until_ready``); the
median is reported.

Configurations of the gradient (the adjoint is ``simulate(..., adjoint=...)``):

- ``default``: ``diffrax.RecursiveCheckpointAdjoint()``: with ``Save()`` the whole run
  is one ``diffeqsolve`` of ``steps`` steps, and diffrax picks about
  sqrt(2 steps) checkpoints (141 for 1e4 steps), enough that every step is recomputed
  about once in the backward pass;
- ``ckpt=K``: ``RecursiveCheckpointAdjoint(checkpoints=K)``: fewer checkpoints, less
  memory, more recomputation (K = steps stores every step: no recomputation);
- ``every=K``: ``Save(every=K)`` (the default adjoint): ``simulate`` runs a
  ``lax.scan`` over steps/K chunks of K steps, each its own checkpointed
  ``diffeqsolve``; the loss still uses the final state only.

Every (configuration, N, steps, forward or gradient) runs in a fresh subprocess
(``--worker``), which reports its peak resident memory (``VmHWM``, which starts afresh
in a new process) and XLA's buffer plan of the compiled function
(``memory_analysis()``: arguments + outputs + temporaries). A ``baseline`` worker that
only imports jax and spinjax and builds ``m0`` gives the memory subtracted in the
tables. The gradients of all configurations at the same (N, steps) see the same noise
(spinjax's counter-based Brownian path), so they must agree; their spread is reported.

Usage::

    python benchmarks/gradients.py          # full run, 11 min on 2 idle-ish cores
    python benchmarks/gradients.py --quick  # about a minute and a half

A full run writes ``benchmarks/results/gradients.json`` and the section between the
``gradients`` markers of ``benchmarks/README.md``; ``--quick`` only prints the section
(and writes its JSON where ``--out`` says).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sllg_throughput import machine_info, peak_mem_mb, source_version  # noqa: E402

from readme_section import replace_section  # noqa: E402

START, END = "<!-- gradients:start -->", "<!-- gradients:end -->"
DT = 1e-12
AMPLITUDE_V, ALPHA = 1.05, 0.02
PULSE = dict(start_s=0.1e-9, width_s=0.44e-9, rise_s=30e-12, fall_s=30e-12)
TARGET_RATIO, TARGET_MEM_MB, TARGET_CASE = 4.0, 4000.0, (10_000, 10_000)

# (N, steps, repeats). N = 1e5 x 1e4 steps is skipped: about 1e9 junction-steps, whose
# gradient alone takes several minutes here (see the README section).
FULL_GRID = ((1_000, 1_000, 3), (1_000, 10_000, 3), (10_000, 1_000, 3),
             (10_000, 10_000, 2), (100_000, 1_000, 2))
FULL_SKIPPED = ((100_000, 10_000),)
QUICK_GRID = ((1_000, 1_000, 3), (10_000, 1_000, 2))
# Gradient configurations compared at one (N, steps), each timed; the default is in
# the grid. At the memory target the same configurations are only compiled (``plan``:
# XLA's buffer plan, no run) to show how memory scales without minutes of running.
FULL_VARIANTS = dict(case=(10_000, 1_000, 3), configs=("ckpt=16", "ckpt=1000", "every=100"),
                     plan_case=TARGET_CASE, plan_configs=("ckpt=16", "ckpt=10000", "every=100"))
QUICK_VARIANTS = dict(case=(1_000, 1_000, 3), configs=("ckpt=16", "ckpt=1000", "every=100"),
                      plan_case=None, plan_configs=())


# ---------------------------------------------------------------- worker

def _vm(field: str) -> float:
    """A /proc/self/status memory field in MB."""
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(ln.split()[1]) for ln in status if ln.startswith(field + ":")) / 1024


def make_loss(n: int, steps: int, config: str):
    import diffrax
    import jax
    import jax.numpy as jnp
    import spinjax as sj

    adjoint, save = diffrax.RecursiveCheckpointAdjoint(), sj.Save()
    if config.startswith("ckpt="):
        adjoint = diffrax.RecursiveCheckpointAdjoint(checkpoints=int(config[5:]))
    elif config.startswith("every="):
        save = sj.Save(every=int(config[6:]))
    elif config != "default":
        raise ValueError(config)
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (n, 1))
    key = jax.random.key(0)

    def loss(amplitude, alpha):
        device = sj.devices.vcma_mtj(alpha=alpha)
        pulse = sj.Trapezoid(amplitude, **PULSE)
        sol = sj.simulate(device.model, m0, t1=steps * DT, dt=DT, key=key,
                          drive=sj.Drive(voltage_V=pulse), save=save, adjoint=adjoint)
        return jnp.mean(jnp.tanh(-sol.m[:, 2] / 0.5))
    return loss


def measure(mode: str, config: str, n: int, steps: int, repeats: int) -> dict:
    """One case in this process: ``mode`` is forward, gradient, plan (compile the
    gradient only) or baseline (import and build m0 only)."""
    import jax
    import jax.numpy as jnp
    import spinjax  # noqa: F401  (the baseline imports it too)

    row = dict(mode=mode, config=config, n=n, steps=steps)
    if mode == "baseline":
        jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (n, 1)).block_until_ready()
        return dict(row, peak_mem_mb=peak_mem_mb())
    loss = make_loss(n, steps, config)
    fn = jax.grad(loss, argnums=(0, 1)) if mode in ("gradient", "plan") else loss
    args = (jnp.float32(AMPLITUDE_V), jnp.float32(ALPHA))
    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    row["compile_s"] = time.perf_counter() - t0
    try:
        ma = compiled.memory_analysis()
        row["xla_plan_mb"] = (ma.argument_size_in_bytes + ma.output_size_in_bytes
                              + ma.temp_size_in_bytes - ma.alias_size_in_bytes) / 2**20
        row["xla_temp_mb"] = ma.temp_size_in_bytes / 2**20
    except Exception as err:  # memory_analysis is backend-dependent
        row["xla_plan_error"] = repr(err)
    row["compile_peak_mem_mb"] = peak_mem_mb()
    if mode == "plan":
        return dict(row, peak_mem_mb=peak_mem_mb())
    # The run's own peak: reset the high-water mark after compiling (Linux >= 4.0:
    # writing 5 to clear_refs resets VmHWM to the current RSS), then read it after.
    row["rss_before_run_mb"] = _vm("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
        row["hwm_reset"] = True
    except OSError:
        row["hwm_reset"] = False
    t0 = time.perf_counter()
    out = jax.block_until_ready(compiled(*args))
    row["first_call_s"] = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = jax.block_until_ready(compiled(*args))
        times.append(time.perf_counter() - t0)
    row.update(timed_s=times, median_s=statistics.median(times) if times else row["first_call_s"],
               run_peak_mem_mb=peak_mem_mb(),
               peak_mem_mb=max(peak_mem_mb(), row["compile_peak_mem_mb"]))
    if row["hwm_reset"]:
        row["run_mem_mb"] = row["run_peak_mem_mb"] - row["rss_before_run_mb"]
    if mode == "gradient":
        row["grad_amplitude"], row["grad_alpha"] = (float(g) for g in out)
    else:
        row["loss"] = float(out)
    return row


# ---------------------------------------------------------------- driver

def run_worker(mode, config, n, steps, repeats) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", mode, config, str(n),
           str(steps), "--repeats", str(repeats)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env=dict(os.environ, JAX_PLATFORMS="cpu"))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        return dict(mode=mode, config=config, n=n, steps=steps,
                    error=proc.stderr.strip()[-2000:])
    return dict(json.loads(lines[-1][len("RESULT "):]), worker_wall_s=time.perf_counter() - t0,
                loadavg=os.getloadavg()[0])


def run_all(quick: bool, log=print) -> dict:
    mode = "quick" if quick else "full"
    machine = machine_info(mode)
    grid, variants = (QUICK_GRID, QUICK_VARIANTS) if quick else (FULL_GRID, FULL_VARIANTS)
    rows = [run_worker("baseline", "-", 1_000, 0, 0)]
    log(json.dumps(rows[-1]))
    for n, steps, repeats in grid:
        for m in ("forward", "gradient"):
            rows.append(run_worker(m, "default", n, steps, repeats))
            log(json.dumps(rows[-1]))
    n, steps, repeats = variants["case"]
    for config in variants["configs"]:
        rows.append(run_worker("gradient", config, n, steps, repeats))
        log(json.dumps(rows[-1]))
    if variants["plan_case"]:
        n, steps = variants["plan_case"]
        for config in variants["plan_configs"]:
            rows.append(run_worker("plan", config, n, steps, 0))
            log(json.dumps(rows[-1]))
    machine.update(loadavg_end=os.getloadavg(), spinjax_end=source_version())
    return dict(machine=machine, model=dict(
        preset="spinjax.devices.vcma_mtj(alpha=alpha)", pulse=dict(PULSE, amplitude=AMPLITUDE_V),
        alpha=ALPHA, dt_s=DT, temperature_K=300.0, noise="GaussianIncrements", dtype="float32",
        loss="mean(tanh(-m_z(t1) / 0.5))", grad_wrt=("amplitude", "alpha")),
        targets=dict(gradient_over_forward=TARGET_RATIO, memory_mb=TARGET_MEM_MB,
                     memory_case=TARGET_CASE),
        skipped=[dict(n=n, steps=s, why="about 1e9 junction-steps: the gradient alone would "
                      "take several minutes per call on this 2-core machine")
                 for n, s in (() if quick else FULL_SKIPPED)],
        rows=rows)


# ---------------------------------------------------------------- report

def _fmt_n(n):
    return f"1e{len(str(n)) - 1}" if str(n).strip("0") == "1" else str(n)


def section(res: dict) -> str:
    m, rows = res["machine"], res["rows"]
    base = next(r["peak_mem_mb"] for r in rows if r["mode"] == "baseline")
    get = {(r["mode"], r["config"], r["n"], r["steps"]): r for r in rows}
    out = [f"Measured {m['date']} ({m['mode']} mode, {m.get('total_s', 0) / 60:.0f} min) on "
           f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['platform']}; "
           f"jax {m['jax']}, diffrax {m['diffrax']}, equinox {m['equinox']}. The machine was "
           f"shared: load average {m['loadavg_start'][0]:.2f} at the start, "
           f"{m['loadavg_end'][0]:.2f} at the end. spinjax: {m['spinjax_start']}.", "",
           "VCMA preset, Trapezoid pulse (1.05 V, 0.47 ns FWHM), 300 K, dt = 1 ps, float32; "
           "loss = mean tanh(-m_z(t1)/0.5), gradient w.r.t. (amplitude, alpha) with "
           "`simulate`'s default `RecursiveCheckpointAdjoint()`. Times: median of the timed "
           "calls after compilation and one untimed call. Memory (one process per cell): "
           f"`fwd MB`, `grad MB` are the peak resident memory (VmHWM) of the worker minus "
           f"{base:.0f} MB, the peak of a process that only imported jax and spinjax, and so "
           "include the compiler's own peak; `grad run MB` is the peak while running only "
           "(VmHWM reset after compiling) above the resident memory before the run; the XLA "
           "plan is the compiled gradient's arguments + outputs + temporaries (what the "
           "computation itself needs).", "",
           "| N | steps | forward s | gradient s | gradient/forward | compile fwd s | "
           "compile grad s | fwd MB | grad MB | grad run MB | grad XLA plan MB | loss | "
           "dL/dV | dL/dalpha |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    ratios = {}
    for r in rows:
        if r["mode"] != "gradient" or r["config"] != "default":
            continue
        n, s = r["n"], r["steps"]
        f = get.get(("forward", "default", n, s), {})
        if "error" in r or "error" in f:
            out.append(f"| {_fmt_n(n)} | {s} | error |" + " |" * 11)
            continue
        ratios[(n, s)] = ratio = r["median_s"] / f["median_s"]
        out.append(f"| {_fmt_n(n)} | {s} | {f['median_s']:.3g} | {r['median_s']:.3g} | "
                   f"{ratio:.1f} | {f['compile_s']:.1f} | {r['compile_s']:.1f} | "
                   f"{f['peak_mem_mb'] - base:.0f} | {r['peak_mem_mb'] - base:.0f} | "
                   f"{r.get('run_mem_mb', float('nan')):.0f} | "
                   f"{r.get('xla_plan_mb', float('nan')):.1f} | {f['loss']:.3f} | "
                   f"{r['grad_amplitude']:.4g} | {r['grad_alpha']:.4g} |")
    for sk in res.get("skipped", []):
        out.append(f"| {_fmt_n(sk['n'])} | {sk['steps']} | skipped |" + " |" * 11)
    var = [r for r in rows if r["mode"] == "gradient" and r["config"] != "default"]
    if var:
        n, s = var[0]["n"], var[0]["steps"]
        d = get.get(("gradient", "default", n, s))
        f = get.get(("forward", "default", n, s))
        out += ["", f"Gradient configurations at N = {_fmt_n(n)}, {s} steps (`ckpt=K`: "
                "`RecursiveCheckpointAdjoint(checkpoints=K)`; `every=K`: `Save(every=K)`, "
                "a scan over chunks of K steps, each its own checkpointed solve):", "",
                "| configuration | gradient s | gradient/forward | compile s | grad MB | "
                "run MB | XLA plan MB | dL/dV | dL/dalpha |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in ([d] if d else []) + var:
            if "error" in r:
                out.append(f"| {r['config']} | error |" + " |" * 7)
                continue
            out.append(f"| {r['config']} | {r['median_s']:.3g} | "
                       f"{r['median_s'] / f['median_s']:.1f} | {r['compile_s']:.1f} | "
                       f"{r['peak_mem_mb'] - base:.0f} | {r.get('run_mem_mb', float('nan')):.0f} | "
                       f"{r.get('xla_plan_mb', float('nan')):.1f} "
                       f"| {r['grad_amplitude']:.6g} | {r['grad_alpha']:.6g} |")
        good = [r for r in ([d] if d else []) + var if "error" not in r]
        for k in ("grad_amplitude", "grad_alpha"):
            vals = [r[k] for r in good]
            spread = (max(vals) - min(vals)) / max(abs(v) for v in vals)
            out.append("") if k == "grad_amplitude" else None
            out.append(f"- {k}: relative spread over the configurations {spread:.1e} "
                       "(same noise, different recomputation order: float32 rounding).")
    plans = [r for r in rows if r["mode"] == "plan"]
    if plans:
        n, s = plans[0]["n"], plans[0]["steps"]
        d = get.get(("gradient", "default", n, s), {})
        out += ["", f"XLA buffer plan of the gradient at N = {_fmt_n(n)}, {s} steps (compiled, "
                "not run):", "", "| configuration | XLA plan MB | compile s |", "|---|---:|---:|"]
        for r in ([d] if "xla_plan_mb" in d else []) + plans:
            out.append(f"| {r['config']} | {r.get('xla_plan_mb', float('nan')):.1f} | "
                       f"{r.get('compile_s', float('nan')):.1f} |")
    # targets
    loads = [r["loadavg"] for r in rows if "loadavg" in r]
    if loads:
        out += ["", f"Each cell ran in its own process at its own time; the 1-minute load "
                f"average after the rows ranged from {min(loads):.1f} to {max(loads):.1f} "
                f"on {m['cores']} cores (`loadavg` per row in the JSON). On a shared machine "
                "that moves a timing by up to 2-3x, so ratios of cells measured under "
                "different loads (each configuration against the default forward) are "
                "uncertain by about as much."]
    out += ["", "Targets:", ""]
    if ratios:
        met = all(v <= TARGET_RATIO for v in ratios.values())
        listed = ", ".join(f"{_fmt_n(n)} x {s}: {v:.1f}x" for (n, s), v in ratios.items())
        out.append(f"- gradient <= {TARGET_RATIO:.0f}x forward: **{'met' if met else 'NOT met'}**"
                   f" ({listed}).")
    why = _why_ratio(rows, get)
    if why:
        out.append(why)
    t = get.get(("gradient", "default") + TARGET_CASE)
    if t and "error" not in t:
        mem = t["peak_mem_mb"] - base
        out.append(f"- gradient through {_fmt_n(TARGET_CASE[1])} steps of "
                   f"{_fmt_n(TARGET_CASE[0])} junctions < 4 GB: "
                   f"**{'met' if mem < TARGET_MEM_MB else 'NOT met'}** ({mem:.0f} MB above the "
                   f"baseline, compilation included, {t['peak_mem_mb']:.0f} MB for the whole "
                   f"process; {t.get('run_mem_mb', float('nan')):.0f} MB while running; XLA "
                   f"plan {t.get('xla_plan_mb', float('nan')):.0f} MB).")
    else:
        out.append(f"- memory target ({_fmt_n(TARGET_CASE[0])} x {_fmt_n(TARGET_CASE[1])}): "
                   "not measured in this mode.")
    return "\n".join(out)


def _why_ratio(rows, get) -> str:
    """Why the ratio is what it is, from the configuration rows (no recomputation:
    ``ckpt=steps``)."""
    full = [r for r in rows if r["mode"] == "gradient" and "error" not in r
            and r["config"] == f"ckpt={r['steps']}"]
    if not full:
        return ""
    r = full[0]
    f, d = get[("forward", "default", r["n"], r["steps"])], get[("gradient", "default",
                                                                 r["n"], r["steps"])]
    r_all, r_def = r["median_s"] / f["median_s"], d["median_s"] / f["median_s"]
    return (f"- Why the ratio is above 4x: reverse mode through `RecursiveCheckpointAdjoint` "
            "runs the forward once, recomputes it from the checkpoints (with diffrax's "
            "default of about sqrt(2 steps) checkpoints each step is recomputed up to twice: "
            "the floor is about 3 forwards before any backward work), then runs the VJP of "
            "every step, which re-evaluates the step (Heun's two stages, the noise draw, "
            "the STT and TMR terms) and its transpose, with the cotangents of the scalar "
            "amplitude and alpha summed over the junctions at every step. Storing every "
            f"step (`ckpt={r['steps']}`, no recomputation) gave {r_all:.1f}x at N = "
            f"{_fmt_n(r['n'])}, {r['steps']} steps (default: {r_def:.1f}x, under a different "
            "load), i.e. a backward pass of about "
            f"{r_all - 1:.1f} forwards when nothing is recomputed; with the default "
            "checkpoints the recomputation comes on top. Whether storing every step pays "
            "depends on whether the stored states (N x steps x 12 bytes) stay in cache.")


def write_readme(path: Path, text: str) -> None:
    replace_section(path, START, END, text, (
        "## Gradient cost\n\n`gradients.py` times one "
        "reverse-mode gradient of a VCMA switching loss against one forward solve "
        "and measures the gradient's peak memory, each case in its own process; see "
        "its docstring for the model and method. Run it with\n\n"
        "    python benchmarks/gradients.py          # full run, 11-18 min on 2 cores\n"
        "    python benchmarks/gradients.py --quick  # about a minute and a half\n\n"
        "A full run writes `results/gradients.json` and the section below."))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cases, about 1.5 min")
    parser.add_argument("--worker", nargs=4, metavar=("MODE", "CONFIG", "N", "STEPS"),
                        help="measure one case in this process and print it")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=None,
                        help="only print the section of an existing JSON")
    args = parser.parse_args(argv)
    if args.worker:
        mode, config, n, steps = args.worker
        row = measure(mode, config, int(n), int(steps), args.repeats)
        print("RESULT " + json.dumps(row), flush=True)
        return
    if args.report:
        print(section(json.loads(args.report.read_text())))
        return
    t0 = time.perf_counter()
    result = run_all(args.quick, log=lambda s: print(s, file=sys.stderr, flush=True))
    result["machine"]["total_s"] = time.perf_counter() - t0
    out = args.out or (None if args.quick else HERE / "results" / "gradients.json")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1) + "\n")
    text = section(result)
    if not args.quick:
        write_readme(HERE / "README.md", text)
    print(text)


if __name__ == "__main__":
    main()
