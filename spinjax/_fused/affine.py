r"""A model's Gilbert field as an affine map, and the coefficient rows of the fused step.

Every field term spinjax ships except the angular Slonczewski torque is affine in
$\mathbf m$ at fixed inputs: Zeeman and Oersted fields are constant, uniaxial, VCMA and
demagnetizing fields are linear, and a damping-like spin-orbit torque field
$\propto \mathbf m\times\boldsymbol\sigma$ is linear too. So at fixed drive values

$$\mathbf H'(\mathbf m) = \mathbf h_0 + A\,\mathbf m, \qquad \mathbf h_0 =
  \mathbf H'(\mathbf 0),\quad A_{:,k} = \mathbf H'(\hat e_k) - \mathbf h_0,$$

twelve numbers per junction that the fused kernel keeps in registers. The map is
read off the model itself (four evaluations), so the fused path integrates exactly the
model :func:`spinjax.simulate` integrates; a term that is not affine (its field at two
unit probes departs from the map by more than 1e-4 of the map's scale) is named and
refused by :func:`check_affine`.
"""

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..constants import GAMMA0
from .._checks import SimulationInputError, _check, _is_concrete
from .._drive import Inputs
from .._sllg import SLLG
from .._thermal import thermal_field_strength


class Coefficients(NamedTuple):
    r"""Per-junction rows of the fused Heun step, each shape (N,), float.

    ``h0`` ($\mathbf h_0\Delta t$, 3 rows) and ``a`` ($A\Delta t$, 9 rows, row-major)
    in A s/m; ``s`` $=\sigma\sqrt{\Delta t}$ in A s/m (the rms thermal field-time per
    component and step); ``c`` $= -\gamma_0/(1+\alpha^2)$ in m/(A s); ``alpha``.
    """

    h0x: jax.Array
    h0y: jax.Array
    h0z: jax.Array
    axx: jax.Array
    axy: jax.Array
    axz: jax.Array
    ayx: jax.Array
    ayy: jax.Array
    ayz: jax.Array
    azx: jax.Array
    azy: jax.Array
    azz: jax.Array
    s: jax.Array
    c: jax.Array
    alpha: jax.Array


_TOL = 1e-4
_PROBES = np.array([[0.36, -0.48, 0.80], [-0.6, 0.0, -0.8]])


def _affine(fn, n: int, dtype):
    """h0 (n, 3) and A (n, 3, 3) of the map `fn` from (n, 3) vectors to (n, 3) fields."""
    zero = jnp.zeros((n, 3), dtype)
    h0 = jnp.broadcast_to(fn(zero), (n, 3))
    cols = [jnp.broadcast_to(fn(zero + e), (n, 3)) - h0 for e in jnp.eye(3, dtype=dtype)]
    return h0, jnp.stack(cols, axis=-1)


def _nonaffine(fn, h0, a, dtype) -> float:
    """Largest |fn(v) - (h0 + A v)| over two fixed unit probes, relative to the map's
    scale; zero for an affine map (to rounding)."""
    scale = jnp.max(jnp.abs(h0)) + jnp.max(jnp.abs(a)) + 1e-30
    worst = 0.0
    for v in _PROBES:
        v = jnp.asarray(v, dtype)
        m = jnp.broadcast_to(v, h0.shape)
        # A v as three products, not a matmul: on a GPU a float32 dot may run in TF32
        # (10-bit mantissa), whose rounding alone would exceed the bound.
        av = a[..., 0] * v[0] + a[..., 1] * v[1] + a[..., 2] * v[2]
        err = jnp.max(jnp.abs(fn(m) - (h0 + av)))
        worst = jnp.maximum(worst, err / scale)
    return worst


@eqx.filter_jit
def _departures(model: SLLG, inputs: Inputs, n: int, dtype):
    """Per term of the model, its largest relative departure from an affine map."""
    out = []
    for term in (*model.fields, *model.torques):
        def one(m, term=term):
            return term.field(m, model.layer, inputs)
        h0, a = _affine(one, n, dtype)
        out.append(_nonaffine(one, h0, a, dtype))
    return jnp.stack(out) if out else jnp.zeros((0,), dtype)


_CHECKED = 4096


def _sample(tree, n: int, idx):
    """Every array leaf with a leading junction axis of length `n`, at `idx` only."""
    def take(x):
        if eqx.is_array(x) and x.ndim >= 1 and x.shape[0] == n:
            return x[idx]
        return x
    return jax.tree.map(take, tree)


def check_affine(model: SLLG, inputs: Inputs, n: int, dtype, state):
    r"""Refuse a model with a term that is not affine in $\mathbf m$: raise
    :class:`spinjax.SimulationInputError` naming it (concrete values), or attach the
    same error to `state` with ``eqx.error_if`` (traced ones); returns `state`.
    Checked on at most 4096 junctions spread evenly over the array (the first and last
    included): the terms are the same for every junction, and a check over 1e8
    junctions would cost as much as many steps."""
    inputs = Inputs(*(jnp.asarray(x, dtype) for x in inputs))
    if n > _CHECKED:
        idx = np.unique(np.linspace(0, n - 1, _CHECKED).round().astype(np.int64))
        model, inputs, n = _sample(model, n, idx), _sample(inputs, n, idx), len(idx)
    bad = _departures(model, inputs, n, jnp.dtype(dtype))
    terms = (*model.fields, *model.torques)
    for i, term in enumerate(terms):
        message = (f"{type(term).__name__} is not affine in m (relative departure "
                   "{} at a unit probe, allowed < 1e-4): the fused path integrates "
                   "H' = h0 + A m only; use spinjax.simulate for this model.")
        if _is_concrete(bad):
            if not float(bad[i]) < _TOL:
                raise SimulationInputError(message.format(f"{float(bad[i]):.3g}"))
        else:
            state = _check(state, bad[i] < _TOL, message.format("above the bound"))
    return state


def affine_field(model: SLLG, inputs: Inputs, n: int, dtype=jnp.float32):
    r"""$(\mathbf h_0, A)$ of the model's Gilbert field (fields plus torque fields, no
    noise) at the drive values `inputs`, for `n` junctions: shapes (n, 3) and (n, 3, 3),
    A/m. Exact for an affine model; :func:`check_affine` says whether it is one."""
    inputs = Inputs(*(jnp.asarray(x, dtype) for x in inputs))
    return _affine(lambda m: model.gilbert_field(m, inputs), n, dtype)


def coefficients(model: SLLG, inputs: Inputs, n: int, dt: float, thermal: bool,
                 dtype=jnp.float32) -> Coefficients:
    """The :class:`Coefficients` of `model` for `n` junctions at step `dt` (s)."""
    h0, a = affine_field(model, inputs, n, dtype)
    layer = model.layer
    alpha = jnp.broadcast_to(jnp.asarray(layer.alpha, dtype), (n,))
    if thermal:
        sigma = jnp.broadcast_to(jnp.asarray(thermal_field_strength(layer), dtype), (n,))
    else:
        sigma = jnp.zeros((n,), dtype)
    h0, a = h0 * dt, a * dt
    rows = [h0[:, k] for k in range(3)] + [a[:, i, j] for i in range(3) for j in range(3)]
    return Coefficients(*rows, sigma * jnp.sqrt(jnp.asarray(dt, dtype)),
                        -GAMMA0 / (1 + alpha**2), alpha)

