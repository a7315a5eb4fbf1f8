"""Cost of a forward-mode gradient through the fused solver against one fused forward.

The issue-4 cost target (one gradient at most 4x one forward solve, N = 1e3-1e5, 1e3-1e4
steps) measured on ``simulate(..., solver=FusedHeun())``. Model: the VCMA preset
``spinjax.devices.vcma_mtj(alpha=alpha).model`` without its bias-driven STT term (the
affine-only kernel that FusedHeun replaced refused that torque, and the committed rows
were measured on it; FusedHeun runs the whole preset, reverse mode of which is in
``engine.py``), 300 K, dt = 1 ps, float32, N junctions from +z. A rectangular write
pulse of amplitude V for 0.44 ns, then relaxation at 0 V for the rest of the steps: two
``simulate`` calls, the second from the first's state, each with its own key. Loss

    L(V, alpha) = mean over junctions of tanh(-m_z(t1) / 0.5)

as in ``gradients.py``. Forward: ``jax.jit(L)``; gradient: ``jax.jit(jax.jacfwd(L))``
over (V, alpha) (two tangent directions carried by one tangent launch per segment);
``jvp``: one directional derivative (``jax.jvp`` in V). Each is compiled by a first
call, then timed (median of 3; 1 for the largest CPU case). Backend: the Pallas kernel
on a GPU, the XLA loop on a CPU (``FusedHeun(backend="auto")``). A check compares the jacfwd
gradient with a central finite difference of L in V under common random numbers.

Usage::

    python benchmarks/fused_gradients.py                  # CPU, about 6 min on 2 cores
    python benchmarks/fused_gradients.py --platform gpu   # GPU, about 1 min

Writes ``benchmarks/results/fused_gradients[_gpu].json`` and the table between the
``fused_gradients[_gpu]`` markers of ``benchmarks/README.md``.
"""

import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import harness as h  # noqa: E402

DT, PULSE_STEPS = 1e-12, 440
AMPLITUDE_V, ALPHA = 1.05, 0.02
GRID = dict(cpu=((1_000, 1_000), (1_000, 10_000), (10_000, 1_000), (10_000, 10_000),
                 (100_000, 1_000), (100_000, 10_000)),
            gpu=((1_000, 1_000), (1_000, 10_000), (100_000, 1_000), (100_000, 10_000),
                 (1_000_000, 10_000), (10_000_000, 1_000)),
            quick=((1_000, 1_000),))
TARGET_RATIO = 4.0
TITLE = "Forward-mode gradient cost through the fused solver"


