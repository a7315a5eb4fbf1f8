r"""Importance sampling of write errors: a Gaussian change of measure of the thermal
noise in a few directions found by gradients through the solver, fitted by the
cross-entropy method.

**The estimator.** A write (the preparation of its initial state and the write itself,
`spinjax._wer.problem`) is a deterministic function of its standardized noise
$\boldsymbol\xi \in \mathbb R^D$, $D = 3(P + W)$ for $P$ preparation and $W$ write
steps, $\boldsymbol\xi \sim \mathcal N(0, I_D)$; the WER is $p = E[1_F(\boldsymbol\xi)]$.
With an orthonormal basis $V \in \mathbb R^{D\times K}$ of a few directions, the
proposal $q$ draws

$$\boldsymbol\xi = V\mathbf z + (I - VV^\top)\boldsymbol\zeta,\qquad
  \mathbf z \sim \mathcal N(\boldsymbol\mu, \Sigma),\quad
  \boldsymbol\zeta \sim \mathcal N(0, I_D):$$

the noise keeps its law across $V$ and is shifted and rescaled along it. A shift of the
increments is a change of the drift of the sLLG, and its likelihood ratio for the
discretized scheme is exactly the ratio of the Gaussian densities along $V$ (the
discrete Girsanov theorem), $w(\mathbf z) = \varphi_K(\mathbf z)/
\mathcal N(\mathbf z;\boldsymbol\mu,\Sigma)$, so that

$$\hat p = \frac1n\sum_{i=1}^n w(\mathbf z_i)\,1_F(\boldsymbol\xi_i)$$

is unbiased for any $V$, $\boldsymbol\mu$ and positive definite $\Sigma$; they only set
its variance. Its 95 % interval is the normal one, $\hat p \pm 1.96\,s/\sqrt n$, over
at least four batches, `min_errors` failed writes and an effective sample size
$(\sum w_i 1_F)^2/\sum w_i^2 1_F$ of 100 (the normal interval of a weighted mean is only
as good as its weights are even; see the README for the coverage measured against brute
force and the Fokker-Planck reference).

**The proposal.** Multilevel cross-entropy (Rubinstein, Methodol. Comput. Appl. Probab.
1, 127, 1999; Rubinstein and Kroese, *The Cross-Entropy Method*, 2004) on the score
$S$ = the mean progress $s\,\mathbf m\cdot\hat u$ over the write's grid (how long the
write stayed near its start well), $+\infty$ for a failed write. Stage $\ell$ draws
`stage_size` writes from $q_\ell$; the level $\gamma_\ell$ is the $1-\rho$ quantile of
$S$ ($\rho$ = 0.1), and $(\boldsymbol\mu, \Sigma)$ become the $w$-weighted mean and
covariance of $\mathbf z$ over the writes with $S \ge \gamma_\ell$. The directions grow
with the stages: the gradients $\nabla_{\boldsymbol\xi}S$ at the four highest-scoring
writes (reverse mode through [`spinjax.NormalizedHeun`][], the noise read from a
table) join $V$ where their part orthogonal to $V$ exceeds 30 % of their length, up to
`max_dim` directions: the directions along which the noise pushes a write toward
failure, as the design point of a first-order reliability analysis (Hasofer and Lind,
J. Eng. Mech. Div. 100, 111, 1974) but found where the failures are. When at least
$\rho n$ writes of a stage fail, the last fit uses the failed writes only (the
cross-entropy estimate of the zero-variance density $\propto 1_F\,\varphi_D$), and
fresh batches from it make the estimate.

**Where it does not reach.** A failure that no Gaussian in a few directions covers, such
as the unswitched tail of a supercritical spin-transfer write (the write fails when the
noise of thousands of steps happens to cancel: a small-ball event, not a large
deviation), stalls the levels; the estimator then raises
[`ReactionCoordinateError`][spinjax.wer.ReactionCoordinateError] with the level it
reached rather than return an estimate it cannot vouch for.
"""

import math
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._increments import TabulatedIncrements
from .._solver import NormalizedHeun
from .._fused.solver import FusedHeun
from .splitting import ReactionCoordinateError

