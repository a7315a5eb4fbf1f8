"""Shape anisotropy: the demagnetizing field of a uniformly magnetized body."""

import jax.numpy as jnp

from ..constants import MU0
from .._custom_types import Vector
from .._params import Interval, check_concrete, param
from .._vector import col
from .base import AbstractField


class Demagnetization(AbstractField):
    r"""Demagnetizing field with a diagonal demagnetization tensor $N$.

    $$\mathbf H = -M_s N \mathbf m, \qquad e = \tfrac{\mu_0}{2} M_s^2\, \mathbf m\cdot N\mathbf m .$$

    A thin film normal to $\hat z$ has $N = (0, 0, 1)$; a sphere $N = (1/3, 1/3, 1/3)$;
    elliptical cylinders follow Osborn, Phys. Rev. 67, 351 (1945). The trace is 1 for
    a closed body.

    **Fields:**

    - `factors`: the diagonal $(N_x, N_y, N_z)$, each in $[0, 1]$, shape (3,) or (*N, 3).
    """

    factors: Vector = param("1", Interval(0.0, 1.0, True, True), event_ndim=1,
                            default=(0.0, 0.0, 1.0))

    def __check_init__(self):
        check_concrete(self)

    def field(self, m, layer, inputs):
        return -col(layer.Ms) * self.factors * m

    def energy_density(self, m, layer, inputs):
        return 0.5 * MU0 * layer.Ms**2 * jnp.sum(self.factors * m * m, axis=-1)
