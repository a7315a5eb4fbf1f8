r"""Fit device parameters to switching-probability data through the stochastic solver.

Data: $k_i$ switches of $n_i$ writes at pulse $(V_i, t_i)$. Model: $P_i(\theta)$, the
switching probability of the device with parameters $\theta$ under that pulse, from
the sLLG: $P_i$ from unperturbed devices, and $J_{ik} = \partial P_i/\partial z_k$
($z = \log\theta$) from
[`spinjax.smoothed_probability`][spinjax.estimators.smoothed_probability] with
``jacobian=True``, all data points in one solve. The fit maximizes the binomial likelihood
in its Gaussian (quasi-likelihood) form with the Monte Carlo noise of the model included,

$$-\log L = \tfrac12\sum_i w_i\,(k_i/n_i - P_i(\theta))^2, \qquad
  w_i^{-1} = \frac{P_i(1 - P_i)}{n_i} + e_i^2,$$

by Fisher scoring (Gauss-Newton) steps in $z$ (which keeps every parameter
positive), taken by an optax transformation: full steps while searching, then
decaying gains and an average of the iterates, then one last step from a careful
evaluation. The covariance is the inverse curvature of $-\log L$ at the optimum
(``jax.hessian`` of the linearized model: $(J^\top W J)^{-1}$, with the two
Jacobians from independent half-samples), mapped back to $\theta$; intervals are
$\hat\theta_k \pm 1.96\,\sigma_k$. benchmarks/fit_coverage.py measures how often they
cover the truth.

Identifiability (VCMA precessional write, [`spinjax.devices.vcma_mtj`][], fitted in
the coordinates of [`vcma_mtj_compensation`][spinjax.fitting.vcma_mtj_compensation]).
$K_{i0}$ and $\xi$ enter through
$K_\mathrm{eff}(V) = (K_{i0} - \xi V/t_{ox})/t_F - \mu_0 M_s^2 \Delta N/2$:

- one width, several voltages: the compensation voltage $V_c$ (the middle of the
  curve) and $\xi$ (its slope, against the thermal spread), correlated at about
  -0.98, if the temperature, volume and $M_s$ are known;
- the bias field $H_x$ needs two or more widths: it sets the precession period (the
  first maximum at $\pi/(\gamma_0 H_x)$), and moves with $V_c$ and $\xi$ (|r| 0.93-0.98);
- the damping $\alpha$ acts weakly at the first maximum ($\partial P/\partial\alpha$ of
  a few per unit $\alpha$); it needs widths over several precession periods, where it
  sets how fast the switching maxima decay from one period to the next. With 4
  voltages x 5 widths (0.44-2.4 ns) x 1000 trials it comes out to about 5 % and
  nearly uncorrelated with the rest (|r| about 0.3).
The correlation matrix of each result says how well its data separate them.
"""

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._drive import Drive
from .._estimators.outcomes import check_timing
from .._increments import AbstractIncrements, RademacherIncrements
from .._params import InvalidParameterError
from .._pulses.shapes import Trapezoid
from .._simulate import simulate
from .._validate import check_int, check_real
from .data import SwitchingData
from .quasi_likelihood import covariance, linearize
from .start import find_start


