"""The Landau-Lifshitz-Gilbert right-hand side in explicit form."""

import jax.numpy as jnp

from .constants import GAMMA0
from ._custom_types import Magnetization, PerJunction, Vector


def llg_rhs(m: Magnetization, H: Vector, alpha: PerJunction) -> Vector:
    r"""$\dot{\mathbf m}$ of the Gilbert equation in explicit (Landau-Lifshitz) form.

    $$\dot{\mathbf m} = -\frac{\gamma_0}{1+\alpha^2}\left[\mathbf m\times\mathbf H +
      \alpha\, \mathbf m\times(\mathbf m\times\mathbf H)\right],$$

    with $\gamma_0 = \mu_0|\gamma_e| = 2.2128\times10^5$ m/(A s) and $\mathbf H$ in A/m
    (Gilbert, IEEE Trans. Magn. 40, 3443, 2004). Linear in $\mathbf H$, so the same
    function maps the thermal field increment to the noise term.

    **Arguments:** `m` unit vectors (*N, 3); `H` field in A/m (*N, 3); `alpha` Gilbert
    damping, shape () or (*N,).
    """
    alpha = jnp.asarray(alpha)[..., None]
    mxh = jnp.cross(m, H)
    return (-GAMMA0 / (1 + alpha**2)) * (mxh + alpha * jnp.cross(m, mxh))
