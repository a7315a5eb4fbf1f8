r"""One stochastic Heun step of the affine-field sLLG, and the running observables, on
component arrays (``mx, my, mz``): no length-3 axis, no reductions, so the same code is
a Pallas kernel body and an XLA loop body.

With $\mathbf b = \sigma\sqrt{\Delta t}\,\boldsymbol\xi$ ($\boldsymbol\xi\sim N(0, I)$,
one draw per step) and $L(\mathbf m, \mathbf h) = c[\mathbf m\times\mathbf h +
\alpha\,\mathbf m\times(\mathbf m\times\mathbf h)]$, $c = -\gamma_0/(1+\alpha^2)$,

$$\tilde{\mathbf m} = \mathbf m + L(\mathbf m, \mathbf H'(\mathbf m)\Delta t + \mathbf b),
\quad \mathbf m' = \frac{\mathbf m + \tfrac12[L(\mathbf m, \cdot) +
L(\tilde{\mathbf m}, \mathbf H'(\tilde{\mathbf m})\Delta t + \mathbf b)]}{|\cdot|},$$

which is :class:`spinjax.NormalizedHeun` on the Stratonovich sLLG (``llg_rhs`` is linear
in the field, so the drift and the noise share one evaluation per stage).
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .affine import Coefficients
from .counter_rng import step_normals


class Observables(NamedTuple):
    r"""Running reductions over the steps, per junction (memory independent of the
    number of steps): ``sum_mz`` and ``sum_mz2`` ($\sum_k m_z$, $\sum_k m_z^2$ over the
    states after each step), ``side`` (the Schmitt-trigger well, +1/-1, 0 before the
    first exit from the band $|m_z| < h$) and ``switches`` (the number of well changes),
    as :class:`spinjax.SwitchCount` counts them at every step."""

    sum_mz: jax.Array
    sum_mz2: jax.Array
    side: jax.Array
    switches: jax.Array


def _field_time(m, k: Coefficients, b):
    mx, my, mz = m
    return (k.h0x + k.axx * mx + k.axy * my + k.axz * mz + b[0],
            k.h0y + k.ayx * mx + k.ayy * my + k.ayz * mz + b[1],
            k.h0z + k.azx * mx + k.azy * my + k.azz * mz + b[2])


def _rate(m, h, k: Coefficients):
    mx, my, mz = m
    hx, hy, hz = h
    px, py, pz = my * hz - mz * hy, mz * hx - mx * hz, mx * hy - my * hx
    qx, qy, qz = my * pz - mz * py, mz * px - mx * pz, mx * py - my * px
    return (k.c * (px + k.alpha * qx), k.c * (py + k.alpha * qy),
            k.c * (pz + k.alpha * qz))


def heun_step(m, k: Coefficients, xi):
    """`m` = (mx, my, mz) after one normalized Heun step with standard normals `xi`."""
    b = (k.s * xi[0], k.s * xi[1], k.s * xi[2])
    d1 = _rate(m, _field_time(m, k, b), k)
    mp = tuple(x + d for x, d in zip(m, d1))
    d2 = _rate(mp, _field_time(mp, k, b), k)
    mx, my, mz = (x + 0.5 * (d + e) for x, d, e in zip(m, d1, d2))
    inv = lax.rsqrt(mx * mx + my * my + mz * mz)
    return mx * inv, my * inv, mz * inv


def _side(mz, previous, hysteresis: float):
    return jnp.where(mz > hysteresis, 1, jnp.where(mz < -hysteresis, -1, previous))


def init_observables(mz, hysteresis: float) -> Observables:
    zero = jnp.zeros_like(mz)
    izero = jnp.zeros(mz.shape, jnp.int32)
    return Observables(zero, zero, _side(mz, izero, hysteresis), izero)


def update_observables(obs: Observables, mz, hysteresis: float) -> Observables:
    side = _side(mz, obs.side, hysteresis)
    flipped = (side != obs.side) & (obs.side != 0)
    return Observables(obs.sum_mz + mz, obs.sum_mz2 + mz * mz, side,
                       obs.switches + flipped.astype(jnp.int32))


def run_steps(m, k: Coefficients, key0, key1, n_steps: int, hysteresis: float):
    """`n_steps` Heun steps from `m` with the noise of step $j$ drawn from Threefry of the
    counters $(j, 0), (j, 1)$ under the per-junction key (`key0`, `key1`); returns the
    final components and the :class:`Observables`. A ``lax.fori_loop``: in a kernel it
    becomes the kernel's own loop, with the state in registers."""
    def body(j, carry):
        m, obs = carry
        m = heun_step(m, k, step_normals(key0, key1, j.astype(jnp.uint32), m[0].dtype))
        return m, update_observables(obs, m[2], hysteresis)

    return lax.fori_loop(0, n_steps, body, (m, init_observables(m[2], hysteresis)))


def run_steps_jvp(m, k: Coefficients, tangents, key0, key1, n_steps: int):
    r"""Forward-mode tangents of :func:`run_steps`: `tangents` is a tuple of directions,
    each ``(dm, dk)``, the tangent of the initial state (3 components) and of the
    coefficient rows. Returns, per direction, the tangents of the final state and of
    ``sum_mz`` and ``sum_mz2``: ``((dmx, dmy, dmz), ds1, ds2)``. The Heun step is
    linearized once per step and applied to every direction; the noise does not depend
    on the parameters (pathwise derivative with the random numbers held fixed) and is
    drawn once for all of them."""
    def body(j, carry):
        m, dirs = carry
        xi = step_normals(key0, key1, j.astype(jnp.uint32), m[0].dtype)
        m, lin = jax.linearize(lambda m, k: heun_step(m, k, xi), m, k)
        new = []
        for (dm, ds1, ds2), (_, dk) in zip(dirs, tangents):
            dm = lin(dm, dk)
            new.append((dm, ds1 + dm[2], ds2 + 2.0 * m[2] * dm[2]))
        return m, tuple(new)

    zero = jnp.zeros_like(m[2])
    dirs = tuple((dm, zero, zero) for dm, _ in tangents)
    return lax.fori_loop(0, n_steps, body, (m, dirs))[1]
