r"""Fitting paper B's pump-probe data with measurement noise: estimates with uncertainties.

Paper B (Y.-T. Liu, ..., C.-F. Pai, Phys. Rev. Applied 13, 044032, 2020,
arXiv:2002.09104) reads an in-plane Hall bar by $R_{xx}$ at probe currents $\pm j$.
[`add_measurement_noise`][spinjax.experiments.add_measurement_noise] gives a simulated
[`PumpProbeResult`][spinjax.experiments.PumpProbeResult] Gaussian voltage noise of rms
$\sigma_V$ per read ($\sigma_R = \sigma_V/|I_\mathrm{probe}|$, Ohm), and optionally a linear
drift and a constant voltage offset; [`fit_pump_probe`][spinjax.experiments.fit_pump_probe]
recovers, each with a standard uncertainty:

- from the **field sweep** only ([`fit_field_sweep`][spinjax.experiments.fit_field_sweep],
  maximum likelihood with the exact macrospin equilibrium, `optax.lbfgs`, covariance $=$
  inverse Hessian of the negative log-likelihood): the in-plane field per current density
  $h = H_y/J$ (Oersted + field-like, A/m per A/m$^2$) and the UMR amplitude $\Delta R_{UMR}$
  at $J_\mathrm{ref}$ (Ohm). Needs $H_k$ and $H_x$ (known); $M_\mathrm{eff}$, $\alpha$ and
  $\xi_{DL}$ do not enter ($m_z = 0$ at equilibrium).
- from the **loops** only
  ([`switching_threshold`][spinjax.experiments.switching_threshold]): the switching current
  densities $J_c$ of both branches, with the sign of $\xi_{DL}$; with several pulse widths,
  $J_{c0}$ from $J_c = A + B/\tau$.
- $\xi_{DL}$ only through $J_{c0}$ and independently known $M_s, t_F, \alpha, H_k,
  M_\mathrm{eff}$ (Liu's formula); $J_c\propto\alpha/\xi_{DL}$, so $\alpha$ and
  $\xi_{DL}$ are not separately identifiable from these data. Caution: for
  $M_\mathrm{eff}\gg H_k$ the T = 0 switching current is the energy-balance one,
  about $1.1$-$1.3\,J_{c0}$ ([`spinjax.devices.switching_current`][]), so Liu's
  conversion underestimates $|\xi_{DL}|$ by that factor.

Not identified here: $H_x$ and the AMR amplitude separately (only $\Delta R\,H_x^2$ at
leading order; $H_x$ is known); the UMR from the loop levels (they hold it beside a
10x larger AMR part, odd in $j$ as well).
"""

import dataclasses
import json
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._params import InvalidParameterError
from .._validate import check_real
from ..constants import E_CHARGE, HBAR, MU0
from ..devices.hallbar import HallBar
from .pump_probe import PumpProbeResult
from .pump_probe_noise import _check_finite, _check_positive, _concrete, read_noise_ohm


def _equilibrium(h_y, h_x, h_k, s, n_newton=12):
    r"""In-plane minimum $(m_x, m_y) = (\sin\varphi, \cos\varphi)$ of
    $V = -\tfrac{H_k}{2}\cos^2\varphi - H_x\sin\varphi - H_y\cos\varphi$ in the well
    $m_y\approx s$: damped Newton from the easy axis (differentiable, fixed count)."""
    phi0 = jnp.where(s > 0, 0.0, jnp.pi) * jnp.ones_like(h_y)

    def newton(_, phi):
        c, sn = jnp.cos(phi), jnp.sin(phi)
        d1 = h_k * c * sn - h_x * c + h_y * sn
        d2 = h_k * (c * c - sn * sn) + h_x * sn + h_y * c
        return phi - jnp.clip(d1 / jnp.maximum(d2, 1e-3 * h_k), -0.3, 0.3)

    # a fixed count, not optimistix.root_find: batched over every read, differentiable
    # by unrolling, and inside the L-BFGS objective
    phi = jax.lax.fori_loop(0, n_newton, newton, phi0)
    return jnp.sin(phi), jnp.cos(phi)


