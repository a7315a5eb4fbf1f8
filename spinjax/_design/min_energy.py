r"""The minimum-energy write pulse: a piecewise-linear voltage waveform that reaches a
target switching probability with the least energy drawn from the driver.

The problem, for knot values $\mathbf v = (v_1, \dots, v_{K-2})$ at fixed times
$t_0 < \dots < t_{K-1}$ (the end knots pinned at 0 V):

$$\min_{0 < v_k < V_\mathrm{max}} E(\mathbf v) \quad\text{subject to}\quad
  P(\mathbf v) \ge p^*, \qquad
  E(\mathbf v) = \int \frac{V(t)^2}{R}\,dt + C\,\max_k v_k^2$$

([`spinjax.devices.barrier_write_energy_J`][]: Joule heat in the barrier plus the
charge of its capacitance; in the parallel state $R = R_P$ and the integral of a
squared linear segment is $\Delta t\,(a^2 + ab + b^2)/3$, so $E$ is exactly a quadratic
in the knots, differentiated by ``jax.grad``). $P$ is the switching probability from
`spinjax._estimators.waveform_outcome`, its gradient from the unbiased smoothing
estimator ([`spinjax.smoothed_probability`][spinjax.estimators.smoothed_probability],
antithetic pairs, common random numbers). A write error rate target $\mathrm{WER}^*$ is
$p^* = 1 - \mathrm{WER}^*$.

Method: an augmented Lagrangian for the inequality $g = p^* - P \le 0$ (Hestenes,
J. Optim. Theory Appl. 4, 303, 1969; Rockafellar, Math. Program. 5, 354, 1973; in its
stochastic primal-dual form), on the unconstrained variables $z_k$ of
$v_k = V_\mathrm{max}\,\sigma(z_k)$ ([`Bounded`][spinjax.design.Bounded]: the amplitude
limit is kept by the transform, never by a clip):

$$\mu_t = \max(0, \lambda_t + \rho\, g_t), \qquad
  \nabla_z \mathcal L = \frac{\nabla_z E}{E_0} - \mu_t \nabla_z P, \qquad
  \lambda_{t+1} = \mu_t,$$

each step taken by an optax transformation (Adam by default), with $\lambda_0$ the
least-squares multiplier $\langle\nabla E/E_0, \nabla P\rangle / |\nabla P|^2$. The
shape is the mean of the last third of the iterates (Polyak averaging, against the
noise of $P$); its overall scale is then tuned to $P = p^*$ by
[`tune_to_probability`][spinjax.design.tune_to_probability] on a gain $c$ (knots
$c\,\mathbf v$), which also draws the independent verification sample. The amplitude limit
makes some targets unreachable: [`DesignFailed`][spinjax.design.DesignFailed] says so, with
the probability reached at the limit.
"""

import dataclasses
import json
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

from .._estimators.outcomes import pulse_outcome
from .._estimators.smoothing import smoothed_probability
from .._estimators.waveform_outcome import check_knot_times, waveform_outcome
from .._params import InvalidParameterError
from .._validate import check_int, check_real
from .._pulses.shapes import PiecewiseLinear, Trapezoid
from ..devices.energy import barrier_write_energy_J
from .target import DesignFailed, tune_to_probability
from .transforms import Bounded


@dataclasses.dataclass
class MinEnergyResult:
    """`times_s` (K,) knot times in s; `values_V` (K,) knot voltages in V (end knots 0);
    `energy_J` the write energy in J; `p`, `p_se` the switching probability and its
    standard error on the verification sample; `gain` the final scale of the shape;
    `log` one JSON-ready dict per optimization step; `converged`."""

    times_s: np.ndarray
    values_V: np.ndarray
    energy_J: float
    p: float
    p_se: float
    gain: float
    log: list
    converged: bool

    @property
    def pulse(self) -> PiecewiseLinear:
        """The designed waveform as a [`spinjax.PiecewiseLinear`][] (V)."""
        return PiecewiseLinear(jnp.asarray(self.times_s), jnp.asarray(self.values_V))

    def to_json(self) -> dict:
        return {"times_s": self.times_s.tolist(), "values_V": self.values_V.tolist(),
                "energy_J": self.energy_J, "p": self.p, "p_se": self.p_se,
                "gain": self.gain, "converged": self.converged, "log": self.log}

    def save_json(self, path):
        with open(path, "w") as fh:
            json.dump(self.to_json(), fh, indent=1)