def grid_outcome(preset: Callable, data: SwitchingData, *, start_s=0.1e-9, edge_s=30e-12,
                 settle_s=1.0e-9, dt=4e-12, thermal_t_s=0.5e-9, start_well=1,
                 noise: AbstractIncrements = RademacherIncrements(), **fixed) -> Callable:
    """``outcome(params, key, paired=True) -> b`` of shape (2n, I): each of the I data
    points' pulse on n antithetic pairs of devices (junctions j and j + n share their
    noise) whose parameters (leaves of shape (2n,), keys among the preset's arguments)
    are shared by all points; ``paired=False`` gives all 2n junctions their own noise."""
    check_timing(dt=dt, start_well=start_well, thermal_t_s=thermal_t_s, start_s=start_s,
                 edge_s=edge_s, settle_s=settle_s)
    v = np.asarray(data.voltage_V, np.float64)
    w = np.asarray(data.width_s, np.float64)
    temps = np.asarray(data.temperature_K, np.float64)
    t1 = dt * np.ceil((start_s + 2 * edge_s + w.max() + settle_s) / dt - 1e-9)

    def outcome(params, key, paired=True):
        n2 = int(np.shape(next(iter(params.values())))[0])
        n = n2 // 2
        dev_kw = {**fixed, **{k: jnp.reshape(x, (2, n, 1)) for k, x in params.items()}}
        if np.all(np.isfinite(temps)):
            dev_kw["temperature_K"] = jnp.asarray(temps)
        dev = preset(**dev_kw)
        k0, k1 = jax.random.split(key)
        shared = 1 if paired else 0
        m0 = dev.thermal_state(k0, (2, n, len(v)), well=start_well, t_s=thermal_t_s,
                               common_noise_axes=shared)
        c = lambda x: jnp.asarray(x, m0.dtype)  # noqa: E731
        pulse = Trapezoid(c(v), c(start_s), c(w), c(edge_s), c(edge_s))
        sol = simulate(dev.model, m0, t1=float(t1), dt=dt, key=k1,
                       drive=Drive(voltage_V=pulse), noise=noise, common_noise_axes=shared)
        u = jnp.asarray(dev.easy_axis, sol.m.dtype)
        return (start_well * (sol.m @ u) < 0).reshape(n2, len(v))

    return outcome


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
    start: dict | None = None

    @property
    def p_band(self) -> np.ndarray:
        r"""The model's standard error at each data point: parameter uncertainty
        propagated linearly ($J\,\mathrm{Cov}\,J^\top$) plus its Monte Carlo error."""
        var = self.p_model_se**2
        if self.jacobian is not None:
            var = var + np.einsum("ik,kl,il->i", self.jacobian, self.covariance, self.jacobian)
        return np.sqrt(var)

    def plot(self, path=None):
        """The ``matplotlib.figure.Figure``, built without pyplot (the backend and open
        figures stay the user's; a notebook shows it inline); also written as a PNG to
        `path` when one is given."""
        from matplotlib.figure import Figure  # no pyplot: the backend stays the user's

        from ..experiments._stats import wilson_interval
        d = self.data
        fig = Figure(figsize=(5.5, 4))
        ax = fig.add_subplot()
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
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig

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
                "start": self.start, "converged": self.converged, "log": self.log}