def _minimize(fun, x0, max_iter=50, rtol=1e-13):
    r"""optax L-BFGS (zoom line search) until a step lowers `fun` by less than
    `rtol` (1 + |fun|) (scale-free: near the minimum the decrease is
    $\tfrac12 g^2/\mathcal L''$), the gradient vanishes, or `max_iter` steps. optax
    0.2.8's L-BFGS mixes int32 and int64 under x64, so it is traced with standard
    dtype promotion (the tests run with strict promotion).

    Kept rather than ``optimistix.minimise`` (``optx.LBFGS`` or ``optx.BFGS``, rtol =
    atol = 1e-10), measured on 30 noisy field sweeps (61 fields, float64, 2-core CPU):
    the same optimum (within 2e-7 standard deviations, $\chi^2$ within 3e-13), but
    optimistix's backtracking line search from a unit initial Hessian takes 17-42
    steps on this badly scaled 1-D profile where optax's zoom line search takes 2-4,
    stops at a gradient norm of 1.6e-5 instead of 9e-9, and a fit takes 63 ms instead
    of 35 ms."""
    opt = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(fun)

    def step(carry):
        x, state, _ = carry
        value, grad = value_and_grad(x, state=state)
        updates, state = opt.update(grad, state, x, value=value, grad=grad, value_fn=fun)
        return optax.apply_updates(x, updates), state, value

    def going(carry):
        _, state, before = carry
        n, g = optax.tree.get(state, "count"), optax.tree.get(state, "grad")
        now = optax.tree.get(state, "value")
        small = jnp.abs(before - now) <= rtol * (1 + jnp.abs(now))
        return (n < 2) | ((n < max_iter) & (optax.tree.norm(g) > 0) & ~small)

    with jax.numpy_dtype_promotion("standard"):
        x, state, _ = jax.lax.while_loop(
            going, step, (x0, opt.init(x0), jnp.asarray(jnp.inf, x0.dtype)))
    return x, optax.tree.norm(optax.tree.get(state, "grad")), optax.tree.get(state, "count")


class SweepFit(NamedTuple):
    r"""Result of [`fit_field_sweep`][spinjax.experiments.fit_field_sweep] (arrays; a
    pytree, so `vmap` works).

    `theta`: $(h, R_a, \Delta R, \Delta R_{UMR}, R_e)$ in (A/m per A/m$^2$, Ohm, Ohm,
    Ohm, Ohm) and `cov` its (5, 5) covariance; `chi2` the minimum of
    $\sum r^2/\sigma_R^2$ over `dof` degrees of freedom; `grad_norm` the final gradient
    norm of the profiled objective (scaled units) after `n_iter` L-BFGS steps."""
    theta: jax.Array
    cov: jax.Array
    chi2: jax.Array
    dof: jax.Array
    grad_norm: jax.Array
    n_iter: jax.Array

    @property
    def sigma(self):  # standard uncertainties of theta
        return jnp.sqrt(jnp.diagonal(self.cov, axis1=-2, axis2=-1))


