"""Spin-transfer torque of the current that a bias voltage drives through the barrier."""

import jax
import jax.numpy as jnp
import numpy as np

from .._params import InvalidParameterError, check_concrete
from .._readout.tmr import TMR
from .._vector import col, dot, normalize
from .base import AbstractTorque, torque_field_per_current
from .stt import SlonczewskiSTT


class BiasDrivenSTT(AbstractTorque):
    r"""Slonczewski STT from the tunnelling current of the barrier voltage $V(t)$.

    A voltage on an MTJ does two things: it changes the interfacial anisotropy (VCMA,
    [`spinjax.VCMAAnisotropy`][]) and it drives a current through the junction's
    state- and bias-dependent resistance,

    $$J(\mathbf m, V) = \frac{V}{R(\theta, V)\, A}, \qquad
      \cos\theta = \mathbf m\cdot\mathbf p,$$

    with $R(\theta, V)$ from the [`spinjax.TMR`][] readout and $A$ the free layer's
    area. That current exerts the spin-transfer torque of `stt` (see
    [`spinjax.SlonczewskiSTT`][]); $V > 0$ gives $J > 0$, which favours
    $\mathbf m \parallel \mathbf p$. Reading with a voltage therefore disturbs the state
    it reads (read disturb), and a VCMA write also carries an STT contribution, both
    evaluated along the trajectory. The reference direction of the readout is the
    polarizer of the torque: the two are one direction (the reference layer's), so a
    concrete `tmr.reference` must be parallel to `stt.polarizer`.

    **Fields:**

    - `stt`: the [`spinjax.SlonczewskiSTT`][] (polarization, asymmetry, field-like
      ratio); its `polarizer` is used.
    - `tmr`: the [`spinjax.TMR`][] giving $R(\theta, V)$ in Ohm.
    """

    inputs_used = ("voltage_V",)

    stt: SlonczewskiSTT
    tmr: TMR

    def __check_init__(self):
        check_concrete(self)
        p, r = self.stt.polarizer, self.tmr.reference
        if not any(isinstance(x, jax.core.Tracer) for x in (p, r)):
            p, r = np.asarray(p, np.float64), np.asarray(r, np.float64)
            cos = np.sum(p * r, -1) / (np.linalg.norm(p, axis=-1) * np.linalg.norm(r, axis=-1))
            if not np.all(cos > 1 - 1e-6):
                raise InvalidParameterError(
                    f"BiasDrivenSTT: tmr.reference = {r.tolist()} is not parallel to "
                    f"stt.polarizer = {p.tolist()}; both are the reference layer's "
                    "direction: give the same one.")

    def current_density(self, m, layer, voltage_V):
        """$J = V / (R(\\theta, V) A)$ in A/m$^2$, shape (*N,)."""
        p = normalize(jnp.asarray(self.stt.polarizer, m.dtype))
        tmr = TMR(self.tmr.r_p_ohm, self.tmr.tmr0, self.tmr.v_half_V, p)
        return voltage_V / (tmr.resistance(m, voltage_V) * layer.area_m2)

    def field(self, m, layer, inputs):
        v = inputs.voltage_V
        j = self.current_density(m, layer, v)
        p = normalize(self.stt.polarizer)
        a_j = torque_field_per_current(layer) * self.stt.efficiency(dot(m, p)) * j
        return col(a_j) * (jnp.cross(m, p) + col(self.stt.field_like_ratio) * p)

    def max_field(self, layer, inputs):
        # |J| is largest in the parallel state, |V| / (R_P A).
        j_max = jnp.abs(inputs.voltage_V) / (self.tmr.r_p_ohm * layer.area_m2)
        stt = self.stt
        l2 = stt.asymmetry**2
        eta_max = 2 * stt.polarization * l2 / jnp.minimum(2.0, 2 * l2)
        return (torque_field_per_current(layer) * eta_max * j_max
                * (1 + jnp.abs(stt.field_like_ratio)))
