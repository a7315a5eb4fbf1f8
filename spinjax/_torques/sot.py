"""Spin-orbit torque from a current in an adjacent heavy-metal layer."""

import jax.numpy as jnp

from .._custom_types import PerJunction, Vector
from .._params import check_concrete, param
from .._vector import col, normalize
from .base import AbstractTorque, torque_field_per_current


class SpinOrbitTorque(AbstractTorque):
    r"""Damping-like and field-like spin-orbit torque (spin Hall / Rashba-Edelstein).

    A charge current density $J_{HM}$ in the heavy metal injects spins polarized along
    $\boldsymbol\sigma$ into the free layer:

    $$a = \frac{\hbar J_{HM}}{2 e \mu_0 M_s t_F}, \qquad
      \mathbf H_\tau = \xi_{DL}\, a\, \mathbf m\times\boldsymbol\sigma
                     + \xi_{FL}\, a\, \boldsymbol\sigma .$$

    $\xi_{DL}$ is the damping-like efficiency (the effective spin Hall angle; W about
    -0.2 to -0.4, Pt 0.05 to 0.15, Ta about -0.1), $\xi_{FL}$ the field-like one. For
    a current along $\hat x$ on a heavy metal below the magnet, $\boldsymbol\sigma =
    \hat y$ by convention here; the sign of $\xi$ carries the material. The in-plane
    macrospin critical current is $J_{c0} = \frac{2e}{\hbar}\frac{\mu_0 M_s t_F
    \alpha}{\xi_{DL}}(H_k + M_\mathrm{eff}/2)$ (Liu et al., Science 336, 555, 2012).

    **Fields:**

    - `xi_dl`: damping-like efficiency $\xi_{DL}$ (dimensionless).
    - `xi_fl`: field-like efficiency $\xi_{FL}$ (dimensionless); default 0.
    - `sigma`: spin polarization direction, shape (3,) or (*N, 3); default $\hat y$.
    """

    inputs_used = ("j_sot_A_per_m2",)

    xi_dl: PerJunction = param("1")
    xi_fl: PerJunction = param("1", default=0.0)
    sigma: Vector = param("1", event_ndim=1, default=(0.0, 1.0, 0.0))

    def __check_init__(self):
        check_concrete(self)

    def field(self, m, layer, inputs):
        s = normalize(self.sigma)
        a = torque_field_per_current(layer) * inputs.j_sot_A_per_m2
        return col(self.xi_dl * a) * jnp.cross(m, s) + col(self.xi_fl * a) * s

    def max_field(self, layer, inputs):
        a = torque_field_per_current(layer) * jnp.abs(inputs.j_sot_A_per_m2)
        return a * (jnp.abs(self.xi_dl) + jnp.abs(self.xi_fl))