def fit_field_sweep(h_sweep, r_plus, r_minus, *, j_probe, h_x, h_k, sigma_ohm,
                    j_ref=1e11, max_shift=0.2) -> SweepFit:
    r"""Maximum-likelihood fit of the field sweep: $h$, UMR, with the inverse-Hessian
    covariance.

    Model of a read at applied easy-axis field $H$ (A/m), probe $j_p = \pm j$, branch
    $s = \pm1$ ($m_y\approx s$):

    $$R = R_a + \Delta R\,m_x^2 + \Delta R_{UMR}\frac{j_p}{J_\mathrm{ref}}m_y
          + \frac{R_e}{2}\,\mathrm{sign}(j_p),$$

    $(m_x, m_y)$ the exact in-plane macrospin equilibrium under $(H_x, H + h j_p)$
    (`_equilibrium`; $R_a = \Delta R_{SMR}$, $\Delta R = \Delta R_{AMR} -
    \Delta R_{SMR}$ since $m_y^2 = 1 - m_x^2$), so $R_+(H) = R_-(H + 2hj) + c$ holds
    with the UMR offset $c$ ; $R_e$ absorbs any offset of $R_+ - R_-$ that is even in
    $\mathbf m$ (a thermoelectric voltage, the $\pm j$ alternation of a drift), so
    $\Delta R_{UMR}$ comes from the part of $c$ odd in the branch. With Gaussian reads
    of rms $\sigma_R$ the negative log-likelihood is $\mathcal L = \tfrac12\sum_i
    (R_i - \hat R_i)^2/\sigma_R^2$. Linear in $(R_a, \Delta R, \Delta R_{UMR}, R_e)$,
    these are profiled out (normal equations); the profile in $\delta = hj/H_k$ is
    started on a grid over $|\delta|\le$ `max_shift` and minimized by
    `optax.lbfgs`; $\mathrm{cov} = (\nabla^2\mathcal L)^{-1}$ (`jax.hessian`)
    at the optimum, valid when the likelihood is near Gaussian (many reads).

    **Arguments:** `h_sweep`, `r_plus`, `r_minus` (2, F): fields (A/m) and the reads
    (Ohm, $R_{xx} - R_0$ or $R_{xx}$) of the branches $m_y = -1$ (row 0) and $+1$;
    `j_probe` (A/m$^2$), `h_x`, `h_k` (A/m), `sigma_ohm` $\sigma_R > 0$, `j_ref`
    (A/m$^2$); `max_shift` the largest $|hj|/H_k$ searched (0.2). Every field plus
    $\pm hj$ must lie in the stable range of its branch. Float64 (`jax_enable_x64`) is
    advised for the Hessian.
    """
    _check_positive("sigma_ohm", sigma_ohm)
    _check_finite(sweep_r_plus=r_plus, sweep_r_minus=r_minus, h_sweep=h_sweep)
    dt = jnp.result_type(float)
    h, rp, rm = (jnp.asarray(x, dt) for x in (h_sweep, r_plus, r_minus))
    if _concrete(h) and (h.ndim != 2 or h.shape[0] != 2 or rp.shape != h.shape
                         or rm.shape != h.shape):
        raise InvalidParameterError(
            f"h_sweep, r_plus, r_minus must share a shape (2, F); got {h.shape}, "
            f"{rp.shape}, {rm.shape}.")
    return _fit_sweep(h, rp, rm, *(jnp.asarray(x, dt) for x in (
        j_probe, h_x, h_k, sigma_ohm, j_ref, max_shift)))


@jax.jit
def _fit_sweep(h, rp, rm, jp, hx, hk, sig, j_ref, max_shift):
    """[`fit_field_sweep`][spinjax.experiments.fit_field_sweep] on arrays (compiled once per
        number of fields)."""
    F, dt = h.shape[1], h.dtype
    hh = jnp.concatenate([h, h]).ravel()                         # (+j rows, then -j rows)
    s = jnp.repeat(jnp.array([-1.0, 1.0, -1.0, 1.0], dt), F)
    pol = jnp.repeat(jnp.array([1.0, 1.0, -1.0, -1.0], dt), F)
    y = jnp.concatenate([rp, rm]).ravel() / sig

    def design(delta):
        mx, my = _equilibrium(hh + pol * delta * hk, hx, hk, s)
        return jnp.stack([jnp.ones_like(mx), mx * mx, pol * my, pol / 2], -1)

    def nll(theta):                                 # theta = (delta, 4 linear, /sigma)
        return 0.5 * jnp.sum((y - design(theta[0]) @ theta[1:]) ** 2)

    def profile(delta):
        a = design(delta)
        beta = jnp.linalg.solve(a.T @ a, a.T @ y)
        return jnp.concatenate([jnp.reshape(delta, (1,)), beta])

    prof = lambda d: nll(profile(d))  # noqa: E731
    grid = jnp.linspace(-1.0, 1.0, 41, dtype=dt) * max_shift
    start = grid[jnp.argmin(jax.vmap(prof)(grid))]
    x, gnorm, n_iter = _minimize(lambda x: prof(x[0]), jnp.reshape(start, (1,)))
    theta_n = profile(x[0])
    cov_n = jnp.linalg.inv(jax.hessian(nll)(theta_n))
    scale = jnp.stack([hk / jp, sig, sig, sig * j_ref / jp, sig])
    return SweepFit(theta_n * scale, cov_n * scale[:, None] * scale[None, :],
                    2 * nll(theta_n), jnp.asarray(4 * F - 5), gnorm, n_iter)


