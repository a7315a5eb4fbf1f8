r"""The quasi-likelihood of switching data linearized at one parameter point: the model
$P_i$ and its Monte Carlo error, the Jacobian in $z = \log\theta$ from two independent
half-samples, their unbiased cross-half score and curvature, and the covariance from it
(the step [`fit_switching`][spinjax.fitting.fit_switching] takes and the interval it
reports)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .._estimators.smoothing import smoothed_probability
from .start import FitFailed


def covariance(h, names, theta, p):
    """The covariance in z, or a clear error when the data say nothing about some
    direction at `theta` (every modelled P saturated at 0 or 1, or parameters that
    the data cannot tell apart)."""
    h = np.asarray(h, np.float64)
    eig = np.linalg.eigvalsh(h) if np.all(np.isfinite(h)) else np.array([np.nan])
    if not np.all(np.isfinite(eig)) or eig.min() <= 1e-12 * max(eig.max(), 1e-300):
        raise FitFailed(
            f"the likelihood has no curvature in some direction at "
            f"{dict(zip(names, np.round(theta, 12).tolist()))}: the model gives P = "
            f"{np.round(np.asarray(p), 3).tolist()} at the data points. Start closer (where "
            f"P is neither 0 nor 1 at several points), or fit fewer parameters.")
    return np.linalg.inv(h)


def weights(p, p_se, n_obs):
    q = jnp.clip(p, 1e-3, 1 - 1e-3)
    return jnp.diag(1.0 / (q * (1 - q) / n_obs + p_se**2))


@dataclasses.dataclass
class Linearization:
    """At one theta: `p` (I,) and its Monte Carlo error `p_se`; `g` = dP/dz (I, K);
    `score` the unbiased cross-half score in z; `h` the curvature; `nll`."""
    p: np.ndarray
    p_se: np.ndarray
    g: np.ndarray
    score: np.ndarray
    h: np.ndarray
    nll: float


def linearize(outcome, names, theta, rel_scale, n_pairs, key, k_obs, n_obs):
    """P, its Monte Carlo error and Jacobian in z at theta from two independent halves
    of `n_pairs` pairs; the cross-half score and curvature (see
    [`fit_switching`][spinjax.fitting.fit_switching]). The curvature of the quasi-likelihood
    of the linearized model is ``jax.hessian`` of its negative log, with the Jacobians of
    the two halves on either side."""
    dtype = k_obs.dtype
    params = {k: jnp.asarray(v, dtype) for k, v in zip(names, theta)}
    # Smooth in z = log theta: a wide relative smoothing (a quarter of the damping,
    # say) then never reaches a non-positive parameter.
    log_params = {k: jnp.log(v) for k, v in params.items()}
    scale = {k: float(r) for k, r in zip(names, rel_scale)}

    def outcome_z(zs, k):
        return outcome({name: jnp.exp(z) for name, z in zs.items()}, k)

    halves = [smoothed_probability(outcome_z, log_params, scale, jax.random.fold_in(key, i),
                                   n_pairs=int(n_pairs) // 2, jacobian=True)
              for i in range(2)]

    def jac(est, field):
        return jnp.stack([jnp.asarray(getattr(est, field)[k], dtype) for k in names],
                         axis=-1)   # d/dz, (I, K)

    ga, gb = (jac(e, "grad") for e in halves)
    # P itself from unperturbed devices: the smoothed P_s is biased by
    # (1/2) sum_k s_k^2 d^2P/dtheta_k^2 (about 1 % of P, as large as the data's
    # binomial noise), which the fit would absorb into the parameters (it widened the
    # modelled curve and pulled xi along its valley with V_c by about a sigma).
    n = 2 * (int(n_pairs) // 2)
    b = outcome({k: jnp.full((n,), v, dtype) for k, v in params.items()},
                jax.random.fold_in(key, 2), paired=False).astype(dtype)
    pa, pb = jnp.mean(b[:n // 2], axis=0), jnp.mean(b[n // 2:], axis=0)
    p = 0.5 * (pa + pb)
    p_se = jnp.std(b, axis=0) / n**0.5
    g = 0.5 * (ga + gb)
    w = weights(p, p_se, n_obs)
    y = k_obs / n_obs

    def nll_ab(delta_a, delta_b):
        # the linearized models of the two halves; its mixed second derivative is
        # J_A^T W J_B, which (symmetrized) is unbiased for the curvature.
        return 0.5 * (y - pa - ga @ delta_a) @ w @ (y - pb - gb @ delta_b)

    zero = jnp.zeros(len(names), dtype)
    h_ab = jax.jacfwd(jax.grad(nll_ab, 0), 1)(zero, zero)
    h = 0.5 * (h_ab + h_ab.T)
    score = 0.5 * (gb.T @ w @ (y - pa) + ga.T @ w @ (y - pb))
    h_plain = jax.hessian(lambda d: 0.5 * (y - p - g @ d) @ w @ (y - p - g @ d))(zero)
    if not bool(jnp.all(jnp.linalg.eigvalsh(h) > 1e-3 * jnp.linalg.eigvalsh(h_plain).max())):
        # The halves' Jacobians are too noisy for their product to stay positive:
        # fall back to one Jacobian with its noise inflation removed on the diagonal
        # (sum_i w_i se(G_i)^2), keeping the matrix positive.
        g_se = 0.5 * jnp.sqrt(jac(halves[0], "grad_se")**2 + jac(halves[1], "grad_se")**2)
        noise = jnp.diag(jnp.sum(jnp.diag(w)[:, None] * g_se**2, axis=0))
        h_corr = h_plain - noise
        ok = jnp.all(jnp.linalg.eigvalsh(h_corr) > 0.1 * jnp.linalg.eigvalsh(h_plain).min())
        h = jnp.where(ok, h_corr, h_plain)
    nll = 0.5 * (y - p) @ w @ (y - p)
    f64 = lambda x: np.asarray(x, np.float64)  # noqa: E731
    return Linearization(f64(p), f64(p_se), f64(g), f64(score), f64(h), float(nll))
