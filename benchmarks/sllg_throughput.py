"""Throughput of the stochastic LLG: spinjax vs a hand-written scan, NumPy and cmtj.

Every implementation integrates the same physics: a perpendicular (PMA) CoFeB free
layer (Ms = 1e6 A/m, alpha = 0.01, t = 1.2 nm, 50 nm disk, T = 300 K) with interfacial
anisotropy K_i0 = 1e-3 J/m^2, thin-film demagnetization N = (0, 0, 1) and a 1e4 A/m
in-plane bias, with the Brown thermal field, by the Stratonovich Heun scheme (one noise
draw per step for predictor and corrector, m renormalized after each step), dt = 1 ps.

- ``spinjax``: ``spinjax.simulate`` with its default solver and final-state saving
  (float32): ``FusedHeun`` since the one-engine change; the committed rows of
  2026-11-22 ran the diffrax path, now ``solver=spinjax.NormalizedHeun()``.
- ``spinjax_2pt``: the same with ``noise=spinjax.RademacherIncrements()``: two-point
  increments with the first three moments of N(0, 1): the same weak order, not the
  same paths. Reported beside, never instead of, the Gaussian rows.
- ``scan``: a jitted ``jax.lax.scan`` of the same Heun step (float32), noise drawn as
  ``jax.random.normal(jax.random.fold_in(key, step), (N, 3))``, with the field written
  as ``h0 + d * m`` and a reduction-free renormalization: the plain-XLA reference.
- ``numpy``: the same Heun step vectorized over junctions in NumPy (float64).
- ``cmtj``: one ``cmtj.Junction`` (C++, float64, its ``Heun``), one junction per call,
  its constants set to spinjax's; GPL and optional: imported only in its worker.

For each (implementation, N) a fresh subprocess (``--worker``) runs one warm-up call
and three timed calls and reports junction-steps per second (N x steps / median time),
compile time (first call minus the median call) and peak resident memory (``VmHWM``).
A full run makes two passes and keeps the faster per case (other load only slows a
pass down). cmtj is timed on min(N, k) junctions run one after another, at least 2000
steps each (so its per-call overhead does not count), and extrapolated to N. Memory
rows run spinjax once at N = 1e6 for several step counts (final-state memory does not
grow with them; the full run includes the 1e6 x 1e4 target).

On a GPU (``--platform gpu``: workers with ``JAX_PLATFORMS=cuda``) spinjax, spinjax_2pt
and scan run for N = 1e3 to 3e7, one pass, about 0.1-2 s per timed call on an H100, with
the GPU allocator's peak (``peak_gpu_mem_mb``); memory rows at N = 1e7; no worker
starts after ``--budget-s`` (default 420 s).

Usage::

    python benchmarks/sllg_throughput.py            # full run (tens of minutes)
    python benchmarks/sllg_throughput.py --quick    # about a minute
    python benchmarks/sllg_throughput.py --platform gpu  # full GPU run, about 4 min

A full run writes ``results/sllg_throughput[_gpu].json`` and the tables between the
``sllg_throughput[_gpu]`` markers of ``benchmarks/README.md``; ``--quick`` writes
``sllg_throughput[_gpu]_quick.json`` and prints them. ``--report JSON`` prints the
tables of an existing JSON (with ``--write-readme``, into the README).
"""

import importlib.util
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
from throughput_report import CMTJ_JUNCTIONS, CMTJ_MIN_STEPS, GPU_IMPLS, IMPLS, report  # noqa: E402,E501

PHYSICS = dict(Ms=1.0e6, alpha=0.01, thickness_m=1.2e-9, diameter_m=50e-9,
               temperature_K=300.0, K_i0=1.0e-3, demag=(0.0, 0.0, 1.0),
               bias=(1.0e4, 0.0, 0.0), dt=1e-12)
