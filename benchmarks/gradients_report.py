"""The README sections of ``gradients.py``, rendered from its results JSON: one report
for a CPU run (``gradients`` section; memory as VmHWM above a baseline process) and a
GPU run (``gradients_gpu``; memory from the GPU allocator)."""

from tables import describe_device, loads_text, spinjax_text

TARGET_RATIO, TARGET_MEM_MB, TARGET_CASE = 4.0, 4000.0, (10_000, 10_000)
NAN = float("nan")


def _fmt_n(n):
    return f"1e{len(str(n)) - 1}" if str(n).strip("0") == "1" else str(n)


def _cell(r, key, spec=".3g"):
    return "—" if r is None or r.get(key) is None else format(r[key], spec)


def _failed(r):
    err = r.get("error", "")
    return err if err.startswith(("timed out", "skipped")) else "error"


def _header(res: dict, base) -> list:
    m, rows = res["machine"], res["rows"]
    if base is not None:
        return [f"Measured {m['date']} ({m['mode']} mode, {m.get('total_s', 0) / 60:.0f} min) "
                f"on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['platform']}; "
                f"jax {m['jax']}, diffrax {m['diffrax']}, equinox {m['equinox']}. The machine "
                f"was shared: {loads_text(m)}. spinjax: {m['spinjax_start']}.", "",
                "VCMA preset, Trapezoid pulse (1.05 V, 0.47 ns FWHM), 300 K, dt = 1 ps, "
                "float32; loss = mean tanh(-m_z(t1)/0.5), gradient w.r.t. (amplitude, alpha) "
                "with `simulate`'s default adjoint (store every step when N x steps x 12 B <= "
                "2 GiB, else diffrax's `RecursiveCheckpointAdjoint()`). Times: median of the "
                "timed calls after compilation and one untimed call. Memory (one process per "
                "cell): `fwd MB`, `grad MB` are the peak resident memory (VmHWM) of the worker "
                f"minus {base:.0f} MB, the peak of a process that only imported jax and "
                "spinjax, and so include the compiler's own peak; `grad run MB` is the peak "
                "while running only (VmHWM reset after compiling) above the resident memory "
                "before the run; the XLA plan is the compiled gradient's arguments + outputs "
                "+ temporaries (what the computation itself needs).", "",
                "`jacfwd` is forward mode (`jax.jacfwd`, `adjoint=diffrax.ForwardMode()`): "
                "one tangent per parameter, the cheaper mode for these two parameters.", "",
                "| N | steps | forward s | gradient s | gradient/forward | jacfwd s | "
                "jacfwd/forward | compile fwd s | compile grad s | fwd MB | grad MB | grad "
                "run MB | grad XLA plan MB | loss | dL/dV | dL/dalpha |", "|---:|" + "---:|" * 15]
    calls = [len(r["timed_s"]) for r in rows if "timed_s" in r]
    most = max(calls, default=0)
    few = sorted({(r["n"], r["steps"], len(r["timed_s"])) for r in rows
                  if len(r.get("timed_s", [0] * most)) < most})
    return [f"Measured {m['date']} ({m['mode']} mode, {m.get('total_s', 0) / 60:.1f} min) on "
            f"{describe_device(m)}. spinjax: {spinjax_text(m)}.", "",
            "Same model, loss and method as the CPU section, with the workers on the GPU "
            f"(`JAX_PLATFORMS=cuda`). Times: median of {most} timed calls after compilation "
            "and one untimed call" + "".join(f"; {k} timed call(s) at N = {_fmt_n(n)}, {s} steps"
                                         for n, s, k in few) + ". "
            "`GPU MB`: the peak of XLA's GPU allocator in the worker process after the timed "
            "calls (`jax.devices()[0].memory_stats()['peak_bytes_in_use']`: m0, the "
            "arguments, outputs and temporaries; not the CUDA context nor the pool jax "
            "preallocates); the XLA plan: the compiled computation's arguments + outputs + "
            "temporaries. `fwd rate`: junction-steps per second of the forward solve.", "",
            "| N | steps | forward s | gradient s | gradient/forward | fwd rate | compile fwd s "
            "| compile grad s | fwd GPU MB | grad GPU MB | grad XLA plan MB | loss | dL/dV "
            "| dL/dalpha |", "|---:|" + "---:|" * 13]


