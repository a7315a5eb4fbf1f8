r"""Fit device parameters to switching-probability data through the stochastic solver.

Data: $k_i$ switches of $n_i$ writes at pulse $(V_i, t_i)$. Model: $P_i(\theta)$, the
switching probability of the device with parameters $\theta$ under that pulse, from
the sLLG (:func:`spinjax.smoothed_probability` with ``jacobian=True`` gives $P_i$, its
Monte Carlo standard error $e_i$ and $J_{ik} = \partial P_i/\partial\theta_k$ in one
solve over all points). The fit maximizes the binomial likelihood in its Gaussian
(quasi-likelihood) form with the Monte Carlo noise of the model included,

$$-\log L = \tfrac12\sum_i w_i\,(k_i/n_i - P_i(\theta))^2, \qquad
  w_i^{-1} = \frac{P_i(1 - P_i)}{n_i} + e_i^2,$$

by Fisher scoring (Gauss-Newton) steps in $z$ ($\theta = \theta_0 e^{z}$ keeps every
parameter positive), each step taken by an optax transformation with a decaying
gain. The covariance is the inverse curvature of $-\log L$ at the optimum
(``jax.hessian`` of the linearized model: $(G^\top W G)^{-1}$), mapped back to
$\theta$; intervals are $\hat\theta_k \pm 1.96\,\sigma_k$.

Identifiability (VCMA precessional write, :func:`spinjax.devices.vcma_mtj`). $K_{i0}$
and $\xi$ enter through $K_\mathrm{eff}(V) = (K_{i0} - \xi V/t_{ox})/t_F - \mu_0 M_s^2
\Delta N/2$: $P(V)$ at one width fixes the voltage of its middle (a combination of
both) and its slope (through $\xi$ against the thermal spread), so both come from one
width only if the temperature, volume and $M_s$ are known. The bias field $H_x$ sets
the precession period: it needs two or more widths (the first maximum at
$\pi/(\gamma_0 H_x)$). The damping acts weakly at the middle of the sigmoid (measured
$\partial P/\partial\alpha$ of a few per unit $\alpha$, against about 6 per volt): it
needs data in the tails or across widths, and correlates with $H_x$. The
correlation matrix of the result says how well each is separated.
"""

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._drive import Drive
from .._estimators.smoothing import smoothed_probability
from .._increments import AbstractIncrements, RademacherIncrements
from .._params import InvalidParameterError
from .._pulses.shapes import Trapezoid
from .._simulate import simulate
from .data import SwitchingData


def grid_outcome(preset: Callable, data: SwitchingData, *, start_s=0.1e-9, edge_s=30e-12,
                 settle_s=1.0e-9, dt=4e-12, thermal_t_s=0.5e-9, start_well=1,
                 noise: AbstractIncrements = RademacherIncrements(), **fixed) -> Callable:
    """``outcome(params, key) -> b`` of shape (2n, I): each of the I data points' pulse
    on n antithetic pairs of devices whose parameters (leaves of shape (2n,), keys
    among the preset's arguments) are shared by all points."""
    v = np.asarray(data.voltage_V, np.float64)
    w = np.asarray(data.width_s, np.float64)
    temps = np.asarray(data.temperature_K, np.float64)
    t1 = dt * np.ceil((start_s + 2 * edge_s + w.max() + settle_s) / dt - 1e-9)

    def outcome(params, key):
        n2 = int(np.shape(next(iter(params.values())))[0])
        n = n2 // 2
        dev_kw = {**fixed, **{k: jnp.reshape(x, (2, n, 1)) for k, x in params.items()}}
        if np.all(np.isfinite(temps)):
            dev_kw["temperature_K"] = jnp.asarray(temps)
        dev = preset(**dev_kw)
        k0, k1 = jax.random.split(key)
        m0 = dev.thermal_state(k0, (2, n, len(v)), well=start_well, t_s=thermal_t_s,
                               common_noise_axes=1)
        c = lambda x: jnp.asarray(x, m0.dtype)  # noqa: E731
        pulse = Trapezoid(c(v), c(start_s), c(w), c(edge_s), c(edge_s))
        sol = simulate(dev.model, m0, t1=float(t1), dt=dt, key=k1,
                       drive=Drive(voltage_V=pulse), noise=noise, common_noise_axes=1)
        u = jnp.asarray(dev.easy_axis, sol.m.dtype)
        return (start_well * (sol.m @ u) < 0).reshape(n2, len(v))

    return outcome


class FitFailed(RuntimeError):
    """The fit cannot proceed: the message says where it stood and why."""