def switching_threshold(j_pump, d, sigma_d) -> tuple[float, float]:
    r"""Switching current density of one loop branch from noisy $D(J)$: posterior mean
    and standard deviation (A/m$^2$, signed) under a sharp-threshold model.

    A T = 0 macrospin switches at a sharp threshold $J_c$: $D = \mu_s$ for pulses beyond
    $J_c$ (away from $J = 0$, on $J_c$'s side) and $\mu_u$ otherwise, reads
    $\sim\mathcal N(\mu, \sigma_D^2)$. With flat priors on $J_c$ and on the levels, the
    hypothesis "$J_c$ in the gap $(J_k, J_{k+1})$" has weight
    $p_k\propto\Delta_k\,(n_sn_u)^{-1/2}\exp(-\mathrm{RSS}_k/2\sigma_D^2)$ (levels
    integrated out; $\mathrm{RSS}_k$ about the level means), so
    $\hat J_c = \sum_k p_k\bar J_k$ and $\sigma^2 = \sum_k p_k(\Delta_k^2/12 + \bar J_k^2)
    - \hat J_c^2$: when the noise is well below the step this is the bracketing gap's
    midpoint with $\sigma = \Delta/\sqrt{12}$ (the grid, a systematic and uniform error,
    not a Gaussian one). No optimizer is involved: the likelihood is piecewise constant
    in $J_c$, and a smooth step (logistic) fitted to a sharp one has a width running to
    zero and an uninformative Hessian. Returns `(nan, nan)` when no step is resolved
    (level separation below 5 standard errors). For thermally broadened steps (T > 0)
    fit a width as well; not done here.
    """
    j, d = np.asarray(j_pump, np.float64), np.asarray(d, np.float64)
    _check_positive("sigma_d", sigma_d)
    if j.ndim != 1 or j.size < 3 or d.shape != j.shape or np.any(np.diff(j) <= 0):
        raise InvalidParameterError(
            f"j_pump must be strictly increasing, shape (P,), P >= 3, and d of the same "
            f"shape; got {j.shape}, {d.shape}.")
    P, idx = j.size, np.arange(j.size)
    lo, hi = j[:-1], j[1:]
    neg, k = hi <= 0, np.arange(P - 1)[:, None]
    sw = np.where(neg[:, None], idx[None] <= k, idx[None] >= k + 1)       # (P-1, P)
    n_s, n_u = sw.sum(1), (~sw).sum(1)
    ok = (neg | (lo >= 0)) & (n_s > 0) & (n_u > 0)
    mu_s = (sw * d).sum(1) / np.maximum(n_s, 1)
    mu_u = (~sw * d).sum(1) / np.maximum(n_u, 1)
    rss = np.sum((d - np.where(sw, mu_s[:, None], mu_u[:, None])) ** 2, 1)
    logw = np.where(ok, np.log(hi - lo) - 0.5 * np.log(np.maximum(n_s * n_u, 1))
                    - rss / (2 * sigma_d ** 2), -np.inf)
    best = np.argmax(logw)
    if abs(mu_s[best] - mu_u[best]) < 5 * sigma_d * np.sqrt(1 / n_s[best] + 1 / n_u[best]):
        return np.nan, np.nan
    p = np.exp(logw - logw[best]) / np.sum(np.exp(logw - logw[best]))
    mid, width = 0.5 * (lo + hi), hi - lo
    mean = float(np.sum(p * mid))
    var = float(np.sum(p * (width ** 2 / 12 + mid ** 2)) - mean ** 2)
    return mean, float(np.sqrt(max(var, 0.0)))


