"""Throughput of ``simulate(..., solver=FusedHeun())`` against the diffrax path
(``NormalizedHeun``) and the hand-written ``lax.scan`` of ``sllg_throughput.py``.

Same physics as ``sllg_throughput.py`` (PMA CoFeB disk, 300 K, dt = 1 ps, float32,
thermal noise on). Rows, each timed in this process (one warm-up call, then the median
of three); the committed rows were measured before the one-engine change, when
``fused`` ran ``fused_simulate`` (the affine-only kernel that FusedHeun replaced):

- ``fused``: ``FusedHeun(backend="auto")``: the Pallas kernel on a GPU (blocks of
  junctions in registers for a segment of steps; Threefry noise generated in
  registers), the XLA ``fori_loop`` on the CPU.
- ``fused_xla``: on a GPU, ``FusedHeun(backend="xla")`` (one fusion per step, the state
  through HBM every step).
- ``scan``: the hand-written ``lax.scan`` with ``jax.random.normal`` noise.
- ``spinjax``: ``simulate(..., solver=NormalizedHeun())`` (diffrax), final state only.

Memory rows run ``fused`` in a fresh subprocess for N = 1e8 (GPU; 1e6 on the CPU) at
two step counts and report the allocator's peak (GPU) or VmHWM (CPU): the memory of a
run does not depend on its number of steps. A check row runs the Pallas kernel and its
XLA loop on the same device and inputs and reports their largest difference (of the
final state, of the running mean of m_z and of the switch counts, both as monitors).
``--sweep`` (GPU) times the kernel's block size and warps at N = 1e7.

Usage::

    python benchmarks/fused_throughput.py --platform gpu          # about 3 min on an H100
    python benchmarks/fused_throughput.py                         # CPU, about 3 min
    python benchmarks/fused_throughput.py --quick                 # prints only

Writes ``benchmarks/results/fused_throughput[_gpu].json`` and the table between the
``fused_throughput[_gpu]`` markers of ``benchmarks/README.md``.
"""

import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import harness as h  # noqa: E402

CASES = dict(
    gpu=dict(fused=((10**5, 2000), (10**6, 2000), (10**7, 1000), (3 * 10**7, 500),
                    (10**8, 200)),
             fused_xla=((10**6, 500), (10**7, 200)),
             scan=((10**6, 1000), (10**7, 200)),
             spinjax=((10**6, 1000), (10**7, 200))),
    cpu=dict(fused=((10**4, 1000), (10**5, 200), (10**6, 20)),
             scan=((10**4, 1000), (10**5, 200), (10**6, 20)),
             spinjax=((10**4, 1000), (10**5, 200), (10**6, 20))),
    quick=dict(fused=((10**4, 100),), scan=((10**4, 100),), spinjax=((10**4, 100),)))
LABEL = dict(fused="FusedHeun()", fused_xla='FusedHeun(backend="xla")',
             scan="hand-written lax.scan", spinjax="NormalizedHeun()")
MEMORY = dict(gpu=(10**8, (100, 1000)), cpu=(10**6, (10, 100)))
TITLE = "Fused solver throughput"


def _physics():
    from sllg_throughput import PHYSICS, derived_physics
    return derived_physics(PHYSICS)


def _model(p):
    import spinjax as sj
    from sllg_throughput import _spinjax_layer
    return sj.SLLG(_spinjax_layer(sj, p), (
        sj.VCMAAnisotropy(K_i0=p["K_i0"]), sj.Demagnetization(factors=p["demag"]),
        sj.Zeeman(bias_A_per_m=p["bias"])))


def make(impl, p, n, steps, backend="auto", block=256, num_warps=4):
    import jax
    import jax.numpy as jnp
    import spinjax as sj
    from sllg_throughput import make_scan, make_spinjax
    if impl == "scan":
        return make_scan(p, n, steps)
    if impl == "spinjax":
        return make_spinjax(p, n, steps, solver=sj.NormalizedHeun())
    model, key, dt = _model(p), jax.random.key(0), p["dt"]
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (n, 1))
    solver = sj.FusedHeun(backend="xla" if impl == "fused_xla" else backend, block=block,
                          num_warps=num_warps)
    return lambda: sj.simulate(model, m0, t1=steps * dt, dt=dt, key=key,
                               solver=solver).m.block_until_ready()


def timed(fn, repeats=3):
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return med, max(first - med, 0.0)


def rate_row(impl, n, steps, p, **kw):
    med, compile_s = timed(make(impl, p, n, steps, **kw))
    return dict(impl=impl, n=n, steps=steps, seconds=med, compile_s=compile_s,
                junction_steps_per_s=n * steps / med, **kw)


def check_row(p, n=100_000, steps=100):
    """FusedHeun's Pallas kernel vs its XLA loop on this device, same inputs; the old
    kernel's mean m_z and switch count are monitors now."""
    import jax
    import jax.numpy as jnp
    import spinjax as sj
    model, key, dt = _model(p), jax.random.key(1), p["dt"]
    m0 = jnp.tile(jnp.array([0.1, 0.0, 1.0], jnp.float32), (n, 1))
    mon = (sj.RunningMoments(), sj.SwitchCount(hysteresis=0.5))
    a, b = (sj.simulate(model, m0, t1=steps * dt, dt=dt, key=key, monitors=mon,
                        solver=sj.FusedHeun(backend=x)) for x in ("pallas", "xla"))
    return dict(impl="check_pallas_vs_xla", n=n, steps=steps,
                max_abs_dm=float(jnp.max(jnp.abs(a.m - b.m))),
                max_abs_dmean_mz=float(jnp.max(jnp.abs(a.monitors[0][1] - b.monitors[0][1]))),
                switch_count_equal=bool(jnp.all(a.monitors[1][1] == b.monitors[1][1])))