def _grid(res: dict, get: dict, base, ratios: dict, fwd_ratios: dict) -> list:
    """The rows of the (N, steps) table; fills the gradient/forward ratios."""
    out, gpu = [], base is None
    grid = [r for r in res["rows"] if r["mode"] == "gradient" and r["config"] == "default"]
    for r in sorted(grid, key=lambda r: (r["n"], r["steps"])) if gpu else grid:
        n, s = r["n"], r["steps"]
        f = get.get(("forward", "default", n, s), {})
        if "error" in r or "error" in f:
            out.append(f"| {_fmt_n(n)} | {s} | {_failed(f if 'error' in f else r)} |"
                       + " |" * 11 if gpu else f"| {_fmt_n(n)} | {s} | error |" + " |" * 13)
            continue
        ratios[(n, s)] = ratio = r["median_s"] / f["median_s"]
        if gpu:
            mid = (f"{n * s / f['median_s']:.3g} | {f['compile_s']:.1f} | {r['compile_s']:.1f} "
                   f"| {_cell(f, 'peak_gpu_mem_mb', '.0f')} | {_cell(r, 'peak_gpu_mem_mb', '.0f')}")
        else:
            j = get.get(("gradient", "jacfwd", n, s), {})
            if "median_s" in j:
                fwd_ratios[(n, s)] = j["median_s"] / f["median_s"]
            mid = (f"{j['median_s']:.3g} | {fwd_ratios[(n, s)]:.1f}" if "median_s" in j
                   else "- | -") + (
                f" | {f['compile_s']:.1f} | {r['compile_s']:.1f} | "
                f"{f['peak_mem_mb'] - base:.0f} | {r['peak_mem_mb'] - base:.0f} | "
                f"{r.get('run_mem_mb', NAN):.0f}")
        plan = _cell(r, "xla_plan_mb", ".1f") if gpu else f"{r.get('xla_plan_mb', NAN):.1f}"
        out.append(f"| {_fmt_n(n)} | {s} | {f['median_s']:.3g} | {r['median_s']:.3g} | "
                   f"{ratio:.1f} | {mid} | {plan} | "
                   f"{f['loss']:.3f} | {r['grad_amplitude']:.4g} | {r['grad_alpha']:.4g} |")
    for sk in res.get("skipped", []):
        n, s = sk["n"], sk["steps"]
        if gpu:
            out.append(f"| {_fmt_n(n)} | {s} | skipped ({sk['why']}) |" + " |" * 11)
            continue
        f, j = get.get(("forward", "default", n, s), {}), get.get(("gradient", "jacfwd", n, s), {})
        if "median_s" in f and "median_s" in j:   # reverse mode skipped, forward mode run
            fwd_ratios[(n, s)] = j["median_s"] / f["median_s"]
            out.append(f"| {_fmt_n(n)} | {s} | {f['median_s']:.3g} | skipped | - | "
                       f"{j['median_s']:.3g} | {fwd_ratios[(n, s)]:.1f} | "
                       f"{f['compile_s']:.1f} | {j['compile_s']:.1f} (jacfwd) | "
                       f"{f['peak_mem_mb'] - base:.0f} | {j['peak_mem_mb'] - base:.0f} "
                       f"(jacfwd) | {j.get('run_mem_mb', NAN):.0f} | "
                       f"{j.get('xla_plan_mb', NAN):.1f} | {f['loss']:.3f} | "
                       f"{j['grad_amplitude']:.4g} | {j['grad_alpha']:.4g} |")
        else:
            out.append(f"| {_fmt_n(n)} | {s} | skipped |" + " |" * 13)
    return out