RHO = 0.1            # the elite fraction of a cross-entropy stage
N_GRADIENTS = 4      # gradients of the score per stage
NEW_DIRECTION = 0.3  # the orthogonal part of a gradient that makes a new direction
MAX_STAGES = 40
MIN_BATCHES = 4      # final batches before the interval counts
MIN_ESS = 100        # effective sample size of the failed writes' weights, likewise
PATIENCE = 6         # stages without a new highest level before the levels count as stalled
VAR_FLOOR = 1.0      # the least variance of the proposal along a direction (see Proposal.fit)
Z95 = 1.959963984540054


def noise_dim(problem) -> int:
    """D: the standardized noise numbers of one write (preparation and write)."""
    return 3 * (problem.prep_steps + problem.n_steps)


def _tables(problem, xi):
    """The noise (n, D) as the increment tables of the preparation and the write."""
    n, p = xi.shape[0], problem.prep_steps
    prep = jnp.moveaxis(xi[:, :3 * p].reshape(n, p, 3), 1, 0)
    write = jnp.moveaxis(xi[:, 3 * p:].reshape(n, problem.n_steps, 3), 1, 0)
    return prep, write


def _score_and_fail(problem, xi, solver):
    """The score S (without the +inf of a failure) and the failure of each write whose
    noise is `xi` (n, D)."""
    n = xi.shape[0]
    prep, write = _tables(problem, xi)
    key = jax.random.key(0)   # unused: the noise comes from the tables
    m0 = problem.start(n)
    if problem.prep_steps:
        m0 = problem.prepare(key, m0, problem.prep_steps, noise=TabulatedIncrements(prep),
                             solver=solver)[:, -1]
    m, path = problem.run(m0, key, save=True, noise=TabulatedIncrements(write),
                          solver=solver)
    return jnp.mean(problem.progress(path), axis=1), problem.errors(m)


@eqx.filter_jit
def _outcomes(problem, xi, solver):
    return _score_and_fail(problem, xi, solver)


@eqx.filter_jit
def _score_gradients(problem, xi):
    r"""$\nabla_{\boldsymbol\xi}S$ of each write (rows of `xi`): one reverse pass of the
    sum, the writes being independent."""
    return jax.grad(lambda x: jnp.sum(_score_and_fail(problem, x, NormalizedHeun())[0]))(xi)


@jax.jit
def _compose(key, V, mu, L):
    """n draws of the proposal: the noise (n, D), the subspace coordinates z and the
    standard normals u with z = mu + L u."""
    n = mu.shape[0]
    k1, k2 = jax.random.split(key)
    zeta = jax.random.normal(k1, (n, V.shape[0]), jnp.float32)
    u = jax.random.normal(k2, (n, V.shape[1]), jnp.float32)
    z = mu + u @ L.T
    return zeta + (z - zeta @ V) @ V.T, z, u


