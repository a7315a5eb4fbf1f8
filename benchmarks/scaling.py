"""Scaling of spinjax's stochastic LLG with the number of junctions and of devices, and
where a step's time goes on a CPU.

Physics: ``PHYSICS`` of ``sllg_throughput.py``: a PMA CoFeB free layer (Ms = 1e6 A/m,
alpha = 0.01, t = 1.2 nm, 50 nm disk, T = 300 K, K_i0 = 1e-3 J/m^2, N = (0, 0, 1), 1e4
A/m in-plane bias) with the Brown thermal field; Stratonovich Heun, dt = 1 ps, float32,
final-state saving, m0 = +z. Each case runs in a fresh subprocess (``--worker``): one
warm-up call, then ``--repeats`` timed calls; rate = N x steps / median time
(junction-steps/s). A full CPU run makes two passes and keeps the faster per case.

1. ``rate``: ``spinjax`` = ``simulate(..., solver=NormalizedHeun())`` (the diffrax
   path, Gaussian noise), the hand-written ``lax.scan`` (``make_scan`` of
   ``sllg_throughput.py``) and ``fused`` = ``simulate(..., solver=FusedHeun())`` (the
   Pallas kernel on a GPU, its XLA loop on a CPU), N = 1e3 to 1e7 (1e8 with ``--big``;
   on a GPU up to 1e8), N x steps = 2e7-1e8 per call. Target on a CPU: spinjax >= 0.8x
   scan. (Rows measured before the one-engine change ran ``fused_simulate``, the
   affine-only kernel, for ``fused``.)
2. ``devices``: ``simulate(model, m0, mesh=junction_mesh(K), solver=NormalizedHeun())``,
   ``m0 = junction_state(N, mesh=mesh)``, N = 1e6, K = 1, 2, 4, 8, and plain
   ``simulate`` as reference; the same K for ``solver=FusedHeun()``. On a CPU
   the K devices come from ``XLA_FLAGS=--xla_force_host_platform_device_count=K`` and
   share the same cores: this measures the overhead of partitioning, not a speed-up.
   Workers return the sha256, float64 sum and first 8 values of the final state and
   the mean of m_z; the driver compares the sha256 with K = 1 (bit-identical or not).
3. ``profile`` (N = 1e5; 1e7 on a GPU): NormalizedHeun with (a) Gaussian noise, (b)
   ``RademacherIncrements()``, (c) ``thermal=False``; (d) a jitted loop that only draws
   ``jax.random.normal(fold_in(key, i), (N, 3))`` per step and sums the draws. Shares
   of the step time spent on random numbers: (a - c) / a and d / a.

Memory: a case is skipped, with both numbers, when 1.25 x N x 200 B (130 B on a GPU;
``sllg_throughput.py`` measured about 165 and 115 B per junction) exceeds
``MemAvailable`` (on a GPU, XLA's allocator limit).

``--platform gpu``: workers with ``JAX_PLATFORMS=cuda`` (``harness.probe`` stops the
run clearly without a GPU; each worker checks its device), N up to 3e7 and 1e8, K up
to the GPUs present, the device kind recorded, ``--budget-s`` 420 s by default.

Usage::

    python benchmarks/scaling.py                 # full CPU run, about 10 min on 2 cores
    python benchmarks/scaling.py --quick         # under a minute, prints the section
    python benchmarks/scaling.py --platform gpu  # GPU run
    python benchmarks/scaling.py --report benchmarks/results/scaling.json --write-readme

A full run writes ``results/scaling.json``, the README section between the ``scaling``
markers and ``scaling.png`` (rate against N; rate against devices); on a GPU
``scaling_gpu.json``, the ``scaling_gpu`` markers and ``scaling_gpu.png``. ``--quick``
writes ``results/scaling_quick.json`` (``scaling_gpu_quick.json``) and only prints.
``scaling_report.py`` renders the section and the plot from the JSON.
"""

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import harness as h  # noqa: E402
from scaling_report import IMPL_LABEL, report, write_outputs  # noqa: E402
from sllg_throughput import PHYSICS, _spinjax_layer, derived_physics, make_scan, make_spinjax  # noqa: E402,E501

