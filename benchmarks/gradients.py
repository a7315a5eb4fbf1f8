"""Cost of one reverse-mode gradient through the stochastic LLG against one forward solve.

Model: the VCMA preset ``spinjax.devices.vcma_mtj(alpha=alpha)`` (60 nm CoFeB/MgO disk,
VCMA, demagnetization, 30 kA/m in-plane bias, bias-driven STT, 300 K Brown field),
driven by ``spinjax.Trapezoid(amplitude, 0.1 ns, 0.44 ns, 30 ps, 30 ps)`` (0.47 ns FWHM,
half a precession; amplitude 1.05 V, between no switching at 0.97 V and 94 %
at 1.1 V), N junctions
from +z, dt = 1 ps, Gaussian increments, float32. The loss is

    L(amplitude, alpha) = mean over junctions of tanh(-m_z(t1) / 0.5)

(a smooth switching indicator; its width 0.5 keeps tanh' non-zero in float32 at the
relaxed |m_z| ~ 0.97, where a width of 0.1 rounds tanh to +-1 and the gradient after
1e4 steps to exactly 0), with ``m`` the final state of ``spinjax.simulate``;
the device is rebuilt inside the loss from the traced ``alpha`` and the pulse from the
traced amplitude. Forward: ``jax.jit(L)``; gradient: ``jax.jit(jax.grad(L, (0, 1)))``.
Both are compiled ahead (``.lower().compile()``; the compile time is reported apart),
then called once untimed and ``repeats`` times timed (``block_until_ready``); the
median is reported.

Every configuration runs the diffrax path, ``simulate(..., solver=NormalizedHeun())``
(reverse mode through ``FusedHeun``, the default solver, is timed by ``engine.py``).
Configurations of the gradient (the adjoint is ``simulate(..., adjoint=...)``):

- ``default``: ``simulate``'s own choice (``default_adjoint`` in ``spinjax/_adjoint.py``): store
  every step (``RecursiveCheckpointAdjoint(checkpoints=steps)``, no recomputation)
  when the states, N x steps x 12 bytes, take at most 2 GiB, else ``recursive``; on
  this grid every case but N = 1e5 x 1e4 steps stores every step;
- ``recursive``: ``diffrax.RecursiveCheckpointAdjoint()`` (``simulate``'s default
  before the policy): with ``Save()`` the whole run is one ``diffeqsolve`` of ``steps``
  steps, and diffrax picks about sqrt(2 steps) checkpoints (141 for 1e4 steps), enough
  that every step is recomputed about once in the backward pass;
- ``ckpt=K``: ``RecursiveCheckpointAdjoint(checkpoints=K)``: fewer checkpoints, less
  memory, more recomputation (K = steps stores every step: no recomputation);
- ``jacfwd``: forward mode, ``jax.jacfwd`` of the loss with ``adjoint=
  diffrax.ForwardMode()``: one tangent per parameter carried along the forward solve
  (memory of order N, no stored steps); the cheaper mode for a few parameters (here
  2), where reverse mode's cost does not grow with their number; measured on the
  whole grid;
- ``every=K``: ``Save(every=K)`` (the default adjoint policy): ``simulate`` runs a
  ``lax.scan`` over steps/K chunks of K steps, each its own checkpointed
  ``diffeqsolve``; the loss still uses the final state only.

Every (configuration, N, steps, forward or gradient) runs in a fresh subprocess
(``--worker``), which reports its peak resident memory (``VmHWM``, which starts afresh
in a new process) and XLA's buffer plan of the compiled function
(``memory_analysis()``: arguments + outputs + temporaries). A ``baseline`` worker that
only imports jax and spinjax and builds ``m0`` gives the memory subtracted in the
tables. The gradients of all configurations at the same (N, steps) see the same noise
(spinjax's counter-based Brownian path), so they must agree; their spread is reported.

On a GPU (``--platform gpu``: workers with ``JAX_PLATFORMS=cuda``) the grid is N in
1e3..1e6 x 1e3 and 1e4 steps, the configurations are compared at N = 1e5, 1e3 steps,
there is no baseline worker, and the memory is the peak of XLA's GPU allocator in the
worker (``memory_stats()["peak_bytes_in_use"]``; ``VmHWM`` is host memory). The
cases run cheapest first within a time budget (``--budget-s``, default 480 s).

Usage::

    python benchmarks/gradients.py          # full run, 11 min on 2 idle-ish cores
    python benchmarks/gradients.py --quick  # about a minute and a half
    python benchmarks/gradients.py --platform gpu  # full GPU run, about 6 min

A full run writes ``benchmarks/results/gradients.json`` and the section between the
``gradients`` markers of ``benchmarks/README.md`` (on a GPU: ``gradients_gpu.json`` and
the ``gradients_gpu`` markers, rendered by ``gradients_report.py``); ``--quick`` only
prints the section (and writes its JSON where ``--out`` says). ``--report JSON`` prints
the section of an existing JSON, and with ``--write-readme`` puts it in the README.
"""

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
from gradients_report import TARGET_CASE, TARGET_MEM_MB, TARGET_RATIO, report  # noqa: E402

