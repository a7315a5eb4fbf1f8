"""`simulate`: the sLLG solve of a junction array, on the solver the caller picks."""

import math

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._adjoint import default_adjoint, junction_count
from ._brownian import CounterBrownianPath
from ._counter_rng import junction_key_words
from ._checks import (
    SimulationInputError, _check, _check_drive_shapes, _check_drives_used, _check_inputs,
    _is_concrete, error_if_scalar, step_count)
from ._drive import Drive
from ._fused.solver import FusedHeun
from ._increments import AbstractIncrements, GaussianIncrements
from ._monitors import AbstractMonitor
from ._params import validate
from ._save import Save, Solution
from ._sharding import check_fits, shard_junctions
from ._sllg import SLLG
from ._solver import NormalizedHeun, normalize


def _drift(s, m, args):
    model, drive, t0, dt = args
    return dt * model.drift(t0 + s * dt, m, drive)


def _diffusion(s, m, args):
    model, _, _, dt = args
    return model.noise(m, scale=jnp.sqrt(dt))


def _cast(tree, dtype):
    def f(x):
        if eqx.is_array(x) and jnp.issubdtype(x.dtype, jnp.floating):
            return x.astype(dtype)
        return x
    return jax.tree.map(f, tree)


def simulate(model: SLLG, m0, *, t1: float, dt: float, key=None, drive: Drive | None = None,
             t0: float = 0.0, save: Save = Save(), monitors: tuple[AbstractMonitor, ...] = (),
             thermal: bool | None = None, adaptive: diffrax.AbstractStepSizeController | None = None,
             max_angle: float = 0.5, max_steps: int | None = None,
             noise: AbstractIncrements = GaussianIncrements(), common_noise_axes: int = 0,
             adjoint: diffrax.AbstractAdjoint | None = None,
             mesh=None, solver=None, monitor_every: int = 1) -> Solution:
    r"""Integrate the stochastic LLG of an array of junctions from `t0` to `t1` (s).

    One entry point, two solvers, as ``diffrax.diffeqsolve(solver=...)``:

    - [`spinjax.FusedHeun`][] (the default for fixed steps): the stochastic Heun
      step of the model's own right-hand side in a fused loop (XLA, or a Pallas kernel
      on a GPU), every field, torque and pulse included.
    - [`spinjax.NormalizedHeun`][] or any diffrax solver: ``diffrax.diffeqsolve``
      with ``MultiTerm(ODETerm, ControlTerm)`` and the
      [`spinjax.CounterBrownianPath`][]; the default when `adaptive` or `adjoint` is
      given, which only it serves.

    Both integrate in the step counter $s = (t - t_0)/\Delta t$ and draw the increment
    of junction $i$ at step $j$ from the same counter-based generator
    (`spinjax._counter_rng`): the same `key` gives the same trajectory on either
    solver (to rounding), any backend, padding or number of devices, and reverse-mode
    gradients see exactly the forward noise. ``Solution.solver`` names the solver used.

    **Arguments:**

    - `model`: the [`spinjax.SLLG`][]; its leaves broadcast over the junction axes.
    - `m0`: initial magnetization, shape (*N, 3) (normalized here); its dtype sets the
      precision (float32 by default, float64 with ``jax_enable_x64``).
    - `t1`, `dt`, `t0`: end time, step and start time in s (Python numbers);
      $(t_1 - t_0)/\Delta t$ must be an integer number of steps.
    - `key`: a JAX PRNG key; required when the temperature may be non-zero.
    - `drive`: a [`spinjax.Drive`][]; default no field, voltage or current.
    - `save`: a [`spinjax.Save`][]: final state only (default), or every k steps,
      optionally reduced by a function.
    - `monitors`: running reductions ([`spinjax.FirstPassage`][],
      [`spinjax.SwitchCount`][], ...) updated every `monitor_every` steps (default
      every step), independently of `save`.
    - `monitor_every`: the monitors' cadence in steps, a positive integer.
    - `solver`: [`spinjax.FusedHeun`][], [`spinjax.NormalizedHeun`][] (or another
      diffrax solver), or ``None`` for the default above.
    - `thermal`: include the Brown thermal field; by default unless every temperature
      is (concretely) zero.
    - `adaptive`: a diffrax step-size controller (e.g. ``PIDController(rtol, atol)``)
      for a deterministic ($T = 0$) solve on the diffrax path; `dt` is then the
      initial step, and the grid of saves and monitor updates.
    - `max_angle`: the stability bound, the largest precession (or rms thermal) angle
      in rad per step; a `dt` above it raises, suggesting the smaller of the precession
      and thermal bounds. It covers the whole drive: constants and pulses (anything with
      a ``max_abs(t0, t1)`` method, as every [`spinjax.AbstractPulse`][]) are bounded
      from their parameters over $[t_0, t_1]$, any other callable is evaluated at every
      step time $t_0 + k\Delta t$ (the times a fixed-step solve reads it; with
      `adaptive` steps the solver may read it between them).
    - `max_steps`: step budget of an adaptive solve between two monitor updates or
      saves (default four per grid step plus 16).
    - `noise`: the law of the standardized increments: ``GaussianIncrements()``
      (Brownian paths, the default) or ``RademacherIncrements()`` (weak order 1 only:
      right expectations, not paths; 1.7-2.1x faster on a 2-core CPU, measured).
    - `mesh`: a [`spinjax.junction_mesh`][spinjax.sharding.junction_mesh]: split the
      junctions (the first axis of `m0`, and every parameter or drive leaf with the same
      leading length) over its devices, check that the compiled solve fits in each device's
      memory before it runs
      ([`spinjax.InsufficientMemoryError`][spinjax.sharding.InsufficientMemoryError]
      otherwise), and return a result split the same way. Same key, same per-junction result
      on any number of devices.
    - `adjoint`: the diffrax path's adjoint of reverse-mode gradients (the fused
      solver checkpoints its own segments, see [`spinjax.FusedHeun`][]); by default
      `spinjax._adjoint.default_adjoint` (store every step when the states take
      at most 2 GiB per device, else diffrax's recursive checkpointing). For a few
      parameters pass ``diffrax.ForwardMode()`` and differentiate with ``jax.jacfwd``
      (cheaper: no backward pass; see ``spinjax/_adjoint.py``).
    - `common_noise_axes`: junctions that differ only in their index along the first
      `common_noise_axes` junction axes receive the same thermal noise (common random
      numbers: e.g. state (2, n, 3) with 1 gives both members of a pair the same
      noise, for finite differences and antithetic gradient estimators); default 0.
    """
    drive = Drive() if drive is None else drive
    n_steps = step_count(t0, t1, dt)
    solver = _choose_solver(solver, adaptive, adjoint)
    if isinstance(monitor_every, bool) or not (isinstance(monitor_every, (int, np.integer))
                                               and monitor_every >= 1):
        raise SimulationInputError(f"monitor_every = {monitor_every!r}; it must be a "
                                   "positive integer number of steps.")
    monitor_every = int(monitor_every)
    if save.every is None and save.fn is not None:
        raise SimulationInputError("Save(fn=...) needs every=k: the function is applied "
                                   "at every k-th step (the final state is always in .m).")
    every = n_steps if save.every is None else int(save.every)
    if every < 1 or n_steps % every:
        raise SimulationInputError(
            f"Save(every={save.every}) must divide the number of steps {n_steps}.")

    m0 = jnp.asarray(m0)
    if m0.ndim < 1 or m0.shape[-1] != 3 or not jnp.issubdtype(m0.dtype, jnp.floating):
        raise SimulationInputError(f"m0 must be a float array of shape (*N, 3); got "
                                   f"shape {m0.shape} and dtype {m0.dtype}.")
    dtype = m0.dtype
    if n_steps >= 2 ** (jnp.finfo(dtype).nmant + 1):
        raise SimulationInputError(
            f"{n_steps} steps exceed the exact integer range of {dtype} step counters; "
            "use float64 (jax_enable_x64) or a longer dt.")
    batch_shape = m0.shape[:-1]
    if mesh is not None:
        if not batch_shape:
            raise SimulationInputError("mesh needs a junction axis: m0 must have shape "
                                       "(N, ..., 3).")
        m0, model, drive = shard_junctions((m0, model, drive), mesh, batch_shape[0])
    if not (isinstance(common_noise_axes, int) and 0 <= common_noise_axes < max(
            1, len(batch_shape))):
        raise SimulationInputError(
            f"common_noise_axes = {common_noise_axes!r}; the valid range is 0 to "
            f"{max(0, len(batch_shape) - 1)} for junction axes {batch_shape}.")
    if isinstance(solver, FusedHeun):
        solver.check(batch_shape, common_noise_axes)
    # The parameters and the drive (pulse parameters included) follow the state's
    # precision, so a float32 run with float64 inputs mixes no dtypes in the loop.
    model, drive = _cast(model, dtype), _cast(drive, dtype)
    norm = jnp.linalg.norm(m0, axis=-1)
    m0 = _check(m0, jnp.all(jnp.isfinite(norm) & (norm > 0)),
                "m0 must be finite and non-zero (it is normalized to unit length).")
    m0 = normalize(m0)
    m0 = validate(model, batch_shape, m0)
    temp = model.layer.temperature_K
    if thermal is None:
        thermal = not (_is_concrete(temp) and bool(jnp.all(temp == 0)))
    if thermal and adaptive is not None:
        raise SimulationInputError(
            "adaptive step-size control needs a deterministic solve: set every "
            "temperature_K to 0 or pass thermal=False.")
    if thermal:
        layer = model.layer
        m0 = _check(m0, ~jnp.any((layer.alpha == 0) & (layer.temperature_K > 0)),
                    "FreeLayer.alpha = 0 with temperature_K > 0: alpha must be in (0, inf) "
                    "at T > 0.")
    if thermal and key is None:
        raise SimulationInputError("key is required when the thermal field is on "
                                   "(temperature_K > 0): pass jax.random.key(seed).")
    _check_drives_used(model, drive)
    _check_drive_shapes(drive, batch_shape, t0)
    m0 = _check_inputs(model, drive, m0, float(t0), float(dt), n_steps, max_angle, thermal)
    if adjoint is None and not isinstance(solver, FusedHeun):
        adjoint = (default_adjoint(junction_count(batch_shape), n_steps, every,
                                   np.dtype(dtype).itemsize,
                                   1 if mesh is None else int(mesh.devices.size))
                   if adaptive is None else diffrax.RecursiveCheckpointAdjoint())
    args = (model, drive, m0, key, float(t0), float(dt), n_steps, every, save,
            tuple(monitors), monitor_every, bool(thermal), solver, adaptive, max_steps,
            adjoint, noise, int(common_noise_axes), mesh)
    if mesh is None:
        return _solve(*args)
    # Compile first and compare XLA's buffer plan with each device's free memory, so
    # that a solve too large fails with the bytes it needs instead of in the allocator.
    compiled = _solve.lower(*args).compile()
    plan = compiled.compiled.memory_analysis()
    if plan is not None:
        need = (plan.temp_size_in_bytes + plan.output_size_in_bytes
                - plan.alias_size_in_bytes)
        check_fits(int(need), mesh, f"simulate over {batch_shape[0]} junctions "
                   f"({n_steps} steps, {np.dtype(m0.dtype).name})")
    return compiled(*args)


