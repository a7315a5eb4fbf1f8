r"""The T = 0 macrospin switching current of an in-plane magnet under damping-like SOT.

Liu's $J_{c0}$ ([`spinjax.devices.liu_critical_current`][]) is where the initial
state turns linearly unstable. For $M_\mathrm{eff}\gg H_k$ (every in-plane CoFeB film)
the state it turns into is a precession orbit inside the initial well, and the magnet
switches only when the damping-like torque pumps that orbit over the separatrix
through the saddles near $\pm\hat x$: at the current $J^*$ where, over the
separatrix, the energy pumped in balances the Gilbert dissipation. This is the
energy-balance method of Bertotti, Mayergoyz and Serpico (*Nonlinear Magnetization
Dynamics in Nanosystems*, Elsevier 2009) as applied to spin-Hall torques by
Taniguchi (arXiv:1502.01420); the formulas below are derived here for this geometry.
"""

import jax.numpy as jnp

from .._custom_types import PerJunction
from .._torques.base import torque_field_per_current
from .._validate import check_int
from ._args import check_finite
from .hallbar import HallBar


def _pendulum(hk, meff, hx, hy, n_quad, n_bisect):
    """Energy-balance ratio D/P and Liu's stiffness term for the well at phi = pi."""
    col = lambda x: jnp.asarray(x)[..., None]  # noqa: E731
    hk, meff, hx, hy = col(hk), col(meff), col(hx), col(hy)
    V = lambda p: -0.5 * hk * jnp.cos(p) ** 2 - hx * jnp.sin(p) - hy * jnp.cos(p)  # noqa
    dV = lambda p: hk * jnp.cos(p) * jnp.sin(p) - hx * jnp.cos(p) + hy * jnp.sin(p)  # noqa
    grid = jnp.linspace(0.0, 2 * jnp.pi, 4 * n_quad + 1, dtype=jnp.result_type(hk))
    v = V(grid)
    # the well: the local minimum of V nearest phi = pi; saddles: the maxima either side
    inner = (v[..., 1:-1] < v[..., :-2]) & (v[..., 1:-1] <= v[..., 2:])
    dist = jnp.where(inner, jnp.abs(grid[1:-1] - jnp.pi), jnp.inf)
    phi0 = grid[1 + jnp.argmin(dist, axis=-1)][..., None]
    phi_l = grid[jnp.argmax(jnp.where(grid <= phi0, v, -jnp.inf), axis=-1)][..., None]
    phi_r = grid[jnp.argmax(jnp.where(grid >= phi0, v, -jnp.inf), axis=-1)][..., None]
    left = V(phi_l) <= V(phi_r)
    phi_s = jnp.where(left, phi_l, phi_r)            # the lower saddle: the escape route
    far = jnp.where(left, phi_r, phi_l)
    e_s = V(phi_s)
    # V(lo) < e_s <= V(hi): bisect, a fixed count for every junction at once (the
    # batched form; optimistix.Bisection solves one scalar root per call)
    lo, hi = phi0, far
    for _ in range(n_bisect):
        mid = 0.5 * (lo + hi)
        below = V(mid) < e_s
        lo, hi = jnp.where(below, mid, lo), jnp.where(below, hi, mid)
    phi_t = 0.5 * (lo + hi)                          # turning point on the far side
    # midpoint rule after a substitution that removes the endpoint singularity (JAX has
    # no adaptive quadrature; scipy's is not traceable)
    x = (jnp.arange(n_quad, dtype=grid.dtype) + 0.5) / n_quad
    phi = phi_s + (phi_t - phi_s) * (1 - (1 - x) ** 2)   # removes the 1/sqrt at phi_t
    dphi = 2 * (phi_t - phi_s) * (1 - x) / n_quad
    gap = jnp.maximum(e_s - V(phi), 0.0)
    root = jnp.sqrt(2 * meff * gap)
    damp = 2 * jnp.sum(root * dphi, -1)
    pump = 2 * jnp.sum((dV(phi) * jnp.sin(phi) + 2 * gap * jnp.cos(phi))
                       / jnp.where(root > 0, root, 1.0) * dphi, -1)
    p0 = phi0[..., 0]
    h1 = hk[..., 0] * jnp.cos(2 * p0) + hx[..., 0] * jnp.sin(p0) + hy[..., 0] * jnp.cos(p0)
    h2 = meff[..., 0] + hk[..., 0] * jnp.cos(p0) ** 2 + hx[..., 0] * jnp.sin(p0) + hy[
        ..., 0] * jnp.cos(p0)
    return jnp.abs(damp) / jnp.abs(pump), 0.5 * (h1 + h2) / jnp.abs(jnp.cos(p0))