@dataclasses.dataclass
class FitResult:
    """`params` the estimates; `sigma` their standard errors; `covariance` (K, K) in
    the order of `names`; `correlation`; `p_model` the fitted $P_i$ with `p_model_se`
    its Monte Carlo error; `log` per step; `converged`."""

    names: tuple
    params: dict
    sigma: dict
    covariance: np.ndarray
    p_model: np.ndarray
    p_model_se: np.ndarray
    log: list
    converged: bool
    jacobian: np.ndarray | None = None
    data: SwitchingData | None = None

    @property
    def p_band(self) -> np.ndarray:
        r"""The model's standard error at each data point: parameter uncertainty
        propagated linearly ($J\,\mathrm{Cov}\,J^\top$) plus its Monte Carlo error."""
        var = self.p_model_se**2
        if self.jacobian is not None:
            var = var + np.einsum("ik,kl,il->i", self.jacobian, self.covariance, self.jacobian)
        return np.sqrt(var)

    def plot(self, path):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from ..experiments._stats import wilson_interval
        d = self.data
        fig, ax = plt.subplots(figsize=(5.5, 4))
        for w in np.unique(d.width_s):
            sel = d.width_s == w
            lo, hi = wilson_interval(d.switches[sel], d.trials[sel])
            p = d.p[sel]
            ax.errorbar(d.voltage_V[sel], p, yerr=np.maximum([p - lo, hi - p], 0),
                        fmt="o", ms=4, capsize=2, label=f"data, {w * 1e9:.3g} ns")
            order = np.argsort(d.voltage_V[sel])
            v, m, b = (x[sel][order] for x in (d.voltage_V, self.p_model, self.p_band))
            ax.plot(v, m, "-", lw=1)
            ax.fill_between(v, m - 1.96 * b, m + 1.96 * b, alpha=0.25,
                            label="model, 95 % band")
        ax.set(xlabel="pulse amplitude (V)", ylabel="switching probability")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)

    @property
    def correlation(self) -> np.ndarray:
        s = np.sqrt(np.diag(self.covariance))
        return self.covariance / np.outer(s, s)

    def interval(self, name, z=1.96):
        return (self.params[name] - z * self.sigma[name],
                self.params[name] + z * self.sigma[name])

    def to_json(self) -> dict:
        return {"params": self.params, "sigma": self.sigma, "names": list(self.names),
                "interval95": {k: list(self.interval(k)) for k in self.names},
                "data": None if self.data is None else self.data.to_json(),
                "covariance": self.covariance.tolist(),
                "correlation": self.correlation.tolist(),
                "p_model": self.p_model.tolist(), "p_model_se": self.p_model_se.tolist(),
                "converged": self.converged, "log": self.log}