class Proposal:
    """The Gaussian change of measure along the directions V (D, K)."""

    def __init__(self, dim: int):
        self.V = np.zeros((dim, 0))
        self.mu = np.zeros(0)
        self.cov = np.zeros((0, 0))

    @property
    def k(self) -> int:
        return self.V.shape[1]

    def draw(self, key, n: int):
        """(xi (n, D) float32, z (n, K), log w (n,))."""
        L = np.linalg.cholesky(self.cov) if self.k else np.zeros((0, 0))
        xi, z, u = _compose(key, jnp.asarray(self.V, jnp.float32),
                            jnp.broadcast_to(jnp.asarray(self.mu, jnp.float32), (n, self.k)),
                            jnp.asarray(L, jnp.float32))
        z, u = np.asarray(z, np.float64), np.asarray(u, np.float64)
        log_w = (-0.5 * np.sum(z ** 2, 1) + 0.5 * np.sum(u ** 2, 1)
                 + np.sum(np.log(np.diag(L))))
        return xi, z, log_w

    def add(self, g: np.ndarray, xi, z):
        """Add the part of the gradient `g` (D,) orthogonal to V when it is long enough;
        returns the coordinates z of the writes `xi` extended by the new direction."""
        r = g - self.V @ (self.V.T @ g)
        norm_g, norm_r = np.linalg.norm(g), np.linalg.norm(r)
        if not (norm_g > 0 and norm_r > NEW_DIRECTION * norm_g):
            return z
        v = r / norm_r
        k = self.k
        self.V = np.concatenate([self.V, v[:, None]], 1)
        self.mu = np.append(self.mu, 0.0)
        cov = np.eye(k + 1)
        cov[:k, :k] = self.cov
        self.cov = cov
        along = jnp.asarray(xi, jnp.float32) @ jnp.asarray(v, jnp.float32)
        return np.concatenate([z, np.asarray(along, np.float64)[:, None]], 1)

    def fit(self, z, weights):
        r"""The weighted mean and covariance of `z` (the cross-entropy update), its
        eigenvalues raised to at least `VAR_FLOOR` = 1.

        The floor keeps the weights' tail light. Along a direction where the failure
        set is unbounded, a proposal variance $s^2$ gives weights growing as
        $w \propto e^{z^2(1/s^2 - 1)/2}$, whose $k$-th moment under $q$,
        $E_q[w^k 1_F] \propto \int^\infty e^{-kz^2/2 + (k-1)(z-\mu)^2/2s^2}dz$, is
        infinite for $s^2 \le (k-1)/k$: the variance ($k$ = 2) for $s^2 \le 1/2$, and
        the variance of the variance estimate that sets the interval's width ($k$ = 4)
        for $s^2 \le 3/4$. The fitted variances across the failure direction are
        below 1 when the failed writes of a stage are few, and the writes they miss (a
        failure far out across it) then carry weights $e^3$ to $e^7$ times the
        median one (measured at a WER of 3.7e-5): the interval comes out too short.
        With $\Sigma \succeq I$ the weight $w(\mathbf z) = \varphi_K(\mathbf z)/
        \mathcal N(\mathbf z; \boldsymbol\mu, \Sigma)$ has a log that is concave in
        $\mathbf z$ and at most linear along the directions of variance 1: with
        $\Sigma = I$, $w = e^{-\boldsymbol\mu^\top\mathbf z + |\boldsymbol\mu|^2/2}
        \le e^{-|\boldsymbol\mu|^2/2}$ on the half-space beyond the shift,
        $\boldsymbol\mu^\top\mathbf z \ge |\boldsymbol\mu|^2$, where the failures of
        a large deviation lie. The cost: the tail direction, where the cross-entropy fit
        of a tail beyond $\beta$ would have variance about $1/\beta^2$, keeps
        variance 1 (the shifted proposal of a first-order reliability analysis)."""
        if not self.k:
            return
        w = weights / weights.sum()
        mu = w @ z
        c = ((z - mu).T * w) @ (z - mu)
        vals, vecs = np.linalg.eigh(0.5 * (c + c.T))
        self.mu, self.cov = mu, (vecs * np.maximum(vals, VAR_FLOOR)) @ vecs.T

    def to_json(self) -> dict:
        vals = np.linalg.eigvalsh(self.cov) if self.k else np.zeros(0)
        return {"directions": self.k, "shift_norm": float(np.linalg.norm(self.mu)),
                "variances": [float(v) for v in vals]}


def _mean_interval(a):
    """The mean of the weighted indicators `a` and the half-width of its normal 95 %
    interval."""
    return float(a.mean()), Z95 * float(a.std(ddof=1)) / math.sqrt(len(a))


def _ess(a) -> float:
    r"""Kish's effective sample size of the weights of the failed writes,
    $(\sum a)^2/\sum a^2$ (0 without one)."""
    return float(a.sum() ** 2 / (a ** 2).sum()) if a.any() else 0.0