# (N, steps): N x steps is 2e4-5e7 junction-steps per timed call.
FULL_CASES = ((1, 20_000), (1_000, 5_000), (10_000, 1_000), (100_000, 200), (1_000_000, 50))
QUICK_CASES = ((1, 2_000), (1_000, 200), (10_000, 100), (100_000, 20))
FULL_MEMORY_STEPS, QUICK_MEMORY_STEPS = (100, 1_000, 10_000), (10, 100)
# GPU: ~0.1-2 s per timed call on an H100 (~50-100 us per step at small N, spinjax
# ~5e9 junction-steps/s at N >= 1e6, scan ~1e10).
GPU_FULL_CASES = ((1_000, 10_000), (10_000, 10_000), (100_000, 5_000), (1_000_000, 1_000),
                  (10_000_000, 200), (30_000_000, 100))
GPU_QUICK_CASES = ((1_000, 1_000), (1_000_000, 100))
MEMORY_N = dict(cpu=1_000_000, gpu=10_000_000)


# ---------------------------------------------------------------- physics and models

def derived_physics(physics: dict) -> dict:
    """`physics` plus spinjax's constants, volume and thermal field strength sigma."""
    import spinjax as sj
    layer = _spinjax_layer(sj, physics)
    return dict(physics, gamma0=sj.constants.GAMMA0, mu0=sj.constants.MU0,
                area_m2=float(layer.area_m2), sigma=float(sj.thermal_field_strength(layer)))


def _spinjax_layer(sj, p):
    return sj.FreeLayer(Ms=p["Ms"], alpha=p["alpha"], thickness_m=p["thickness_m"],
                        area_m2=sj.disk_area(p["diameter_m"]), temperature_K=p["temperature_K"])


def affine_field(p: dict):
    """H_eff = h0 + d * m (elementwise): bias, demag -Ms N m and interfacial anisotropy."""
    h_k = 2 * p["K_i0"] / (p["mu0"] * p["Ms"] * p["thickness_m"])
    d = [-p["Ms"] * n for n in p["demag"]]
    d[2] += h_k
    return list(p["bias"]), d


def make_spinjax(p: dict, n: int, steps: int, two_point: bool = False, solver=None):
    """``simulate`` on `solver` (None: its default, ``FusedHeun``)."""
    import jax
    import jax.numpy as jnp
    import spinjax as sj
    model = sj.SLLG(_spinjax_layer(sj, p), (
        sj.VCMAAnisotropy(K_i0=p["K_i0"]), sj.Demagnetization(factors=p["demag"]),
        sj.Zeeman(bias_A_per_m=p["bias"])))
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (n, 1))
    key, dt = jax.random.key(0), p["dt"]
    noise = sj.RademacherIncrements() if two_point else sj.GaussianIncrements()
    return lambda: sj.simulate(model, m0, t1=steps * dt, dt=dt, key=key, noise=noise,
                               solver=solver).m.block_until_ready()


def make_scan(p: dict, n: int, steps: int):
    import jax
    import jax.numpy as jnp
    dt, alpha, f32 = p["dt"], p["alpha"], jnp.float32
    h0, d = (jnp.asarray(v, f32) for v in affine_field(p))
    c, th = -p["gamma0"] / (1 + alpha**2), p["sigma"] / dt**0.5

    def rhs(m, h):
        mxh = jnp.cross(m, h)
        return c * (mxh + alpha * jnp.cross(m, mxh))

    @jax.jit
    def solve(m0, key):
        def step(m, i):
            h_th = th * jax.random.normal(jax.random.fold_in(key, i), m.shape, m.dtype)
            k1 = rhs(m, h0 + d * m + h_th)
            mp = m + dt * k1
            k2 = rhs(mp, h0 + d * mp + h_th)
            m1 = m + 0.5 * dt * (k1 + k2)
            # m1 / |m1| without a reduction over the length-3 axis: a reduction
            # (jnp.linalg.norm) splits XLA CPU's fusions and costs ~1.6x here.
            return m1 * jax.lax.rsqrt(m1[:, :1] ** 2 + m1[:, 1:2] ** 2 + m1[:, 2:] ** 2), None
        return jax.lax.scan(step, m0, jnp.arange(steps))[0]

    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], f32), (n, 1))
    key = jax.random.key(0)
    return lambda: solve(m0, key).block_until_ready()


