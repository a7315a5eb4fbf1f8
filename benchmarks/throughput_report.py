"""Tables and target verdicts of ``sllg_throughput.py``, rendered from its results JSON."""

from pathlib import Path

from accelerator import describe_device
from readme_section import replace_section

CMTJ_JUNCTIONS, CMTJ_MIN_STEPS = {"full": 10, "quick": 3}, 2_000
IMPLS = ("spinjax", "spinjax_2pt", "scan", "numpy", "cmtj")
GPU_IMPLS = ("spinjax", "spinjax_2pt", "scan")
START, END = "<!-- sllg_throughput:start -->", "<!-- sllg_throughput:end -->"
GPU_START, GPU_END = "<!-- sllg_throughput_gpu:start -->", "<!-- sllg_throughput_gpu:end -->"


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


def _fmt(x, spec=".3g"):
    return "—" if x is None else format(x, spec)


def _throughput_table(tput: dict, ns: list) -> tuple[list, dict]:
    out = ["| N | steps | spinjax | spinjax 2-point | scan | numpy | cmtj | spinjax/scan "
           "| spinjax/cmtj | 2-point/cmtj |", "|---:|" * 1 + "---:|" * 9]
    ratios = {}
    for n in ns:
        rate = {i: tput[(i, n)]["junction_steps_per_s"] if (i, n) in tput else None
                for i in IMPLS}
        steps = next(tput[(i, n)]["steps"] for i in IMPLS if (i, n) in tput)
        ratios[n] = tuple(rate[a] / rate[b] if rate[a] and rate[b] else None
                          for a, b in (("spinjax", "scan"), ("spinjax", "cmtj"),
                                       ("spinjax_2pt", "cmtj")))
        out.append(f"| {_n(n)} | {steps} | " + " | ".join(_fmt(rate[i]) for i in IMPLS)
                   + f" | {_fmt(ratios[n][0], '.2f')} | {_fmt(ratios[n][1], '.1f')}"
                   f" | {_fmt(ratios[n][2], '.1f')} |")
    return out, ratios


def _cost_table(tput: dict, ns: list) -> list:
    out = ["| N | spinjax compile s | scan compile s | spinjax MB | spinjax 2-point MB "
           "| scan MB | numpy MB | cmtj MB |", "|---:|" + "---:|" * 7]
    for n in ns:
        get = {i: tput.get((i, n), {}) for i in IMPLS}
        out.append(f"| {_n(n)} | " + " | ".join(
            [_fmt(get[i].get("compile_s"), ".2f") for i in ("spinjax", "scan")]
            + [_fmt(get[i].get("peak_mem_mb"), ".0f") for i in IMPLS]) + " |")
    return out


def _targets(ratios: dict, mem: list) -> list:
    out = []
    big = [n for n in ratios if n >= 10_000]
    for label, idx, target in (("spinjax >= 0.8x scan at N >= 1e4", 0, 0.8),
                               ("spinjax >= 10x cmtj at N >= 1e4 (Gaussian noise)", 1, 10.0),
                               ("spinjax >= 10x cmtj at N >= 1e4 (two-point noise, weak "
                                "order 1)", 2, 10.0)):
        vals = [(n, ratios[n][idx]) for n in big if ratios[n][idx] is not None]
        text = ", ".join(f"N = {_n(n)}: {v:.2f}x" for n, v in vals)
        verdict = "met" if all(v >= target for _, v in vals) else "NOT met"
        out.append(f"- {label}: **{verdict}** ({text})." if vals
                   else f"- {label}: not measured.")
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