def importance_sampling(problem, *, key, stage_size: int, max_dim: int, target: float,
                        rel_precision: float, min_errors: int, deadline: float,
                        max_trajectories: float, progress, start) -> dict:
    """Cross-entropy stages, then batches of `stage_size` writes from the final proposal
    until the interval meets the precision ("converged"), lies below `target`
    ("below_target"), or the budget runs out ("budget")."""
    solver = FusedHeun(backend="xla") if problem.solver is None else problem.solver
    q = Proposal(noise_dim(problem))
    k_stage, k_final = jax.random.split(key)
    trajectories = steps = 0
    best, since_best, level = -np.inf, 0, -np.inf

    def report(**info):
        if progress is not None:
            progress({"method": "importance", "directions": q.k, "trajectories": trajectories,
                      "junction_steps": steps, "elapsed_s": time.perf_counter() - start,
                      **info})

    for stage in range(MAX_STAGES):
        xi, z, log_w = q.draw(jax.random.fold_in(k_stage, stage), stage_size)
        score, fail = (np.asarray(a) for a in _outcomes(problem, xi, solver))
        trajectories += stage_size
        steps += stage_size * problem.n_steps
        s = np.where(fail, np.inf, np.asarray(score, np.float64))
        level = float(np.quantile(s, 1 - RHO, method="inverted_cdf"))
        report(stage=stage, level=level, failed=int(fail.sum()))
        if q.k < max_dim:
            top = np.argsort(-np.nan_to_num(s, posinf=np.finfo(np.float64).max))
            top = top[:N_GRADIENTS]
            grads = np.asarray(_score_gradients(problem, xi[top]), np.float64)
            steps += 8 * N_GRADIENTS * problem.n_steps   # reverse mode, about 8 forward
            for g in grads:
                if q.k < max_dim:
                    z = q.add(g, xi, z)
        elite = s >= level
        q.fit(z[elite], np.exp(log_w[elite] - log_w[elite].max()))
        if level == np.inf:
            break
        if level > best:
            best, since_best = level, 0
        else:
            since_best += 1
        if since_best >= PATIENCE or stage == MAX_STAGES - 1:
            raise ReactionCoordinateError(
                f"importance sampling did not reach the error set: the levels stalled "
                f"after {stage + 1} cross-entropy stages of {stage_size} writes "
                f"({since_best} without a new highest level), at {best:.4g} on the score "
                f"(the mean progress over the write: 1 = stayed in the start well), with "
                f"{q.k} noise directions. A failure that no Gaussian shift of a few noise "
                "directions covers (e.g. the unswitched tail of a supercritical STT write) "
                "needs method='splitting' or 'brute'.", best)
        if time.perf_counter() >= deadline or trajectories + stage_size > max_trajectories:
            # every stage is itself an importance sample: report what this one says
            a = np.where(fail, np.exp(log_w), 0.0)
            p, half = _mean_interval(a)
            return {"wer": p, "ci_low": max(p - half, 0.0),
                    "ci_high": p + half if fail.any() else 1.0, "status": "budget",
                    "trajectories": trajectories, "junction_steps": steps,
                    "samples": len(a), "errors": int(fail.sum()), "ess": _ess(a),
                    "proposal": q.to_json()}

    acc, errors, b = [], 0, 0
    while True:
        xi, _, log_w = q.draw(jax.random.fold_in(k_final, b), stage_size)
        _, fail = _outcomes(problem, xi, solver)
        fail = np.asarray(fail)
        acc.append(np.where(fail, np.exp(log_w), 0.0))
        errors += int(fail.sum())
        trajectories += stage_size
        steps += stage_size * problem.n_steps
        b += 1
        a = np.concatenate(acc)
        p, half = _mean_interval(a)
        lo, hi = max(p - half, 0.0), p + half
        status = None
        ess = _ess(a)
        if b >= MIN_BATCHES and errors >= min_errors and ess >= MIN_ESS:
            if p > 0 and half <= rel_precision * p:
                status = "converged"
            elif hi < target:
                status = "below_target"
        if status is None and (time.perf_counter() >= deadline
                               or trajectories + stage_size > max_trajectories):
            status = "budget"
        report(batch=b - 1, estimate=p, ci95=(lo, hi), failed=errors, ess=ess)
        if status is not None:
            return {"wer": p, "ci_low": lo, "ci_high": hi, "status": status,
                    "trajectories": trajectories, "junction_steps": steps,
                    "samples": len(a), "errors": errors, "ess": ess,
                    "proposal": q.to_json()}
