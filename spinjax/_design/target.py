r"""Pulse and device tuning to a target switching probability, with optax.

The loss is $L = \tfrac12\sum_j (P_j(\theta) - p^*)^2$ over one probability (a pulse
shared by an array) or one per junction (per-junction trimming). Its gradient comes
from the unbiased smoothing estimator
([`spinjax.smoothed_probability`][spinjax.estimators.smoothed_probability]), and the step is
taken by an optax transformation on the unconstrained variable $z$ of each parameter
([`Bounded`][spinjax.design.Bounded], [`Positive`][spinjax.design.Positive]: the range is
kept by the transform, so the gradient never dies at a clip). By default the gradient is
preconditioned by the Gauss-Newton curvature: the minimum-norm step $(P - p^*)\nabla_z P /
|\nabla_z P|^2$ for shared parameters, $(P_j - p^*)/\partial_z P_j$ per junction (a
Newton step on $P = p^*$; stochastic approximation in the sense of Robbins and Monro
with a decaying gain), then clipped and scaled by
``optax.chain(optax.clip(0.5), optax.sgd(schedule))``.
"""

import dataclasses
import json
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._estimators.smoothing import smoothed_probability
from .._params import InvalidParameterError
from .._validate import check_int, check_real
from .transforms import Bounded, Positive


class DesignFailed(RuntimeError):
    """The target cannot be reached: the message says where the search ended and why."""


@dataclasses.dataclass
class DesignResult:
    """`params` the tuned values; `p`, `p_se` the probability at them (from the
    verification sample if one was drawn); `log` one dict per step (step, p, p_se,
    params, loss); `converged`."""

    params: dict
    p: np.ndarray
    p_se: np.ndarray
    log: list
    converged: bool

    def to_json(self) -> dict:
        f = lambda x: np.asarray(x).tolist()  # noqa: E731
        return {"params": {k: f(v) for k, v in self.params.items()}, "p": f(self.p),
                "p_se": f(self.p_se), "converged": self.converged, "log": self.log}

    def save_json(self, path):
        with open(path, "w") as fh:
            json.dump(self.to_json(), fh, indent=1)


def default_optimizer(steps: int = 40) -> optax.GradientTransformation:
    """Clip each preconditioned step to 0.5 in z, gain decaying from 1 to 0.15."""
    schedule = optax.exponential_decay(1.0, transition_steps=6, decay_rate=0.7,
                                       end_value=0.15)
    return optax.chain(optax.clip(0.5), optax.sgd(schedule))