def report(result: dict) -> str:
    """The README section: throughput, compile and memory tables and the targets."""
    rows = [r for r in result["rows"] if "junction_steps_per_s" in r]
    failed = [r for r in result["rows"] if "junction_steps_per_s" not in r]
    tput = {(r["impl"], r["n"]): r for r in rows if r["kind"] == "throughput"}
    mem = [r for r in rows if r["kind"] == "memory"]
    ns = sorted({n for _, n in tput})
    m = result["machine"]
    rates, ratios = _throughput_table(tput, ns)
    out = [f"Measured {m['date']} ({m['mode']} mode, {m['total_s'] / 60:.0f} min) on "
           f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['platform']}; "
           f"jax {m['jax']}, diffrax {m['diffrax']}, cmtj {m['cmtj']}. The machine was "
           f"shared: load average {m['loadavg_start'][0]:.2f} at the start, "
           f"{m['loadavg_end'][0]:.2f} at the end. spinjax: {m['spinjax_start']}"
           + ("" if m["spinjax_start"] == m["spinjax_end"] else
              f" at the start, **{m['spinjax_end']} at the end: spinjax changed during "
              "the run**") + ".", "",
           _engine(m) + "Junction-steps per second: the median of 3 timed calls after a "
           f"warm-up call, the fastest of {m['rounds']} pass(es) over all cases (the machine "
           "is shared). "
           "cmtj simulates one junction per call: its rate is that of min(N, "
           f"{CMTJ_JUNCTIONS[m['mode']]}) junctions run one after another, each for at least "
           f"{CMTJ_MIN_STEPS} steps, extrapolated to N.", "",
           *rates, "", "Compile time (first call minus median call) and peak resident "
           "memory (VmHWM) of each worker process:", "", *_cost_table(tput, ns), "",
           "spinjax with final-state saving at N = 1e6 (one call each in a fresh process; "
           "wall time includes compilation):", "",
           "| N | steps | peak MB | wall s |", "|---:|---:|---:|---:|",
           *(f"| {_n(r['n'])} | {r['steps']} | {r['peak_mem_mb']:.0f} | "
             f"{r['first_call_s']:.1f} |" for r in mem),
           "", "Targets (2-core CPU):", "", *_targets(ratios, mem)]
    out += [f"- failed or skipped: {r['impl']} N = {_n(r['n'])}: "
            f"{r.get('skipped') or r.get('error', '')[-200:]}" for r in failed]
    return "\n".join(out)


def write_readme(path: Path, section: str) -> None:
    """Replace the text between the markers in `path`, creating the README if needed."""
    intro = ("# Benchmarks\n\n`sllg_throughput.py` measures the throughput (junction-steps "
             "per second), compile time and peak memory of spinjax's stochastic LLG against "
             "a hand-written `jax.lax.scan` of the same Heun step (the plain-XLA reference), "
             "a NumPy "
             "version and [cmtj](https://github.com/LemurPwned/cmtj), for 1 to 1e6 "
             "PMA junctions at 300 K with dt = 1 ps; see the script's docstring for the "
             "exact physics and method. Run it on a CPU with\n\n"
             "    python benchmarks/sllg_throughput.py          # full run, tens of minutes\n"
             "    python benchmarks/sllg_throughput.py --quick  # about a minute\n\n"
             "A full run writes `results/sllg_throughput.json` and the section below "
             "(`--quick` writes `results/sllg_throughput_quick.json` and only prints its "
             "tables).\n\n"
             f"{START}\n{END}\n")
    if not path.exists():
        path.write_text(intro)
    replace_section(path, START, END, section, intro)


# ---------------------------------------------------------------- GPU

