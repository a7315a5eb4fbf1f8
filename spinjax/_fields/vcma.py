"""Interfacial anisotropy under voltage control (VCMA)."""


from ..constants import MU0
from .._custom_types import PerJunction, Vector
from .._params import POSITIVE, check_concrete, param
from .._vector import col, dot, normalize
from .base import AbstractField


class VCMAAnisotropy(AbstractField):
    r"""Interfacial (CoFeB/MgO) perpendicular anisotropy with voltage control.

    The interface anisotropy energy per area falls linearly with the barrier voltage,

    $$K_i(V) = K_{i0} - \xi\, V / t_{ox},$$

    and acts on the free layer of thickness $t_F$ as a volume anisotropy
    $K_i(V)/t_F$:

    $$e = -\frac{K_i(V)}{t_F} (\mathbf m\cdot\mathbf u)^2, \qquad
      \mathbf H = \frac{2 K_i(V)}{\mu_0 M_s t_F} (\mathbf m\cdot\mathbf u)\,\mathbf u .$$

    Together with the thin-film demagnetization (``Demagnetization`` with
    $N = (0, 0, 1)$) this gives $K_\mathrm{eff}(V) = K_i(V)/t_F - \mu_0 M_s^2/2$
    (Maruyama et al., Nat. Nanotechnol. 4, 158, 2009; Amiri and Wang, SPIN 2, 1240002,
    2012). $\xi$ of CoFeB/MgO is about 30-100 fJ/(V m).

    **Fields:**

    - `K_i0`: zero-bias interfacial anisotropy in J/m$^2$.
    - `xi`: VCMA coefficient $\xi$ in J/(V m); default 0 (no voltage control).
    - `t_ox_m`: barrier thickness $t_{ox}$ in m, $> 0$.
    - `axis`: the interface normal, default $\hat z$.
    """

    inputs_used = ("voltage_V",)

    K_i0: PerJunction = param("J/m^2")
    xi: PerJunction = param("J/(V m)", default=0.0)
    t_ox_m: PerJunction = param("m", POSITIVE, default=1e-9)
    axis: Vector = param("1", event_ndim=1, default=(0.0, 0.0, 1.0))

    def __check_init__(self):
        check_concrete(self)

    def K_i(self, voltage_V) -> PerJunction:
        """$K_i(V) = K_{i0} - \\xi V / t_{ox}$ in J/m$^2$."""
        return self.K_i0 - self.xi * voltage_V / self.t_ox_m

    def field(self, m, layer, inputs):
        u = normalize(self.axis)
        k = self.K_i(inputs.voltage_V) / layer.thickness_m
        return col(2 * k / (MU0 * layer.Ms) * dot(m, u)) * u

    def energy_density(self, m, layer, inputs):
        k = self.K_i(inputs.voltage_V) / layer.thickness_m
        return -k * dot(m, normalize(self.axis)) ** 2
