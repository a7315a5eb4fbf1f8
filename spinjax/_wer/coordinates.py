r"""Reaction coordinates of the splitting estimator: scores $\xi(t, \mathbf m)$ that rise
along the paths that end in a write error.

Two kinds of write fail differently:

- **An unstable start** (`escape_coordinate`). When the bottom of the start well is a
  fixed point of the driven dynamics (a perpendicular junction under a collinear
  spin-transfer current above threshold), every write leaves it by the exponential
  growth of a thermal deviation, and a write fails when that deviation stays small for
  the whole pulse: a small-ball event of the noise. The committor of the linearized
  escape gives the coordinate.
- **A driven motion** (`predicted_coordinate`), such as the precession of a VCMA write
  about its bias field: a write fails by lagging behind the typical path.

`default_coordinate` picks by testing whether the start is a fixed point.
"""

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from .._save import Save
from .._simulate import simulate

_TILT = 1e-6        # the deviation from the start of the linearization (rad)
_FIXED = 1e-6       # the largest drift of progress (1 - s m.u) that counts as at rest


@eqx.filter_jit
def _deterministic_ys(problem, m0):
    return simulate(problem.device.model, m0, t1=problem.n_steps * problem.dt,
                    dt=problem.dt, thermal=False,
                    drive=Drive(**{problem.input_name: problem.pulse}),
                    save=Save(every=problem.every), solver=problem.solver).ys


def _deterministic(problem, m0):
    """The zero-temperature write from the states `m0` (n, 3), on the write's grid:
    (n, K + 1, 3). Compiled once per problem structure (every width of a sweep with
    the same steps shares it)."""
    ys = _deterministic_ys(problem, jnp.asarray(m0, problem.dtype()))
    return np.moveaxis(np.asarray(ys, np.float64), 0, -2)


def start_is_fixed(problem) -> bool:
    """Whether the write at zero temperature leaves the bottom of the start well where it
    is (to `_FIXED` in progress at every grid time)."""
    if problem.m0 is not None:
        return False
    path = _deterministic(problem, problem.start(1))
    return bool(np.all(1.0 - np.asarray(problem.progress(jnp.asarray(path))) < _FIXED))