DT = 1e-12
AMPLITUDE_V, ALPHA = 1.05, 0.02
PULSE = dict(start_s=0.1e-9, width_s=0.44e-9, rise_s=30e-12, fall_s=30e-12)

# (N, steps, repeats). N = 1e5 x 1e4 steps is skipped: about 1e9 junction-steps, whose
# gradient alone takes several minutes here (see the README section).
FULL_GRID = ((1_000, 1_000, 3), (1_000, 10_000, 3), (10_000, 1_000, 3),
             (10_000, 10_000, 2), (100_000, 1_000, 2))
FULL_SKIPPED = ((100_000, 10_000),)
# ... in reverse mode: its stored states (12 GB) exceed the 2 GiB of the default policy,
# whose recursive fallback takes several minutes; forward and jacfwd run there once.
FULL_FORWARD_ONLY = ((100_000, 10_000, 1),)
QUICK_GRID = ((1_000, 1_000, 3), (10_000, 1_000, 2))
# Gradient configurations compared at one (N, steps), each timed; the default is in
# the grid. At the memory target the same configurations are only compiled (``plan``:
# XLA's buffer plan, no run) to show how memory scales without minutes of running.
FULL_VARIANTS = dict(case=(10_000, 1_000, 3), configs=("recursive", "ckpt=16", "every=100"),
                     plan_case=TARGET_CASE, plan_configs=("recursive", "ckpt=16", "every=100"))
QUICK_VARIANTS = dict(case=(1_000, 1_000, 3), configs=("recursive", "ckpt=16", "every=100"),
                      plan_case=None, plan_configs=())
# GPU: N x steps up to GPU_MAX_JUNCTION_STEPS, 3 timed calls (1 at 1e10 junction-steps);
# the memory target is run, and only the store-every-step plan is compiled there (each
# plan costs a worker and a compile, ~10-15 s).
GPU_MAX_JUNCTION_STEPS = 10**10
GPU_GRID = tuple((n, s, 1 if n * s >= 10**10 else 3) for s in (1_000, 10_000)
                 for n in (1_000, 10_000, 100_000, 1_000_000) if n * s <= GPU_MAX_JUNCTION_STEPS)
GPU_SKIPPED = tuple((n, s) for s in (1_000, 10_000) for n in (1_000, 10_000, 100_000, 1_000_000)
                    if n * s > GPU_MAX_JUNCTION_STEPS)
GPU_VARIANTS = dict(case=(100_000, 1_000, 3), configs=("ckpt=16", "ckpt=1000", "every=100"),
                    plan_case=TARGET_CASE, plan_configs=("ckpt=10000",))
GPU_QUICK_GRID = ((1_000, 1_000, 3), (100_000, 1_000, 3))
GPU_QUICK_VARIANTS = dict(case=(100_000, 1_000, 3), configs=("ckpt=1000", "every=100"),
                          plan_case=None, plan_configs=())


# ---------------------------------------------------------------- worker

def make_loss(n: int, steps: int, config: str):
    import diffrax
    import jax
    import jax.numpy as jnp
    import spinjax as sj

    adjoint, save = None, sj.Save()
    if config == "recursive":
        adjoint = diffrax.RecursiveCheckpointAdjoint()
    elif config == "jacfwd":
        adjoint = diffrax.ForwardMode()
    elif config.startswith("ckpt="):
        adjoint = diffrax.RecursiveCheckpointAdjoint(checkpoints=int(config[5:]))
    elif config.startswith("every="):
        save = sj.Save(every=int(config[6:]))
    elif config != "default":
        raise ValueError(config)
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (n, 1))
    key = jax.random.key(0)

    def loss(amplitude, alpha):
        device = sj.devices.vcma_mtj(alpha=alpha)
        pulse = sj.Trapezoid(amplitude, **PULSE)
        sol = sj.simulate(device.model, m0, t1=steps * DT, dt=DT, key=key,
                          drive=sj.Drive(voltage_V=pulse), save=save, adjoint=adjoint,
                          solver=sj.NormalizedHeun())
        return jnp.mean(jnp.tanh(-sol.m[:, 2] / 0.5))
    return loss