# (N, steps) per call: CPU ~2e7-1e8 junction-steps (~1-4 s at ~3e7/s); GPU ~0.1-2 s.
RATE = dict(cpu=[(10**3, 20_000), (10**4, 3_000), (10**5, 500), (10**6, 50), (10**7, 5)],
            gpu=[(10**3, 5_000), (10**4, 5_000), (10**5, 2_000), (10**6, 1_000),
                 (10**7, 200), (3 * 10**7, 100), (10**8, 50)])
BIG = dict(cpu=[(10**8, 2)], gpu=[])
QUICK_RATE = dict(cpu=[(10**3, 200), (10**4, 100)], gpu=[(10**3, 500), (10**6, 100)])
DEVICES = dict(full=((10**6, 50), (1, 2, 4, 8)), quick=((10**4, 20), (1, 2)))
PROFILE = dict(cpu=(10**5, 500), gpu=(10**7, 200), quick=(10**4, 100))
BYTES_PER_JUNCTION = dict(cpu=200, gpu=150)


# ---------------------------------------------------------------- worker

def build(spec: dict, p: dict):
    """A callable that runs the case once and returns its final state (blocked on)."""
    import jax
    import jax.numpy as jnp
    import spinjax as sj
    impl, n, steps, dt, key, f32 = (spec["impl"], spec["n"], spec["steps"], p["dt"],
                                    jax.random.key(0), jnp.float32)
    if impl in ("spinjax", "gaussian", "rademacher"):
        return make_spinjax(p, n, steps, two_point=impl == "rademacher",
                            solver=sj.NormalizedHeun())
    if impl == "scan":
        return make_scan(p, n, steps)
    if impl == "rng":
        draws = jax.jit(lambda key: jax.lax.fori_loop(0, steps, lambda i, acc: acc + jax.random
                        .normal(jax.random.fold_in(key, i), (n, 3), f32), jnp.zeros((n, 3), f32)))
        return lambda: draws(key).block_until_ready()
    model = sj.SLLG(_spinjax_layer(sj, p), (
        sj.VCMAAnisotropy(K_i0=p["K_i0"]), sj.Demagnetization(factors=p["demag"]),
        sj.Zeeman(bias_A_per_m=p["bias"])))
    mesh = sj.junction_mesh(spec["devices"]) if impl in ("mesh", "fused_mesh") else None
    m0 = sj.junction_state(n, mesh=mesh)
    solver = sj.FusedHeun() if impl in ("fused", "fused_mesh") else sj.NormalizedHeun()
    kw = dict(thermal=False) if impl == "deterministic" else dict(key=key, mesh=mesh)
    return lambda: sj.simulate(model, m0, t1=steps * dt, dt=dt, solver=solver,
                               **kw).m.block_until_ready()


def measure(spec: dict, repeats: int, p: dict, platform: str) -> dict:
    import jax
    import numpy as np
    device, run = h.check_device(platform), build(spec, p)
    times = []
    for _ in range(repeats + 1):  # the first call compiles
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    first, times = times[0], times[1:]
    timed = statistics.median(times) if times else first
    row = dict(spec, junction_steps_per_s=spec["n"] * spec["steps"] / timed, first_call_s=first,
               timed_s=times, compile_s=first - timed if times else None,
               peak_mem_mb=h.peak_mem_mb(), device=device, device_count=len(jax.devices()),
               **(h.device_mem_mb() if platform == "gpu" else {}))
    if spec["impl"] != "rng":
        m = np.asarray(out)
        row.update(mean_mz=float(m[..., 2].astype(np.float64).mean()),
                   sum_m=float(m.astype(np.float64).sum()), first8=m.ravel()[:8].tolist(),
                   sha256=hashlib.sha256(np.ascontiguousarray(m).tobytes()).hexdigest())
    if spec["impl"] in ("mesh", "fused_mesh") and spec["devices"] > 1:
        # the same solve on one device of this process: how far apart, element by element
        ref = np.asarray(build(dict(spec, devices=1), p)())
        diff = np.abs(np.asarray(out, np.float64) - ref)
        row.update(max_abs_diff_vs_1=float(diff.max()), n_diff_vs_1=int((diff > 0).sum()))
    return row


# ---------------------------------------------------------------- driver

def available_bytes(platform: str, device: dict | None) -> float:
    if platform == "gpu":
        return device.get("device_memory_limit_gb", float("inf")) * 2**30
    return next((int(ln.split()[1]) * 1024 for ln in Path("/proc/meminfo").read_text()
                 .splitlines() if ln.startswith("MemAvailable:")), float("inf"))