def _log_growth(problem) -> np.ndarray:
    r"""$\ln G(t_g)$ on the write's grid: the growth of a deviation $\epsilon$ = 1e-6
    from the start, averaged over two orthogonal tilts (zero temperature)."""
    u = np.asarray(problem.device.easy_axis, np.float64)
    e1 = np.cross(u, [1.0, 0, 0] if abs(u[0]) < 0.9 else [0, 1.0, 0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(u, e1)
    s = problem.start_well
    m0 = np.stack([s * u + _TILT * e1, s * u + _TILT * e2])
    m0 /= np.linalg.norm(m0, axis=1, keepdims=True)
    path = _deterministic(problem, m0)                                # (2, K + 1, 3)
    return np.mean(np.log(np.maximum(_perp2(path, u), 1e-300)) / 2 - np.log(_TILT), axis=0)


def _perp2(m, u):
    r"""$|\mathbf m_\perp|^2$ from the components across $\hat u$ (not $1 - m_u^2$,
    which rounds to 0 near the pole in float32)."""
    m = np.asarray(m, np.float64)
    return np.sum((m - (m @ u)[..., None] * u) ** 2, axis=-1)


def escape_coordinate(problem, paths: np.ndarray, times: np.ndarray):
    r"""The log-committor of the linearized escape from an unstable start, from pilot
    paths (n, K_p + K + 1, 3) on the grid `times` (s; the preparation at negative times).

    Near the start, the deviation $\mathbf m_\perp$ grows as the linearized dynamics
    $G(t)$ (measured at zero temperature from a tilt of 1e-6, `_log_growth`) plus the
    noise, so a write fails when $|\mathbf m_\perp(T)| \lesssim r$ and the probability of
    that from $\mathbf m_\perp$ at $t$ is about $[r\,G(t)/G(T)]^2
    e^{-|\mathbf m_\perp|^2/\sigma^2}$ for a spread $\sigma^2$ of the deviation (its
    pilot mean at the end of the preparation, the thermal spread of the well):

    $$\xi(t, \mathbf m) = 2\ln G(t) - |\mathbf m_\perp|^2/\sigma^2,$$

    and $-\infty$ once the path has crossed into the target hemisphere. During the
    preparation $G = 1$. Its maximum over a path rises with how long the path stayed
    near the start, which is what a failed write does. The first point of a prepared
    path (the bottom of the well, the same in every path) scores $-\infty$."""
    u = np.asarray(problem.device.easy_axis, np.float64)
    kp = problem.prep_grid
    x = np.asarray(paths, np.float64)
    spread = float(np.mean(_perp2(x[:, kp], u)))
    sigma2 = max(spread, 1e-12)
    write_times = times[kp:]
    log_g = _log_growth(problem)

    def xi(t_s, m):
        m = np.asarray(m, np.float64)
        proj = m @ u
        lg = np.interp(np.asarray(t_s, np.float64), write_times, log_g, left=0.0)
        z = np.where(problem.start_well * proj > 0, 2.0 * lg - _perp2(m, u) / sigma2,
                     -np.inf)
        if kp:
            z[..., 0] = -np.inf    # the preparation's start: the same state in every path
        return z
    return xi


def default_coordinate(problem, paths: np.ndarray, times: np.ndarray):
    """`escape_coordinate` when the start is a fixed point of the driven dynamics
    (`start_is_fixed`), `predicted_coordinate` otherwise."""
    if start_is_fixed(problem):
        return escape_coordinate(problem, paths, times)
    return predicted_coordinate(problem, paths)


def predicted_coordinate(problem, paths: np.ndarray):
    r"""The coordinate of a driven write, learned from pilot paths (n, K_p + K + 1, 3).
    Its target
    is the progress at the end of the pulse, $Y = s\,\mathbf m(t_e)\cdot\hat u$ (the
    first grid time at or after the pulse's end): how far the write got while driven.
    At every grid time $Y$ is predicted from the state by least squares on the pilot,
    $\hat Y_g(\mathbf m)$, quadratic in $\mathbf m$ (:func:`_features`), and standardized:
    $\xi(t_g, \mathbf m) = (\hat Y_g(\mathbf m) - \bar Y)/\sigma_Y$, the lag of a write
    behind the typical one as its state at $t_g$ predicts it (the initial tilt during
    the preparation, the phase during the pulse; after $t_e$, how much a state resembles
    a lagging one). States that carry no information about $Y$ score near 0, so the
    maximum over time does not reward them. The end of a written path scores
    $-\infty$, of a failed one $+\infty$ (set by :func:`_scores`): the end point's own
    spread (thermal, in the target well) says nothing about a failure."""
    x = np.asarray(paths, np.float64)
    end = float(np.max(np.asarray(problem.pulse.support()[1])))
    g_end = problem.prep_grid + min(problem.grid, max(0, int(np.ceil(
        end / (problem.every * problem.dt) - 1e-9))))
    y = np.asarray(problem.progress(jnp.asarray(paths[:, g_end])), np.float64)
    mu, sigma = y.mean(), max(y.std(), 1e-6)
    feats = _features(x)                                                   # (n, G+1, 10)
    coef = np.stack([np.linalg.lstsq(feats[:, g], y, rcond=None)[0]
                     for g in range(x.shape[1])])                          # (G+1, 10)

    def xi(t_s, m):
        z = (np.einsum("...gi,gi->...g", _features(m), coef) - mu) / sigma
        z[..., -1] = -np.inf
        return z
    return xi


def _features(m):
    r"""1, $m_i$ and $m_i m_j$ ($i \le j$): a quadratic predictor, since the lag of a
    precessional write depends on the tilt along the bias field through its square
    (the precession cone's opening) and across it linearly (its phase)."""
    m = np.asarray(m, np.float64)
    quad = [m[..., i] * m[..., j] for i in range(3) for j in range(i, 3)]
    return np.stack([np.ones(m.shape[:-1]), m[..., 0], m[..., 1], m[..., 2], *quad], -1)
