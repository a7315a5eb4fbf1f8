"""Tables and target verdicts of ``sllg_throughput.py``, rendered from its results JSON:
one report for a CPU run and a GPU run (``result["platform"] == "gpu"``), whose columns
differ (numpy and cmtj are CPU codes; on a GPU the time per step shows launch costs)."""

from tables import describe_device, fmt as _fmt, loads_text, spinjax_text

CMTJ_JUNCTIONS, CMTJ_MIN_STEPS = {"full": 10, "quick": 3}, 2_000
IMPLS = ("spinjax", "spinjax_2pt", "scan", "numpy", "cmtj")
GPU_IMPLS = ("spinjax", "spinjax_2pt", "scan")
# Per platform: the implementations, the ratio columns (a over b, format), the header of
# the rate table, the compile-time columns, the memory field and the cost table's header.
COLUMNS = dict(
    cpu=dict(impls=IMPLS, ratios=(("spinjax", "scan", ".2f"), ("spinjax", "cmtj", ".1f"),
                                  ("spinjax_2pt", "cmtj", ".1f")),
             rates="| N | steps | spinjax | spinjax 2-point | scan | numpy | cmtj | "
                   "spinjax/scan | spinjax/cmtj | 2-point/cmtj |",
             compile=("spinjax", "scan"), mem="peak_mem_mb",
             cost="| N | spinjax compile s | scan compile s | spinjax MB | spinjax 2-point MB "
                  "| scan MB | numpy MB | cmtj MB |"),
    gpu=dict(impls=GPU_IMPLS, ratios=(("spinjax", "scan", ".2f"), ("spinjax_2pt", "scan", ".2f")),
             rates="| N | steps | spinjax | spinjax 2-point | scan | spinjax/scan | 2-point/scan "
                   "| spinjax us/step | scan us/step |",
             compile=GPU_IMPLS, mem="peak_gpu_mem_mb",
             cost="| N | spinjax compile s | 2-point compile s | scan compile s | spinjax GPU MB "
                  "| 2-point GPU MB | scan GPU MB |"))


def _engine(m: dict) -> str:
    """What the spinjax columns ran: simulate's default solver, which changed."""
    if m["date"] < "2026-12-05":
        return ("spinjax: `simulate`, measured before the one-engine change, on the diffrax "
                "path (now `solver=NormalizedHeun()`; the default is now FusedHeun, see the "
                "engine section). ")
    return "spinjax: `simulate` with its default solver, FusedHeun. "


def _n(n: int) -> str:
    e = len(str(n)) - 1
    return f"1e{e}" if n == 10**e and e > 1 else str(n)


def _verdicts(label: str, vals: list, target: float) -> str:
    """A target line: met when every (N, ratio) of `vals` reaches `target`."""
    text = ", ".join(f"N = {_n(n)}: {v:.2f}x" for n, v in vals)
    verdict = "met" if all(v >= target for _, v in vals) else "NOT met"
    return f"- {label}: **{verdict}** ({text})." if vals else f"- {label}: not measured."


def _targets_cpu(ratios: dict, mem: list) -> list:
    big = [n for n in ratios if n >= 10_000]
    out = [_verdicts(label, [(n, ratios[n][i]) for n in big if ratios[n][i] is not None], t)
           for label, i, t in (("spinjax >= 0.8x scan at N >= 1e4", 0, 0.8),
                               ("spinjax >= 10x cmtj at N >= 1e4 (Gaussian noise)", 1, 10.0),
                               ("spinjax >= 10x cmtj at N >= 1e4 (two-point noise, weak "
                                "order 1)", 2, 10.0))]
    peaks = ", ".join(f"{r['steps']} steps: {r['peak_mem_mb']:.0f} MB" for r in mem)
    final = next((r for r in mem if r["steps"] >= 10_000), None)
    if final is None:
        out.append("- 1e6 x 1e4 final-state < 1 GB: not run in quick mode; peak memory of "
                   f"spinjax at N = 1e6 by number of steps: {peaks}.")
    else:
        ok = final["peak_mem_mb"] < 1024
        out.append(f"- 1e6 x 1e4 final-state < 1 GB: **{'met' if ok else 'NOT met'}** "
                   f"(peak {final['peak_mem_mb']:.0f} MB; by number of steps: {peaks}).")
    return out


def _targets_gpu(ratios: dict, mem: list) -> list:
    out = [_verdicts("spinjax >= 0.8x scan at N >= 1e4", [
        (n, r[0]) for n, r in ratios.items() if n >= 10_000 and r[0] is not None], 0.8)]
    peaks = [r for r in mem if r.get("peak_gpu_mem_mb") is not None]
    if len(peaks) > 1:
        flat = max(r["peak_gpu_mem_mb"] for r in peaks) <= 1.1 * min(
            r["peak_gpu_mem_mb"] for r in peaks)
        out.append(f"- final-state memory independent of the number of steps at N = "
                   f"{_n(mem[0]['n'])}: **{'met' if flat else 'NOT met'}** (peak "
                   + ", ".join(f"{r['steps']} steps: {r['peak_gpu_mem_mb']:.0f} MB"
                               for r in peaks) + ").")
    return out