def _choose_solver(solver, adaptive, adjoint):
    """The solver object of a call: the fused one unless a diffrax-only option is set."""
    if solver is None:
        return NormalizedHeun() if adaptive is not None or adjoint is not None else FusedHeun()
    if isinstance(solver, FusedHeun):
        for name, value in (("adaptive", adaptive), ("adjoint", adjoint)):
            if value is not None:
                raise SimulationInputError(
                    f"{name}= is an option of the diffrax path, which FusedHeun does not "
                    "serve (fixed steps; it checkpoints its own segments for gradients): "
                    "pass solver=spinjax.NormalizedHeun().")
        return solver
    if isinstance(solver, diffrax.AbstractSolver):
        return solver
    raise SimulationInputError(
        f"solver = {solver!r}; pass spinjax.FusedHeun(), spinjax.NormalizedHeun() or "
        "another diffrax solver, or None for the default.")


def _advance_diffrax(terms, solver, controller, budget, adjoint, args, m, start, n_steps):
    """`m` after `n_steps` unit steps of solver time from step `start` with
    ``diffrax.diffeqsolve``, and the number of steps diffrax took."""
    dtype = m.dtype
    s0 = start.astype(dtype)
    sol = diffrax.diffeqsolve(
        terms, solver, s0, s0 + n_steps, jnp.asarray(1.0, dtype), m, args=args,
        saveat=diffrax.SaveAt(t1=True), stepsize_controller=controller,
        max_steps=budget, adjoint=adjoint, throw=False)
    # diffrax's own throw passes the whole state through its error check (which
    # gathers a sharded state on one device); check its result code as a scalar.
    m1 = error_if_scalar(sol.ys[0], sol.result != diffrax.RESULTS.successful,
                         "the solver stopped early (adaptive steps: max_steps was "
                         "reached within a monitor or save interval, or the step size "
                         "shrank to nothing): raise max_steps or loosen the tolerances.")
    return m1, sol.stats["num_steps"]


