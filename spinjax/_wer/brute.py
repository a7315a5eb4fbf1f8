"""Brute force: count the errors of independent writes, in batches, until a stopping rule."""

import math
import time

import jax
import numpy as np

from ..experiments._stats import clopper_pearson_upper, wilson_interval

Z95 = 1.959963984540054


def interval(errors: int, trials: int) -> tuple[float, float]:
    """The 95 % interval of a count: Wilson, or [0, Clopper-Pearson one-sided] at 0."""
    if errors == 0:
        return 0.0, float(clopper_pearson_upper(0, trials))
    lo, hi = wilson_interval(errors, trials)
    return float(lo), float(hi)


def trials_needed(errors: int, trials: int, rel_precision: float, target: float) -> int:
    r"""Trials that would meet the stopping rule at the rate seen so far: the relative
    half-width $z\sqrt{(1-p)/(np)} \le$ `rel_precision`, or, at 0 errors, the
    $3/n$ bound below `target`."""
    if errors == 0:
        return int(math.ceil(-math.log(0.05) / target))
    p = errors / trials
    return int(math.ceil((Z95 / rel_precision) ** 2 * (1 - p) / p))


def batch_errors(problem, key, size: int, save: bool = False):
    """Errors among `size` writes from ``fold_in``-derived keys (the initial states from
    the first half of a split, the noise from the second); with `save` also the paths on
    the problem's grid, (size, K + 1, 3), and the final errors per trajectory."""
    k_init, k_run = jax.random.split(key)
    m0 = problem.initial(k_init, size)
    m, path = problem.run(m0, k_run, save=save)
    err = np.asarray(problem.errors(m))
    return int(err.sum()), (None if path is None else np.asarray(path)), err


def brute_force(problem, *, key, batch: int, trials: int | None, target: float,
                rel_precision: float, deadline: float, max_trajectories: float,
                progress=None, start: float, first=None) -> dict:
    """Stream batches of `batch` writes (batch b from ``fold_in(key, b)``).

    With `trials` given: exactly ceil(trials / batch) batches (status "fixed_trials").
    Otherwise until the count meets the precision ("converged"), its interval lies below
    `target` ("below_target"), every write of the first batch failed
    ("switches_nothing"), or the time (`deadline`, a ``perf_counter`` value) or
    `max_trajectories` runs out ("budget"). `first` = (errors, size) of a batch 0
    already run (the pilot of the automatic choice) with the same key.
    """
    fixed = trials is not None
    size = min(batch, trials) if fixed else batch
    n_batches = -(-trials // size) if fixed else None
    errors, done, b = 0, 0, 0
    if first is not None:
        errors, done, b = first[0], first[1], 1
    status = None
    while True:
        if fixed and b >= n_batches:
            status = "fixed_trials"
        elif done and errors == done and not fixed:   # every write so far failed
            status = "switches_nothing"
        elif done and not fixed:
            lo, hi = interval(errors, done)
            p = errors / done
            if errors and max(p - lo, hi - p) <= rel_precision * p:
                status = "converged"
            elif hi < target:
                status = "below_target"
            elif time.perf_counter() >= deadline or done + size > max_trajectories:
                status = "budget"
        if status is not None:
            break
        n = size
        e, _, _ = batch_errors(problem, jax.random.fold_in(key, b), n)
        errors += e
        done += n
        b += 1
        if progress is not None:
            total = n_batches * size if fixed else int(min(
                max(done, trials_needed(errors, done, rel_precision, target)),
                max_trajectories))
            progress({"method": "brute", "trials_done": done, "trials_total": total,
                      "errors": errors, "elapsed_s": time.perf_counter() - start,
                      "batch": b - 1})
    if errors == done:
        status = "switches_nothing"
    return {"errors": errors, "trials": done, "status": status,
            "junction_steps": done * problem.n_steps}
