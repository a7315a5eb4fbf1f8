r"""Adaptive multilevel splitting (AMS) of write errors, vectorized over particles and
independent replicas.

The estimator is the generalized AMS of Bréhier, Gazeau, Goudenège, Lelièvre and Rousset
(Ann. Appl. Probab. 26, 3559, 2016), after Cérou and Guyader (Stoch. Anal. Appl. 25, 417,
2007), applied to the Markov chain $(t_g, \mathbf m(t_g))$ of the states on the scoring
grid $t_g = g\Delta$, $g = 0..K$. A path's score is
$S = \max_g \xi(t_g, \mathbf m(t_g))$ with $\xi = +\infty$ at $t_K = T$ when the write
failed. At each iteration of a replica of $N$ particles the level $Z$ is the $k$-th
smallest score; every particle with $S \le Z$ ($K_q \ge k$ of them: ties are all killed)
is replaced by a copy of a survivor drawn uniformly, up to the first grid time its
$\xi$ exceeded $Z$, continued from there with fresh noise (with the pulse read at its
absolute time). A replica stops when $Z = +\infty$ (at least $N - k + 1$ failed writes),
when every particle is killed (extinction: estimate 0), or when its weight falls below
a floor. Its estimate is
$$\hat p = \prod_q \Big(1 - \frac{K_q}{N}\Big)\,\frac{1}{N}\sum_i 1[\text{write } i
  \text{ failed}],$$
which Bréhier et al. prove unbiased for the expectation of any function of the path
(here the indicator of a failed write, whatever the coordinate $\xi$), for any $N$,
$k$ and time discretization, the estimator being a martingale in the iterations (so
stopping at the weight floor, a stopping time of the algorithm, keeps it unbiased).
The coordinate only sets the variance. The 95 % interval is the Student-t interval of
the mean of independent replicas, $\bar p \pm t_{0.975, R-1}\, s/\sqrt R$.
"""

import math
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats

from .coordinates import default_coordinate

Z_ERROR = np.inf


class ReactionCoordinateError(RuntimeError):
    """The splitting never reached the error set: every replica died out (all its
    particles tied at one level) or fell below the weight floor without one failed
    write. `closest_level` is the highest score any particle reached."""

    def __init__(self, message, closest_level: float):
        super().__init__(message)
        self.closest_level = closest_level


def _scores(problem, xi, times, paths, failed):
    z = np.array(xi(times, paths), np.float64)
    if z.shape != paths.shape[:-1]:
        raise ValueError(f"the coordinate returned shape {z.shape}; expected "
                         f"{paths.shape[:-1]} (one score per state on the grid).")
    z = np.where(np.isnan(z), -np.inf, z)
    z[..., -1] = np.where(failed, Z_ERROR, z[..., -1])
    return z