def make_loss(n: int, steps: int, backend: str = "auto"):
    """The loss of (V, alpha) on ``FusedHeun(backend=backend)``."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import spinjax as sj
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (n, 1))
    k1, k2 = jax.random.split(jax.random.key(0))

    def loss(theta):
        amplitude, alpha = theta[0], theta[1]
        model = sj.devices.vcma_mtj(alpha=alpha).model
        model = eqx.tree_at(lambda m: m.torques, model, ())
        solver = sj.FusedHeun(backend=backend)
        pulse = sj.simulate(model, m0, t1=PULSE_STEPS * DT, dt=DT, key=k1,
                            drive=sj.Drive(voltage_V=amplitude), solver=solver)
        relax = sj.simulate(model, pulse.m, t1=(steps - PULSE_STEPS) * DT, dt=DT, key=k2,
                            solver=solver)
        return jnp.mean(jnp.tanh(-relax.m[:, 2] / 0.5))
    return loss


def timed(fn, x, repeats):
    import jax
    t = time.perf_counter()
    jax.block_until_ready(fn(x))
    first = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = jax.block_until_ready(fn(x))
        times.append(time.perf_counter() - t)
    return statistics.median(times), first, out


def case(n, steps, repeats):
    import jax
    import jax.numpy as jnp
    loss = make_loss(n, steps)
    theta = jnp.array([AMPLITUDE_V, ALPHA], jnp.float32)
    fwd = jax.jit(loss)
    grad = jax.jit(jax.jacfwd(loss))
    jvp = jax.jit(lambda t: jax.jvp(loss, (t,), (jnp.array([1.0, 0.0], jnp.float32),)))
    tf, ff, value = timed(fwd, theta, repeats)
    tg, fg, g = timed(grad, theta, repeats)
    tj, fj, _ = timed(jvp, theta, repeats)
    row = dict(n=n, steps=steps, repeats=repeats, forward_s=tf, gradient_s=tg, jvp_s=tj,
               ratio=tg / tf, jvp_ratio=tj / tf, first_forward_s=ff, first_gradient_s=fg,
               loss=float(value), grad=[float(x) for x in g])
    row.update({k: v for k, v in h.device_mem_mb().items() if k == "peak_gpu_mem_mb"})
    return row


def fd_check(n=10_000, steps=1_000, h=2e-3):
    """jacfwd dL/dV against (L(V + h) - L(V - h)) / 2h with the same keys (common random
    numbers); float32 loss, so h is not tiny."""
    import jax
    import jax.numpy as jnp
    loss = jax.jit(make_loss(n, steps))
    theta = jnp.array([AMPLITUDE_V, ALPHA], jnp.float32)
    g = jax.jacfwd(make_loss(n, steps))(theta)
    e = jnp.array([h, 0.0], jnp.float32)
    fd = (loss(theta + e) - loss(theta - e)) / (2 * h)
    return dict(n=n, steps=steps, h=h, jacfwd_dV=float(g[0]), fd_dV=float(fd))


def report(res):
    """The README table of a run (``res``: machine, rows, fd_check)."""
    m = res["machine"]
    lines = [f"Device: {m['device']} ({m['platform']}), jax {m['jax']}, {m['date']}; "
             f"`FusedHeun(backend={m['backend']!r})`" + (
                 " (measured before the one-engine change, on `fused_simulate`, the "
                 "affine-only kernel FusedHeun replaced)" if m["date"] < "2026-12-05" else "")
             + ". Gradient = `jax.jacfwd` over (V, alpha); jvp = one direction.",
             "", "| N | steps | forward s | gradient s | gradient/forward | jvp/forward |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in res["rows"]:
        lines.append(f"| {r['n']:.0e} | {r['steps']} | {r['forward_s']:.3g} | "
                     f"{r['gradient_s']:.3g} | {r['ratio']:.2f} | {r['jvp_ratio']:.2f} |")
    in_range = [r for r in res["rows"] if r["n"] <= 100_000]
    worst = max(r["ratio"] for r in in_range) if in_range else float("nan")
    lines += ["", f"Target gradient/forward <= {TARGET_RATIO:g} for N = 1e3-1e5, 1e3-1e4 steps: "
              f"**{'met' if worst <= TARGET_RATIO else 'NOT met'}** (worst {worst:.2f})."]
    c = res.get("fd_check")
    if c:
        lines += ["", f"Check ({c['n']:.0e} junctions, {c['steps']} steps): jacfwd dL/dV = "
                  f"{c['jacfwd_dV']:.5g}, central difference (h = {c['h']:g} V, same keys) = "
                  f"{c['fd_dV']:.5g}."]
    return "\n".join(lines)


def main(argv=None):
    ap = h.parser(__doc__, quick="one small case; prints only")
    args = ap.parse_args(argv)
    if h.rendered(args, report, "fused_gradients", TITLE):
        return
    h.use_platform(args.platform)
    import spinjax as sj
    d = h.device_record()
    res = dict(machine=dict(device=d["device"], platform=d["platform"], jax=d["jax"],
                            cores=d["cores"], backend=sj.FusedHeun().resolved_backend(),
                            date=d["date"]), rows=[])
    res["fd_check"] = fd_check(n=1_000 if args.quick else 10_000)
    print(res["fd_check"], flush=True)
    for n, steps in GRID["quick" if args.quick else args.platform]:
        repeats = 1 if args.platform == "cpu" and n * steps >= 10**9 else 3
        res["rows"].append(case(n, steps, repeats))
        print(res["rows"][-1], flush=True)
    h.save(res, report(res), "fused_gradients", args.platform, args.quick, TITLE,
           quick_json=False)


if __name__ == "__main__":
    main()
