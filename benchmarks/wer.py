"""Write error rates of the VCMA preset's precessional write: adaptive multilevel splitting
against brute force, and the time splitting takes to a rare rate at +-30 % (95 %).

    python benchmarks/wer.py [--quick]        # results/wer[_quick].json (+ README section)
    python benchmarks/wer.py --report benchmarks/results/wer.json [--write-readme]

1. At a width where the WER is about 1e-4 (3e-5) both methods run to the same relative precision
   of their 95 % interval: the two values, whether each lies in the other's interval, and
   the junction-steps each needed, as a ratio (brute / splitting).
2. At a width where the WER is far below brute force's reach on this CPU, splitting to
   +-30 % (95 %): the time it took, its junction-steps and trajectories.

--quick runs (1) at +-50 % and (2) at one rare point; without it (1) runs at +-30 %.
Timings depend on what else runs on the machine: the JSON records the CPU count.
"""

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import jax  # noqa: E402

import harness as h  # noqa: E402
from spinjax.devices import vcma_mtj  # noqa: E402
from spinjax.wer import write_error_rate  # noqa: E402
from tables import fmt  # noqa: E402

AMPLITUDE_V = 1.61
WIDTH_1E4_S = 0.39e-9     # WER about 3e-5 (brute force: 27 errors in 786432, 1 ns settle)
RARE_WIDTHS_S = (0.41e-9,)  # 0 errors in 16384 writes; splitting: 1e-8 to 1e-6
MAX_TIME_S = 1800.0       # per estimate


def _summary(res) -> dict:
    return {"wer": res.wer, "ci95": [res.ci_low, res.ci_high], "method": res.method,
            "status": res.status, "trajectories": res.trajectories,
            "junction_steps": res.junction_steps, "elapsed_s": res.elapsed_s,
            "rel_halfwidth": res.rel_halfwidth,
            **({"errors": res.errors, "trials": res.trials} if res.method == "brute"
               else {"replicas": len(res.replicas)})}


def run_all(quick: bool) -> dict:
    dev = vcma_mtj()
    rel = 0.5 if quick else 0.3
    common = dict(target=1e-12, max_time_s=MAX_TIME_S)
    out = {"device": "vcma_mtj()", "amplitude_V": AMPLITUDE_V, "edge_s": 20e-12,
           "settle_s": 1e-9, "dt_s": 2e-12, "max_time_s": MAX_TIME_S, "quick": quick,
           "machine": h.device_record()}
    # 1. splitting against brute force at WER ~ 1e-4, the same precision.
    runs = {}
    for method in ("splitting", "brute"):
        t = time.perf_counter()
        res = write_error_rate(dev, AMPLITUDE_V, WIDTH_1E4_S, key=jax.random.key(1),
                               method=method, rel_precision=rel, **common)
        runs[method] = _summary(res)
        print(method, runs[method], f"{time.perf_counter() - t:.0f} s", flush=True)
    s, b = runs["splitting"], runs["brute"]
    out["vs_brute"] = {
        "width_s": WIDTH_1E4_S, "rel_precision": rel, **runs,
        "brute_in_splitting_interval": s["ci95"][0] <= b["wer"] <= s["ci95"][1],
        "splitting_in_brute_interval": b["ci95"][0] <= s["wer"] <= b["ci95"][1],
        "junction_steps_ratio_brute_over_splitting": b["junction_steps"] / s["junction_steps"],
        "time_ratio_brute_over_splitting": b["elapsed_s"] / s["elapsed_s"]}
    # 2. splitting far below brute force's reach, to +-30 % (95 %).
    out["rare"] = []
    for w in RARE_WIDTHS_S:
        res = write_error_rate(dev, AMPLITUDE_V, w, key=jax.random.key(2),
                               method="splitting", rel_precision=0.3, **common)
        out["rare"].append({"width_s": w, **_summary(res)})
        print("rare", out["rare"][-1], flush=True)
    return out


def report(res: dict) -> str:
    """The README section: the two methods at the same point, then the rare points."""
    m = res.get("machine")
    where = (f"{m['host']}, {m['cores']} cores, jax {m['jax']}, {m['date']}"
             if isinstance(m, dict) else f"{m}, {res.get('cpus')} cores")  # older records
    v = res["vs_brute"]
    lines = [f"VCMA preset (`{res['device']}`), {res['amplitude_V']} V trapezoid with "
             f"{res['edge_s'] * 1e12:.0f} ps edges, {res['settle_s'] * 1e9:g} ns settle, "
             f"dt {res['dt_s'] * 1e12:g} ps; {where} (cores shared: times are upper bounds).",
             "",
             "| width (ns) | method | WER | 95 % interval | trajectories | junction-steps | s |",
             "|---:|---|---:|---|---:|---:|---:|"]
    rows = [(v["width_s"], v[k]) for k in ("splitting", "brute")]
    rows += [(r["width_s"], r) for r in res["rare"]]
    for w, r in rows:
        lines.append(f"| {w * 1e9:g} | {r['method']} ({r['status']}) | {fmt(r['wer'])} | "
                     f"[{fmt(r['ci95'][0])}, {fmt(r['ci95'][1])}] | {r['trajectories']} | "
                     f"{r['junction_steps']:.3g} | {r['elapsed_s']:.0f} |")
    lines += ["", f"At {v['width_s'] * 1e9:g} ns, both to +-{v['rel_precision']:.0%}: brute "
              f"force inside the splitting interval: {v['brute_in_splitting_interval']}; "
              f"splitting inside brute force's: {v['splitting_in_brute_interval']}; "
              f"junction-steps brute / splitting "
              f"{v['junction_steps_ratio_brute_over_splitting']:.2f}."]
    return "\n".join(lines)


def main(argv=None):
    h.in_process_main(__doc__, run_all, report, "wer", "Write error rates: splitting "
                      "and brute force", quick="+-50 per cent at the 3e-5 point", argv=argv)


if __name__ == "__main__":
    main()
