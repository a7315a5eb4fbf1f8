"""Slonczewski spin-transfer torque from a fixed reference layer."""

import jax.numpy as jnp

from .._custom_types import PerJunction, Vector
from .._params import POSITIVE, REAL, UNIT_INTERVAL, check_concrete, param
from .._vector import col, dot, normalize
from .base import AbstractTorque, torque_field_per_current


class SlonczewskiSTT(AbstractTorque):
    r"""Spin-transfer torque of a current $J$ flowing through the stack.

    With the reference-layer direction $\mathbf p$ and $\cos\theta = \mathbf m\cdot\mathbf p$,

    $$a_J = \frac{\hbar\, \eta(\theta)\, J}{2 e \mu_0 M_s t_F}, \qquad
      \mathbf H_\tau = a_J\, \mathbf m\times\mathbf p + \beta\, a_J\, \mathbf p,$$

    a damping-like torque $-\gamma_0 a_J\,\mathbf m\times(\mathbf m\times\mathbf p)$ and a
    field-like torque of relative strength $\beta$. The efficiency is Slonczewski's
    angular dependence with asymmetry $\Lambda$ (Slonczewski, JMMM 247, 324, 2002; the
    form used by mumax3),

    $$\eta(\theta) = \frac{2 P \Lambda^2}{(\Lambda^2 + 1) + (\Lambda^2 - 1)\cos\theta},$$

    which is the constant $\eta = P$ at $\Lambda = 1$. $J > 0$ favours $\mathbf m$
    parallel to $\mathbf p$. The critical current of a perpendicular junction at $T = 0$
    is $J_{c0} = \frac{2 e \alpha \mu_0 M_s t_F}{\hbar \eta} (H_{K,\mathrm{eff}} \pm H)$
    (Sun, Phys. Rev. B 62, 570, 2000).

    **Fields:**

    - `polarizer`: reference-layer direction $\mathbf p$, shape (3,) or (*N, 3).
    - `polarization`: spin polarization $P \in [0, 1]$.
    - `asymmetry`: $\Lambda > 0$; default 1.
    - `field_like_ratio`: $\beta$ (dimensionless); default 0.
    """

    inputs_used = ("j_stt_A_per_m2",)

    polarizer: Vector = param("1", event_ndim=1, default=(0.0, 0.0, 1.0))
    polarization: PerJunction = param("1", UNIT_INTERVAL, default=0.6)
    asymmetry: PerJunction = param("1", POSITIVE, default=1.0)
    field_like_ratio: PerJunction = param("1", REAL, default=0.0)

    def __check_init__(self):
        check_concrete(self)

    def efficiency(self, cos_theta) -> PerJunction:
        """$\\eta(\\theta)$ (dimensionless) at $\\cos\\theta = \\mathbf m\\cdot\\mathbf p$."""
        l2 = self.asymmetry**2
        return 2 * self.polarization * l2 / ((l2 + 1) + (l2 - 1) * cos_theta)

    def field(self, m, layer, inputs):
        p = normalize(self.polarizer)
        a_j = (torque_field_per_current(layer) * self.efficiency(dot(m, p))
               * inputs.j_stt_A_per_m2)
        return col(a_j) * (jnp.cross(m, p) + col(self.field_like_ratio) * p)

    def max_field(self, layer, inputs):
        l2 = self.asymmetry**2
        eta_max = 2 * self.polarization * l2 / jnp.minimum(2.0, 2 * l2)
        a_j = torque_field_per_current(layer) * eta_max * jnp.abs(inputs.j_stt_A_per_m2)
        return a_j * (1 + jnp.abs(self.field_like_ratio))