def measure(mode: str, config: str, n: int, steps: int, repeats: int,
            platform: str = "cpu") -> dict:
    """One case in this process: ``mode`` is forward, gradient, plan (compile the
    gradient only) or baseline (import and build m0 only). On a GPU the row also has
    the GPU allocator's peak (``peak_gpu_mem_mb``, since the process started)."""
    import jax
    import jax.numpy as jnp
    import spinjax  # noqa: F401  (the baseline imports it too)

    gpu = platform == "gpu"
    row = dict(mode=mode, config=config, n=n, steps=steps)
    if gpu:
        row["device"] = h.check_device(platform)
    if mode == "baseline":
        jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (n, 1)).block_until_ready()
        return dict(row, peak_mem_mb=h.peak_mem_mb())
    loss = make_loss(n, steps, config)
    if mode in ("gradient", "plan"):
        grad = jax.jacfwd if config == "jacfwd" else jax.grad
        fn = grad(loss, argnums=(0, 1))
    else:
        fn = loss
    args = (jnp.float32(AMPLITUDE_V), jnp.float32(ALPHA))
    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    row["compile_s"] = time.perf_counter() - t0
    try:
        ma = compiled.memory_analysis()
        row["xla_plan_mb"] = (ma.argument_size_in_bytes + ma.output_size_in_bytes
                              + ma.temp_size_in_bytes - ma.alias_size_in_bytes) / 2**20
        row["xla_temp_mb"] = ma.temp_size_in_bytes / 2**20
    except Exception as err:  # memory_analysis is backend-dependent
        row["xla_plan_error"] = repr(err)
    row["compile_peak_mem_mb"] = h.peak_mem_mb()
    if gpu:
        row["gpu_mem_before_run_mb"] = h.device_mem_mb().get("gpu_mem_in_use_mb")
    if mode == "plan":
        return dict(row, peak_mem_mb=h.peak_mem_mb(), **(h.device_mem_mb() if gpu else {}))
    # The run's own peak: reset the high-water mark after compiling (Linux >= 4.0:
    # writing 5 to clear_refs resets VmHWM to the current RSS), then read it after.
    row["rss_before_run_mb"] = h.vm_mb("VmRSS")
    row["hwm_reset"] = h.reset_peak_mem()
    t0 = time.perf_counter()
    out = jax.block_until_ready(compiled(*args))
    row["first_call_s"] = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = jax.block_until_ready(compiled(*args))
        times.append(time.perf_counter() - t0)
    row.update(timed_s=times, median_s=statistics.median(times) if times else row["first_call_s"],
               run_peak_mem_mb=h.peak_mem_mb(),
               peak_mem_mb=max(h.peak_mem_mb(), row["compile_peak_mem_mb"]))
    if row["hwm_reset"]:
        row["run_mem_mb"] = row["run_peak_mem_mb"] - row["rss_before_run_mb"]
    if gpu:
        row.update(h.device_mem_mb())
    if mode == "gradient":
        row["grad_amplitude"], row["grad_alpha"] = (float(g) for g in out)
    else:
        row["loss"] = float(out)
    return row


# ---------------------------------------------------------------- driver

def run_worker(mode, config, n, steps, repeats, platform="cpu", budget=None) -> dict:
    t0, case = time.perf_counter(), dict(mode=mode, config=config, n=n, steps=steps)
    row = h.one_row(case, *h.run_worker(Path(__file__).resolve(), [
        "--worker", mode, config, n, steps, "--repeats", repeats], platform, budget))
    if "error" in row:
        return row
    return dict(row, worker_wall_s=time.perf_counter() - t0, loadavg=os.getloadavg()[0])


