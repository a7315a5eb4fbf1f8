"""Shape anisotropy: the demagnetizing field of a uniformly magnetized body."""

import jax.numpy as jnp
import numpy as np

from ..constants import MU0
from .._custom_types import Vector
from .._params import Interval, InvalidParameterError, check_concrete, param
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


def ellipsoid_factors(semi_axes_m) -> "np.ndarray":
    r"""Demagnetization factors $(N_x, N_y, N_z)$ of an ellipsoid with semi-axes
    $(a, b, c)$ in m along $x, y, z$ (Osborn, Phys. Rev. 67, 351, 1945):

    $$N_i = \frac{abc}{2}\int_0^\infty \frac{ds}{(s + a_i^2)
      \sqrt{(s + a^2)(s + b^2)(s + c^2)}}, \qquad N_x + N_y + N_z = 1 .$$

    A thin elliptical free layer of lateral semi-axes $a, b$ and thickness $t$ is
    approximated by the ellipsoid $(a, b, t/2)$; the standard macrospin choice. Accepts
    an array of shape (*N, 3) (device-to-device variation); evaluated with SciPy's
    Carlson integral (geometry is concrete), returns float64 of shape (*N, 3).
    """
    from scipy.special import elliprd

    axes = np.asarray(semi_axes_m, dtype=np.float64)
    if axes.shape[-1:] != (3,) or not np.all(np.isfinite(axes)) or np.any(axes <= 0):
        raise InvalidParameterError(
            f"semi_axes_m must be positive and finite with a trailing axis of 3; got "
            f"shape {axes.shape}, min {np.min(axes) if axes.size else 'n/a'}.")
    # The integral is Carlson's symmetric elliptic integral: N_x = (abc/3) R_D(b^2, c^2, a^2).
    u = axes / axes.max(axis=-1, keepdims=True)  # dimensionless
    a2, b2, c2 = (u[..., k] ** 2 for k in range(3))
    abc = u[..., 0] * u[..., 1] * u[..., 2]
    n = np.stack([elliprd(b2, c2, a2), elliprd(c2, a2, b2), elliprd(a2, b2, c2)], -1)
    n = abc[..., None] / 3 * n
    return n / n.sum(-1, keepdims=True)


def disk_factors(diameter_m, thickness_m):
    r"""Demagnetization factors of a circular free layer, the oblate spheroid of
    semi-axes $(d/2, d/2, t/2)$ (Osborn 1945), with $e^2 = 1 - (t/d)^2$:

    $$N_z = \frac{1}{e^2}\left[1 - \frac{\sqrt{1 - e^2}\,\arcsin e}{e}\right], \qquad
      N_x = N_y = (1 - N_z)/2 .$$

    Pure jax.numpy (differentiable in the geometry); arrays broadcast, result (*N, 3).
    Requires $t < d$ (a disk, not a pillar).
    """
    ratio = jnp.asarray(thickness_m) / jnp.asarray(diameter_m)
    e2 = 1 - ratio**2
    e = jnp.sqrt(e2)
    n_z = (1 - jnp.sqrt(1 - e2) * jnp.arcsin(e) / e) / e2
    n_xy = 0.5 * (1 - n_z)
    return jnp.stack([n_xy, n_xy, n_z], axis=-1)