@dataclasses.dataclass
class RectangularReference:
    """The baseline: a trapezoid of plateau `width_s` (s) and edges `edge_s` (s) from
    `start_s` (s) whose `amplitude_V` (V) was tuned to the target; `energy_J` (J), `p`,
    `p_se` (verification sample), `log` (the tuning steps)."""

    amplitude_V: float
    start_s: float
    width_s: float
    edge_s: float
    energy_J: float
    p: float
    p_se: float
    log: list

    @property
    def pulse(self) -> Trapezoid:
        return Trapezoid(self.amplitude_V, self.start_s, self.width_s, self.edge_s,
                         self.edge_s)


def waveform_energy_J(device, times_s: Float[Array, " K"], values_V: Float[Array, " K"],
                      state: str = "parallel") -> Float[Array, ""]:
    r"""$E = \int V^2/R\,dt + C V_\mathrm{max}^2$ (J) of the piecewise-linear voltage
    through $(t_k, V_k)$, averaged over the junctions of `device`
    ([`spinjax.devices.barrier_write_energy_J`][]); differentiable in `values_V`."""
    dtype = jnp.result_type(float)   # the precision of the energy's time grid
    values = jnp.asarray(values_V).astype(dtype)
    pulse = PiecewiseLinear(jnp.asarray(times_s, dtype), values)
    return jnp.mean(barrier_write_energy_J(device, pulse, state))


def rectangular_reference(preset: Callable, target: float, key, *, amplitude_V: float,
                          v_max: float, width_s: float = 0.44e-9, start_s: float = 0.1e-9,
                          edge_s: float = 30e-12, scale_V: float = 0.02,
                          n_pairs: int = 512, tol: float = 0.02, max_steps: int = 20,
                          verify_pairs: int | None = None, state: str = "parallel",
                          **outcome_kw) -> RectangularReference:
    r"""The rectangular (trapezoid) pulse at the precessional width that reaches
    `target`: its amplitude in (0, `v_max`) V tuned from `amplitude_V` by
    [`tune_to_probability`][spinjax.design.tune_to_probability] (smoothing width `scale_V`),
    its energy by [`spinjax.devices.barrier_write_energy_J`][] on ``preset()``. The plateau
    `width_s` defaults to 0.44 ns, which with 30 ps edges is the half precession period
    $\pi/(\gamma_0 H_x) = 0.47$ ns of the VCMA preset (FWHM). Raises
    [`DesignFailed`][spinjax.design.DesignFailed] if the amplitude limit is too low."""
    check_real("target", target, 0.0, 1.0, closed_lo=False, closed_hi=False)
    check_real("v_max", v_max, 0.0, closed_lo=False, unit="V")
    check_real("amplitude_V", amplitude_V, 0.0, v_max, closed_lo=False, closed_hi=False,
               unit="V (below v_max)")
    check_real("width_s", width_s, 0.0, closed_lo=False, unit="s")
    check_real("scale_V", scale_V, 0.0, closed_lo=False, unit="V")
    out = pulse_outcome(preset, start_s=start_s, edge_s=edge_s, width_s=width_s,
                        **outcome_kw)
    res = tune_to_probability(out, {"amplitude": amplitude_V},
                              {"amplitude": Bounded(0.0, v_max)}, {"amplitude": scale_V},
                              target, key, n_pairs=n_pairs, tol=tol, max_steps=max_steps,
                              verify_pairs=verify_pairs)
    a = float(res.params["amplitude"])
    e = jnp.mean(barrier_write_energy_J(preset(), Trapezoid(a, start_s, width_s, edge_s,
                                                            edge_s), state))
    return RectangularReference(a, start_s, width_s, edge_s, float(e), float(res.p),
                                float(res.p_se), res.log)


def _default_optimizer(steps: int) -> optax.GradientTransformation:
    """Adam on z, step size decaying from 0.15 to 0.03 over `steps` steps."""
    return optax.adam(optax.cosine_decay_schedule(0.15, max(int(steps), 1), alpha=0.2))


