"""``write_error_rate``: the WER of any pulse on any device, to a target rate and a
relative precision, by brute force, importance sampling or adaptive multilevel
splitting."""

import math
import numbers
import time
import warnings

import jax
import jax.numpy as jnp

from .._increments import AbstractIncrements, GaussianIncrements
from .._params import InvalidParameterError, float_dtype, junction_shape
from .._pulses.shapes import Trapezoid
from .._validate import check_choice, check_int, check_key, check_real
from .brute import batch_errors, brute_force, trials_needed
from .coordinates import start_is_fixed
from .importance import importance_sampling
from .problem import check_device, make_problem
from .result import TargetNotReachedWarning, WriteErrorRate
from .splitting import splitting

METHODS = ("auto", "brute", "importance", "splitting")
_PILOT = 4096
_MIN_ERRORS = 100   # failed writes before an importance-sampling interval counts


def _trapezoid(device, amplitude, width_s, delay_s, edge_s):
    amplitude = check_real("amplitude", amplitude)
    width_s = check_real("width_s", width_s, 0.0, unit="s")
    check_real("delay_s", delay_s, 0.0, unit="s")
    check_real("edge_s", edge_s, 0.0, unit="s")
    dtype = float_dtype(device.model.layer.Ms)
    return Trapezoid(amplitude=jnp.asarray(amplitude, dtype),
                     start_s=jnp.asarray(delay_s, dtype), width_s=jnp.asarray(width_s, dtype),
                     rise_s=jnp.asarray(edge_s, dtype), fall_s=jnp.asarray(edge_s, dtype))


