"""Coverage of spinjax's fitted intervals over repeated synthetic datasets.

A fit's 95 % intervals are honest only if, over many datasets drawn from the same
truth, they cover it 95 % of the time. This script draws `datasets` binomial datasets
from hidden VCMA-junction parameters (:func:`spinjax.devices.vcma_mtj` in the
compensation-voltage coordinates of ``spinjax.fitting.vcma_mtj_compensation``), fits each with
:func:`spinjax.fit_switching` from a start off the truth, and reports per parameter:

- coverage: the fraction of 95 % intervals that contain the truth, with its Wilson
  interval (a correct interval gives 0.95; 30 datasets resolve it to about +-0.08);
- the mean z-score (estimate - truth) / sigma with its standard error (bias), and
  the standard deviation of z (1 when the reported sigma is the real spread);
- the mean reported sigma against the spread of the estimates.

Problems (the data design decides what is identifiable; see ``spinjax.fit_switching``):

- ``vcma_2p``: V_c and xi from one width (0.44 ns, the first precessional maximum),
  6 voltages, 400 trials each. V_c and xi correlate at about -0.99.
- ``vcma_4p``: V_c, xi, alpha and the in-plane bias field H_x from 4 voltages x 5
  widths (0.44-2.4 ns: several precession periods, whose decay carries alpha and
  whose period carries H_x), 1000 trials each.

Usage::

    python benchmarks/fit_coverage.py --problem vcma_2p --datasets 30
    python benchmarks/fit_coverage.py --problem vcma_4p --datasets 30 --platform gpu

Writes ``results/fit_coverage.json`` (one entry per problem and platform, replaced on a
rerun) and the ``fit_coverage`` section of ``benchmarks/README.md``.
"""

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import harness as h  # noqa: E402

PROBLEMS = {
    "vcma_2p": dict(
        truth={"compensation_V": 1.6126, "xi": 80e-15},
        start_factor={"compensation_V": 1.02, "xi": 0.90},
        volts=[0.86, 0.904, 0.948, 0.992, 1.036, 1.08], widths_ns=[0.44], trials=400,
        n_pairs=512, max_steps=16),
    "vcma_4p": dict(
        truth={"compensation_V": 1.6126, "xi": 80e-15, "alpha": 0.02,
               "bias_field_A_per_m": 3.0e4},
        start_factor={"compensation_V": 1.01, "xi": 0.95, "alpha": 1.25,
                      "bias_field_A_per_m": 1.02},
        volts=[0.95, 1.05, 1.2, 1.4], widths_ns=[0.44, 0.9, 1.4, 1.9, 2.4], trials=1000,
        n_pairs=4096, max_steps=20),
}