def make_numpy(p: dict, n: int, steps: int):
    import numpy as np
    dt, alpha = p["dt"], p["alpha"]
    h0, d = (np.asarray(v) for v in affine_field(p))
    c, th = -p["gamma0"] / (1 + alpha**2), p["sigma"] / dt**0.5

    def rhs(m, h):
        mxh = np.cross(m, h)
        return c * (mxh + alpha * np.cross(m, mxh))

    def run():
        rng = np.random.default_rng(0)
        m = np.tile([0.0, 0.0, 1.0], (n, 1))
        for _ in range(steps):
            h_th = th * rng.standard_normal((n, 3))
            k1 = rhs(m, h0 + d * m + h_th)
            mp = m + dt * k1
            k2 = rhs(mp, h0 + d * mp + h_th)
            m = m + 0.5 * dt * (k1 + k2)
            m /= np.linalg.norm(m, axis=-1, keepdims=True)
        return m
    return run


def make_cmtj(p: dict, n: int, steps: int, k: int):
    """k junctions one after another on one prebuilt cmtj.Junction (construction untimed)."""
    import cmtj
    consts = cmtj.constants.PhysicalConstants
    consts.set_gyromagnetic_ratio(p["gamma0"])
    consts.set_magnetic_permeability(p["mu0"])
    demag = [cmtj.CVector(*(p["demag"][i] if j == i else 0.0 for j in range(3)))
             for i in range(3)]
    z = cmtj.CVector(0.0, 0.0, 1.0)
    # cmtj takes Ms in T (mu0 Ms), K in J/m^3 (K_i0 / t) and fields in A/m.
    layer = cmtj.Layer("free", mag=z, anis=z, Ms=p["mu0"] * p["Ms"],
                       thickness=p["thickness_m"], cellSurface=p["area_m2"],
                       demagTensor=demag, damping=p["alpha"])
    junction = cmtj.Junction([layer])
    junction.setLayerAnisotropyDriver("free", cmtj.constantDriver(p["K_i0"] / p["thickness_m"]))
    junction.setLayerExternalFieldDriver("free", cmtj.AxialDriver(
        *(cmtj.constantDriver(b) for b in p["bias"])))
    junction.setLayerTemperatureDriver("free", cmtj.constantDriver(p["temperature_K"]))
    total = (steps + 0.5) * p["dt"]  # cmtj runs int(total / dt) steps

    def run():
        out = []
        for _ in range(min(n, k)):
            junction.clearLog()
            junction.setLayerMagnetisation("free", z)
            junction.runSimulation(total, p["dt"], total, False, False, cmtj.Heun)
            m = junction.getLayerMagnetisation("free")
            out.append((m.x, m.y, m.z))
        return out
    return run


# ---------------------------------------------------------------- worker

def measure(impl: str, n: int, steps: int, repeats: int, cmtj_k: int, physics: dict,
            platform: str = "cpu") -> dict:
    """Time one (implementation, N, steps) case in this process; see the module docstring.
    On a GPU the row also has the GPU allocator's statistics after the timed calls."""
    device = h.check_device(platform) if platform == "gpu" else None
    if impl == "cmtj":
        if importlib.util.find_spec("cmtj") is None:
            return dict(impl=impl, n=n, steps=steps, skipped="cmtj is not installed")
        steps = max(steps, CMTJ_MIN_STEPS)  # so its per-call overhead does not count
        run, done = make_cmtj(physics, n, steps, cmtj_k), min(n, cmtj_k)
    else:
        make = dict(spinjax=make_spinjax, scan=make_scan, numpy=make_numpy,
                    spinjax_2pt=lambda *a: make_spinjax(*a, two_point=True))[impl]
        run, done = make(physics, n, steps), n
    baseline = h.peak_mem_mb()
    t0 = time.perf_counter()
    out = run()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    mz = statistics.fmean(m[2] for m in out) if impl == "cmtj" else float(out[..., 2].mean())
    timed = statistics.median(times) if times else first
    row = dict(impl=impl, n=n, steps=steps, junction_steps_per_s=done * steps / timed,
               compile_s=(first - timed) if times and impl in ("spinjax", "spinjax_2pt", "scan")
               else None,
               peak_mem_mb=h.peak_mem_mb(), first_call_s=first, timed_s=times,
               baseline_mem_mb=baseline, mean_mz=mz)
    if impl == "cmtj":
        row.update(junctions_run=done, note=f"extrapolated to N from {done} junction(s) x "
                   f"{steps} steps simulated one after another")
    if not times:
        row["note"] = "single call, rate includes compilation"
    if device:
        row.update(device=device, **h.device_mem_mb())
    return row


