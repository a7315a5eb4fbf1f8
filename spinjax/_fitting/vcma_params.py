"""The VCMA junction in fitting coordinates: the compensation voltage and xi."""

import jax.numpy as jnp

from ..constants import MU0
from .._fields.demag import disk_factors
from ..devices.vcma import vcma_mtj


def k_i0_from_compensation(compensation_V, xi, *, diameter_m=60e-9, thickness_m=1.1e-9,
                           Ms=1.1e6, t_ox_m=1.5e-9):
    r"""$K_{i0}$ (J/m$^2$) of a VCMA disk whose effective anisotropy vanishes at
    $V_c$: $K_{i0} = \xi V_c / t_{ox} + \tfrac12\mu_0 M_s^2 (N_z - N_x)\, t_F$."""
    n = disk_factors(diameter_m, thickness_m)
    demag = 0.5 * MU0 * Ms**2 * (n[..., 2] - n[..., 0]) * thickness_m
    return xi * compensation_V / t_ox_m + demag


def vcma_mtj_compensation(*, compensation_V=1.6126, xi=80e-15, **kwargs):
    r""":func:`spinjax.devices.vcma_mtj` parameterized by its compensation voltage $V_c$
    ($K_\mathrm{eff}(V_c) = 0$) and $\xi$ instead of $K_{i0}$ and $\xi$.

    Why: $P_\mathrm{sw}(V)$ locates its middle near a fixed fraction of $V_c$ and takes
    its slope from $\xi$ (the anisotropy change per volt against the thermal spread).
    In $(K_{i0}, \xi)$ both move the middle, so the two are almost collinear in the
    data (correlation 0.97 measured) and their Monte Carlo gradients mix; in
    $(V_c, \xi)$ they separate. The defaults are those of the preset ($V_c$ = 1.6126 V
    for $K_{i0}$ = 0.887 mJ/m$^2$)."""
    geometry = {k: kwargs[k] for k in ("diameter_m", "thickness_m", "Ms", "t_ox_m")
                if k in kwargs}
    k_i0 = k_i0_from_compensation(jnp.asarray(compensation_V), jnp.asarray(xi), **geometry)
    return vcma_mtj(K_i0=k_i0, xi=xi, **kwargs)