def _variants(rows: list, get: dict, base) -> tuple[list, list]:
    """The table of gradient configurations at one (N, steps), the spread of their
    gradients, and the configuration rows."""
    gpu = base is None
    var = [r for r in rows if r["mode"] == "gradient" and r["config"] != "default"
           and (gpu or r["config"] != "jacfwd")]
    if not var:
        return [], var
    n, s = var[0]["n"], var[0]["steps"]
    d, f = get.get(("gradient", "default", n, s)), get.get(("forward", "default", n, s), {})
    out = ["", f"Gradient configurations at N = {_fmt_n(n)}, {s} steps (" + (
        "`ckpt=K`: `RecursiveCheckpointAdjoint(checkpoints=K)`, K = steps stores every step; "
        "`every=K`: `Save(every=K)`, a scan over chunks of K steps, each its own checkpointed "
        "solve):" if gpu else "`default`: store every step here; `recursive`: diffrax's "
        "`RecursiveCheckpointAdjoint()`; `ckpt=K`: `RecursiveCheckpointAdjoint(checkpoints=K)`"
        "; `every=K`: `Save(every=K)`, a scan over chunks of K steps, each its own solve):"),
        "", "| configuration | gradient s | gradient/forward | compile s | " + (
            "GPU MB | XLA plan MB" if gpu else "grad MB | run MB | XLA plan MB")
        + " | dL/dV | dL/dalpha |", "|---|" + "---:|" * (7 if gpu else 8)]
    for r in ([d] if d else []) + var:
        if "error" in r or (gpu and "error" in f):
            out.append(f"| {r['config']} | {_failed(r if 'error' in r else f) if gpu else 'error'}"
                       " |" + " |" * (6 if gpu else 7))
            continue
        mem = (f"{_cell(r, 'peak_gpu_mem_mb', '.0f')} | {_cell(r, 'xla_plan_mb', '.1f')} " if gpu
               else f"{r['peak_mem_mb'] - base:.0f} | {r.get('run_mem_mb', NAN):.0f} | "
               f"{r.get('xla_plan_mb', NAN):.1f} ")
        out.append(f"| {r['config']} | {r['median_s']:.3g} | "
                   f"{r['median_s'] / f['median_s']:.1f} | {r['compile_s']:.1f} | {mem}"
                   f"| {r['grad_amplitude']:.6g} | {r['grad_alpha']:.6g} |")
    good = [r for r in ([d] if d else []) + var if "error" not in r]
    for k in ("grad_amplitude", "grad_alpha") if len(good) > 1 or not gpu else ():
        vals = [r[k] for r in good]
        spread = (max(vals) - min(vals)) / (max(abs(v) for v in vals) or (1.0 if gpu else 0))
        out += [""] * (k == "grad_amplitude") + [
            f"- {k}: relative spread over the configurations {spread:.1e} (same noise, "
            f"different recomputation{' and reduction' * gpu} order: float32 rounding)."]
    return out, var


def _plans(rows: list, get: dict, gpu: bool) -> list:
    plans = [r for r in rows if r["mode"] == "plan"]
    if not plans:
        return []
    n, s = plans[0]["n"], plans[0]["steps"]
    d = get.get(("gradient", "default", n, s), {})
    out = ["", f"XLA buffer plan of the gradient at N = {_fmt_n(n)}, {s} steps (" + (
        "the default run; the others compiled, not run):" if gpu else "compiled, not run):"),
        "", "| configuration | XLA plan MB | " + "GPU MB | " * gpu + "compile s |",
        "|---|" + "---:|" * (3 if gpu else 2)]
    for r in ([d] if "xla_plan_mb" in d else []) + plans:
        run = r.get("mode") == "gradient"
        out.append(f"| {r['config']} | {_cell(r, 'xla_plan_mb', '.1f')} | " + (
            f"{_cell(r, 'peak_gpu_mem_mb', '.0f') if run else 'not run'} | " if gpu else "")
            + f"{_cell(r, 'compile_s', '.1f')} |")
    return out


def _ratio_target(ratios: dict, what: str) -> list:
    if not ratios:
        return []
    met = all(v <= TARGET_RATIO for v in ratios.values())
    listed = ", ".join(f"{_fmt_n(n)} x {s}: {v:.1f}x" for (n, s), v in ratios.items())
    return [f"- gradient <= {TARGET_RATIO:.0f}x forward{what}: **{'met' if met else 'NOT met'}**"
            f" ({listed})."]