def report(result: dict) -> str:
    """The README section: throughput, compile and memory tables and the targets."""
    gpu = result.get("platform") == "gpu"
    col = COLUMNS["gpu" if gpu else "cpu"]
    rows = [r for r in result["rows"] if "junction_steps_per_s" in r]
    failed = [r for r in result["rows"] if "junction_steps_per_s" not in r]
    tput = {(r["impl"], r["n"]): r for r in rows if r["kind"] == "throughput"}
    mem = [r for r in rows if r["kind"] == "memory"]
    ns = sorted({n for _, n in tput})
    m = result["machine"]
    if gpu:
        out = [f"Measured {m['date']} ({m['mode']} mode, {m['total_s'] / 60:.1f} min) on "
               f"{describe_device(m)}. spinjax: {spinjax_text(m)}.", "",
               "Same physics and implementations as the CPU section, with the workers on the "
               "GPU (`JAX_PLATFORMS=cuda`); numpy and cmtj are CPU codes and do not run here. "
               + _engine(m) + "Junction-steps per second: the median of 3 timed calls after "
               f"a warm-up call, {m['rounds']} pass(es), each case in a fresh process; "
               "`us/step`: the median call's time per step (at small N, the per-step "
               "overhead of launching the step's kernels).", ""]
    else:
        out = [f"Measured {m['date']} ({m['mode']} mode, {m['total_s'] / 60:.0f} min) on "
               f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['platform']}; "
               f"jax {m['jax']}, diffrax {m['diffrax']}, cmtj {m['cmtj']}. The machine was "
               f"shared: {loads_text(m)}. spinjax: {spinjax_text(m)}.", "",
               _engine(m) + "Junction-steps per second: the median of 3 timed calls after a "
               f"warm-up call, the fastest of {m['rounds']} pass(es) over all cases (the "
               "machine is shared). cmtj simulates one junction per call: its rate is that "
               f"of min(N, {CMTJ_JUNCTIONS[m['mode']]}) junctions run one after another, "
               f"each for at least {CMTJ_MIN_STEPS} steps, extrapolated to N.", ""]
    out += [col["rates"], "|---:|" + "---:|" * (col["rates"].count("|") - 2)]
    ratios = {}
    for n in ns:
        rate = {i: tput[(i, n)]["junction_steps_per_s"] if (i, n) in tput else None
                for i in col["impls"]}
        steps = next(tput[(i, n)]["steps"] for i in col["impls"] if (i, n) in tput)
        ratios[n] = tuple(rate[a] / rate[b] if rate[a] and rate[b] else None
                          for a, b, _ in col["ratios"])
        cells = [_fmt(rate[i]) for i in col["impls"]] + [
            _fmt(x, spec) for x, (*_, spec) in zip(ratios[n], col["ratios"])]
        if gpu:  # the median call's time per step in us
            cells += [_fmt(1e6 * n / rate[i] if rate[i] else None) for i in ("spinjax", "scan")]
        out.append(f"| {_n(n)} | {steps} | " + " | ".join(cells) + " |")
    out += ["", "Compile time (first call minus median call) and " + (
        "the peak of XLA's GPU allocator in each worker (`memory_stats()['peak_bytes_in_use']`"
        "; the state alone is N x 12 bytes):" if gpu else
        "peak resident memory (VmHWM) of each worker process:"), "",
        col["cost"], "|---:|" + "---:|" * (col["cost"].count("|") - 2)]
    for n in ns:
        get = {i: tput.get((i, n), {}) for i in col["impls"]}
        out.append(f"| {_n(n)} | " + " | ".join(
            [_fmt(get[i].get("compile_s"), ".2f") for i in col["compile"]]
            + [_fmt(get[i].get(col["mem"]), ".0f") for i in col["impls"]]) + " |")
    out += ["", "spinjax with final-state saving " + (
        "by number of steps" if gpu else "at N = 1e6") + " (one call each in a fresh "
        "process; wall time includes compilation):", "",
        f"| N | steps | peak {'GPU ' * gpu}MB | wall s |", "|---:|---:|---:|---:|",
        *(f"| {_n(r['n'])} | {r['steps']} | {_fmt(r.get(col['mem']), '.0f')} | "
          f"{r['first_call_s']:.1f} |" for r in mem),
        "", "Targets (GPU):" if gpu else "Targets (2-core CPU):", "",
        *(_targets_gpu if gpu else _targets_cpu)(ratios, mem)]
    out += [f"- failed or skipped: {r['impl']} N = {_n(r['n'])}: "
            f"{r.get('skipped') or r.get('error', '')[-200:]}" for r in failed]
    return "\n".join(out)