def report_gpu(result: dict) -> str:
    """The section of a ``--platform gpu`` run: spinjax, its two-point noise and the
    scan on the GPU, memory from the GPU allocator."""
    rows = [r for r in result["rows"] if "junction_steps_per_s" in r]
    failed = [r for r in result["rows"] if "junction_steps_per_s" not in r]
    tput = {(r["impl"], r["n"]): r for r in rows if r["kind"] == "throughput"}
    mem = [r for r in rows if r["kind"] == "memory"]
    ns = sorted({n for _, n in tput})
    m = result["machine"]
    rate = {k: r["junction_steps_per_s"] for k, r in tput.items()}
    per_step = {k: 1e6 * r["n"] / rate[k] for k, r in tput.items()}  # us per step
    out = [f"Measured {m['date']} ({m['mode']} mode, {m['total_s'] / 60:.1f} min) on "
           f"{describe_device(m)}. spinjax: {m['spinjax_start']}"
           + ("" if m["spinjax_start"] == m["spinjax_end"] else
              f" at the start, **{m['spinjax_end']} at the end: spinjax changed during "
              "the run**") + ".", "",
           "Same physics and implementations as the CPU section, with the workers on the GPU "
           "(`JAX_PLATFORMS=cuda`); numpy and cmtj are CPU codes and do not run here. "
           + _engine(m) +
           "Junction-steps per second: the median of 3 timed calls after a warm-up call, "
           f"{m['rounds']} pass(es), each case in a fresh process; `us/step`: the median "
           "call's time per step (at small N, the per-step overhead of launching the step's "
           "kernels).", "",
           "| N | steps | spinjax | spinjax 2-point | scan | spinjax/scan | 2-point/scan "
           "| spinjax us/step | scan us/step |", "|---:|" + "---:|" * 8]
    ratios = {}
    for n in ns:
        r = {i: rate.get((i, n)) for i in GPU_IMPLS}
        steps = next(tput[(i, n)]["steps"] for i in GPU_IMPLS if (i, n) in tput)
        ratios[n] = tuple(r[a] / r["scan"] if r[a] and r["scan"] else None
                          for a in ("spinjax", "spinjax_2pt"))
        out.append(f"| {_n(n)} | {steps} | " + " | ".join(_fmt(r[i]) for i in GPU_IMPLS)
                   + f" | {_fmt(ratios[n][0], '.2f')} | {_fmt(ratios[n][1], '.2f')} | "
                   f"{_fmt(per_step.get(('spinjax', n)), '.3g')} | "
                   f"{_fmt(per_step.get(('scan', n)), '.3g')} |")
    out += ["", "Compile time (first call minus median call) and the peak of XLA's GPU "
            "allocator in each worker (`memory_stats()['peak_bytes_in_use']`; the state "
            "alone is N x 12 bytes):", "",
            "| N | spinjax compile s | 2-point compile s | scan compile s | spinjax GPU MB "
            "| 2-point GPU MB | scan GPU MB |", "|---:|" + "---:|" * 6]
    for n in ns:
        get = {i: tput.get((i, n), {}) for i in GPU_IMPLS}
        out.append(f"| {_n(n)} | " + " | ".join(
            [_fmt(get[i].get("compile_s"), ".2f") for i in GPU_IMPLS]
            + [_fmt(get[i].get("peak_gpu_mem_mb"), ".0f") for i in GPU_IMPLS]) + " |")
    out += ["", "spinjax with final-state saving by number of steps (one call each in a "
            "fresh process; wall time includes compilation):", "",
            "| N | steps | peak GPU MB | wall s |", "|---:|---:|---:|---:|",
            *(f"| {_n(r['n'])} | {r['steps']} | {_fmt(r.get('peak_gpu_mem_mb'), '.0f')} | "
              f"{r['first_call_s']:.1f} |" for r in mem), "", "Targets (GPU):", ""]
    big = [(n, ratios[n][0]) for n in ns if n >= 10_000 and ratios[n][0] is not None]
    verdict = "met" if all(v >= 0.8 for _, v in big) else "NOT met"
    out.append(f"- spinjax >= 0.8x scan at N >= 1e4: **{verdict}** ("
               + ", ".join(f"N = {_n(n)}: {v:.2f}x" for n, v in big) + ")." if big else
               "- spinjax >= 0.8x scan at N >= 1e4: not measured.")
    peaks = [r["peak_gpu_mem_mb"] for r in mem if r.get("peak_gpu_mem_mb") is not None]
    if len(peaks) > 1:
        flat = max(peaks) <= 1.1 * min(peaks)
        out.append(f"- final-state memory independent of the number of steps at N = "
                   f"{_n(mem[0]['n'])}: **{'met' if flat else 'NOT met'}** (peak "
                   + ", ".join(f"{r['steps']} steps: {r['peak_gpu_mem_mb']:.0f} MB"
                               for r in mem if r.get("peak_gpu_mem_mb") is not None) + ").")
    out += [f"- failed or skipped: {r['impl']} N = {_n(r['n'])}: "
            f"{r.get('skipped') or r.get('error', '')[-200:]}" for r in failed]
    return "\n".join(out)


def write_gpu_readme(path: Path, section: str) -> None:
    replace_section(path, GPU_START, GPU_END, section, (
        "## SLLG throughput on a GPU\n\n`sllg_throughput.py --platform gpu` runs spinjax "
        "(Gaussian and two-point noise) and the hand-written scan on an NVIDIA GPU "
        "(`JAX_PLATFORMS=cuda`) for 1e3 to 3e7 junctions, with the memory taken from the "
        "GPU allocator:\n\n"
        "    python benchmarks/sllg_throughput.py --platform gpu          # about 4 min\n"
        "    python benchmarks/sllg_throughput.py --platform gpu --quick  # under a minute\n\n"
        "A full run writes `results/sllg_throughput_gpu.json` and the section below."))