def report(res: dict) -> str:
    """The section of a run: the grid, the gradient configurations, the XLA plans and the
    targets; the memory columns from VmHWM above the baseline worker on a CPU, from the
    GPU allocator on a GPU."""
    rows, gpu = res["rows"], res.get("platform") == "gpu"
    base = None if gpu else next(r["peak_mem_mb"] for r in rows if r["mode"] == "baseline")
    get = {(r["mode"], r["config"], r["n"], r["steps"]): r for r in rows}
    ratios, fwd_ratios = {}, {}
    out = _header(res, base) + _grid(res, get, base, ratios, fwd_ratios)
    var_lines, var = _variants(rows, get, base)
    out += var_lines + _plans(rows, get, gpu)
    loads = [r["loadavg"] for r in rows if "loadavg" in r]
    if loads and not gpu:
        out += ["", f"Each cell ran in its own process at its own time; the 1-minute load "
                f"average after the rows ranged from {min(loads):.1f} to {max(loads):.1f} "
                f"on {res['machine']['cores']} cores (`loadavg` per row in the JSON). On a "
                "shared machine that moves a timing by up to 2-3x, so ratios of cells "
                "measured under different loads (each configuration against the default "
                "forward) are uncertain by about as much."]
    out += ["", "Targets (GPU):" if gpu else "Targets:", ""]
    out += _ratio_target(ratios, "" if gpu else ", reverse mode (any number of parameters)")
    out += _ratio_target(fwd_ratios, ", forward mode for the two parameters")
    if gpu:
        full = [r for r in var if "error" not in r and r["config"] == f"ckpt={r['steps']}"]
        f = full and get.get(("forward", "default", full[0]["n"], full[0]["steps"]), {})
        if full and "median_s" in f:
            out.append(f"- storing every step (`{full[0]['config']}`, no recomputation) at "
                       f"N = {_fmt_n(full[0]['n'])}, {full[0]['steps']} steps: "
                       f"{full[0]['median_s'] / f['median_s']:.1f}x the forward.")
    else:
        out += [_why_ratio(rows, get)] if _why_ratio(rows, get) else []
    t = get.get(("gradient", "default") + TARGET_CASE)
    what = (f"- gradient through {_fmt_n(TARGET_CASE[1])} steps of {_fmt_n(TARGET_CASE[0])} "
            "junctions < 4 GB: ")
    if gpu and t and t.get("peak_gpu_mem_mb") is not None:
        mem = t["peak_gpu_mem_mb"]
        out.append(what + f"**{'met' if mem < TARGET_MEM_MB else 'NOT met'}** ({mem:.0f} MB "
                   f"peak of the GPU allocator; XLA plan {_cell(t, 'xla_plan_mb', '.0f')} MB).")
    elif not gpu and t and "error" not in t:
        mem = t["peak_mem_mb"] - base
        out.append(what + f"**{'met' if mem < TARGET_MEM_MB else 'NOT met'}** ({mem:.0f} MB "
                   f"above the baseline, compilation included, {t['peak_mem_mb']:.0f} MB for "
                   f"the whole process; {t.get('run_mem_mb', NAN):.0f} MB while running; XLA "
                   f"plan {t.get('xla_plan_mb', NAN):.0f} MB).")
    else:
        out.append(f"- memory target ({_fmt_n(TARGET_CASE[0])} x {_fmt_n(TARGET_CASE[1])}): "
                   f"not measured in this {'run' if gpu else 'mode'}.")
    if gpu:
        out += [f"- {r['mode']} {r['config']} N = {_fmt_n(r['n'])}, {r['steps']} steps: "
                f"{r['error'][-300:]}" for r in rows if "error" in r]
    return "\n".join(out)


def _why_ratio(rows, get) -> str:
    """What storing every step buys, from the ``recursive`` configuration row."""
    rec = [r for r in rows if r["mode"] == "gradient" and "error" not in r
           and r["config"] == "recursive"]
    if not rec:
        return ""
    r = rec[0]
    f, d = get[("forward", "default", r["n"], r["steps"])], get[("gradient", "default",
                                                                 r["n"], r["steps"])]
    r_rec, r_def = r["median_s"] / f["median_s"], d["median_s"] / f["median_s"]
    return (f"- Where the ratio comes from: at N = {_fmt_n(r['n'])}, {r['steps']} steps, "
            f"diffrax's recursive checkpointing costs {r_rec:.1f}x a forward (it recomputes "
            "the forward from its checkpoints, about twice per step with sqrt(2 steps) "
            f"checkpoints) and storing every step {r_def:.1f}x, so the backward pass of one "
            f"step (the VJP of Heun's two stages, the noise draw, the STT and TMR terms, and "
            f"the per-step sums of the cotangents of the scalar amplitude and alpha) costs "
            f"about {r_def - 1:.1f} forward steps; even a step with the thermal field off "
            "differentiates at about 16x its forward on this CPU (measured once, N = 1e4), "
            "so it is XLA's code for the transposed step, not the noise. Forward mode "
            "(`jacfwd`) has no backward pass: each tangent costs about one forward. Beyond "
            "the 2 GiB of stored states the policy falls back to recursive checkpointing.")