@dataclasses.dataclass(frozen=True)
class PumpProbeFit:
    r"""Estimates from noisy pump-probe data, each with its standard uncertainty
    (`*_sigma`, same unit); see [`fit_pump_probe`][spinjax.experiments.fit_pump_probe].

    - `h_per_j` (A/m per A/m$^2$), `d_umr_ohm` ($\Delta R_{UMR}$ at $J_\mathrm{ref}$,
      Ohm), `offset_ohm` ($R_e$), `amr_ohm` ($\Delta R_{AMR} - \Delta R_{SMR}$), with
      `sweep_cov` (5, 5) the covariance of $(h, R_a, \Delta R, \Delta R_{UMR}, R_e)$ and
      `chi2_per_dof` of the sweep ($\approx 1$ when the model and $\sigma_R$ are right).
    - `j_c_up` (W,): the branch $-\hat y\to+\hat y$ (signed, sign of $\xi_{DL}$);
      `j_c_down` (W,): $+\hat y\to-\hat y$; `j_c` (W,) their mean magnitude; `j_c0`:
      $J_c(\tau\to\infty)$ of $J_c = A + B/\tau$ (one width: that width's $J_c$).
    - `xi_dl_liu`: $\xi_{DL}$ by Liu's formula from `j_c0`.
    - `sigma_ohm`: the read noise used; `given`: the simulation's truth
      (`PumpProbeResult.given`).
    """

    h_per_j: float
    h_per_j_sigma: float
    d_umr_ohm: float
    d_umr_ohm_sigma: float
    offset_ohm: float
    offset_ohm_sigma: float
    amr_ohm: float
    amr_ohm_sigma: float
    sweep_cov: np.ndarray
    chi2_per_dof: float
    j_c_up: np.ndarray
    j_c_up_sigma: np.ndarray
    j_c_down: np.ndarray
    j_c_down_sigma: np.ndarray
    j_c: np.ndarray
    j_c_sigma: np.ndarray
    j_c0: float
    j_c0_sigma: float
    xi_dl_liu: float
    xi_dl_liu_sigma: float
    sigma_ohm: float
    given: dict

    def to_json(self) -> dict:
        """A JSON-serializable dict of every field (arrays as nested lists)."""
        conv = lambda x: (np.asarray(x, np.float64).tolist()  # noqa: E731
                          if isinstance(x, (np.ndarray, np.generic, jax.Array)) else x)
        out = {f.name: conv(getattr(self, f.name)) for f in dataclasses.fields(self)}
        out["given"] = {k: conv(v) for k, v in self.given.items()}
        json.dumps(out)
        return out


