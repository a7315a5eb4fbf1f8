"""Zeeman field: the applied field, a static bias plus the drive."""

import jax.numpy as jnp

from ..constants import MU0
from .._custom_types import Vector
from .._params import check_concrete, param
from .._vector import dot
from .base import AbstractField


class Zeeman(AbstractField):
    r"""Applied field $\mathbf H = \mathbf H_\mathrm{bias} + \mathbf H_\mathrm{drive}(t)$.

    Energy density $e = -\mu_0 M_s\, \mathbf m \cdot \mathbf H$ (J/m$^3$).

    **Fields:**

    - `bias_A_per_m`: a static field in A/m, shape (3,) or (*N, 3); default zero. The
      time-dependent part comes from ``Drive(field_A_per_m=...)``.
    """

    inputs_used = ("field_A_per_m",)

    bias_A_per_m: Vector = param("A/m", event_ndim=1, default=(0.0, 0.0, 0.0))

    def __check_init__(self):
        check_concrete(self)

    def _total(self, inputs):
        return self.bias_A_per_m + inputs.field_A_per_m

    def field(self, m, layer, inputs):
        h = self._total(inputs)
        return jnp.broadcast_to(h, jnp.broadcast_shapes(m.shape, h.shape))

    def energy_density(self, m, layer, inputs):
        return -MU0 * layer.Ms * dot(m, self._total(inputs))
