"""Write error rates of the VCMA preset's precessional write: adaptive multilevel splitting
against brute force, and the time splitting takes to a rare rate at +-30 % (95 %).

    python benchmarks/wer.py [--quick] [--out benchmarks/results/wer.json]

1. At a width where the WER is about 1e-4 (3e-5) both methods run to the same relative precision
   of their 95 % interval: the two values, whether each lies in the other's interval, and
   the junction-steps each needed, as a ratio (brute / splitting).
2. At a width where the WER is far below brute force's reach on this CPU, splitting to
   +-30 % (95 %): the time it took, its junction-steps and trajectories.

--quick runs (1) at +-50 % and (2) at one rare point; without it (1) runs at +-30 %.
Timings depend on what else runs on the machine: the JSON records the CPU count.
"""

import argparse
import json
import os
import pathlib
import platform
import time

import jax

from spinjax.devices import vcma_mtj
from spinjax.wer import write_error_rate

AMPLITUDE_V = 1.61
WIDTH_1E4_S = 0.39e-9     # WER about 3e-5 (brute force: 27 errors in 786432, 1 ns settle)
RARE_WIDTHS_S = (0.41e-9,)  # 0 errors in 16384 writes; splitting: 1e-8 to 1e-6


def _summary(res) -> dict:
    return {"wer": res.wer, "ci95": [res.ci_low, res.ci_high], "method": res.method,
            "status": res.status, "trajectories": res.trajectories,
            "junction_steps": res.junction_steps, "elapsed_s": res.elapsed_s,
            "rel_halfwidth": res.rel_halfwidth,
            **({"errors": res.errors, "trials": res.trials} if res.method == "brute"
               else {"replicas": len(res.replicas)})}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="benchmarks/results/wer.json")
    ap.add_argument("--max-time", type=float, default=1800.0)
    args = ap.parse_args(argv)
    dev = vcma_mtj()
    rel = 0.5 if args.quick else 0.3
    common = dict(target=1e-12, max_time_s=args.max_time)
    out = {"device": "vcma_mtj()", "amplitude_V": AMPLITUDE_V, "edge_s": 20e-12,
           "settle_s": 1e-9, "dt_s": 2e-12, "cpus": os.cpu_count(),
           "machine": platform.processor() or platform.machine(),
           "jax_backend": jax.default_backend(), "quick": args.quick}
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
    path = pathlib.Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))
    print("wrote", path)


if __name__ == "__main__":
    main()
