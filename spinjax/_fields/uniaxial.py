"""Bulk (magnetocrystalline) uniaxial anisotropy along an arbitrary axis."""


from ..constants import MU0
from .._custom_types import PerJunction, Vector
from .._params import check_concrete, param
from .._vector import col, dot, normalize
from .base import AbstractField


class UniaxialAnisotropy(AbstractField):
    r"""Uniaxial anisotropy with constant $K_u$ along the unit axis $\mathbf u$.

    $$e = -K_u (\mathbf m\cdot\mathbf u)^2, \qquad
      \mathbf H = \frac{2 K_u}{\mu_0 M_s} (\mathbf m\cdot\mathbf u)\,\mathbf u .$$

    $K_u > 0$ is an easy axis, $K_u < 0$ a hard axis. The anisotropy field is
    $H_K = 2K_u/(\mu_0 M_s)$ (Stoner and Wohlfarth, Phil. Trans. R. Soc. A 240, 599, 1948).

    **Fields:**

    - `K_u`: anisotropy constant in J/m$^3$.
    - `axis`: the anisotropy axis, shape (3,) or (*N, 3); normalized internally.
    """

    K_u: PerJunction = param("J/m^3")
    axis: Vector = param("1", event_ndim=1, default=(0.0, 0.0, 1.0))

    def __check_init__(self):
        check_concrete(self)

    def field(self, m, layer, inputs):
        u = normalize(self.axis)
        return col(2 * self.K_u / (MU0 * layer.Ms) * dot(m, u)) * u

    def energy_density(self, m, layer, inputs):
        return -self.K_u * dot(m, normalize(self.axis)) ** 2
