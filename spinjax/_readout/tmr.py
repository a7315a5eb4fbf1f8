"""Tunnel magnetoresistance of an MTJ and the threshold read of a bit."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._custom_types import Magnetization, PerJunction, Vector
from .._params import NONNEGATIVE, POSITIVE, InvalidParameterError, check_concrete, param
from .._vector import dot, normalize


class TMR(eqx.Module):
    r"""Tunnel magnetoresistance with a bias-dependent TMR ratio.

    The conductance interpolates in $\cos\theta = \mathbf m\cdot\mathbf p$ between the
    parallel and antiparallel states (Slonczewski, PRB 39, 6995, 1989; Jullière 1975),

    $$G(\theta) = \tfrac12 (G_P + G_{AP}) + \tfrac12 (G_P - G_{AP}) \cos\theta, \qquad
      R(\theta) = 1/G(\theta),$$

    with $G_P = 1/R_P$ and $G_{AP} = G_P / (1 + \mathrm{TMR}(V))$, where the TMR ratio
    falls with bias as $\mathrm{TMR}(V) = \mathrm{TMR}_0 / (1 + (V/V_h)^2)$ (the
    empirical form of e.g. Ikeda et al., APL 93, 082508, 2008; $V_h$ is the bias at
    which it halves, typically 0.3-0.6 V for CoFeB/MgO). $R_P$ is taken bias-independent.

    **Fields:**

    - `r_p_ohm`: parallel resistance $R_P$ in Ohm, $> 0$.
    - `tmr0`: zero-bias TMR ratio $(R_{AP} - R_P)/R_P$, $\ge 0$ (1.5 is 150 %).
    - `v_half_V`: $V_h$ in V, $> 0$.
    - `reference`: the reference-layer direction $\mathbf p$, default $\hat z$.
    """

    r_p_ohm: PerJunction = param("Ohm", POSITIVE)
    tmr0: PerJunction = param("1", NONNEGATIVE)
    v_half_V: PerJunction = param("V", POSITIVE, default=0.5)
    reference: Vector = param("1", event_ndim=1, default=(0.0, 0.0, 1.0))

    def __check_init__(self):
        check_concrete(self)

    def ratio(self, voltage_V=0.0) -> PerJunction:
        """$\\mathrm{TMR}(V) = \\mathrm{TMR}_0 / (1 + (V/V_h)^2)$ (dimensionless)."""
        return self.tmr0 / (1 + (jnp.asarray(voltage_V) / self.v_half_V) ** 2)

    def r_ap_ohm(self, voltage_V=0.0) -> PerJunction:
        """Antiparallel resistance $R_P (1 + \\mathrm{TMR}(V))$ in Ohm."""
        return self.r_p_ohm * (1 + self.ratio(voltage_V))

    def resistance(self, m: Magnetization, voltage_V=0.0) -> PerJunction:
        """$R(\\theta, V)$ in Ohm, shape (*N,)."""
        dtype = m.dtype  # computed in the precision of the state
        g_p = 1 / jnp.asarray(self.r_p_ohm, dtype)
        g_ap = g_p / (1 + jnp.asarray(self.ratio(voltage_V), dtype))
        cos = dot(m, normalize(jnp.asarray(self.reference, dtype)))
        return 1 / (0.5 * (g_p + g_ap) + 0.5 * (g_p - g_ap) * cos)

    def read(self, m: Magnetization, threshold_ohm, voltage_V=0.0) -> jax.Array:
        """The bit of each junction: 1 where $R(\\theta, V) >$ `threshold_ohm` (the
        antiparallel side), else 0, as int32 of shape (*N,).

        A concrete `threshold_ohm` outside $(R_P, R_{AP}(V))$ raises
        [`spinjax.InvalidParameterError`][] (it could never tell the states apart).
        """
        threshold = jnp.asarray(threshold_ohm)
        if not any(isinstance(x, jax.core.Tracer) for x in (threshold, self.r_p_ohm,
                                                             self.tmr0, self.v_half_V)):
            lo = np.asarray(self.r_p_ohm)
            hi = np.asarray(self.r_ap_ohm(voltage_V))
            thr = np.asarray(threshold)
            if not np.all((thr > lo) & (thr < hi)):
                raise InvalidParameterError(
                    f"threshold_ohm = {np.ravel(thr)[0]:.6g} is outside the valid range "
                    f"(R_P, R_AP(V)) = ({np.min(lo):.6g}, {np.max(hi):.6g}) Ohm at "
                    f"V = {float(np.max(np.asarray(voltage_V))):.3g} V.")
        r = self.resistance(m, voltage_V)
        return (r > threshold.astype(r.dtype)).astype(jnp.int32)


def midpoint_threshold(tmr: TMR, voltage_V=0.0) -> PerJunction:
    """$(R_P + R_{AP}(V))/2$ in Ohm: the usual reference of a sense amplifier."""
    return 0.5 * (tmr.r_p_ohm + tmr.r_ap_ohm(voltage_V))

