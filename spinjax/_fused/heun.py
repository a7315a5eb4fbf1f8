r"""One stochastic Heun step of any [`spinjax.SLLG`][], and runs of steps in XLA.

With $\mathbf b = \sigma\sqrt{\Delta t}\,\boldsymbol\xi_j$ (one standardized draw per
junction and step from `spinjax._counter_rng`), $L(\mathbf m, \mathbf h) =
-\gamma_0/(1+\alpha^2)\,[\mathbf m\times\mathbf h + \alpha\,\mathbf m\times(\mathbf
m\times\mathbf h)]$ ([`spinjax.llg_rhs`][], linear in $\mathbf h$) and the model's
Gilbert field $\mathbf H'(\mathbf m, t)$ (every field and torque term, the drive read
at the step's own times),

$$\mathbf d_1 = L\big(\mathbf m, \mathbf H'(\mathbf m, t_j)\Delta t + \mathbf b\big),
  \quad \mathbf d_2 = L\big(\mathbf m + \mathbf d_1, \mathbf H'(\mathbf m + \mathbf d_1,
  t_j + \Delta t)\Delta t + \mathbf b\big), \quad
  \mathbf m_{j+1} = \frac{\mathbf m + (\mathbf d_1 + \mathbf d_2)/2}{|\cdot|},$$

the Stratonovich Heun scheme with renormalization: the step of
[`spinjax.NormalizedHeun`][] on diffrax's ``MultiTerm(ODETerm, ControlTerm)``, whose
drift and noise share one evaluation per stage here because $L$ is linear in the field.
Nothing in it depends on the model's structure, so a new term (an ``eqx.Module`` with a
``field`` method) runs here without changes.
"""

import jax
import jax.numpy as jnp
from jax import lax

from .._drive import Drive, Inputs
from .._increments import AbstractIncrements
from .._llg import llg_rhs
from .._sllg import SLLG
from .._thermal import thermal_field_strength
from .._vector import normalize


def _inputs(drive: Drive, t, dtype) -> Inputs:
    return Inputs(*(jnp.asarray(x, dtype) for x in drive(t)))


def heun_step(model: SLLG, drive: Drive, m, t, dt, b):
    r"""`m` (*N, 3) after one step from time `t` (s) of length `dt` (s) with the thermal
    field-time $\mathbf b$ (A s/m, shape of `m`, or ``None`` without noise)."""
    alpha = model.layer.alpha
    h1 = model.gilbert_field(m, _inputs(drive, t, m.dtype)) * dt
    d1 = llg_rhs(m, h1 if b is None else h1 + b, alpha)
    mp = m + d1
    h2 = model.gilbert_field(mp, _inputs(drive, t + dt, m.dtype)) * dt
    d2 = llg_rhs(mp, h2 if b is None else h2 + b, alpha)
    return normalize(m + 0.5 * (d1 + d2))


def thermal_kick(model: SLLG, increments: AbstractIncrements, k0, k1, step, dt, m):
    r"""$\mathbf b = \sigma\sqrt{\Delta t}\,\boldsymbol\xi$ of integer `step` for every
    junction (shape of `m`), from the per-junction key words `k0`, `k1` (junction shape,
    or a trailing part of it for common random numbers)."""
    xi = jnp.stack(increments.draw(k0, k1, step.astype(jnp.uint32), m.dtype), -1)
    scale = thermal_field_strength(model.layer) * jnp.sqrt(jnp.asarray(dt, m.dtype))
    return jnp.asarray(scale, m.dtype)[..., None] * jnp.broadcast_to(xi, m.shape)


def tick_monitors(monitors, states, s, t, m, monitor_every: int):
    """The monitors' states after step number `s` (int32, counted from the start of
    the run) ends at time `t` with state `m`: updated where `s` is a multiple of
    `monitor_every`, unchanged elsewhere."""
    new = tuple(mo.update(st, t, m) for mo, st in zip(monitors, states))
    if monitor_every == 1:
        return new
    tick = s % monitor_every == 0
    return jax.tree.map(lambda a, b: jnp.where(tick, a, b), new, states)


def run_steps(model: SLLG, drive: Drive, increments: AbstractIncrements | None, k0, k1,
              m, start, n_steps: int, t0: float, dt: float, monitors=(), states=(),
              monitor_every: int = 1):
    r"""`(m, states)` after the `n_steps` steps numbered `start`, `start` + 1, ...
    (int32 scalar), step $j$ running from $t_0 + j\Delta t$; no noise when
    `increments` is ``None``; the `monitors` (with their `states`) updated after
    every `monitor_every`-th step of the run. A ``lax.fori_loop`` of
    `heun_step`: XLA fuses the body into one loop over the junctions per step."""
    dtype = m.dtype
    t0_, dt_ = jnp.asarray(t0, dtype), jnp.asarray(dt, dtype)

    def body(i, carry):
        m, states = carry
        j = start + i
        t = t0_ + j.astype(dtype) * dt_
        b = None if increments is None else thermal_kick(model, increments, k0, k1, j,
                                                         dt, m)
        m = heun_step(model, drive, m, t, dt_, b)
        if monitors:
            states = tick_monitors(monitors, states, j + 1, t0_ + (j + 1).astype(dtype) * dt_,
                                   m, monitor_every)
        return m, states

    return lax.fori_loop(0, n_steps, body, (m, tuple(states)))