def memory_worker(n, steps):
    p = _physics()
    t = time.perf_counter()
    make("fused", p, n, steps)()
    wall = time.perf_counter() - t
    row = dict(impl="fused_memory", n=n, steps=steps, seconds_with_compile=wall,
               junction_steps_per_s_with_compile=n * steps / wall)
    row.update({k: v for k, v in h.device_mem_mb().items() if k == "peak_gpu_mem_mb"})
    row["peak_rss_mb"] = h.peak_mem_mb()
    h.emit(row)


def report(res):
    """The README table of a run (``res``: machine, physics, rows)."""
    rows, info = res["rows"], res["machine"]
    old = info["date"] < "2026-12-05"  # before the one-engine change
    lines = [f"Device: {info['device']} ({info['platform']}), jax {info['jax']}, "
             f"{info['cores']} host cores, {info['date']}." + (
                 " Measured before the one-engine change: `fused` and `fused_xla` ran "
                 "`fused_simulate(backend=...)`, the affine-only kernel that FusedHeun "
                 "replaced; `spinjax` ran `simulate` (then diffrax only)." if old else ""), "",
             "| row: solver | N | steps | junction-steps/s | vs scan | compile s |",
             "|---|---:|---:|---:|---:|---:|"]
    scan = {r["n"]: r["junction_steps_per_s"] for r in rows if r["impl"] == "scan"}
    for r in rows:
        if "junction_steps_per_s" not in r or r.get("sweep"):
            continue
        ratio = r["junction_steps_per_s"] / scan[r["n"]] if r["n"] in scan else None
        lines.append(f"| {r['impl']}: {LABEL[r['impl']]} | {r['n']:.0e} | {r['steps']} | "
                     f"{r['junction_steps_per_s']:.3g} | "
                     f"{'' if ratio is None else f'{ratio:.2f}'} | {r['compile_s']:.1f} |")
    mem = [r for r in rows if r["impl"] == "fused_memory"]
    if mem:
        lines += ["", "| fused (FusedHeun) memory: N | steps | peak GPU MB | peak RSS MB |",
                  "|---:|---:|---:|---:|"]
        lines += [f"| {r['n']:.0e} | {r['steps']} | {r.get('peak_gpu_mem_mb', float('nan')):.0f}"
                  f" | {r['peak_rss_mb']:.0f} |" for r in mem]
    for r in rows:
        if r["impl"] == "check_pallas_vs_xla":
            lines += ["", f"FusedHeun Pallas vs XLA ({r['n']:.0e} junctions, "
                      f"{r['steps']} steps, same key): max |dm| = {r['max_abs_dm']:.2g}, "
                      f"max |d mean m_z| = {r['max_abs_dmean_mz']:.2g}, switch counts equal: "
                      f"{r['switch_count_equal']}."]
    sweep = [r for r in rows if r.get("sweep")]
    if sweep:
        lines += ["", "Kernel sweep at N = 1e7: " + ", ".join(
            f"block {r['block']} x {r['num_warps']} warps {r['junction_steps_per_s']:.3g}"
            for r in sweep) + " junction-steps/s."]
    return "\n".join(lines)


def main(argv=None):
    ap = h.parser(__doc__, quick="one small size; prints only")
    ap.add_argument("--sweep", action="store_true", help="time the kernel's block and warps")
    ap.add_argument("--memory-worker", nargs=2, type=int, metavar=("N", "STEPS"))
    args = ap.parse_args(argv)
    if h.rendered(args, report, "fused_throughput", TITLE):
        return
    h.use_platform(args.platform)
    if args.memory_worker:
        return memory_worker(*args.memory_worker)
    p = _physics()
    info = h.device_record()
    rows = []
    if args.platform == "gpu":
        rows.append(check_row(p))
        print(rows[-1], flush=True)
    if args.sweep:
        for block in (128, 256, 512, 1024):
            for warps in (2, 4, 8):
                rows.append(dict(rate_row("fused", 10**7, 500, p, backend="pallas",
                                          block=block, num_warps=warps), sweep=True))
                print(rows[-1], flush=True)
    cases = CASES["quick" if args.quick else args.platform]
    for impl, sizes in cases.items():
        for n, steps in sizes:
            rows.append(rate_row(impl, n, steps, p))
            print(rows[-1], flush=True)
    if not args.quick:
        n, step_counts = MEMORY[args.platform]
        for steps in step_counts:
            case = dict(impl="fused_memory", n=n, steps=steps)
            rows.append(h.one_row(case, *h.run_worker(
                Path(__file__).resolve(), ["--memory-worker", n, steps], args.platform)))
            print(rows[-1], flush=True)
    res = dict(machine=info, physics=p, rows=rows)
    h.save(res, report(res), "fused_throughput", args.platform, args.quick, TITLE,
           quick_json=False)


if __name__ == "__main__":
    main()