def _bucket(span: int, total: int) -> int:
    """`span` grid intervals rounded up to a quarter of `total` (at most 4 compiled
    lengths of a solve)."""
    q = max(1, -(-total // 4))
    return min(total, q * -(-span // q))


def continue_paths(problem, paths, rows, g0, key, size: int) -> int:
    """Continue the paths `paths[rows]` (rows: (replica, particle) index arrays) from
    their global grid points `g0` to the horizon with fresh noise, in place, in solves of
    `size` junctions (padded). The global grid is the preparation's K_p points (time
    homogeneous: a clone just runs on) followed by the write's K (each clone reads the
    pulse at its absolute time). Returns the junction-steps integrated."""
    kp, kw = problem.prep_grid, problem.grid
    steps = 0
    dtype = problem.dtype()
    for c0 in range(0, len(g0), size):
        sel = slice(c0, c0 + size)
        r, i, g = rows[0][sel], rows[1][sel], g0[sel]
        n = len(g)
        k_prep, k_write = jax.random.split(jax.random.fold_in(key, c0))
        start = np.array(np.broadcast_to(np.asarray(problem.start(1))[0], (size, 3)))
        start[:n] = paths[r, i, g]
        if np.any(g < kp):
            span = _bucket(kp - int(g.min()), kp)
            pp = np.asarray(problem.prepare(k_prep, jnp.asarray(start, dtype),
                                            span * problem.prep_every))
            steps += size * span * problem.prep_every
            c = np.flatnonzero(g < kp)
            _write_tails(paths, r[c], i[c], g[c], pp[c], kp)
            start[c] = pp[c, kp - g[c]]
        w0 = np.maximum(g - kp, 0)
        span = _bucket(kw - int(w0.min()), kw)
        shift = np.zeros(size)
        shift[:n] = w0 * problem.every * problem.dt
        _, wp = problem.run(jnp.asarray(start, dtype), k_write,
                            shift_s=jnp.asarray(shift, dtype),
                            n_steps=span * problem.every, save=True)
        wp = np.asarray(wp)
        steps += size * span * problem.every
        _write_tails(paths, r, i, kp + w0, wp[:n], kp + kw)
    return steps


def _write_tails(paths, r, i, first, src, last: int):
    """``paths[r[c], i[c], first[c]:last + 1] = src[c, :last + 1 - first[c]]`` for every
    c at once: row c of `src` starts at global grid point first[c]."""
    c, o = np.nonzero(first[:, None] + np.arange(last + 1) <= last)
    paths[r[c], i[c], first[c] + o] = src[c, o]


def grid_times(problem) -> np.ndarray:
    """The global grid's times in s: the preparation at negative times, ending at 0,
    then the write from 0 to T."""
    kp, kw = problem.prep_grid, problem.grid
    prep = (np.arange(kp + 1) - kp) * problem.prep_every * problem.prep_dt
    return np.concatenate([prep[:-1], np.arange(kw + 1) * problem.every * problem.dt])


def sample_paths(problem, key, n: int):
    """n whole paths (prepared start and write) on the global grid, (n, K_p + K + 1, 3),
    their failures and the junction-steps."""
    kp, kw = problem.prep_grid, problem.grid
    paths = np.zeros((1, n, kp + kw + 1, 3), np.float32)
    paths[0, :, 0] = np.asarray(problem.start(n) if problem.m0 is None
                                else problem.initial(None, n))
    rows = (np.zeros(n, int), np.arange(n))
    steps = continue_paths(problem, paths, rows, np.zeros(n, int), key, n)
    failed = np.asarray(problem.errors(jnp.asarray(paths[0, :, -1])))
    return paths[0], failed, steps


def ams_round(problem, xi, *, key, particles: int, kill: int, replicas: int,
              floor: float, on_iteration=None) -> dict:
    """One round of `replicas` independent AMS replicas of `particles` particles each,
    killing at least `kill` per iteration; all replicas advance together (their clones
    form one solve per iteration). Returns the replica estimates, their iteration
    counts, the highest score reached, whole/partial trajectories and junction-steps."""
    R, N = replicas, particles
    K = problem.prep_grid + problem.grid
    times = grid_times(problem)
    k_init, k_pick, k_clone = jax.random.split(key, 3)
    rng = np.random.default_rng(np.asarray(jax.random.key_data(k_pick)).ravel().tolist())
    flat, failed, steps = sample_paths(problem, k_init, R * N)
    paths = flat.reshape(R, N, K + 1, 3)
    failed = failed.reshape(R, N).copy()
    z = _scores(problem, xi, times, paths, failed)
    trajectories = R * N
    log_w = np.zeros(R)
    active = np.ones(R, bool)
    extinct = np.zeros(R, bool)
    iterations = np.zeros(R, int)
    chunk = R * kill
    it = 0
    while active.any():
        S = z.max(axis=-1)
        level = np.sort(S, axis=1)[:, kill - 1]
        active &= level < Z_ERROR
        killed = (S <= level[:, None]) & active[:, None]
        n_killed = killed.sum(axis=1)
        dead = active & (n_killed == N)
        extinct |= dead
        active &= ~dead
        active &= log_w > math.log(floor)
        killed &= active[:, None]
        if not active.any():
            break
        log_w[active] += np.log1p(-n_killed[active] / N)
        iterations[active] += 1
        # Each killed particle becomes a copy of a survivor of its replica drawn
        # uniformly, branched at the first grid point where the survivor's score passed
        # the level; the continuation overwrites the copy from there on.
        rr, ii = np.nonzero(killed)
        alive_first = np.argsort(killed, axis=1, kind="stable")   # survivors first
        jj = alive_first[rr, rng.integers(0, N - n_killed[rr])]
        gg = np.argmax(z[rr, jj] > level[rr, None], axis=1)
        paths[rr, ii] = paths[rr, jj]
        z[rr, ii] = z[rr, jj]
        failed[rr, ii] = failed[rr, jj]
        cont = gg < K   # at gg == K only the failed end is above the level: an exact copy
        rr, ii, gg = rr[cont], ii[cont], gg[cont]
        if len(rr):
            steps += continue_paths(problem, paths, (rr, ii), gg,
                                    jax.random.fold_in(k_clone, it), chunk)
            trajectories += len(rr)
            failed[rr, ii] = np.asarray(problem.errors(jnp.asarray(paths[rr, ii, -1])))
            z[rr, ii] = _scores(problem, xi, times, paths[rr, ii], failed[rr, ii])
        it += 1
        if on_iteration is not None:
            on_iteration(it, float(np.min(level[active])) if active.any() else np.inf)
    estimates = np.where(extinct, 0.0, np.exp(log_w) * failed.mean(axis=1))
    finite = z[np.isfinite(z)]
    return {"estimates": estimates, "iterations": iterations, "extinct": extinct,
            "any_failed": bool(failed.any()),
            "closest_level": float(finite.max()) if finite.size else -np.inf,
            "trajectories": trajectories, "junction_steps": steps}


def replica_interval(estimates) -> tuple[float, float, float]:
    r"""Mean of the replica estimates and its Student-t 95 % interval
    $\bar p \pm t_{0.975, R-1}\, s/\sqrt R$ (clipped at 0)."""
    p = np.asarray(estimates, np.float64)
    mean = float(p.mean())
    if len(p) < 2:
        return mean, 0.0, math.inf
    half = float(stats.t.ppf(0.975, len(p) - 1) * p.std(ddof=1) / math.sqrt(len(p)))
    return mean, max(mean - half, 0.0), mean + half


def splitting(problem, *, key, n_pilot, coordinate, particles, kill, replicas, target,
              rel_precision, deadline, max_trajectories, progress, start) -> dict:
    """Rounds of `ams_round` until the replicas' interval meets the precision
    ("converged"), lies below `target` ("below_target"), or the budget runs out
    ("budget": checked between rounds, and before a round that would not end in
    time at the pace of the previous ones)."""
    steps = 0
    if coordinate is None:
        pilot, _, steps = sample_paths(problem, jax.random.fold_in(key, 2**31 - 1), n_pilot)
        xi = default_coordinate(problem, pilot, grid_times(problem))
    else:
        xi = coordinate
    floor = 1e-3 * target
    estimates, trajectories, rnd = [], 0, 0
    round_s = []
    while True:
        t_round = time.perf_counter()

        def report(it, level, rnd=rnd):
            if progress is not None:
                progress({"method": "splitting", "round": rnd, "iteration": it,
                          "level": level, "replicas_done": len(estimates),
                          "trajectories": trajectories, "junction_steps": steps,
                          "elapsed_s": time.perf_counter() - start})
        out = ams_round(problem, xi, key=jax.random.fold_in(key, rnd), particles=particles,
                        kill=kill, replicas=replicas, floor=floor, on_iteration=report)
        if rnd == 0 and not out["any_failed"] and not np.any(out["estimates"] > 0):
            raise ReactionCoordinateError(
                f"the splitting never reached the error set (a failed write): in "
                f"{replicas} replicas of {particles} particles, "
                f"{int(out['extinct'].sum())} died out with all particles tied at one "
                f"level and the rest fell below the weight floor {floor:.3g} without a "
                f"failed write; the closest level reached was "
                f"{out['closest_level']:.6g}. Use a reaction coordinate that keeps rising "
                "toward a failed write (the default: the lag of the write predicted "
                "from a pilot), or check that the device can fail the write.",
                out["closest_level"])
        estimates.extend(out["estimates"].tolist())
        steps += out["junction_steps"]
        trajectories += out["trajectories"]
        round_s.append(time.perf_counter() - t_round)
        rnd += 1
        mean, lo, hi = replica_interval(estimates)
        status = None
        if mean > 0 and max(mean - lo, hi - mean) <= rel_precision * mean:
            status = "converged"
        elif hi < target:
            status = "below_target"
        elif (time.perf_counter() + np.mean(round_s) > deadline
              or trajectories + out["trajectories"] > max_trajectories):
            status = "budget"
        if progress is not None:
            progress({"method": "splitting", "round": rnd - 1, "iteration": None,
                      "level": None, "replicas_done": len(estimates), "estimate": mean,
                      "ci95": (lo, hi), "trajectories": trajectories,
                      "junction_steps": steps, "elapsed_s": time.perf_counter() - start})
        if status is not None:
            return {"wer": mean, "ci_low": lo, "ci_high": hi, "status": status,
                    "replicas": tuple(estimates), "trajectories": trajectories,
                    "junction_steps": steps}