def write_error_rate(device, pulse, width_s=None, *, key, target: float = 1e-9,
                     rel_precision: float = 0.3, method: str = "auto",
                     max_time_s: float = 1800.0, max_trajectories: float | None = None,
                     trials: int | None = None, batch: int = 65536, progress=None,
                     input_name: str | None = None, start_well: int = 1,
                     dt: float = 2e-12, settle_s: float = 1e-9,
                     duration_s: float | None = None, edge_s: float = 20e-12,
                     delay_s: float = 0.1e-9,
                     noise: AbstractIncrements = GaussianIncrements(), solver=None,
                     m0=None, stage_size: int = 2000, max_dim: int = 8,
                     particles: int = 400, kill: int = 40, replicas: int = 16,
                     coordinate=None) -> WriteErrorRate:
    r"""The write error rate of `pulse` on `device`: the probability that a junction
    started in the `start_well` of its easy axis $\hat u$ (thermal distribution, or
    `m0`) is *not* in the other well at the horizon $T$ (the end of the pulse plus
    `settle_s`, or `duration_s`), with a 95 % interval.

    **The pulse:** any [`spinjax.AbstractPulse`][] (absolute time, s) on the drive
    `input_name` (default: ``"j_sot_A_per_m2"`` for a junction with a heavy-metal
    channel, else ``"voltage_V"``); or, the older form, an amplitude and `width_s`:
    a trapezoid of plateau `width_s` with `edge_s` edges after `delay_s` (as
    [`spinjax.experiments.switching_map`][]).

    **Methods** (`method`):

    - ``"brute"``: batches of `batch` independent writes (batch $b$ from
      ``fold_in(key, b)``), streamed until the Wilson 95 % interval is within
      `rel_precision` of the rate, or the interval (at 0 errors the one-sided
      Clopper-Pearson bound $\approx 3/n$) lies below `target`. With `trials` given,
      exactly that many (rounded up to whole batches), as before.
    - ``"importance"``: importance sampling of the thermal noise (see
      `spinjax._wer.importance`): a Gaussian shift and rescaling of the noise along
      at most `max_dim` directions, found by gradients of the write through the solver
      and fitted by cross-entropy stages of `stage_size` writes; then batches of
      `stage_size` writes from it, each weighted by its exact likelihood ratio, until
      the normal 95 % interval (at least four batches, 100 failed writes and an
      effective sample size of 100) is within
      `rel_precision` or below `target`. Unbiased; reaches 1e-9 on a CPU where the
      failure is a large deviation of the noise (a precessional or an SOT write).
      Where no such shift exists (the unswitched tail of a supercritical STT write)
      it raises [`ReactionCoordinateError`][spinjax.wer.ReactionCoordinateError].
    - ``"splitting"``: adaptive multilevel splitting (see `spinjax._wer.splitting`):
      rounds of `replicas` independent replicas of `particles` particles, killing at
      least `kill` per iteration, along `coordinate` (default, see
      `spinjax._wer.coordinates`: when the bottom of the start well is a fixed point of
      the driven dynamics, as under a collinear STT current, the log-committor of the
      linearized escape from it; otherwise the standardized lag of the write at the
      pulse end predicted from a pilot; or a function
      ``coordinate(t_s, m)`` of the grid times (G + 1,) and paths (n, G + 1, 3)
      returning (n, G + 1) scores; the grid covers the preparation of the initial
      state, the relaxation of
      [`MTJ.thermal_state`][spinjax.devices.MTJ.thermal_state], at negative times, then
      the write), until the Student-t interval of the replicas is within `rel_precision`
      or below `target`. Unbiased for any coordinate; the coordinate sets the variance
      and how heavy the replicas' tail is (see the README on coverage).
    - ``"auto"`` (default): a pilot of min(`batch`, 4096) writes; if every write fails
      the pulse switches nothing and the result says so (WER = 1, status
      ``"switches_nothing"``); if brute force would meet the stopping rule in half of
      `max_time_s` at the pilot's pace it continues; otherwise splitting when the start
      is a fixed point of the driven dynamics (a write fails by staying there: a
      small-ball event, which no shift of the noise reaches), importance sampling
      when it is not.

    **Budget:** `max_time_s` (s, checked between batches and rounds) and
    `max_trajectories`. When either runs out first, the result holds the estimate
    reached, its status is ``"budget"``, and a
    [`TargetNotReachedWarning`][spinjax.wer.TargetNotReachedWarning] says so. `progress`, if
    given, is called with a dict after each batch (brute force: ``trials_done``,
    ``trials_total`` (projected), ``errors``, ``elapsed_s``, ``batch``), importance
    stage or batch (``stage`` and ``level``, or ``batch``, ``estimate``, ``ci95`` and
    ``ess``; with ``directions``, ``failed``, ``trajectories``, ``elapsed_s``), or
    splitting iteration and round (``round``, ``iteration``, ``level``, ``replicas_done``,
    ``trajectories``, ``junction_steps``, ``elapsed_s``, and at the end of a round
    ``estimate`` and ``ci95``).

    A device with variation (leaves of shape (N,), one device per junction of a batch,
    [`spinjax.devices.sample_devices`][]) works with brute force only, with `batch` = N:
    ``"auto"`` counts by brute force, and ``"importance"`` or ``"splitting"`` (which
    solve other numbers of junctions) raise
    [`InvalidParameterError`][spinjax.InvalidParameterError].

    Same `key`, same result. `solver` (default [`spinjax.FusedHeun`][]), `dt`,
    `noise` go to [`spinjax.simulate`][].
    """
    start = time.perf_counter()
    check_device(device)
    key = check_key("key", key)
    method = check_choice("method", method, METHODS)
    target = check_real("target", target, 0.0, 1.0, closed_lo=False)
    rel_precision = check_real("rel_precision", rel_precision, 0.0, 10.0, closed_lo=False)
    max_time_s = check_real("max_time_s", max_time_s, 0.0, closed_lo=False, unit="s")
    if max_trajectories is None:
        max_trajectories = math.inf
    else:
        max_trajectories = check_real("max_trajectories", max_trajectories, 1.0)
    batch = check_int("batch", batch)
    particles = check_int("particles", particles, 2)
    kill = check_int("kill", kill, 1, particles - 1)
    replicas = check_int("replicas", replicas, 2)
    max_dim = check_int("max_dim", max_dim, 1, 64)
    stage_size = check_int("stage_size", stage_size, 20 * max_dim)
    if trials is not None:
        trials = check_int("trials", trials)
        if method in ("splitting", "importance"):
            raise InvalidParameterError(
                f"trials is given with method = {method!r}; a fixed number of trials is "
                "a brute-force count (method = 'brute' or 'auto').")
        method = "brute"
    varied = junction_shape(device)
    if varied:
        n_dev = math.prod(varied)
        if len(varied) != 1 or method in ("splitting", "importance"):
            raise InvalidParameterError(
                f"device has variation over junctions of shape {varied} with method = "
                f"{method!r}; a device with variation (one device per junction, shape "
                "(N,)) works with brute force only (method='brute' or 'auto', batch = N): "
                "the rare-event methods solve other numbers of junctions.")
        if batch != n_dev:
            raise InvalidParameterError(
                f"batch = {batch}; a device with variation over {n_dev} junctions needs "
                f"batch = {n_dev} (one device per junction of each batch).")
        method = "brute"
    if progress is not None and not callable(progress):
        raise InvalidParameterError(f"progress = {progress!r}; it must be a callable "
                                    "taking one dict, or None.")
    if coordinate is not None and not callable(coordinate):
        raise InvalidParameterError(f"coordinate = {coordinate!r}; it must be a callable "
                                    "coordinate(t_s, m) -> scores, or None.")
    amplitude = None
    if isinstance(pulse, numbers.Real) and not isinstance(pulse, bool):
        if width_s is None:
            raise InvalidParameterError(
                f"pulse = {pulse!r} is an amplitude; give width_s (the plateau, s) too, "
                "or pass a pulse (e.g. spinjax.Trapezoid).")
        amplitude, width_s = float(pulse), check_real("width_s", width_s, 0.0, unit="s")
        pulse = _trapezoid(device, amplitude, width_s, delay_s, edge_s)
    elif width_s is not None:
        raise InvalidParameterError(f"width_s = {width_s!r} is given with a pulse object; "
                                    "width_s only goes with an amplitude.")
    problem = make_problem(device, pulse, input_name=input_name, start_well=start_well,
                           dt=dt, settle_s=settle_s, duration_s=duration_s, noise=noise,
                           solver=solver, m0=m0)
    deadline = start + max_time_s
    common = dict(amplitude=amplitude, width_s=width_s, target=target,
                  rel_precision=rel_precision, pulse=pulse)

    def brute(first=None, extra_steps=0):
        out = brute_force(problem, key=key, batch=batch, trials=trials, target=target,
                          rel_precision=rel_precision, deadline=deadline,
                          max_trajectories=max_trajectories, progress=progress,
                          start=start, first=first)
        return WriteErrorRate(errors=out["errors"], trials=out["trials"],
                              trials_requested=trials if trials is not None else None,
                              method="brute", status=out["status"],
                              junction_steps=out["junction_steps"] + extra_steps,
                              elapsed_s=time.perf_counter() - start, **common)

    if method == "brute":
        return _warn_budget(brute())
    # A pilot: batch 0 of the brute-force stream (same key), with the paths saved.
    size = min(batch, _PILOT)
    reuse = size == batch   # the pilot is batch 0 of a brute-force stream, else apart
    e0, _, _ = batch_errors(problem, jax.random.fold_in(key, 0 if reuse else 2**31 - 2),
                                size)
    pace = (time.perf_counter() - start) / size
    if e0 == size:
        return WriteErrorRate(errors=e0, trials=size, method="brute",
                              status="switches_nothing", junction_steps=size * problem.n_steps,
                              elapsed_s=time.perf_counter() - start, **common)
    if method == "auto" and (
            trials_needed(e0, size, rel_precision, target) * pace <= 0.5 * max_time_s):
        if reuse:
            return _warn_budget(brute(first=(e0, size)))
        return _warn_budget(brute(extra_steps=size * problem.n_steps))
    if method == "importance" or (method == "auto" and not start_is_fixed(problem)):
        out = importance_sampling(
            problem, key=jax.random.fold_in(key, 2**31 - 3), stage_size=stage_size,
            max_dim=max_dim, target=target, rel_precision=rel_precision,
            min_errors=_MIN_ERRORS, deadline=deadline, max_trajectories=max_trajectories,
            progress=progress, start=start)
        interval = (f"normal 95 % of the weighted mean of {out['samples']} writes from the "
                    f"fitted proposal ({out['errors']} failed)")
        diagnostics = {k: out[k] for k in ("samples", "errors", "ess", "proposal")}
        return _warn_budget(WriteErrorRate(
            errors=None, trials=None, wer=out["wer"], ci_low=out["ci_low"],
            ci_high=out["ci_high"], method="importance", status=out["status"],
            interval=interval, trajectories=out["trajectories"] + size,
            junction_steps=out["junction_steps"] + size * problem.n_steps,
            elapsed_s=time.perf_counter() - start, diagnostics=diagnostics, **common))
    out = splitting(problem, key=jax.random.fold_in(key, 2**31 - 1), n_pilot=replicas * particles,
                    coordinate=coordinate, particles=particles, kill=kill,
                    replicas=replicas, target=target, rel_precision=rel_precision,
                    deadline=deadline, max_trajectories=max_trajectories,
                    progress=progress, start=start)
    interval = (f"Student-t 95 % of the mean of {len(out['replicas'])} independent AMS "
                f"replicas ({particles} particles, >= {kill} killed per iteration)")
    return _warn_budget(WriteErrorRate(
        errors=None, trials=None, wer=out["wer"], ci_low=out["ci_low"],
        ci_high=out["ci_high"], method="splitting", status=out["status"], interval=interval,
        trajectories=out["trajectories"] + size,
        junction_steps=out["junction_steps"] + size * problem.n_steps,
        elapsed_s=time.perf_counter() - start, replicas=out["replicas"], **common))


def _warn_budget(res: WriteErrorRate) -> WriteErrorRate:
    if res.status == "budget":
        warnings.warn(
            f"write_error_rate: the budget ran out before the target: reached WER = "
            f"{res.wer:.3g}, 95 % interval [{res.ci_low:.3g}, {res.ci_high:.3g}] "
            f"({res.method}, {res.trajectories} trajectories, {res.elapsed_s:.0f} s), "
            f"relative half-width {res.rel_halfwidth:.2g} (asked {res.rel_precision:g}), "
            f"target {res.target:g}. Raise max_time_s or max_trajectories"
            + ("." if res.method != "brute" else
               ", or use method='importance' for rates far below 1 / trajectories."),
            TargetNotReachedWarning, stacklevel=3)
    return res

