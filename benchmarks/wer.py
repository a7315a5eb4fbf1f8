"""Write error rates to 1e-9 on the CPU: the rare-event estimators against brute force
and against the Fokker-Planck reference, and the time each rare point takes.

    python benchmarks/wer.py [--quick]        # results/wer[_quick].json (+ README section)
    python benchmarks/wer.py --report benchmarks/results/wer.json [--write-readme]

1. VCMA preset's precessional write (1.61 V, 20 ps edges, 1 ns settle) at widths where
   brute force is affordable (WER 2e-4 and 4e-5): importance sampling and brute force to
   the same relative precision of their 95 % interval; the values, whether each lies in
   the other's interval, and the junction-steps each needed, as a ratio.
2. The same write at widths where the WER falls to 1e-9 and below: importance sampling to
   +-30 % (95 %), the time and junction-steps each point took.
3. The STT preset at 1.5 V from the -z well (rectangular pulse, judged at its end): the
   automatic method (splitting along the escape coordinate) against
   ``fokker_planck_wer`` from 1e-4 to 1e-9.

--quick runs (1) at one width at +-50 %, (2) at two widths and (3) at two widths.
Timings depend on what else runs on the machine: the JSON records the machine.
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
from spinjax.devices import stt_mtj, vcma_mtj  # noqa: E402
from spinjax.wer import fokker_planck_wer, write_error_rate  # noqa: E402
from tables import fmt  # noqa: E402

AMPLITUDE_V = 1.61
VS_BRUTE_S = (0.38e-9, 0.39e-9)           # WER about 2e-4 and 4e-5
RARE_S = (0.40e-9, 0.41e-9, 0.42e-9, 0.425e-9, 0.43e-9)   # 4e-6 down to 2e-9
STT_V = 1.5
STT_S = (5e-9, 7e-9, 9e-9, 11e-9)          # Fokker-Planck: 6e-4, 7e-6, 7e-8, 8e-10
MAX_TIME_S = 1800.0                        # per estimate


def _summary(res) -> dict:
    j = {"wer": res.wer, "ci95": [res.ci_low, res.ci_high], "method": res.method,
         "status": res.status, "trajectories": res.trajectories,
         "junction_steps": res.junction_steps, "elapsed_s": res.elapsed_s,
         "rel_halfwidth": res.rel_halfwidth}
    if res.method == "brute":
        j.update(errors=res.errors, trials=res.trials)
    elif res.method == "splitting":
        j["replicas"] = len(res.replicas)
    else:
        j.update(ess=res.diagnostics["ess"],
                 directions=res.diagnostics["proposal"]["directions"])
    return j


def run_all(quick: bool) -> dict:
    vcma, stt = vcma_mtj(), stt_mtj()
    rel = 0.5 if quick else 0.3
    common = dict(target=1e-12, max_time_s=MAX_TIME_S)
    out = {"device": "vcma_mtj()", "amplitude_V": AMPLITUDE_V, "edge_s": 20e-12,
           "settle_s": 1e-9, "dt_s": 2e-12, "max_time_s": MAX_TIME_S, "quick": quick,
           "machine": h.device_record(), "vs_brute": [], "rare": [], "stt": []}
    for w in VS_BRUTE_S[:1] if quick else VS_BRUTE_S:
        runs = {}
        for method in ("importance", "brute"):
            res = write_error_rate(vcma, AMPLITUDE_V, w, key=jax.random.key(1),
                                   method=method, rel_precision=rel, **common)
            runs[method] = _summary(res)
            print(w, method, runs[method], flush=True)
        s, b = runs["importance"], runs["brute"]
        out["vs_brute"].append({
            "width_s": w, "rel_precision": rel, **runs,
            "brute_in_importance_interval": bool(s["ci95"][0] <= b["wer"] <= s["ci95"][1]),
            "importance_in_brute_interval": bool(b["ci95"][0] <= s["wer"] <= b["ci95"][1]),
            "junction_steps_ratio_brute_over_importance":
                b["junction_steps"] / s["junction_steps"],
            "time_ratio_brute_over_importance": b["elapsed_s"] / s["elapsed_s"]})
    for w in RARE_S[1::2] if quick else RARE_S:
        res = write_error_rate(vcma, AMPLITUDE_V, w, key=jax.random.key(2),
                               method="importance", rel_precision=0.3, **common)
        out["rare"].append({"width_s": w, **_summary(res)})
        print("rare", out["rare"][-1], flush=True)
    widths = STT_S[::2] if quick else STT_S
    ref = fokker_planck_wer(stt, list(widths), voltage_V=STT_V)
    for w, fp in zip(widths, ref.wer):
        res = write_error_rate(stt, STT_V, w, key=jax.random.key(3), start_well=-1,
                               edge_s=0.0, delay_s=0.0, settle_s=0.0, particles=100,
                               kill=10, replicas=8, rel_precision=0.3, **common)
        out["stt"].append({"width_s": w, "fokker_planck": float(fp),
                           "fp_in_interval": bool(res.ci_low <= fp <= res.ci_high),
                           **_summary(res)})
        print("stt", out["stt"][-1], flush=True)
    return out


def _row(w, r):
    return (f"| {w * 1e9:g} | {r['method']} ({r['status']}) | {fmt(r['wer'])} | "
            f"[{fmt(r['ci95'][0])}, {fmt(r['ci95'][1])}] | {r['trajectories']} | "
            f"{r['junction_steps']:.3g} | {r['elapsed_s']:.0f} |")


def report(res: dict) -> str:
    """The README section: the VCMA write against brute force and to 1e-9, then the STT
    write against the Fokker-Planck reference."""
    m = res["machine"]
    where = f"{m['host']}, {m['cores']} cores, jax {m['jax']}, {m['date']}"
    head = ["| width (ns) | method | WER | 95 % interval | trajectories | junction-steps "
            "| s |", "|---:|---|---:|---|---:|---:|---:|"]
    lines = [f"VCMA preset (`{res['device']}`), {res['amplitude_V']} V trapezoid with "
             f"{res['edge_s'] * 1e12:.0f} ps edges, {res['settle_s'] * 1e9:g} ns settle, "
             f"dt {res['dt_s'] * 1e12:g} ps; {where} (cores shared: times are upper "
             "bounds).", "", *head]
    for v in res["vs_brute"]:
        lines += [_row(v["width_s"], v[k]) for k in ("importance", "brute")]
    lines += [_row(r["width_s"], r) for r in res["rare"]]
    lines.append("")
    for v in res["vs_brute"]:
        lines.append(
            f"At {v['width_s'] * 1e9:g} ns, both to +-{v['rel_precision']:.0%}: brute force "
            f"inside the importance-sampling interval: "
            f"{bool(v['brute_in_importance_interval'])}; importance sampling inside brute "
            f"force's: {bool(v['importance_in_brute_interval'])}; junction-steps brute / "
            f"importance "
            f"{v['junction_steps_ratio_brute_over_importance']:.1f}, time "
            f"{v['time_ratio_brute_over_importance']:.1f}.")
    lines += ["", "STT preset (`stt_mtj()`), 1.5 V rectangular pulse from the -z well, "
              "judged at its end, against `fokker_planck_wer` (method `auto`: brute force "
              "where the pilot says it is affordable, else splitting along the escape "
              "coordinate, 8 replicas of 100 particles per round):", "",
              "| width (ns) | method | Fokker-Planck | WER | 95 % interval | reference "
              "inside | trajectories | s |", "|---:|---|---:|---:|---|---|---:|---:|"]
    for r in res["stt"]:
        lines.append(f"| {r['width_s'] * 1e9:g} | {r['method']} | {fmt(r['fokker_planck'])} | "
                     f"{fmt(r['wer'])} | [{fmt(r['ci95'][0])}, {fmt(r['ci95'][1])}] | "
                     f"{bool(r['fp_in_interval'])} | {r['trajectories']} | "
                     f"{r['elapsed_s']:.0f} |")
    return "\n".join(lines)


def main(argv=None):
    h.in_process_main(__doc__, run_all, report, "wer", "Write error rates to 1e-9",
                      quick="+-50 per cent at one brute-force point, fewer rare points",
                      argv=argv)


if __name__ == "__main__":
    main()