def truth_probabilities(outcome, truth, key, n_total, chunk):
    """P at the truth from n_total independent junctions (chunks of `chunk`)."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    sums, done = 0.0, 0
    while done < n_total:
        b = outcome({k: jnp.full((chunk,), v) for k, v in truth.items()},
                    jax.random.fold_in(key, done), paired=False)
        sums = sums + np.asarray(b, np.float64).sum(0)
        done += chunk
    return sums / done


def run(problem: str, datasets: int, n_pairs: int | None, max_steps: int | None,
        truth_n: int, log=print, checkpoint=None) -> dict:
    import jax
    import numpy as np
    from spinjax.fitting import (fit_switching, from_arrays, grid_outcome,
                                 vcma_mtj_compensation)

    cfg = PROBLEMS[problem]
    n_pairs, max_steps = n_pairs or cfg["n_pairs"], max_steps or cfg["max_steps"]
    vv, ww = np.meshgrid(cfg["volts"], np.asarray(cfg["widths_ns"]) * 1e-9, indexing="ij")
    vv, ww = vv.ravel(), ww.ravel()
    trials = np.full(vv.size, cfg["trials"])
    design = from_arrays(vv, ww, np.zeros(vv.size), trials)
    outcome = grid_outcome(vcma_mtj_compensation, design)
    t0 = time.perf_counter()
    p_true = truth_probabilities(outcome, cfg["truth"], jax.random.key(12345), truth_n,
                                 min(truth_n, 16384))
    t_truth = time.perf_counter() - t0
    log(f"P at the truth ({truth_n} junctions, {t_truth:.1f} s): {np.round(p_true, 3)}")
    rng = np.random.default_rng(2026)
    names = list(cfg["truth"])
    init = {k: v * cfg["start_factor"][k] for k, v in cfg["truth"].items()}
    fits = []

    def result(fits):
        return dict(problem=problem, config=dict(cfg, n_pairs=n_pairs, max_steps=max_steps,
                                                 truth_n=truth_n), p_true=p_true.tolist(),
                    summary=summarize(fits, cfg["truth"]), fits=fits)
    for rep in range(datasets):
        data = from_arrays(vv, ww, rng.binomial(cfg["trials"], p_true), trials)
        t0 = time.perf_counter()
        try:
            res = fit_switching(data, init, jax.random.key(rep), preset=vcma_mtj_compensation,
                                n_pairs=n_pairs, max_steps=max_steps)
        except Exception as err:  # a failed fit is a result too
            fits.append(dict(rep=rep, error=repr(err)))
            log(f"dataset {rep}: {err!r}")
            continue
        row = dict(rep=rep, wall_s=time.perf_counter() - t0, params=res.params,
                   sigma=res.sigma, converged=res.converged,
                   settled_at=next((h["step"] for h in res.log if h["phase"] == "average"),
                                   None),
                   correlation=res.correlation.tolist(),
                   z={k: (res.params[k] - cfg["truth"][k]) / res.sigma[k] for k in names})
        fits.append(row)
        log(f"dataset {rep}: z = " + ", ".join(f"{k} {row['z'][k]:+.2f}" for k in names)
            + f" ({row['wall_s']:.1f} s, settled at step {row['settled_at']})")
        if checkpoint is not None and len(fits) >= 2:
            checkpoint(result(fits))
    return result(fits)


def summarize(fits, truth) -> dict:
    import numpy as np
    from spinjax.experiments import wilson_interval
    ok = [f for f in fits if "z" in f]
    out = dict(datasets=len(fits), failed=len(fits) - len(ok),
               converged=sum(f["converged"] for f in ok))
    for k in truth:
        z = np.array([f["z"][k] for f in ok])
        est = np.array([f["params"][k] for f in ok])
        covered = int(np.sum(np.abs(z) <= 1.96))
        lo, hi = wilson_interval(covered, max(len(z), 1))
        out[k] = dict(coverage=covered / max(len(z), 1), coverage_ci=[float(lo), float(hi)],
                      mean_z=float(z.mean()), mean_z_se=float(z.std(ddof=1) / len(z)**0.5),
                      std_z=float(z.std(ddof=1)),
                      mean_sigma_rel=float(np.mean([f["sigma"][k] for f in ok]) / truth[k]),
                      spread_rel=float(est.std(ddof=1) / truth[k]))
    return out


def section(results: list) -> str:
    lines = []
    for r in results:
        m, s, c = r["machine"], r["summary"], r["config"]
        lines += [f"**{r['problem']}** on {m['device']} ({m['date']}, jax {m['jax']}): "
                  f"{s['datasets']} datasets of {c['trials']} trials at "
                  f"{len(c['volts'])} voltages x {len(c['widths_ns'])} widths "
                  f"({', '.join(f'{w:g}' for w in c['widths_ns'])} ns); "
                  f"{c['n_pairs']} pairs per step, {c['max_steps']} steps; "
                  f"{s['failed']} failed, {s['converged']} converged; "
                  f"{r['total_s'] / 60:.1f} min.", "",
                  "| parameter | coverage of 95 % intervals | Wilson 95 % | mean z | "
                  "std z | mean sigma / truth | spread / truth |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for k in c["truth"]:
            q = s[k]
            lines.append(f"| {k} | {q['coverage']:.2f} | {q['coverage_ci'][0]:.2f}-"
                         f"{q['coverage_ci'][1]:.2f} | {q['mean_z']:+.2f} +- "
                         f"{q['mean_z_se']:.2f} | {q['std_z']:.2f} | "
                         f"{q['mean_sigma_rel']:.2e} | {q['spread_rel']:.2e} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def write_readme(results: list) -> None:
    h.replace_section("fit_coverage", section(results), intro=(
        "## Coverage of fitted intervals\n\n`fit_coverage.py` fits many synthetic datasets "
        "drawn from one hidden truth and counts how often the 95 % intervals of "
        "`spinjax.fit_switching` cover it; see its docstring. Run it with\n\n"
        "    python benchmarks/fit_coverage.py --problem vcma_2p\n"
        "    python benchmarks/fit_coverage.py --problem vcma_4p --platform gpu"))


def main(argv=None) -> None:
    parser = h.parser(__doc__, report=False)
    parser.add_argument("--problem", choices=sorted(PROBLEMS), default="vcma_2p")
    parser.add_argument("--datasets", type=int, default=30)
    parser.add_argument("--n-pairs", type=int, default=None)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--truth-n", type=int, default=262_144)
    parser.add_argument("--out", type=Path, default=h.RESULTS / "fit_coverage.json")
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--readme-only", action="store_true",
                        help="only write the README section of the existing --out JSON")
    args = parser.parse_args(argv)
    if args.readme_only:
        write_readme(json.loads(args.out.read_text()))
        return
    h.use_platform(args.platform)
    h.check_device(args.platform)  # exits when jax found no device of that kind
    t0 = time.perf_counter()
    machine = dict(h.device_record(), date=h.now())

    def save(res):
        # written after every dataset, so that a run stopped early keeps what it did
        res.update(total_s=time.perf_counter() - t0, machine=machine)
        old = json.loads(args.out.read_text()) if args.out.exists() else []
        old = [r for r in old if (r["problem"], r["machine"]["platform"])
               != (args.problem, machine["platform"])] + [res]
        h.write_json(args.out, old)
        return old

    res = run(args.problem, args.datasets, args.n_pairs, args.max_steps, args.truth_n,
              log=lambda s: print(s, flush=True), checkpoint=save)
    old = save(res)
    print(json.dumps(res["summary"], indent=1))
    if not args.no_readme:
        write_readme(old)
    print(section([res]))


if __name__ == "__main__":
    main()
