"""The README section and the plot of ``scaling.py``, rendered from its results JSON."""

from pathlib import Path

from harness import HERE, replace_section
from tables import describe_device, fmt as _f, fmt_n as _n, spinjax_text

IMPL_LABEL = dict(gaussian="(a) Gaussian noise", rademacher="(b) RademacherIncrements",
                  deterministic="(c) thermal=False", rng="(d) RNG alone (normal draws + sum)")
# Runs before this date measured `fused_simulate` (the affine-only kernel that the one
# engine's FusedHeun replaced) where a run now measures simulate(solver=FusedHeun()).
ONE_ENGINE = "2026-12-05"


def report(res: dict) -> str:
    m, gpu = res["machine"], res["platform"] == "gpu"
    ok = {(r["case"], r["impl"], r["n"], r.get("devices")): r for r in res["rows"]
          if "junction_steps_per_s" in r}
    host = describe_device(m) if gpu else (
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['platform']}; "
        f"jax {m['jax']}, jaxlib {m['jaxlib']}, diffrax {m['diffrax']}")
    out = [f"Measured {m['date']} ({m['mode']} mode, {m['total_s'] / 60:.1f} min) on {host}. "
           f"Load average {m['loadavg_start'][0]:.2f} at the start, "
           f"{m['loadavg_end'][0]:.2f} at the end. spinjax: {spinjax_text(m)}.",
           "", f"Junction-steps per second: median of {m['repeats']} timed calls after a "
           f"warm-up call, each case in a fresh process, the fastest of {m['rounds']} "
           "pass(es). Physics and method: see `scaling.py`.", "",
           "**Against N** (spinjax: `simulate(..., solver=NormalizedHeun())`, the diffrax "
           "path, Gaussian noise, final state; scan: the hand-written `lax.scan` of "
           "`sllg_throughput.py`; fused: `simulate(..., solver=FusedHeun())`, the Pallas "
           "kernel on a GPU and its XLA loop on a CPU; MB: peak resident memory, or the GPU "
           "allocator's peak on a GPU)" + (
               ". Measured before the one-engine change: the fused rows ran `fused_simulate`"
               ", the affine-only kernel that FusedHeun replaced, and the diffrax rows drew "
               "their noise with `jax.random` per step, not from per-junction counters" if m["date"] < ONE_ENGINE else "")
           + ":", "",
           "| N | steps | spinjax | scan | fused | spinjax/scan | fused/scan | spinjax MB "
           "| scan MB | fused MB |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    mem = "peak_gpu_mem_mb" if gpu else "peak_mem_mb"
    ratios = []
    for n, s in sorted({(r["n"], r["steps"]) for r in res["rows"] if r["case"] == "rate"}):
        a, b, c = (ok.get(("rate", i, n, None), {}) for i in ("spinjax", "scan", "fused"))
        ra, rb, rc = (x.get("junction_steps_per_s") for x in (a, b, c))
        ratios += [(n, ra / rb)] if ra and rb else []
        out.append(f"| {_n(n)} | {s} | {_f(ra)} | {_f(rb)} | {_f(rc)} | "
                   f"{_f(ra and rb and ra / rb, '.2f')} | {_f(rc and rb and rc / rb, '.2f')}"
                   f" | {_f(a.get(mem), '.0f')} | {_f(b.get(mem), '.0f')} | "
                   f"{_f(c.get(mem), '.0f')} |")
    if not gpu:
        verdict = "met" if ratios and all(v >= 0.8 for _, v in ratios) else "NOT met"
        out += ["", f"Target spinjax >= 0.8x scan on a CPU at every N: **{verdict}** ("
                + ", ".join(f"N = {_n(n)}: {v:.2f}x" for n, v in ratios) + ")."]
    dev = sorted((r for r in ok.values() if r["case"] == "devices"), key=lambda r: r["devices"])
    refs = {r["impl"]: r for r in dev if r["devices"] == 1}
    out += ["", "**Against the number of devices** (`simulate(..., mesh=junction_mesh(K), "
            "solver=NormalizedHeun())`, "
            "`m0 = junction_state(N, mesh=mesh)`; K = none: plain `simulate`). " + (
                "" if gpu else f"These are fake host devices (`--xla_force_host_platform_"
                f"device_count=K`) sharing the same {m['cores']} cores: the rows measure the "
                "overhead of partitioning, not a speed-up.") + " Bit-identical: the same "
            "sha256 of the final state as K = 1 of the same path (fused: "
            "`solver=FusedHeun()`).", "", "| path | K | N | steps | rate | rate / "
            "K=1 | compile s | bit-identical to K=1 | mean m_z | sum of m |",
            "|---|---|---:|---:|---:|---:|---:|---|---:|---:|"]
    for r in dev:
        ref = refs.get("mesh" if r["impl"] == "nomesh" else r["impl"])
        diff = ref and max(abs(x - y) for x, y in zip(r["first8"], ref["first8"]))
        same = "—" if ref is None else "yes" if r["sha256"] == ref["sha256"] else (
            f"**no**: {r['n_diff_vs_1']} of {3 * r['n']} components differ, by at most "
            f"{r['max_abs_diff_vs_1']:.2g}" if "n_diff_vs_1" in r else
            "**no**: the sha256 differs" + (f" (first 8 values differ by up to {diff:.2g})"
                                                  if diff else " (the first 8 values agree)"))
        rel = ref and r["junction_steps_per_s"] / ref["junction_steps_per_s"]
        path = "fused" if r["impl"] == "fused_mesh" else "simulate"
        out.append(f"| {path} | {r['devices'] or 'none'} | {_n(r['n'])} | {r['steps']} | "
                   f"{_f(r['junction_steps_per_s'])} | {_f(rel, '.2f')} | "
                   f"{_f(r['compile_s'], '.2f')} | {same} | {r['mean_mz']:.6f} | "
                   f"{r['sum_m']:.9g} |")
    prof = {r["impl"]: r for r in ok.values() if r["case"] == "profile"}
    t = {i: 1e9 / r["junction_steps_per_s"] for i, r in prof.items()}  # ns per junction-step
    if prof:
        r0 = next(iter(prof.values()))
        out += ["", f"**Where the time goes** (N = {_n(r0['n'])}, {r0['steps']} steps):", "",
                "| case | junction-steps/s | ns per junction-step | time / (a) |",
                "|---|---:|---:|---:|"]
        out += [f"| {IMPL_LABEL[i]} | {_f(prof[i]['junction_steps_per_s'])} | {t[i]:.2f} | "
                f"{_f(t[i] / t['gaussian'] if 'gaussian' in t else None, '.2f')} |"
                for i in IMPL_LABEL if i in t]
    if {"gaussian", "deterministic", "rng"} <= t.keys():
        a = t["gaussian"]
        out += ["", f"Share of the Gaussian step spent on random numbers: (a - c) / a = "
                f"**{(a - t['deterministic']) / a:.2f}**; d / a = **{t['rng'] / a:.2f}**."]
    bad = [r for r in res["rows"] if "junction_steps_per_s" not in r]
    out += [""] * bool(bad) + [
        f"- failed or skipped: {r['case']} {r['impl']} N = {_n(r['n'])}"
        + (f" K = {r['devices']}" if r.get("devices") else "") + ": "
        + (r.get("skipped") or r.get("error", ""))[-300:].replace("\n", " ") for r in bad]
    return "\n".join(out)


def plot(res: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ok = [r for r in res["rows"] if "junction_steps_per_s" in r]
    pts = lambda case, impl: sorted((r["devices" if case == "devices" else "n"],  # noqa: E731
                                     r["junction_steps_per_s"]) for r in ok
                                    if r["case"] == case and r["impl"] == impl)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for impl, style, label in (("spinjax", "o-", "NormalizedHeun"), ("scan", "s--", "scan"),
                               ("fused", "^-", "FusedHeun")):
        if pts("rate", impl):
            ax1.loglog(*zip(*pts("rate", impl)), style, label=label)
    if pts("devices", "mesh"):
        ax2.plot(*zip(*pts("devices", "mesh")), "o-", label="NormalizedHeun, mesh=...")
    if pts("devices", "fused_mesh"):
        ax2.plot(*zip(*pts("devices", "fused_mesh")), "^-", label="FusedHeun, mesh=...")
        ax2.set_xscale("log", base=2)
        ax2.set_xticks(*[[k for k, _ in pts("devices", "mesh")]] * 2)
    for _, rate in pts("devices", "nomesh"):
        ax2.axhline(rate, ls=":", c="gray", label="no mesh")
    n_dev = next((r["n"] for r in ok if r["case"] == "devices"), 0)
    kind = "GPUs" if res["platform"] == "gpu" else "host devices on the same cores"
    ax1.set(xlabel="junctions N", ylabel="junction-steps / s", title="rate against N")
    top = 1.15 * max((r["junction_steps_per_s"] for r in ok if r["case"] == "devices"), default=1)
    ax2.set(xlabel=f"devices K ({kind})", ylabel="junction-steps / s", ylim=(0, top),
            title=f"rate against devices, N = {_n(n_dev)}")
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    m = res["machine"]
    fig.suptitle(f"spinjax sLLG scaling, {m['date'][:10]}, "
                 f"{m.get('device', {}).get('device_kind') or m['cpu']}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def write_outputs(res: dict, section: str) -> None:
    """The README section (between this platform's markers) and the plot."""
    g = "_gpu" * (res["platform"] == "gpu")
    flag = " --platform gpu" * bool(g)
    intro = (f"## Scaling{' on a GPU' * bool(g)}\n\n`scaling.py{flag}` measures junction-steps "
             "per second against the number of junctions (NormalizedHeun, FusedHeun and the "
             "hand-written scan) and against the number of devices (`mesh=`), and how much of a step goes to "
             "drawing random numbers; see its docstring. Run it with\n\n"
             f"    python benchmarks/scaling.py{flag}          # full run"
             + ("\n" if g else ", about 10 min on 2 cores\n") +
             f"    python benchmarks/scaling.py{flag} --quick  # under a minute\n\n"
             f"A full run writes `results/scaling{g}.json`, the section below and "
             f"`scaling{g}.png`.")
    replace_section(f"scaling{g}", section + f"\n\n![scaling](scaling{g}.png)", intro)
    plot(res, HERE / f"scaling{g}.png")
