"""Peer cross-check: STT switching probabilities of one MTJ in spinjax and in cmtj.

The same perpendicular STT junction and the same current pulse are simulated at 300 K
by spinjax and by cmtj (C++, GPL; used here only as a peer, never imported by the
library), and the switching probabilities at three pulse amplitudes are compared with a
two-proportion z-test. Before the noise is switched on, the two codes are aligned at
T = 0 (trajectories, Sun's critical current, the deterministic switching threshold of
the pulse) and the thermal-noise strength of each is measured from one-step variances.

The device, its parameters in each code and the convention mapping between the two
(constants, Ms, anisotropy, demagnetization, the STT magnitude and form, the current's
sign, the thermal field, the pulse, the step count, the seeds) are in ``cmtj_models.py``.

Protocol: m starts at +z (the parallel state), thermalizes for 3 ns (about two
relaxation times 1/(alpha gamma0 H_K,eff) = 1.4 ns), a trapezoidal current pulse of
amplitude J < 0 starts at 3 ns with 20 ps edges and a 2 ns plateau, and the junction
relaxes until 8 ns; switched means m_z(8 ns) < 0. J = -6, -7, -8e10 A/m^2
(2.3-3.0 J_c0) give P_sw about 0.25/0.5/0.8. Both codes: Stratonovich Heun with the
same noise increment in predictor and corrector, m renormalized after each step (the
predictor is not), dt = 1 ps, 8000 steps. spinjax runs all amplitudes x trials in one
``simulate`` call (junction axes (3, n), float32, the default); cmtj runs one
trajectory per ``runSimulation`` call in float64 (``--workers`` processes).

Statistics: P_sw with Wilson 95 % intervals; per amplitude the pooled two-proportion
z = (p_sj - p_cm) / sqrt(p (1 - p) (1/n_sj + 1/n_cm)); agreement means |z| < 3 at every
amplitude.

Usage::

    python benchmarks/cmtj_crosscheck.py           # full run, about two minutes
    python benchmarks/cmtj_crosscheck.py --quick   # smaller n, about 15 s

A full run writes ``benchmarks/results/cmtj_crosscheck.json`` and the section of
``benchmarks/README.md`` between the ``cmtj_crosscheck`` markers; ``--quick`` only
prints the table (and writes JSON only where ``--out`` is given).
"""

import json
import math
import multiprocessing
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

AMPLITUDES = (-6.0e10, -7.0e10, -8.0e10)  # A/m^2
N = dict(full=dict(cmtj=4000, spinjax=20000), quick=dict(cmtj=300, spinjax=2000))

import harness as h  # noqa: E402
from cmtj_models import (  # noqa: E402
    PHYSICS, cmtj_chunk, cmtj_junction, cmtj_run, cmtj_set_current, derived, spinjax_final,
    spinjax_model, tilted)
from cmtj_report import report  # noqa: E402
from spinjax.experiments import wilson_interval  # noqa: E402


# ---------------------------------------------------------------- T = 0 alignment

def check_trajectories(p: dict, d: dict) -> dict:
    """T = 0, m0 tilted by 0.1 rad (about the thermal rms angle 1/sqrt(2 Delta)):
    final m after the full protocol at J = 0, each amplitude (none switches at T = 0)
    and -1.3e11 A/m^2 (which does), spinjax (float64) vs cmtj with beta = alpha (the
    matched mapping) and with beta = 0 (unmatched)."""
    import numpy as np
    amps = (0.0,) + AMPLITUDES + (-1.3e11,)
    m0 = tilted(0.1)
    sj = np.asarray(spinjax_final(p, np.tile(np.array(m0, np.float64), (len(amps), 1)),
                                  np.array(amps), p["t1"]))
    out = dict(m0=m0, t1_s=p["t1"], amplitudes=list(amps), spinjax_mz=sj[:, 2].tolist())
    for label, beta in (("matched_beta_alpha", None), ("unmatched_beta_0", 0.0)):
        junction = cmtj_junction(p, 0.0, beta=beta)
        cm = []
        for a in amps:
            cmtj_set_current(junction, p, a)
            cm.append(cmtj_run(junction, p, m0, p["t1"]))
        cm = np.array(cm)
        out[label] = dict(cmtj_mz=cm[:, 2].tolist(),
                          max_abs_dm=float(np.abs(cm - sj).max()))
    return out