def jobs(quick: bool, platform: str = "cpu") -> list:
    """The workers of a run, (mode, config, N, steps, repeats), in the order they run:
    on a GPU without the baseline and cheapest (fewest junction-steps) first, so that
    a spent time budget drops the largest cases."""
    if platform == "gpu":
        grid, variants = (GPU_QUICK_GRID, GPU_QUICK_VARIANTS) if quick else (GPU_GRID,
                                                                            GPU_VARIANTS)
    else:
        grid, variants = (QUICK_GRID, QUICK_VARIANTS) if quick else (FULL_GRID, FULL_VARIANTS)
    out = [] if platform == "gpu" else [("baseline", "-", 1_000, 0, 0)]
    out += [(m, c, n, steps, repeats) for n, steps, repeats in grid
            for m, c in (("forward", "default"), ("gradient", "default"),
                         ("gradient", "jacfwd"))]
    if platform == "cpu" and not quick:
        out += [(m, c, n, steps, repeats) for n, steps, repeats in FULL_FORWARD_ONLY
                for m, c in (("forward", "default"), ("gradient", "jacfwd"))]
    n, steps, repeats = variants["case"]
    out += [("gradient", config, n, steps, repeats) for config in variants["configs"]]
    if variants["plan_case"]:
        n, steps = variants["plan_case"]
        out += [("plan", config, n, steps, 0) for config in variants["plan_configs"]]
    if platform == "gpu":
        out.sort(key=lambda job: job[2] * job[3])  # stable: forward before gradient
    return out


def run_all(quick: bool, log=print, platform: str = "cpu", budget_s=None) -> dict:
    machine = h.machine_record("quick" if quick else "full", platform)  # exits without a GPU
    budget, rows = h.Budget(budget_s), []
    for job in jobs(quick, platform):
        if budget.expired():
            rows.append(dict(zip(("mode", "config", "n", "steps"), job[:4]),
                             error=f"skipped: {budget.spent()}"))
        else:
            rows.append(run_worker(*job, platform=platform, budget=budget))
        log(json.dumps(rows[-1]))
    h.finish_machine(machine)
    if platform == "gpu":
        skipped = [dict(n=n, steps=s, why=f"beyond {GPU_MAX_JUNCTION_STEPS:.0e} junction-steps")
                   for n, s in (() if quick else GPU_SKIPPED)]
    else:
        skipped = [dict(n=n, steps=s, why="reverse mode: about 1e9 junction-steps, 12 GB of "
                        "states (beyond the 2 GiB policy), and the recursive gradient would "
                        "take several minutes per call on this 2-core machine")
                   for n, s in (() if quick else FULL_SKIPPED)]
    return dict(machine=machine, **({"platform": platform} if "device" in machine else {}),
                model=dict(
        preset="spinjax.devices.vcma_mtj(alpha=alpha)", pulse=dict(PULSE, amplitude=AMPLITUDE_V),
        alpha=ALPHA, dt_s=DT, temperature_K=300.0, noise="GaussianIncrements", dtype="float32",
        loss="mean(tanh(-m_z(t1) / 0.5))", grad_wrt=("amplitude", "alpha")),
        targets=dict(gradient_over_forward=TARGET_RATIO, memory_mb=TARGET_MEM_MB,
                     memory_case=TARGET_CASE),
        skipped=skipped, rows=rows)


def main(argv=None) -> None:
    parser = h.parser(__doc__, quick="small cases, about 1.5 min",
                      budget="start no worker after this many seconds (gpu default 480)")
    parser.add_argument("--worker", nargs=4, metavar=("MODE", "CONFIG", "N", "STEPS"),
                        help="measure one case in this process and print it")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.worker:
        mode, config, n, steps = args.worker
        return h.emit(measure(mode, config, int(n), int(steps), args.repeats, args.platform))
    if h.rendered(args, report, "gradients", "Gradient cost"):
        return
    gpu = args.platform == "gpu"
    h.use_platform("cpu")  # this driver stays on the CPU backend: no GPU memory held here
    budget_s = args.budget_s if args.budget_s is not None else (480.0 if gpu else None)
    t0 = time.perf_counter()
    result = run_all(args.quick, log=lambda s: print(s, file=sys.stderr, flush=True),
                     platform=args.platform, budget_s=budget_s)
    result["machine"]["total_s"] = time.perf_counter() - t0
    h.save(result, report(result), "gradients", args.platform, args.quick, "Gradient cost",
           out=args.out, quick_json=False)


if __name__ == "__main__":
    main()