# ---------------------------------------------------------------- driver

def run_worker(impl, n, steps, repeats, cmtj_k, physics, platform="cpu", budget=None) -> dict:
    case = dict(impl=impl, n=n, steps=steps)
    if budget is not None and budget.expired():
        return dict(case, skipped=budget.spent())
    return h.one_row(case, *h.run_worker(
        Path(__file__).resolve(), ["--worker", impl, n, steps, "--repeats", repeats,
                                   "--cmtj-junctions", cmtj_k, "--physics", json.dumps(physics)],
        platform, budget))


def run_all(quick: bool, rounds: int, log=print, platform: str = "cpu",
            budget_s=None) -> dict:
    """All cases, each in its own worker. The throughput cases are run in `rounds`
    passes and the fastest pass is kept per case: on a shared machine the other load
    only ever slows a pass down (every pass's rate is kept under ``rates_by_round``)."""
    mode, gpu = "quick" if quick else "full", platform == "gpu"
    machine = h.machine_record(mode, platform)  # exits if there is no GPU
    physics, k = derived_physics(PHYSICS), CMTJ_JUNCTIONS[mode]
    if gpu:
        cases, impls = (GPU_QUICK_CASES if quick else GPU_FULL_CASES), GPU_IMPLS
    else:
        cases, impls = (QUICK_CASES if quick else FULL_CASES), IMPLS
    work = dict(cmtj_k=k, physics=physics, platform=platform, budget=h.Budget(budget_s))
    best = {}
    for _ in range(rounds):
        for n, steps in cases:
            for impl in impls:
                row = dict(run_worker(impl, n, steps, 3, **work), kind="throughput",
                           loadavg=os.getloadavg()[0])
                log(json.dumps(row))
                h.keep_fastest(best, (impl, n), row)
    rows = list(best.values())
    for steps in QUICK_MEMORY_STEPS if quick else FULL_MEMORY_STEPS:
        rows.append(dict(run_worker("spinjax", MEMORY_N[platform], steps, 0, **work),
                         kind="memory", loadavg=os.getloadavg()[0]))
        log(json.dumps(rows[-1]))
    h.finish_machine(machine, rounds=rounds)
    return dict(machine=machine, **({"platform": platform} if gpu else {}), physics=physics,
                rows=rows)


def main(argv=None) -> None:
    parser = h.parser(__doc__, quick="small cases, about a minute",
                      budget="start no worker after this many seconds (gpu default 420)")
    parser.add_argument("--worker", nargs=3, metavar=("IMPL", "N", "STEPS"),
                        help="measure one case in this process and print it")
    parser.add_argument("--rounds", type=int, default=None,
                        help="passes over the throughput cases (default 2, quick 1)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cmtj-junctions", type=int, default=CMTJ_JUNCTIONS["full"])
    parser.add_argument("--physics", type=json.loads, default=None)
    parser.add_argument("--out", type=Path, default=None,
                        help="default results/sllg_throughput[_gpu][_quick].json")
    args = parser.parse_args(argv)
    if args.worker:
        impl, n, steps = args.worker[0], int(args.worker[1]), int(args.worker[2])
        physics = args.physics or derived_physics(PHYSICS)
        return h.emit(measure(impl, n, steps, args.repeats, args.cmtj_junctions, physics,
                              args.platform))
    if h.rendered(args, report, "sllg_throughput", "SLLG throughput"):
        return
    gpu = args.platform == "gpu"
    h.use_platform("cpu")  # the driver holds no GPU memory
    budget_s = args.budget_s if args.budget_s is not None else (420.0 if gpu else None)
    t0 = time.perf_counter()
    rounds = args.rounds or (1 if args.quick or gpu else 2)
    result = run_all(args.quick, rounds, log=lambda s: print(s, file=sys.stderr, flush=True),
                     platform=args.platform, budget_s=budget_s)
    result["machine"]["total_s"] = time.perf_counter() - t0
    h.save(result, report(result), "sllg_throughput", args.platform, args.quick,
           "SLLG throughput", out=args.out)


if __name__ == "__main__":
    main()