def check_sun(p: dict, d: dict) -> dict:
    """T = 0, constant current -0.9 and -1.1 J_c0 for 60 ns from m0 tilted 0.1 rad: the
    parallel state is stable below J_c0 and switches above it, in both codes."""
    import numpy as np
    fracs, t1 = (0.9, 1.1), 60e-9
    amps = [-f * d["J_c0_A_per_m2"] for f in fracs]
    m0 = tilted(0.1)
    sj = np.asarray(spinjax_final(p, np.tile(np.array(m0, np.float64), (2, 1)),
                                  np.array(amps), t1, constant=True))
    junction = cmtj_junction(p, 0.0)
    cm = []
    for a in amps:
        cmtj_set_current(junction, p, a, constant=True)
        cm.append(cmtj_run(junction, p, m0, t1)[2])
    return dict(J_over_Jc0=[-f for f in fracs], t1_s=t1, m0=m0,
                spinjax_mz=sj[:, 2].tolist(), cmtj_mz=cm,
                ok=bool(sj[0, 2] > 0.9 and cm[0] > 0.9 and sj[1, 2] < -0.9
                        and cm[1] < -0.9))


def check_threshold(p: dict, d: dict, iters: int = 45) -> dict:
    """T = 0, m0 tilted 0.1 rad: the smallest |J| of the pulse that switches (m_z(t1) < 0),
    by bisection in each code, between J_c0 and 8 J_c0."""
    import numpy as np
    m0 = tilted(0.1)
    m0_sj = np.array([m0], np.float64)
    junction = cmtj_junction(p, 0.0)

    def switches_cmtj(a):
        cmtj_set_current(junction, p, a)
        return cmtj_run(junction, p, m0, p["t1"])[2] < 0

    def switches_sj(a):
        return float(spinjax_final(p, m0_sj, np.array([a]), p["t1"])[0, 2]) < 0

    out = {}
    for name, f in (("spinjax", switches_sj), ("cmtj", switches_cmtj)):
        lo, hi = -d["J_c0_A_per_m2"], -8 * d["J_c0_A_per_m2"]
        assert not f(lo) and f(hi)
        for _ in range(iters):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if f(mid) else (mid, hi)
        out[name] = 0.5 * (lo + hi)
    out["relative_difference"] = abs(out["spinjax"] - out["cmtj"]) / abs(out["cmtj"])
    out["relative_resolution"] = 7 * d["J_c0_A_per_m2"] / 2**iters / abs(out["cmtj"])
    out["J_over_Jc0"] = out["cmtj"] / d["J_c0_A_per_m2"]
    return out


def check_thermal_variance(p: dict, d: dict, n: int) -> dict:
    """One step of dt from m = +z with no field, no torque, T = 300 K: var(m_x) against
    gamma0^2 sigma^2 dt / (1 + alpha^2) with sigma^2 = 2 alpha k_B T/(gamma0 mu0 Ms V).
    A ratio of 1 is the 2-alpha convention, 2 would be 4 alpha."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import spinjax as sj
    pred = d["gamma0"] ** 2 * d["sigma"] ** 2 * p["dt"] / (1 + p["alpha"] ** 2)
    q = dict(p, K_u=0.0, demag=(0.0, 0.0, 0.0))
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0]), (n, 1))
    mx_sj = sj.simulate(spinjax_model(q, fields_only=True), m0, t1=p["dt"], dt=p["dt"],
                        key=jax.random.key(7)).m[:, 0]
    junction = cmtj_junction(q, p["temperature_K"], stt=False)
    junction.setLayerSeed("free", 7)
    mx_cm = np.array([cmtj_run(junction, q, (0.0, 0.0, 1.0), p["dt"])[0] for _ in range(n)])
    return dict(n=n, predicted_var_2alpha=pred, sampling_rel_sigma=math.sqrt(2 / n),
                spinjax_ratio=float(np.var(np.asarray(mx_sj, np.float64)) / pred),
                cmtj_ratio=float(np.var(mx_cm) / pred))


# ---------------------------------------------------------------- statistics

def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval (95 %) of k/n: the library's, as plain floats."""
    lo, hi = wilson_interval(k, n)
    return float(lo), float(hi)


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> float:
    """Pooled two-proportion z statistic of k1/n1 - k2/n2."""
    pool = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
    return (k1 / n1 - k2 / n2) / se if se > 0 else 0.0


# ---------------------------------------------------------------- stochastic runs

def run_spinjax(p: dict, n: int, seed: int = 0) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np
    m0 = jnp.zeros((len(AMPLITUDES), n, 3), jnp.float32).at[..., 2].set(1.0)
    amps = np.array(AMPLITUDES)[:, None]
    t0 = time.perf_counter()
    m = spinjax_final(p, m0, amps, p["t1"], thermal=True, key=jax.random.key(seed))
    wall = time.perf_counter() - t0
    k = np.asarray(m[..., 2] < 0).sum(-1)
    return dict(n=n, k=[int(x) for x in k], wall_s=wall, dtype=str(m.dtype),
                junction_steps_per_s=len(AMPLITUDES) * n * round(p["t1"] / p["dt"]) / wall,
                note="one simulate call over (amplitude, trial) junction axes; the wall "
                     "time includes compilation")