def fit_switching(data: SwitchingData, init: dict, key, *, preset: Callable,
                  rel_scale: float = 0.02, n_pairs: int = 1024, max_steps: int = 14,
                  optimizer: optax.GradientTransformation | None = None,
                  log: Callable | None = None, outcome_kwargs: dict | None = None,
                  final_pair_factor: int = 8, **fixed) -> FitResult:
    r"""Fit the positive device parameters named in `init` (initial values, SI units;
    keyword arguments of `preset`) to `data`; the other parameters of `preset` come from
    `fixed` or its defaults. `rel_scale` is the largest smoothing width of the
    gradient estimator relative to each parameter (it adapts to a sixth of the scale
    on which P bends); `n_pairs` the antithetic pairs per data point and step.
    `max_steps` Fisher-scoring steps are taken (full steps for the first seven, then
    gains 1/2, 1/3, ...); the estimate is the average of the last third of the
    iterates (Polyak-Ruppert), and the covariance is evaluated there with 4x the pairs.
    `converged` says whether the iterates' spread there is below one standard error.
    """
    names = tuple(init)
    if not names:
        raise InvalidParameterError("init names no parameter to fit.")
    theta0 = np.array([float(init[k]) for k in names])
    if np.any(~np.isfinite(theta0)) or np.any(theta0 <= 0):
        raise InvalidParameterError(f"initial values {dict(zip(names, theta0))} must be "
                                    f"positive and finite (fitted on a log scale).")
    outcome = grid_outcome(preset, data, **(outcome_kwargs or {}), **fixed)
    k_obs = jnp.asarray(data.switches, jnp.float64 if jax.config.jax_enable_x64
                        else jnp.float32)
    n_obs = jnp.asarray(data.trials, k_obs.dtype)
    # Robbins-Monro gains 1 (seven times), 1/2, 1/3, ...: full Gauss-Newton steps while far, then
    # a decaying gain that averages the Monte Carlo noise of the steps out.
    optimizer = optimizer or optax.sgd(
        lambda k: 1.0 / jnp.maximum(1.0, jnp.asarray(k, jnp.float32) - 6.0))
    z = jnp.zeros(len(names), k_obs.dtype)
    state = optimizer.init(z)
    history = []
    converged = False
    rel = np.full(len(names), rel_scale)   # smoothing widths, relative to theta
    path = []
    for step in range(max_steps):  # optimization steps, not time steps
        theta = theta0 * np.exp(np.asarray(z, np.float64))
        g, h, p, p_se, nll = _linearize(outcome, names, theta, rel, n_pairs,
                                        jax.random.fold_in(key, step), k_obs, n_obs)
        cov_z = _inverse(h, names, theta, p)
        delta = cov_z @ np.asarray(g.T @ _weights(p, p_se, n_obs) @ (k_obs / n_obs - p))
        # The scale on which P bends in each parameter: a sigmoid of slope max|dP/dz|
        # turns over in 1/(4 max|dP/dz|). Smooth at a sixth of it (the smoothing biases P by
        # about (s/w)^2/2: 1.4 %), and move at most one
        # such width per step (a trust region: beyond it the linear model is wrong).
        width = 1.0 / (4 * np.maximum(np.max(np.abs(np.asarray(g)), axis=0), 1e-12))
        rel = np.clip(width / 6, 1e-4, rel_scale)
        delta = np.clip(delta, -width, width)
        entry = {"step": step, "params": dict(zip(names, theta.tolist())),
                 "nll": float(nll), "step_in_sigma": (np.abs(delta) /
                                                      np.sqrt(np.diag(cov_z))).tolist()}
        history.append(entry)
        path.append(np.asarray(z, np.float64))
        if log is not None:
            log(entry)
        updates, state = optimizer.update(jnp.asarray(-delta, z.dtype), state, z)
        z = optax.apply_updates(z, updates)
    # Polyak-Ruppert: the average of the last third of the iterates, then one careful
    # evaluation (4x the pairs) there for the curvature.
    tail = path[-max(2, len(path) // 3):]
    # The curvature needs a Jacobian whose Monte Carlo noise is small against its
    # signal along every direction, including the weak ones: more pairs, and a wider
    # smoothing (half the bend scale: its bias on the Jacobian is second order).
    final_pairs = final_pair_factor * n_pairs
    final_rel = np.clip(3 * rel, 1e-4, rel_scale)
    z_bar = np.mean(tail, axis=0)
    theta = theta0 * np.exp(z_bar)
    g, h, p, p_se, nll = _linearize(outcome, names, theta, final_rel, final_pairs,
                                    jax.random.fold_in(key, 10_000), k_obs, n_obs)
    cov_z = _inverse(h, names, theta, p)
    spread = np.std(tail, axis=0)
    converged = bool(np.all(spread < np.sqrt(np.diag(cov_z))))
    d = np.diag(theta)   # d theta / d z
    cov = d @ cov_z @ d
    sig = np.sqrt(np.diag(cov))
    jac = np.asarray(g, np.float64) / theta[None, :]   # dP/dtheta
    return FitResult(names, dict(zip(names, theta.tolist())), dict(zip(names, sig.tolist())),
                     cov, np.asarray(p), np.asarray(p_se), history, converged, jac, data)


def _inverse(h, names, theta, p):
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


def _weights(p, p_se, n_obs):
    q = jnp.clip(p, 1e-3, 1 - 1e-3)
    return jnp.diag(1.0 / (q * (1 - q) / n_obs + p_se**2))


def _linearize(outcome, names, theta, rel_scale, n_pairs, key, k_obs, n_obs):
    """P, its Monte Carlo error and Jacobian in z at theta; the curvature of the
    quasi-likelihood of the linearized model by jax.hessian."""
    dtype = k_obs.dtype
    params = {k: jnp.asarray(v, dtype) for k, v in zip(names, theta)}
    scale = {k: float(r) * float(v) for k, r, v in zip(names, rel_scale, theta)}
    est = smoothed_probability(outcome, params, scale, key, n_pairs=n_pairs, jacobian=True)
    p = jnp.asarray(est.p, dtype)
    g = jnp.stack([jnp.asarray(est.grad[k], dtype) * float(t)
                   for k, t in zip(names, theta)], axis=-1)   # dP/dz, (I, K)
    w = _weights(p, jnp.asarray(est.p_se, dtype), n_obs)
    r = k_obs / n_obs - p

    def nll(delta):
        res = r - g @ delta
        return 0.5 * res @ w @ res

    h = jax.hessian(nll)(jnp.zeros(len(names), dtype))
    # The estimated Jacobian carries Monte Carlo noise, which inflates G^T W G on
    # average by sum_i w_i diag(se(G_i)^2); remove it (keeping the matrix positive).
    g_se = jnp.stack([jnp.asarray(est.grad_se[k], dtype) * float(t)
                      for k, t in zip(names, theta)], axis=-1)
    noise = jnp.diag(jnp.sum(jnp.diag(w)[:, None] * g_se**2, axis=0))
    h_corr = h - noise
    ok = jnp.all(jnp.linalg.eigvalsh(h_corr) > 0.1 * jnp.linalg.eigvalsh(h).min())
    h = jnp.where(ok, h_corr, h)
    return g, h, p, jnp.asarray(est.p_se, dtype), nll(jnp.zeros(len(names), dtype))
