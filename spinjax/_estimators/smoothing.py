r"""Gaussian-smoothing (likelihood-ratio) estimator of a switching probability and
its gradient, with antithetic pairs and common random numbers.

For a per-junction outcome $b(\theta, \omega) \in \{0, 1\}$ (switched or not, with
$\omega$ the thermal noise and initial state) and $P(\theta) = E_\omega b$, the
smoothed probability

$$P_s(\theta) = E_{\varepsilon \sim N(0, I)}\, P(\theta + s \odot \varepsilon)$$

has the gradient (Stein's lemma; the score of the Gaussian perturbation)

$$\nabla P_s = E\left[\frac{b(\theta + s\varepsilon, \omega) -
  b(\theta - s\varepsilon, \omega)}{2}\,\frac{\varepsilon}{s}\right],$$

estimated without bias from $n$ antithetic pairs that share $\omega$ (common random
numbers: the pair differs only where the perturbation flips the outcome, which is
what makes the variance small). The smoothing bias is
$P_s - P = \tfrac12 \sum_k s_k^2 \partial_k^2 P + O(s^4)$ and
$\nabla P_s - \nabla P = \tfrac12 \sum_k s_k^2 \partial_k^2 \nabla P + O(s^4)$:
take $s$ small against the scale on which $P$ bends (for a logistic
$P(V)$ of width $w$, $s = w/4$ biases the slope at its middle by about 3 %), and
large enough that pairs differ often (the variance grows like $1/s$).

When to use it: any parameter (pulse amplitude, width, temperature, damping,
anisotropy), any regime (precessional, thermally activated), any estimator of the
outcome; it needs only forward solves (2n junctions in one call). Use it for
switching probabilities and write error rates above about $10/n$.
"""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._params import InvalidParameterError
from .._validate import check_int


class SmoothedEstimate(eqx.Module):
    """`p`: the switching fraction over all 2n junctions (an estimate of
    $P_s(\\theta)$, unbiased up to the smoothing bias); `grad`: $\\nabla P_s$ as a
    pytree like the parameters; `p_se`, `grad_se`: their standard errors (from the
    spread over pairs); `n_pairs`."""

    p: jax.Array
    grad: object
    p_se: jax.Array
    grad_se: object
    n_pairs: int = eqx.field(static=True)


def _check(scale, params, n_pairs):
    check_int("n_pairs", n_pairs, 2, 2**30)
    leaves, tdef = jax.tree.flatten(params)
    if not leaves:
        raise InvalidParameterError("params has no parameter; give at least one.")
    try:
        s_leaves = tdef.flatten_up_to(scale)
    except (ValueError, TypeError) as err:
        raise InvalidParameterError(f"scale must have the structure of params "
                                    f"({tdef}); {err}") from err
    for path, s in zip(range(len(leaves)), s_leaves):
        s = np.asarray(s)
        if s.dtype.kind not in "iuf" or not (np.all(np.isfinite(s)) and np.all(s > 0)):
            raise InvalidParameterError(
                f"scale of parameter leaf {path} = {s}; the valid range is (0, inf) in "
                f"the parameter's unit.")
    return leaves, tdef, s_leaves


def smoothed_probability(outcome: Callable, params, scale, key, *,
                         n_pairs: int, jacobian: bool = False) -> SmoothedEstimate:
    r"""Estimate $P_s(\theta)$ and $\nabla P_s(\theta)$ from `n_pairs` antithetic pairs.

    **Arguments:**

    - `outcome`: ``outcome(params_per_junction, key) -> b`` with `b` in {0, 1} of
      shape (2 n_pairs, ...): every leaf of `params_per_junction` has a leading axis of
      2 n_pairs (junction j and j + n_pairs are the + and - members of a pair). The
      function must give junctions j and j + n_pairs the same thermal noise and initial
      state (draw them for n_pairs junctions from `key` and tile them twice); it is
      one [`spinjax.simulate`][] over the array in practice.
    - `params`: a pytree of scalars (or arrays, each element its own parameter),
      $\theta$.
    - `scale`: the same structure, the smoothing widths $s$ in the parameters' units.
    - `key`: a PRNG key; the perturbations use ``fold_in(key, 0)``, the outcome
      ``fold_in(key, 1)``.
    `b` may have trailing axes $S$ (several probabilities, e.g. one per junction of
    an array being calibrated): `p` then has shape $S$, and a parameter leaf of shape
    $S$ is one parameter per probability (its gradient is the diagonal
    $\partial P_j/\partial\theta_j$, for outcomes that depend on their own
    parameter only), while a scalar leaf gets the gradient of the mean of `p`, or
    with ``jacobian=True`` the derivative of every probability, shape $S$ (for
    fitting many data points with shared device parameters).

    Same key, same estimate; the estimator is unbiased for $P_s$ and $\nabla P_s$.
    """
    leaves, tdef, s_leaves = _check(scale, params, n_pairs)
    n = int(n_pairs)
    k_eps = jax.random.fold_in(key, 0)
    leaves = [jnp.asarray(x) if jnp.issubdtype(jnp.asarray(x).dtype, jnp.floating)
              else jnp.asarray(x, float) for x in leaves]
    eps = [jax.random.normal(jax.random.fold_in(k_eps, i), (n, *x.shape), x.dtype)
           for i, x in enumerate(leaves)]
    perturbed = [jnp.concatenate([x + s * e, x - s * e]) for x, s, e in
                 zip(leaves, s_leaves, eps)]
    b = jnp.asarray(outcome(jax.tree.unflatten(tdef, perturbed), jax.random.fold_in(key, 1)))
    b = b.astype(leaves[0].dtype)
    if b.shape[0] != 2 * n:
        raise InvalidParameterError(f"outcome returned shape {b.shape}; its first axis must "
                                    f"be 2 n_pairs = {2 * n}.")
    plus, minus = b[:n], b[n:]
    pair_mean = 0.5 * (plus + minus)
    p = jnp.mean(pair_mean, axis=0)
    p_se = jnp.std(pair_mean, axis=0) / n**0.5
    half_diff = 0.5 * (plus - minus)
    grads, ses = [], []
    for x, e, s in zip(leaves, eps, s_leaves):
        if jnp.ndim(x) == 0 and jacobian:   # shared parameter, each probability
            terms = half_diff * e.reshape((n,) + (1,) * (half_diff.ndim - 1)) / s
        elif jnp.ndim(x) == 0:   # a shared parameter: the gradient of the mean probability
            terms = jnp.mean(half_diff.reshape(n, -1), axis=1) * e / s
        else:
            terms = half_diff * e / s
        grads.append(jnp.mean(terms, axis=0))
        ses.append(jnp.std(terms, axis=0) / n**0.5)
    return SmoothedEstimate(p, jax.tree.unflatten(tdef, grads), p_se,
                            jax.tree.unflatten(tdef, ses), n)