def run_worker(spec, repeats, physics, platform, budget, device) -> dict:
    need = 1.25 * spec["n"] * BYTES_PER_JUNCTION[platform]
    free = available_bytes(platform, device)
    if need > free:
        return dict(spec, skipped=f"needs about {need / 2**30:.1f} GiB (estimate), "
                    f"{free / 2**30:.1f} GiB available")
    if budget.expired():
        return dict(spec, skipped=budget.spent())
    env = h.worker_env(platform)
    if platform == "cpu" and spec.get("devices"):
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_"
                            f"count={spec['devices']}").strip()
    return h.one_row(spec, *h.run_worker(Path(__file__).resolve(), [
        "--worker", json.dumps(spec), "--repeats", repeats, "--physics", json.dumps(physics)],
        platform, budget, env=env))


def cases(platform: str, quick: bool, big: bool, device_count: int) -> list:
    rate = QUICK_RATE[platform] if quick else RATE[platform] + (BIG[platform] if big else [])
    out = [dict(case="rate", impl=i, n=n, steps=s) for n, s in rate
           for i in ("spinjax", "scan", "fused")]
    (n, s), ks = DEVICES["quick" if quick else "full"]
    ks = [k for k in (1, 2, 4, 8) if k <= device_count] if platform == "gpu" else ks
    out += [dict(case="devices", impl="mesh" if k else "nomesh", n=n, steps=s, devices=k)
            for k in (0, *ks)]
    out += [dict(case="devices", impl="fused_mesh", n=n, steps=s, devices=k) for k in ks]
    n, s = PROFILE["quick" if quick else platform]
    return out + [dict(case="profile", impl=i, n=n, steps=s) for i in IMPL_LABEL]


def run_all(quick, big, rounds, repeats, platform, budget_s, log) -> dict:
    machine = h.machine_record("quick" if quick else "full", platform)  # exits without a GPU
    physics, device = derived_physics(PHYSICS), machine.get("device")
    budget, best = h.Budget(budget_s), {}
    for _ in range(rounds):  # keep the fastest pass per case: other load only slows one
        for spec in cases(platform, quick, big, device["device_count"] if device else 1):
            row = dict(run_worker(spec, repeats, physics, platform, budget, device),
                       loadavg=os.getloadavg()[0])
            log(json.dumps({k: v for k, v in row.items() if k not in ("first8", "timed_s")}))
            h.keep_fastest(best, (spec["case"], spec["impl"], spec["n"], spec.get("devices")),
                           row)
    h.finish_machine(machine, rounds=rounds, repeats=repeats)
    return dict(machine=machine, platform=platform, physics=physics, rows=list(best.values()))


def main(argv=None) -> None:
    ap = h.parser(__doc__, quick="tiny sizes, under a minute",
                  budget="start no worker after this many s (gpu default 420)")
    ap.add_argument("--big", action="store_true", help="add N = 1e8 on a CPU")
    ap.add_argument("--rounds", type=int, help="passes over the cases (default 2; quick, gpu 1)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--worker", type=json.loads, help=argparse.SUPPRESS)
    ap.add_argument("--physics", type=json.loads, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help="default results/scaling[_gpu][_quick].json")
    args = ap.parse_args(argv)
    if args.worker:
        return h.emit(measure(args.worker, args.repeats, args.physics
                              or derived_physics(PHYSICS), args.platform))
    if args.report:  # the section of an existing JSON (and with --write-readme its PNG)
        res = json.loads(args.report.read_text())
    else:
        gpu, t0 = args.platform == "gpu", time.perf_counter()
        h.use_platform("cpu")  # the driver holds no device memory
        res = run_all(args.quick, args.big, args.rounds or (1 if args.quick or gpu else 2),
                      args.repeats, args.platform,
                      args.budget_s if args.budget_s is not None else (420.0 if gpu else None),
                      log=lambda s: print(s, file=sys.stderr, flush=True))
        res["machine"]["total_s"] = time.perf_counter() - t0
        h.write_json(args.out or h.result_path("scaling", args.platform, args.quick), res)
    section = report(res)
    if args.write_readme if args.report else not args.quick:
        write_outputs(res, section)
    print(section)


if __name__ == "__main__":
    main()