def run_cmtj(p: dict, n: int, workers: int, seed: int = 1000) -> dict:
    chunks = max(workers, 1) * 2
    tasks = []
    for i, a in enumerate(AMPLITUDES):
        sizes = [n // chunks + (c < n % chunks) for c in range(chunks)]
        tasks += [(p, a, s, seed + 100 * i + c) for c, s in enumerate(sizes) if s]
    t0 = time.perf_counter()
    if workers > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(cmtj_chunk, tasks)
    else:
        results = [cmtj_chunk(t) for t in tasks]
    wall = time.perf_counter() - t0
    k = [0] * len(AMPLITUDES)
    for (_, a, _, _), mz in zip(tasks, results):
        k[AMPLITUDES.index(a)] += sum(z < 0 for z in mz)
    steps = round(p["t1"] / p["dt"])
    return dict(n=n, k=k, wall_s=wall, workers=workers, dtype="float64",
                ms_per_trajectory=1e3 * wall * max(workers, 1) / (len(AMPLITUDES) * n),
                junction_steps_per_s=len(AMPLITUDES) * n * steps / wall,
                note=f"one trajectory per runSimulation call, {workers} process(es)")


def compare(sjr: dict, cmr: dict) -> list:
    rows = []
    for i, a in enumerate(AMPLITUDES):
        k1, n1, k2, n2 = sjr["k"][i], sjr["n"], cmr["k"][i], cmr["n"]
        z = two_proportion_z(k1, n1, k2, n2)
        rows.append(dict(J_A_per_m2=a, spinjax_P=k1 / n1, spinjax_wilson95=wilson(k1, n1),
                         cmtj_P=k2 / n2, cmtj_wilson95=wilson(k2, n2),
                         z=z, agree_3sigma=abs(z) < 3))
    return rows


# ---------------------------------------------------------------- report

def main(argv=None) -> None:
    parser = h.parser(__doc__, quick="smaller n, seconds", platform=False)
    parser.add_argument("--workers", type=int, default=1,
                        help="processes for cmtj (default 1: the machine is shared)")
    parser.add_argument("--n-cmtj", type=int, default=None)
    parser.add_argument("--n-spinjax", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON path (default results/cmtj_crosscheck.json; quick: none)")
    args = parser.parse_args(argv)
    if h.rendered(args, report, "cmtj_crosscheck", "cmtj cross-check"):
        return

    import jax
    jax.config.update("jax_enable_x64", True)  # float64 for the T = 0 checks only

    mode = "quick" if args.quick else "full"
    n_cm = args.n_cmtj or N[mode]["cmtj"]
    n_sj = args.n_spinjax or N[mode]["spinjax"]
    t_start = time.perf_counter()
    machine = h.machine_info(mode)
    p, d = PHYSICS, derived(PHYSICS)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    log(f"derived: {json.dumps(d)}")

    checks = {}
    for name, fn in (("trajectories", check_trajectories), ("sun", check_sun),
                     ("threshold", check_threshold),
                     ("thermal_variance",
                      lambda p, d: check_thermal_variance(p, d, 20000 if args.quick
                                                          else 80000))):
        t0 = time.perf_counter()
        checks[name] = dict(fn(p, d), wall_s=time.perf_counter() - t0)
        log(f"{name}: {json.dumps(checks[name])}")

    sjr = run_spinjax(p, n_sj)
    log(f"spinjax: {json.dumps(sjr)}")
    cmr = run_cmtj(p, n_cm, args.workers)
    log(f"cmtj: {json.dumps(cmr)}")
    rows = compare(sjr, cmr)
    machine.update(total_s=time.perf_counter() - t_start, loadavg_end=os.getloadavg())
    res = dict(machine=machine, physics=p, derived=d, amplitudes_A_per_m2=AMPLITUDES,
               checks=checks, spinjax=sjr, cmtj=cmr, comparison=rows,
               agree=all(r["agree_3sigma"] for r in rows),
               test="pooled two-proportion z-test per amplitude, agreement |z| < 3; "
                    "Wilson 95 % intervals")
    h.save(res, report(res), "cmtj_crosscheck", "cpu", args.quick, "cmtj cross-check",
           out=args.out, quick_json=False)


if __name__ == "__main__":
    main()