def switching_current(bar: HallBar, h_x_A_per_m=0.0, h_y_A_per_m=0.0, *,
                      current_field: bool = True, n_quad: int = 2000,
                      n_iter: int = 6) -> PerJunction:
    r"""T = 0 macrospin switching current density $|J_{sw}|$ in A/m$^2$ of the state
    $\mathbf m\approx-\hat y$ (the state $+\hat y$ is its mirror image, with the fields
    reversed).

    In the thin-film limit ($H_k, |H| \ll M_\mathrm{eff}$, error of order
    $H_k/M_\mathrm{eff}$) the in-plane angle $\varphi$ ($\mathbf m = (\sin\varphi,
    \cos\varphi, m_z)$) moves in the potential
    $V(\varphi) = -\tfrac{H_k}{2}\cos^2\varphi - H_x\sin\varphi - H_y\cos\varphi$
    (A/m, energy per $\mu_0M_s$) with $m_z = \dot\varphi/(\gamma_0 M_\mathrm{eff})$.
    On the separatrix $E = E_s$ (the lower saddle of the well at $\varphi = \pi$) the
    Gilbert dissipation and the damping-like pumping per turn are

    $$\mathcal D = \alpha\oint\sqrt{2M_\mathrm{eff}(E_s - V)}\,d\varphi, \qquad
      \mathcal P = |\xi_{DL}|\,a_1 J\oint\frac{V'(\varphi)\sin\varphi
        + 2(E_s - V)\cos\varphi}{\sqrt{2M_\mathrm{eff}(E_s - V)}}\,d\varphi,$$

    $a_1 = \hbar/(2e\mu_0M_st_F)$, and $J^*$ solves $\mathcal P = \mathcal D$. Without
    fields $J^* = \frac{2\alpha M_\mathrm{eff}}{\pi|\xi_{DL}|a_1} =
    \frac{4}{\pi}\frac{M_\mathrm{eff}/2}{H_k + M_\mathrm{eff}/2}J_{c0}$, 27 % above Liu's
    $J_{c0}$. The switching current is $\max(J^*, J_{c0})$, with $J_{c0}$ the linear
    instability of the tilted well, $\alpha(H_1 + H_2)/(2|\xi_{DL}|a_1|\cos\varphi_0|)$
    ($H_1 = V''(\varphi_0)$, $H_2 = M_\mathrm{eff} + $ the field along $\mathbf m$).

    **Arguments:**

    - `h_x_A_per_m`, `h_y_A_per_m`: applied in-plane fields in A/m ($H_y > 0$
      destabilizes the $-\hat y$ state).
    - `current_field`: include the current-induced in-plane field
      (``bar.in_plane_field_per_j() * J`` along $\hat y$, $J$ of the sign that switches
      $-\hat y \to +\hat y$, i.e. of $\xi_{DL}$), solved self-consistently by `n_iter`
      fixed-point iterations.
    - `n_quad`: quadrature nodes (the integrand is made smooth by a substitution at the
      turning point, so the midpoint rule converges fast).
    """
    check_int("n_quad", n_quad, 2)
    check_int("n_iter", n_iter, 1)
    check_finite("switching_current", h_x_A_per_m=h_x_A_per_m, h_y_A_per_m=h_y_A_per_m)
    hk, meff = bar.anisotropy_fields()
    layer = bar.model.layer
    scale = layer.alpha / (jnp.abs(bar.sot.xi_dl) * torque_field_per_current(layer))
    h_j = bar.in_plane_field_per_j() * jnp.sign(bar.sot.xi_dl) if current_field else 0.0
    j = jnp.zeros(jnp.shape(scale), jnp.result_type(scale))
    for _ in range(n_iter if current_field else 1):
        ratio, stiff = _pendulum(hk, meff, h_x_A_per_m, h_y_A_per_m + h_j * j, n_quad, 60)
        j = jnp.maximum(scale * ratio, scale * stiff)
    return j
