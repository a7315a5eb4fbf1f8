"""The Oersted field of the charge current in an adjacent heavy-metal layer."""

import jax.numpy as jnp

from ..constants import MU0
from .._custom_types import PerJunction, Vector
from .._params import POSITIVE, check_concrete, param
from .._vector import col, dot, normalize
from .base import AbstractField


class OerstedField(AbstractField):
    r"""Oersted field of a uniform current sheet: the heavy metal under the magnet.

    A heavy-metal film of thickness $t_{HM}$ carrying the current density $J_{HM}$
    (read from ``Drive(j_sot_A_per_m2=...)``) is, seen from a thin magnet on top of a
    bar much wider than thick, a sheet current $K = J_{HM} t_{HM}$ whose field just
    outside the sheet is $K/2$ (Ampere's law):

    $$\mathbf H_{Oe} = \frac{J_{HM}\, t_{HM}}{2}\,\hat{\mathbf u}, \qquad
      e = -\mu_0 M_s\, \mathbf m\cdot\mathbf H_{Oe}\ \ (\mathrm{J/m^3}).$$

    For a current along $+\hat x$ in a heavy metal *below* the magnet
    ($\hat z$ pointing from the heavy metal into the magnet) the field in the magnet is
    along $\hat x\times\hat z = -\hat y$, the default `axis`; a heavy metal on top
    gives $+\hat y$. About 0.3 mT per $10^{11}$ A/m$^2$ for $t_{HM} = 5$ nm, so it
    competes with the field-like spin-orbit torque in W/CoFeB and Pt/CoFeB
    (Skowronski et al., arXiv:1810.00641, who find the two cancel at some $t_{HM}$;
    Fan et al., Nat. Commun. 5, 3042, 2014).

    **Fields:**

    - `t_hm_m`: heavy-metal thickness $t_{HM}$ in m, $> 0$.
    - `axis`: the field direction $\hat{\mathbf u}$ for $J_{HM} > 0$, shape (3,) or
      (*N, 3); normalized internally; default $-\hat y$.
    """

    inputs_used = ("j_sot_A_per_m2",)

    t_hm_m: PerJunction = param("m", POSITIVE)
    axis: Vector = param("1", event_ndim=1, default=(0.0, -1.0, 0.0))

    def __check_init__(self):
        check_concrete(self)

    def field_per_current_density(self) -> PerJunction:
        """$t_{HM}/2$ in A/m per A/m$^2$ (the magnitude; the direction is `axis`)."""
        return 0.5 * self.t_hm_m

    def _field(self, inputs):
        h = self.field_per_current_density() * inputs.j_sot_A_per_m2
        return col(h) * normalize(self.axis)

    def field(self, m, layer, inputs):
        h = self._field(inputs)
        return jnp.broadcast_to(h, jnp.broadcast_shapes(m.shape, h.shape))

    def energy_density(self, m, layer, inputs):
        return -MU0 * layer.Ms * dot(m, self._field(inputs))