def fit_switching(data: SwitchingData, init: dict, key, *, preset: Callable,
                  rel_scale: float = 0.25, n_pairs: int = 1024, max_steps: int = 14,
                  optimizer: optax.GradientTransformation | None = None,
                  log: Callable | None = None, outcome_kwargs: dict | None = None,
                  final_pair_factor: int = 8, settle_sigma: float = 1.0,
                  start_search: bool = True, **fixed) -> FitResult:
    r"""Fit the positive device parameters named in `init` (initial values, SI units;
    keyword arguments of `preset`) to `data`; the other parameters of `preset` come from
    `fixed` or its defaults. `rel_scale` is the largest smoothing width of the
    gradient estimator relative to each parameter (it starts at 2 % or `rel_scale` if
    smaller, then adapts to a sixth of the scale on which P bends); `n_pairs` the
    antithetic pairs per data point and step. P itself comes from unperturbed devices,
    so the smoothing touches only the Jacobian, where its bias is second order: a
    weakly identified parameter (the damping) gets a wide smoothing and with it a
    Jacobian whose noise does not swamp its signal.

    The iteration has two phases. *Search*: full Fisher-scoring steps (inside a trust
    region of one bend scale per step) until a proposed step is below `settle_sigma`
    standard errors in every parameter. *Averaging*: the remaining steps, up to
    `max_steps` in all, with gains 1/2, 1/3, ... (Robbins-Monro); the estimate is the
    average of the averaging-phase iterates (Polyak-Ruppert), at least the last third
    of all iterates. The covariance is evaluated there with `final_pair_factor` times
    the pairs. `converged` says whether the search settled and the averaged iterates'
    spread is below one standard error.

    Every step uses two independent half-samples A and B of the pairs: the step
    $\tfrac12 H^{-1}(J_B^\top W r_A + J_A^\top W r_B)$ and the curvature
    $H = \tfrac12(J_A^\top W J_B + J_B^\top W J_A)$ pair each Monte Carlo Jacobian
    with an independent residual and an independent Jacobian. So the direction is
    unbiased, and the curvature is not inflated by the Jacobians' noise (the product of
    one noisy Jacobian with itself is, on average, too large by their variance, most
    of all along weakly identified directions: it shrank the steps along them and
    left the estimate leaning towards the start).

    Start. Where the model is saturated at the start (every $P_i$ 0 or 1: a flat
    likelihood) and `start_search` is on, a preset with a ``start_from_data``
    attribute proposes a start from the data (`spinjax._fitting.start`;
    ``result.start`` records it, and `log` gets it as step -1); where there is none,
    or it is saturated too, [`FitFailed`][spinjax.fitting.FitFailed] says so at once, with
    the voltage at which the data cross 1/2.
    """
    if not isinstance(data, SwitchingData):
        raise InvalidParameterError(f"data = {data!r:.60}; it must be a SwitchingData (from "
                                    "spinjax._fitting.read_csv or from_arrays).")
    if not isinstance(init, dict) or not init:
        raise InvalidParameterError(f"init = {init!r:.60}; it must be a dict naming at least "
                                    "one parameter to fit and its start.")
    names = tuple(init)
    for k in names:
        check_real(k, init[k], 0.0, closed_lo=False)   # fitted on a log scale
    try:   # a device at the start: a name the preset does not take fails here
        preset(**fixed, **{k: float(init[k]) for k in names})
    except TypeError as err:
        raise InvalidParameterError(f"init names {list(names)}, which "
                                    f"{getattr(preset, '__name__', 'the preset')} does not "
                                    f"all take: {err}.") from err
    n_pairs = check_int("n_pairs", n_pairs, 4, 2**24)
    max_steps = check_int("max_steps", max_steps, 1, 10_000)
    final_pair_factor = check_int("final_pair_factor", final_pair_factor, 1, 1024)
    rel_scale = check_real("rel_scale", rel_scale, 0.0, 1.0, closed_lo=False)
    settle_sigma = check_real("settle_sigma", settle_sigma, 0.0, closed_lo=False)
    theta0 = np.array([float(init[k]) for k in names])
    outcome = grid_outcome(preset, data, **(outcome_kwargs or {}), **fixed)
    start = None
    if start_search:
        theta0, start = find_start(outcome, names, theta0, data, key, n_pairs, preset,
                                   log)
    k_obs = jnp.asarray(data.switches, jnp.float64 if jax.config.jax_enable_x64
                        else jnp.float32)
    n_obs = jnp.asarray(data.trials, k_obs.dtype)
    # The gain is set per step (1 while searching, then 1/2, 1/3, ...).
    optimizer = optimizer or optax.inject_hyperparams(optax.sgd)(learning_rate=1.0)
    z = jnp.zeros(len(names), k_obs.dtype)
    state = optimizer.init(z)
    history = []
    rel = np.full(len(names), min(rel_scale, 0.02))   # smoothing widths, relative to theta
    path, settled_at = [], None
    # A hand-written loop, not optimistix.GaussNewton: each step linearizes a new Monte
    # Carlo estimate (its own key), with decaying gains and iterate averaging after it
    # settles (stochastic approximation), which a deterministic solver does not do.
    for step in range(max_steps):  # optimization steps, not time steps
        theta = theta0 * np.exp(np.asarray(z, np.float64))
        lin = linearize(outcome, names, theta, rel, n_pairs,
                         jax.random.fold_in(key, step), k_obs, n_obs)
        cov_z = covariance(lin.h, names, theta, lin.p)
        delta = cov_z @ lin.score
        # The scale on which P bends in each parameter: a sigmoid of slope max|dP/dz|
        # turns over in 1/(4 max|dP/dz|). Smooth the Jacobian at a sixth of it (its
        # bias is second order in s/w; P itself is not smoothed), and move at most one
        # such width per step (a trust region: beyond it the linear model is wrong).
        width = 1.0 / (4 * np.maximum(np.max(np.abs(lin.g), axis=0), 1e-12))
        rel = np.clip(width / 6, 1e-4, rel_scale)
        # Settled: the full (unclipped) step is within the noise; a step cut short by
        # the trust region says nothing about how far the optimum still is.
        step_sigma = np.abs(delta) / np.sqrt(np.diag(cov_z))
        delta = np.clip(delta, -width, width)
        if settled_at is None and np.all(step_sigma < settle_sigma):
            settled_at = step
        gain = 1.0 if settled_at is None else 1.0 / (2 + step - settled_at)
        entry = {"step": step, "params": dict(zip(names, theta.tolist())),
                 "nll": float(lin.nll), "step_in_sigma": step_sigma.tolist(),
                 "gain": gain, "phase": "search" if settled_at is None else "average"}
        history.append(entry)
        path.append(np.asarray(z, np.float64))
        if log is not None:
            log(entry)
        if hasattr(state, "hyperparams"):
            state.hyperparams["learning_rate"] = jnp.asarray(gain, z.dtype)
        updates, state = optimizer.update(jnp.asarray(-delta, z.dtype), state, z)
        z = optax.apply_updates(z, updates)
    path.append(np.asarray(z, np.float64))
    # Polyak-Ruppert: the average of the averaging-phase iterates (at least the last
    # third), then one careful evaluation there for the curvature.
    first = len(path) - max(2, len(path) // 3)
    if settled_at is not None:
        first = min(first, settled_at + 1)
    tail = path[first:]
    # The curvature needs a Jacobian whose Monte Carlo noise is small against its
    # signal along every direction, including the weak ones: more pairs, and a wider
    # smoothing (half the bend scale: its bias on the Jacobian is second order).
    final_rel = np.clip(3 * rel, 1e-4, rel_scale)
    z_bar = np.mean(tail, axis=0)
    theta = theta0 * np.exp(z_bar)
    lin = linearize(outcome, names, theta, final_rel, final_pair_factor * n_pairs,
                     jax.random.fold_in(key, 10_000), k_obs, n_obs)
    cov_z = covariance(lin.h, names, theta, lin.p)
    spread = np.std(tail, axis=0)
    converged = bool(settled_at is not None and np.all(spread < np.sqrt(np.diag(cov_z))))
    # A last Fisher-scoring step from the average with the careful evaluation. The
    # averaged iterates keep a Monte Carlo error of about a standard error along a
    # weakly identified valley (measured: the profile likelihood's minimum 0.8 sigma
    # from the average), which intervals from the data's curvature do not count. This
    # step's own error is that of one evaluation with final_pair_factor x the pairs,
    # which the weights (data variance + p_se^2) and so the covariance do include.
    width = 1.0 / (4 * np.maximum(np.max(np.abs(lin.g), axis=0), 1e-12))
    last = np.clip(cov_z @ lin.score, -width, width)
    theta = theta * np.exp(last)
    p_model = np.clip(lin.p + lin.g @ last, 0.0, 1.0)
    d = np.diag(theta)   # d theta / d z
    cov = d @ cov_z @ d
    sig = np.sqrt(np.diag(cov))
    jac = lin.g / theta[None, :]   # dP/dtheta
    history.append({"step": max_steps, "params": dict(zip(names, theta.tolist())),
                    "nll": float(lin.nll), "step_in_sigma": (np.abs(last) / np.sqrt(
                        np.diag(cov_z))).tolist(), "gain": 1.0, "phase": "final"})
    return FitResult(names, dict(zip(names, theta.tolist())), dict(zip(names, sig.tolist())),
                     cov, p_model, lin.p_se, history, converged, jac, data, start)
