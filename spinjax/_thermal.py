"""The Brown thermal field."""

import jax.numpy as jnp

from .constants import GAMMA0, KB, MU0
from ._custom_types import PerJunction
from ._layer import FreeLayer


def thermal_field_strength(layer: FreeLayer) -> PerJunction:
    r"""$\sigma$ of the Brown thermal field, in A m$^{-1}$ s$^{1/2}$.

    The thermal field is Gaussian white noise added to $\mathbf H_\mathrm{eff}$ in the
    Gilbert equation (Stratonovich sense) with
    $\langle H_i(t) H_j(t')\rangle = \sigma^2 \delta_{ij}\delta(t-t')$,

    $$\sigma^2 = \frac{2 \alpha k_B T}{\gamma_0 \mu_0 M_s V},$$

    so over a step $\Delta t$ the field is $\sigma\, \Delta W / \Delta t$ with
    $\Delta W \sim \mathcal N(0, \Delta t)$ (Brown, Phys. Rev. 130, 1677, 1963;
    Garcia-Palacios and Lazaro, Phys. Rev. B 58, 14937, 1998). This makes the
    Boltzmann distribution $\propto \exp(-V e(\mathbf m)/k_B T)$ stationary.
    """
    # The root of each factor apart: the derivative of a quotient multiplies by the
    # inverse square of its divisor, and V^-2 (1e48 m^-6), or even A^-2 (1e31) times
    # the cotangent, overflow float32 (an infinite gradient in t_F or the area);
    # A^-1 and t_F^-1 do not.
    x = 2 * KB / (GAMMA0 * MU0) * layer.alpha * layer.temperature_K / layer.Ms
    return jnp.sqrt(x) / jnp.sqrt(layer.area_m2) / jnp.sqrt(layer.thickness_m)