def min_energy_pulse(preset: Callable, target: float, key, *, times_s, v_max: float,
                     init=None, n_pairs: int = 512, max_steps: int = 30, tol: float = 0.02,
                     scale_V: float = 0.03, penalty: float = 5.0, polish_steps: int = 15,
                     verify_pairs: int | None = None, state: str = "parallel",
                     optimizer: optax.GradientTransformation | None = None,
                     log: Callable | None = None, **outcome_kw) -> MinEnergyResult:
    r"""The piecewise-linear voltage pulse of least write energy with $P \ge p^*$.

    **Arguments:**

    - `preset`: a device factory as for
      [`spinjax.pulse_outcome`][spinjax.estimators.pulse_outcome] (``vcma_mtj``, or
      ``lambda: array`` for an array with device-to-device variation); the energy is that of
      ``preset()``, averaged over its junctions.
    - `target`: $p^* \in (0, 1)$ ($1 - $ the target write error rate).
    - `times_s`: the K knot times in s (the window); the first and last knots are 0 V,
      the K - 2 interior knots are optimized in (0, `v_max`) V.
    - `init`: the K - 2 initial interior knot values in V (default 0.6 `v_max`: a
      flat top); starting from the rectangular reference's amplitude converges fastest.
    - `n_pairs`: antithetic pairs per step; `scale_V`: the smoothing width per knot in
      V; `penalty`: $\rho$; `max_steps`: augmented-Lagrangian steps; `polish_steps`:
      the most steps of the final gain tuning; `tol`: the accepted $|P - p^*|$ of the
      running estimate there; `verify_pairs`: pairs of the independent check (default
      4 `n_pairs`).
    - `log`: called with each step's dict (step, p, p_se, energy_J, multiplier,
      values_V); the dicts are also returned in ``result.log``.
    - `outcome_kw`: keywords of `spinjax._estimators.waveform_outcome`
      (``settle_s``, ``dt``, preset parameters).

    Raises [`DesignFailed`][spinjax.design.DesignFailed] when the target is out of reach
    under `v_max`: at once, if the largest waveform allowed (every interior knot at `v_max`)
    switches with $P + 3\,\mathrm{se} + \mathrm{tol} < p^*$ and more voltage would not hurt;
    otherwise when the final gain cannot reach $p^*$ below the limit.
    """
    check_real("target", target, 0.0, 1.0, closed_lo=False, closed_hi=False)
    check_real("v_max", v_max, 0.0, closed_lo=False, unit="V")
    check_int("n_pairs", n_pairs, 1, 2**30)
    check_int("max_steps", max_steps, 1, 100_000)
    check_int("polish_steps", polish_steps, 1, 100_000)
    check_real("tol", tol, 0.0, 0.5, closed_lo=False, closed_hi=False)
    check_real("scale_V", scale_V, 0.0, closed_lo=False, unit="V")
    check_real("penalty", penalty, 0.0, closed_lo=False)
    if verify_pairs is not None:
        check_int("verify_pairs", verify_pairs, 1, 2**30)
    times = check_knot_times(times_s)
    n_free = times.size - 2
    if n_free < 1:
        raise InvalidParameterError(f"times_s has {times.size} knots; a pulse needs at "
                                    f"least 3 (the two end knots are fixed at 0 V).")
    limit = Bounded(0.0, float(v_max))
    init = np.full(n_free, 0.6 * v_max) if init is None else np.asarray(init, np.float64)
    if init.shape != (n_free,):
        raise InvalidParameterError(f"init has shape {init.shape}; expected ({n_free},), "
                                    f"the interior knots.")
    if not np.all((init > 0) & (init < v_max)):
        raise InvalidParameterError(f"init = {init.tolist()} V; every interior knot must "
                                    f"lie in (0, v_max = {v_max}) V.")
    # the default float for the parameters: float64 under x64 (the estimator divides by
    # a numpy float64, which strict promotion refuses to mix with float32)
    dtype = jnp.result_type(float)
    z = jnp.asarray(limit.inverse(init), dtype)
    outcome = _shape_outcome(waveform_outcome(preset, times, **outcome_kw))
    device = preset()

    def energy(v):
        return waveform_energy_J(device, times, _with_ends(v), state)

    energy_and_grad = jax.value_and_grad(energy)  # not jitted: the energy's time grid
    # is built from the concrete knot times (barrier_write_energy_J)
    scale = {"v": [scale_V] * n_free}
    _check_limit(outcome, limit, n_free, scale, target, tol, key, n_pairs, dtype)

    optimizer = optimizer or _default_optimizer(max_steps)
    opt_state = optimizer.init(z)
    e0 = float(energy(limit.forward(z)))
    history, shapes, lam = [], [], None
    # A hand-written loop, not optimistix.minimise: P(v) is a new Monte Carlo estimate
    # at every step (its own key) and the multiplier is updated between steps.
    for step in range(max_steps):  # optimization steps, not time steps
        v = limit.forward(z)
        est = smoothed_probability(outcome, {"v": list(v)}, scale,
                                   jax.random.fold_in(key, step), n_pairs=n_pairs)
        e, de = energy_and_grad(v)
        dvdz = limit.derivative(z)
        gp = jnp.stack(est.grad["v"]) * dvdz
        ge = de / e0 * dvdz
        if lam is None:   # the least-squares multiplier of the first step
            lam = max(0.0, float(ge @ gp / jnp.maximum(gp @ gp, 1e-12)))
        mu = max(0.0, lam + penalty * (target - float(est.p)))
        entry = {"step": step, "p": float(est.p), "p_se": float(est.p_se),
                 "energy_J": float(e), "multiplier": mu,
                 "values_V": np.asarray(_with_ends(v)).tolist()}
        history.append(entry)
        if log is not None:
            log(entry)
        shapes.append(np.asarray(v, np.float64))
        with jax.numpy_dtype_promotion("standard"):   # optax mixes int step counts and
            updates, opt_state = optimizer.update(ge - mu * gp, opt_state, z)  # floats
        z = optax.apply_updates(z, updates)
        lam = mu

    shape = np.mean(shapes[-max(1, len(shapes) // 3):], axis=0)
    res = _polish(outcome, shape, limit, target, key, n_pairs, tol, scale_V,
                  polish_steps, verify_pairs or 4 * n_pairs, history)
    gain = float(res.params["gain"])
    values = _with_ends(jnp.asarray(gain * shape, dtype))
    return MinEnergyResult(times, np.asarray(values, np.float64),
                           float(energy(values[1:-1])), float(res.p), float(res.p_se),
                           gain, history, bool(res.converged))


def _with_ends(v):
    zero = jnp.zeros((1,), v.dtype)
    return jnp.concatenate([zero, v, zero])


def _shape_outcome(wf_outcome):
    """The waveform outcome as a function of the interior knots as a list of (2n,)
    leaves (``{"v": [...]}``, one smoothing parameter per knot) or of a gain on a
    fixed shape (``{"gain": (2n,)}``, with ``shape`` as a fixed keyword)."""

    def outcome(params, key, shape=None):
        if "gain" in params:
            gain = jnp.asarray(params["gain"])
            interior = gain[:, None] * jnp.asarray(shape, gain.dtype)[None, :]
        else:
            interior = jnp.stack(params["v"], axis=-1)
        zero = jnp.zeros((interior.shape[0], 1), interior.dtype)
        return wf_outcome({"values": jnp.concatenate([zero, interior, zero], -1)}, key)

    return outcome


def _check_limit(outcome, limit, n_free, scale, target, tol, key, n_pairs, dtype):
    """Raise at once when even the largest waveform allowed falls short."""
    full = jnp.full((n_free,), limit.hi * (1 - 1e-3), dtype)
    est = smoothed_probability(outcome, {"v": list(full)}, scale,
                               jax.random.fold_in(key, 99_999), n_pairs=n_pairs)
    p, se = float(est.p), float(est.p_se)
    inward = float(jnp.sum(jnp.stack(est.grad["v"])))
    inward_se = float(jnp.sqrt(jnp.sum(jnp.stack(est.grad_se["v"]) ** 2)))
    if p + 3 * se + tol < target and inward > -2 * inward_se:
        raise DesignFailed(
            f"target p = {target} is out of reach under the amplitude limit v_max = "
            f"{limit.hi} V: the largest waveform allowed (every interior knot at v_max) "
            f"switches with p = {p:.4f} +- {se:.4f}, and lowering it would not help "
            f"(dP/dV summed over the knots = {inward:.3g} +- {inward_se:.2g} per V). "
            f"Raise v_max or widen the window.")


def _polish(outcome, shape, limit, target, key, n_pairs, tol, scale_V, steps, verify,
            history):
    """Tune the gain c of the averaged shape to P = p* (knots c v, c v < v_max)."""
    hi = float(limit.hi / np.max(shape))
    gained = lambda params, k: outcome(params, k, shape=shape)  # noqa: E731
    try:
        return tune_to_probability(
            gained, {"gain": min(1.0, 0.5 * (1.0 + hi))}, {"gain": Bounded(0.25, hi)},
            {"gain": scale_V / float(np.max(shape))}, target,
            jax.random.fold_in(key, 77_777), n_pairs=n_pairs, tol=tol, max_steps=steps,
            verify_pairs=verify)
    except DesignFailed as err:
        p = [h["p"] for h in history]
        raise DesignFailed(
            f"target p = {target} not reached under the amplitude limit v_max = "
            f"{limit.hi} V: the augmented-Lagrangian steps reached p in "
            f"[{min(p):.3f}, {max(p):.3f}], and scaling the shape (peak "
            f"{np.max(shape):.3f} V) up to the limit did not close the gap ({err}). "
            f"Raise v_max, widen the window, or allow more steps.") from err