def fit_pump_probe(bar: HallBar, result: PumpProbeResult, *, voltage_rms_V: float,
                   prefactor_rel_sigma: float = 0.0) -> PumpProbeFit:
    r"""Fit noisy pump-probe data
    ([`add_measurement_noise`][spinjax.experiments.add_measurement_noise] or measured) of
    `bar`.

    1. Field sweep: [`fit_field_sweep`][spinjax.experiments.fit_field_sweep] with the
    device's $H_k$
       ([`HallBar.anisotropy_fields`][spinjax.devices.HallBar.anisotropy_fields]), the
       result's $H_x$, $J_\mathrm{ref}$ of the readout and $\sigma_R$ =
       [`read_noise_ohm`][spinjax.experiments.read_noise_ohm].
    2. Loops: [`switching_threshold`][spinjax.experiments.switching_threshold] per branch
    and width ($\sigma_D =
       \sqrt2\sigma_R$); $J_c = (|J_c^{up}| + |J_c^{down}|)/2$, $\sigma_{J_c} =
       \tfrac12(\sigma_{up}^2 + \sigma_{down}^2)^{1/2}$; with $W\ge2$ widths a weighted
       least-squares line $J_c = A + B/\tau$ gives $J_{c0} = A$ and its variance.
    3. $\xi_{DL} = \mathrm{sign}(J_c^{up})\,\frac{2e}{\hbar}\mu_0M_st_F\alpha
       \frac{H_k + M_\mathrm{eff}/2}{J_{c0}}$ (Liu et al., Science 336, 555, 2012), with
       $(\sigma_\xi/\xi)^2 = (\sigma_{J}/J_{c0})^2 + $ `prefactor_rel_sigma`$^2$ (the
       relative uncertainty of the independently measured $M_st_F\alpha(H_k +
       M_\mathrm{eff}/2)$; 0: taken as exact).
    """
    _check_positive("voltage_rms_V", voltage_rms_V)
    check_real("prefactor_rel_sigma", prefactor_rel_sigma, 0.0)
    _check_finite(loop_d=result.loop_d, sweep_r_plus=result.sweep_r_plus,
                  sweep_r_minus=result.sweep_r_minus)
    sigma = read_noise_ohm(bar, result.j_probe, voltage_rms_V)
    hk, meff = (float(x) for x in bar.anisotropy_fields())
    sw = fit_field_sweep(result.h_sweep, result.sweep_r_plus, result.sweep_r_minus,
                         j_probe=result.j_probe, h_x=result.h_x, h_k=hk, sigma_ohm=sigma,
                         j_ref=float(bar.readout.j_ref_A_per_m2))
    th, sd, cov = (np.asarray(x, np.float64) for x in (sw.theta, sw.sigma, sw.cov))
    W = result.widths_s.size
    up, down = (np.array([switching_threshold(result.j_pump, result.loop_d[b, w],
                                              np.sqrt(2) * sigma) for w in range(W)])
                for b in (0, 1))
    jc = 0.5 * (np.abs(up[:, 0]) + np.abs(down[:, 0]))
    jc_sd = 0.5 * np.hypot(up[:, 1], down[:, 1])
    if W >= 2:
        x = np.stack([np.ones(W), 1.0 / result.widths_s], -1)
        cov_ab = np.linalg.inv(x.T @ (x / jc_sd[:, None] ** 2))
        j_c0 = float((cov_ab @ (x.T @ (jc / jc_sd ** 2)))[0])
        j_c0_sd = float(np.sqrt(cov_ab[0, 0]))
    else:
        j_c0, j_c0_sd = float(jc[0]), float(jc_sd[0])
    layer = bar.model.layer
    pref = 2 * E_CHARGE / HBAR * MU0 * float(layer.Ms) * float(layer.thickness_m) * float(
        layer.alpha)
    xi = float(np.sign(np.nanmean(up[:, 0])) * pref * (hk + meff / 2) / j_c0)
    xi_sd = abs(xi) * float(np.hypot(j_c0_sd / j_c0, prefactor_rel_sigma))
    return PumpProbeFit(
        h_per_j=th[0], h_per_j_sigma=sd[0], d_umr_ohm=th[3], d_umr_ohm_sigma=sd[3],
        offset_ohm=th[4], offset_ohm_sigma=sd[4], amr_ohm=th[2], amr_ohm_sigma=sd[2],
        sweep_cov=cov, chi2_per_dof=float(sw.chi2) / sw.dof,
        j_c_up=up[:, 0], j_c_up_sigma=up[:, 1], j_c_down=down[:, 0],
        j_c_down_sigma=down[:, 1], j_c=jc, j_c_sigma=jc_sd, j_c0=j_c0, j_c0_sigma=j_c0_sd,
        xi_dl_liu=xi, xi_dl_liu_sigma=xi_sd, sigma_ohm=sigma, given=dict(result.given))
