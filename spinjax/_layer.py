"""The free layer: the magnetic body whose unit magnetization m the sLLG evolves."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._custom_types import PerJunction
from ._params import NONNEGATIVE, POSITIVE, InvalidParameterError, check_concrete, param


class FreeLayer(eqx.Module):
    r"""Material and geometry of a macrospin free layer (SI units).

    Every field is a scalar shared by all junctions or an array over the junction axes,
    so an array of N devices with device-to-device variation is one pytree.

    **Fields:**

    - `Ms`: saturation magnetization $M_s$ in A/m, $> 0$.
    - `alpha`: Gilbert damping $\alpha$ (dimensionless), $\ge 0$; $\alpha = 0$ (pure
      precession) only at $T = 0$, since it decouples the spin from the heat bath.
    - `thickness_m`: free-layer thickness $t_F$ in m, $> 0$ (enters interfacial
      anisotropy, VCMA and the spin-torque prefactors).
    - `area_m2`: cross-section area $A$ in m$^2$, $> 0$; the volume is $V = A t_F$.
    - `temperature_K`: temperature $T$ in K, $\ge 0$ (sets the Brown thermal field).
    """

    Ms: PerJunction = param("A/m", POSITIVE)
    alpha: PerJunction = param("1", NONNEGATIVE)
    thickness_m: PerJunction = param("m", POSITIVE)
    area_m2: PerJunction = param("m^2", POSITIVE)
    temperature_K: PerJunction = param("K", NONNEGATIVE, default=0.0)

    def __check_init__(self):
        check_concrete(self)
        check_bath_coupling(self)

    @property
    def volume_m3(self) -> PerJunction:
        """Magnetic volume $V = A t_F$ in m$^3$."""
        return self.area_m2 * self.thickness_m


def check_bath_coupling(layer: FreeLayer) -> None:
    """Raise for alpha = 0 at T > 0 (concrete values; traced ones are checked in the solve)."""
    a, t = layer.alpha, layer.temperature_K
    if isinstance(a, jax.core.Tracer) or isinstance(t, jax.core.Tracer):
        return
    bad = (np.asarray(a) == 0) & (np.asarray(t) > 0)
    if np.any(bad):
        raise InvalidParameterError(
            "FreeLayer.alpha = 0 with temperature_K > 0: the valid range of alpha is "
            "(0, inf) at T > 0 (alpha = 0 decouples the spin from the heat bath); use "
            "alpha = 0 only at T = 0.")


def disk_area(diameter_m) -> PerJunction:
    """Area $\\pi d^2 / 4$ in m$^2$ of a circular pillar of diameter `diameter_m` (m)."""
    return jnp.pi * jnp.asarray(diameter_m) ** 2 / 4


def ellipse_area(major_m, minor_m) -> PerJunction:
    """Area $\\pi a b / 4$ in m$^2$ of an elliptical pillar with axes `major_m`, `minor_m` (m)."""
    return math.pi * jnp.asarray(major_m) * jnp.asarray(minor_m) / 4