def tune_to_probability(outcome: Callable, init: dict, transforms: dict, scale: dict,
                        target: float, key, *, n_pairs: int = 4096, tol: float = 0.01,
                        max_steps: int = 40, verify_pairs: int | None = None,
                        optimizer: optax.GradientTransformation | None = None,
                        preconditioned: bool = True, log: Callable | None = None
                        ) -> DesignResult:
    r"""Find parameters at which the switching probability equals `target`.

    **Arguments:**

    - `outcome`: ``outcome(params, key) -> b`` as for
      [`spinjax.smoothed_probability`][spinjax.estimators.smoothed_probability] (e.g.
      [`spinjax.pulse_outcome`][spinjax.estimators.pulse_outcome]): `b` of shape (2n,) for
      one shared probability, or (2n, J) for one per junction (then each parameter has shape
      (J,)).
    - `init`: initial values (floats or arrays); `transforms`: a
      [`Bounded`][spinjax.design.Bounded] or [`Positive`][spinjax.design.Positive] per
      parameter; `scale`: the smoothing width per parameter, in its unit.
    - `target` $p^* \in (0, 1)$; `tol`: the accepted $|P - p^*|$ for every probability.
    - `n_pairs`: antithetic pairs per step; `verify_pairs`: pairs of a final,
      independent check (default `n_pairs`), drawn in batches of `n_pairs`.
    - `log`: called with each step's dict (e.g. a clu metric writer's ``write_scalars``
      wrapper, or ``list.append``).

    The probability it reaches is the smoothed $P_s$ at the tuned values (the
    estimator's target): where $P$ bends, $P_s$ differs from $P$ by about
    $\tfrac12 s^2 P''$ (measured 0.02 below $P$ at $p \approx 0.9$ with $s$ = 0.03 V on
    the VCMA preset), so keep `scale` small against the curve's width near the tails.

    Stops when every running estimate is within `tol` (and then verifies), or raises
    [`DesignFailed`][spinjax.design.DesignFailed] after `max_steps`, or earlier when a
    bounded parameter is pinned at a bound with the gradient pointing outwards (the target
    is out of reach in the allowed range).
    """
    check_real("target", target, 0.0, 1.0, closed_lo=False, closed_hi=False)
    check_real("tol", tol, 0.0, 0.5, closed_lo=False, closed_hi=False)
    check_int("n_pairs", n_pairs, 1, 2**30)
    check_int("max_steps", max_steps, 1, 100_000)
    if verify_pairs is not None:
        check_int("verify_pairs", verify_pairs, 1, 2**30)
    for name, d in (("init", init), ("transforms", transforms), ("scale", scale)):
        if not isinstance(d, dict) or not d:
            raise InvalidParameterError(f"{name} = {d!r:.60}; it must be a non-empty dict "
                                        "keyed by parameter name.")
    if set(init) != set(transforms) or set(init) != set(scale):
        raise InvalidParameterError(f"init, transforms and scale must name the same "
                                    f"parameters; got {sorted(init)}, {sorted(transforms)}, "
                                    f"{sorted(scale)}.")
    for k, t in transforms.items():
        if not isinstance(t, (Bounded, Positive)):
            raise InvalidParameterError(f"transforms[{k!r}] = {t!r:.60}; it must be a "
                                        "spinjax.Bounded or spinjax.Positive.")
    optimizer = optimizer or default_optimizer(max_steps)
    z = {k: jnp.asarray(transforms[k].inverse(v)) for k, v in init.items()}
    state = optimizer.init(z)
    history = []
    # A hand-written loop, not optimistix.minimise: every step draws a new Monte Carlo
    # estimate (its own key), a stochastic approximation that a deterministic solver's
    # line search and termination tests would misread as the objective changing.
    for step in range(max_steps):  # optimization steps, not time steps
        theta = {k: transforms[k].forward(z[k]) for k in z}
        est = smoothed_probability(outcome, theta, scale, jax.random.fold_in(key, step),
                                   n_pairs=n_pairs)
        resid = est.p - target
        entry = {"step": step, "p": np.asarray(est.p).tolist(),
                 "p_se": np.asarray(est.p_se).tolist(),
                 "params": {k: np.asarray(v).tolist() for k, v in theta.items()},
                 "loss": float(0.5 * jnp.sum(resid**2))}
        history.append(entry)
        if log is not None:
            log(entry)
        if bool(jnp.all(jnp.abs(resid) <= tol)):
            return _verify(outcome, theta, scale, target, key, tol, verify_pairs or n_pairs,
                           n_pairs, history)
        dp_dz = {k: est.grad[k] * transforms[k].derivative(z[k]) for k in z}
        shared = [k for k in z if jnp.ndim(z[k]) == 0]
        norm2 = sum(dp_dz[k] ** 2 for k in shared) if shared else 1.0
        grads = {}
        for k in z:
            if not preconditioned:   # the plain gradient of L
                g = resid * dp_dz[k] if jnp.ndim(z[k]) else jnp.sum(resid) * dp_dz[k]
            elif jnp.ndim(z[k]):     # per-junction: a Newton step on each P_j
                d = dp_dz[k]
                g = resid / jnp.where(jnp.abs(d) > 1e-6, d, 1e-6)
            else:                    # shared: the minimum-norm Gauss-Newton step
                g = jnp.mean(resid) * dp_dz[k] / jnp.maximum(norm2, 1e-12)
            grads[k] = g
            _check_reachable(k, transforms[k], z[k], g, entry)
        updates, state = optimizer.update(grads, state, z)
        z = optax.apply_updates(z, updates)
    raise DesignFailed(
        f"target p = {target} not reached within tol = {tol} after {max_steps} steps: "
        f"last p = {history[-1]['p']} (se {history[-1]['p_se']}) at "
        f"{history[-1]['params']}. More steps, more pairs, or a wider range may help.")


def _check_reachable(name, transform, z, g, entry):
    if not isinstance(transform, Bounded):
        return
    pinned_hi = (z > 6) & (g < 0)   # wants to grow past hi (sigmoid saturated)
    pinned_lo = (z < -6) & (g > 0)
    if bool(jnp.any(pinned_hi | pinned_lo)):
        where = "upper" if bool(jnp.any(pinned_hi)) else "lower"
        raise DesignFailed(
            f"{name} is pinned at its {where} bound ({transform.lo}, {transform.hi}) while "
            f"the target still needs it to move outwards (p = {entry['p']}): the target "
            f"is not reachable in the allowed range.")


def _verify(outcome, theta, scale, target, key, tol, pairs, n_pairs, history):
    """An independent check in batches of `n_pairs` (the outcome's array size)."""
    batches = max(1, -(-int(pairs) // int(n_pairs)))
    ests = [smoothed_probability(outcome, theta, scale,
                                 jax.random.fold_in(key, 10_000 + b), n_pairs=n_pairs)
            for b in range(batches)]
    p = jnp.mean(jnp.stack([e.p for e in ests]), axis=0)
    se = jnp.sqrt(jnp.mean(jnp.stack([e.p_se**2 for e in ests]), axis=0) / batches)
    ok = bool(jnp.all(jnp.abs(p - target) <= tol + 3 * se))
    return DesignResult({k: np.asarray(v) for k, v in theta.items()}, np.asarray(p),
                        np.asarray(se), history, ok)