@eqx.filter_jit
def _solve(model, drive, m0, key, t0, dt, n_steps, every, save, monitors, monitor_every,
           thermal, solver, adaptive, max_steps, adjoint, noise, common_noise_axes, mesh):
    dtype = m0.dtype
    batch_shape = m0.shape[:-1]
    t0_, dt_ = jnp.asarray(t0, dtype), jnp.asarray(dt, dtype)

    def time(s):
        return t0_ + jnp.asarray(s).astype(dtype) * dt_

    mon0 = tuple(mo.init(time(0), m0) for mo in monitors)
    if isinstance(solver, FusedHeun):
        k0 = k1 = None
        if thermal:
            k0, k1 = junction_key_words(key, batch_shape[common_noise_axes:])
        increments = noise if thermal else None
        segment = solver.segment(every)
        in_loop = bool(monitors) and solver.monitors_in_loop(
            mon0, batch_shape[0] if batch_shape else 1)

        def advance(m, mon, start, n):
            kw = dict(monitors=monitors, monitor_every=monitor_every) if in_loop else {}
            m, mon_new = solver.advance(model, drive, increments, k0, k1, m,
                                        mon if in_loop else (), start, n, t0=t0, dt=dt,
                                        mesh=mesh, **kw)
            return m, (mon_new if in_loop else mon), jnp.asarray(n, jnp.int32)
    else:
        args = (model, drive, t0_, dt_)
        if thermal:
            path = CounterBrownianPath(key, m0.shape, dtype, noise,
                                       draw_shape=m0.shape[common_noise_axes:])
            terms = diffrax.MultiTerm(diffrax.ODETerm(_drift),
                                      diffrax.ControlTerm(_diffusion, path))
        else:
            terms = diffrax.ODETerm(_drift)
        controller = diffrax.ConstantStepSize() if adaptive is None else adaptive
        segment = every
        in_loop = False

        def advance(m, mon, start, n):
            if adaptive is None:
                cap = n
            else:
                cap = max_steps if max_steps is not None else 4 * n + 16
            m, taken = _advance_diffrax(terms, solver, controller, cap, adjoint, args, m,
                                        start, n)
            return m, mon, taken

    # A launch runs the steps between two monitor updates, unless the monitors tick
    # inside the fused loop; then it runs a whole segment.
    launch = math.gcd(segment, monitor_every) if monitors and not in_loop else segment
    tick_always = launch % monitor_every == 0

    def launch_body(carry, _):
        m, mon, s, steps = carry
        m, mon, taken = advance(m, mon, s, launch)
        s = s + launch
        if monitors and not in_loop:
            t = time(s)
            new = tuple(mo.update(st, t, m) for mo, st in zip(monitors, mon))
            if tick_always:
                mon = new
            else:
                mon = jax.lax.cond(s % monitor_every == 0, lambda: new, lambda: mon)
        return (m, mon, s, steps + taken), None

    def run_segment(carry):
        return jax.lax.scan(launch_body, carry, None, length=segment // launch)[0]

    if isinstance(solver, FusedHeun):
        # Reverse mode stores segment ends only and recomputes each segment (noise
        # included, from its counters) on the backward pass.
        run_segment = jax.checkpoint(run_segment, prevent_cse=False)

    def interval(carry, _):
        carry = jax.lax.scan(lambda c, _: (run_segment(c), None), carry, None,
                             length=every // segment)[0]
        m, mon, s, steps = carry
        m = error_if_scalar(m, ~jnp.all(jnp.isfinite(m)),
                            "the magnetization became non-finite: check the drives "
                            "and parameters for NaN or values that overflow, or reduce dt.")
        out = None
        if save.every is not None:
            out = m if save.fn is None else save.fn(time(s), m)
        return (m, mon, s, steps), out

    zero = jnp.asarray(0, jnp.int32)
    (m, mon, _, steps), outs = jax.lax.scan(interval, (m0, mon0, zero, zero), None,
                                            length=n_steps // every)
    ts = ys = None
    if save.every is not None:
        first = m0 if save.fn is None else save.fn(time(0), m0)
        ys = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, outs)
        ts = time(jnp.arange(n_steps // every + 1) * every)
    return Solution(m=m, ts=ts, ys=ys, monitors=mon, num_steps=steps,
                    solver=_describe(solver))


def _describe(solver) -> str:
    if isinstance(solver, FusedHeun):
        return f"FusedHeun(backend={solver.resolved_backend()!r})"
    return type(solver).__name__ + "()"
