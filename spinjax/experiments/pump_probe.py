r"""Paper B's pump-probe experiment on a heavy-metal / in-plane CoFeB Hall bar.

Y.-T. Liu, T.-Y. Chen, ..., C.-F. Pai, "Determination of spin-orbit torque efficiencies
in heterostructures with in-plane magnetic anisotropy", Phys. Rev. Applied 13, 044032
(2020), arXiv:2002.09104. A pump current pulse switches the in-plane magnet (easy axis
$\hat y$) by the damping-like SOT; a small probe current then reads the state through
the longitudinal resistance. At $\mathbf m = \pm\hat y$ the AMR alone cannot tell the
two states apart, but the probe current $j$ adds the in-plane field $h j\,\hat y$
(Oersted + field-like SOT), which stiffens one state and softens the other, so under a
small transverse field $H_x$ the AMR term $\Delta R_{AMR}\,m_x^2$ with
$m_x \approx H_x/(H_k + s(H_y + h j))$ differs between $s = \pm 1$; and the UMR adds
$\Delta R_{UMR}(j/J_\mathrm{ref})s$. Both are odd in $j$: the difference
$D = R(+j) - R(-j)$ of the probe at $\pm j$ is a two-level signal of the state.
"""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
from scipy.interpolate import CubicSpline

from .._drive import Drive
from .._params import InvalidParameterError
from .._pulses.shapes import Trapezoid
from .._save import Save
from .._simulate import simulate
from .._validate import check_real
from ..constants import E_CHARGE, HBAR, MU0
from ..devices.hallbar import HallBar, liu_critical_current
from ..devices.inplane_switching import switching_current
from ._args import finite_array


@dataclasses.dataclass(frozen=True)
class PumpProbeResult:
    """Simulated pump-probe data of one Hall bar and what the analysis extracts.

    Raw data (Ohm; magnetoresistive parts $R_{xx} - R_0$ of the probe reads):

    - `j_pump` (P,) A/m^2 and `widths_s` (W,) s: the pump grid; `loop_d` (2, W, P): the
      probe difference $D = R(+j_p) - R(-j_p)$ on the branch that starts at
      $m_y = -1$ (index 0) and $+1$ (index 1); `loop_state` (2, W, P) the state read
      from D (+1/-1).
    - `h_sweep` (2, F) A/m: easy-axis fields of the field sweep per branch;
      `sweep_r_plus`, `sweep_r_minus` (2, F): the reads at $+j$ and $-j$.

    Extracted:

    - `j_c_plus`, `j_c_minus` (W,): the switching current densities of the two branches
      (signed, A/m^2); `j_c` (W,) their mean magnitude; `j_c0`: $J_c$ extrapolated to
      an infinitely long pulse by $J_c = J_{c0}(1 + \\tau_0/\\tau)$ (one width: that
      width's $J_c$).
    - `h_per_j`: the in-plane effective field per current density, A/m per A/m^2
      (mean of the two branches, `h_per_j_branches`); `d_umr_ohm`: the UMR amplitude
      at $J_\\mathrm{ref}$ from the offset of the field sweep.
    - `xi_dl_liu`: $\\xi_{DL}$ from `j_c0` through Liu's formula (paper B's conversion),
      with the sign of the current that switches $-\\hat y \\to +\\hat y$ (for
      $\\boldsymbol\\sigma = +\\hat y$, $\\xi_{DL} J > 0$ drives $\\mathbf m$ toward
      $+\\hat y$).
    - `given`: what the simulation was given, for comparison: `j_c0_liu`,
      `j_switch` ([`spinjax.devices.switching_current`][]), `h_per_j`, `xi_dl`,
      `d_umr_ohm`.
    """

    j_pump: np.ndarray
    widths_s: np.ndarray
    loop_d: np.ndarray
    loop_state: np.ndarray
    h_sweep: np.ndarray
    sweep_r_plus: np.ndarray
    sweep_r_minus: np.ndarray
    j_probe: float
    h_x: float
    j_c_plus: np.ndarray
    j_c_minus: np.ndarray
    j_c: np.ndarray
    j_c0: float
    h_per_j: float
    h_per_j_branches: np.ndarray
    d_umr_ohm: float
    xi_dl_liu: float
    given: dict

    def to_json(self) -> dict:
        """A JSON-serializable dict of every field (arrays as nested lists)."""
        def conv(x):
            if isinstance(x, dict):
                return {k: conv(v) for k, v in x.items()}
            if isinstance(x, (np.ndarray, np.generic, jax.Array)):
                return np.asarray(x, np.float64).tolist()
            return x
        out = {f.name: conv(getattr(self, f.name)) for f in dataclasses.fields(self)}
        json.dumps(out)  # fail here, not in the caller, if something is not serializable
        return out

    def plot(self, path=None):
        """A plot: the switching loops, the field sweep, and J_c against 1/width.
        The ``matplotlib.figure.Figure``, built without pyplot (the backend and open
        figures stay the user's; a notebook shows it inline); also written as a PNG to
        `path` when one is given."""
        from matplotlib.figure import Figure   # no pyplot: no global figure state
        fig = Figure(figsize=(14, 4))
        ax = fig.subplots(1, 3)
        for w in range(len(self.widths_s)):
            for b, style in ((0, "-o"), (1, "--s")):
                ax[0].plot(self.j_pump / 1e10, 1e3 * self.loop_d[b, w], style, ms=3,
                           color=f"C{w}", label=f"{self.widths_s[w] * 1e9:.0f} ns, from "
                           f"m_y = {2 * b - 1:+d}")
        for jc in (*self.j_c_plus, *self.j_c_minus):
            ax[0].axvline(jc / 1e10, color="0.7", lw=0.8)
        ax[0].set(xlabel=r"pump $J$ ($10^{10}$ A/m$^2$)",
                  ylabel=r"$R(+j)-R(-j)$ (m$\Omega$)", title="switching loops")
        ax[0].legend(fontsize=8)
        for b, name in ((0, "m_y=-1"), (1, "m_y=+1")):
            ax[1].plot(self.h_sweep[b], 1e3 * self.sweep_r_plus[b], "-o", ms=3,
                       label=f"{name}, +j")
            ax[1].plot(self.h_sweep[b], 1e3 * self.sweep_r_minus[b], "--s", ms=3,
                       label=f"{name}, -j")
        ax[1].set(xlabel=r"$H_y$ (A/m)", ylabel=r"$R_{xx}-R_0$ (m$\Omega$)",
                  title=f"field sweep: h/J = {self.h_per_j:.3g} m")
        ax[1].legend(fontsize=8)
        inv = 1e-9 / self.widths_s
        ax[2].plot(inv, self.j_c / 1e10, "o", label="loop $J_c$")
        ax[2].axhline(self.j_c0 / 1e10, color="k", lw=0.8, label="$J_{c0}$ (fit)")
        ax[2].axhline(self.given["j_switch"] / 1e10, color="C3", ls="--",
                      label="macrospin switching current")
        ax[2].axhline(self.given["j_c0_liu"] / 1e10, color="C2", ls=":",
                      label="Liu $J_{c0}$")
        ax[2].set(xlabel="1 / width (1/ns)", ylabel=r"$J_c$ ($10^{10}$ A/m$^2$)",
                  xlim=(0, None))
        ax[2].legend(fontsize=8)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig


def _grid(x, slot, name):
    k = np.round(np.asarray(x, np.float64) / slot)
    if np.any(np.abs(k * slot - x) > 1e-6 * slot) or np.any(k < 0):
        raise InvalidParameterError(f"{name} = {x} must be a non-negative multiple of the "
                                    f"read slot {slot:g} s.")
    return int(np.max(k)) if np.ndim(k) else int(k)


def run_pump_probe(bar: HallBar, j_pump, widths_s, h_sweep, *, j_probe: float,
                   h_x: float, dt: float = 1e-12, slot_s: float = 0.5e-9,
                   relax_s: float = 10e-9, probe_s: float = 10e-9, edge_s: float = 0.5e-9,
                   tilt_deg: float = 1.0, key=None, dtype=jnp.float32) -> PumpProbeResult:
    r"""Simulate the pump-probe experiment of paper B and analyse it.

    Every (branch, width, pump amplitude) of the switching loops and every (branch,
    field) of the field sweep is one junction of a single [`spinjax.simulate`][] call
    (the pulses are pytrees with per-junction amplitudes and widths, so nothing
    recompiles per amplitude). A loop branch is the set of junctions that start in the
    saturated state of that branch, $m_y = \mp 1$ (tilted by `tilt_deg` in the plane,
    the seed of the instability at T = 0): for a macrospin that is what a sequential
    loop sees before each pulse.

    Protocol per junction: a transverse field $H_x$ (`h_x`) throughout, plus the
    easy-axis field of the field sweep ($H_y$, 0 on the loops); a trapezoidal pump pulse
    of amplitude $J_p$ and plateau `width` with `edge_s` edges; `relax_s` later a probe
    $+j$ (`j_probe`) for `probe_s`, then $-j$; the read is $R_{xx}$ at the end of each
    probe plateau. All times must be multiples of `slot_s` (the save interval).

    Analysis ([`analyse_pump_probe`][spinjax.experiments.analyse_pump_probe]): the state is
    read from $D = R(+j) - R(-j)$ (the nearer of the two levels seen at the smallest $|J_p|$
    of each branch); $J_c^\pm$ is the midpoint between the last unswitched and the first
    switched pump amplitude of each branch, $J_c = (|J_c^+| + |J_c^-|)/2$; with several
    widths $J_c(\tau) = J_{c0}(1 + \tau_0/\tau)$ is fitted for $J_{c0}$ (the intrinsic
    short-pulse law, Garello et al., APL 105, 212402, 2014). On the field sweep both
    probe polarities see the same curve $F(H_y \pm hj)$, plus the UMR offset, so
    $R_+ - R_- = 2hj\,\bar R'(H_y) + c$ with $\bar R = (R_+ + R_-)/2$: a linear fit of
    the difference against the slope of the mean (a cubic spline), refined by a
    Gauss-Newton fit of the exact shift $R_+(H) = R_-(H + 2hj) + c$, gives $h$ (the
    current-induced in-plane field per current density) and
    $c = 2\Delta R_{UMR}(j/J_\mathrm{ref})s$. Finally
    $\xi_{DL} = \frac{2e}{\hbar}\mu_0 M_s t_F\alpha(H_k + M_\mathrm{eff}/2)/J_{c0}$
    (Liu et al., Science 2012), with $M_s, t_F, \alpha, H_k, M_\mathrm{eff}$ those of
    the device (measured independently in the paper). Caution: for
    $M_\mathrm{eff}\gg H_k$ a T = 0 macrospin switches near
    $(4/\pi)J_{c0}$, not at $J_{c0}$ ([`spinjax.devices.switching_current`][]), so
    this conversion underestimates $|\xi_{DL}|$ there; `given` holds both currents.

    Paper B's text was not available to us beyond its abstract (arXiv:2002.09104): the
    probe model is the one stated in this module's docstring (AMR under the
    current-induced field shift, plus UMR), and the loop and field-shift analyses are
    the standard ones for such data, stated here so that they can be checked.

    **Arguments:** `bar` (its model must hold a [`spinjax.Zeeman`][] term, which
    reads the fields); `j_pump` (P,) HM current densities in A/m$^2$ of both signs,
    sorted; `widths_s` (W,) pump plateaus in s; `h_sweep` (F,) easy-axis fields in A/m
    for the branch $m_y = -1$ (mirrored for $m_y = +1$), inside the region where the
    state is stable; `j_probe` in A/m$^2$ (well below $J_c$); `h_x` in A/m; `dt` the
    step in s; `key` a PRNG key (needed at T > 0); `dtype` the precision.
    """
    j_pump = np.sort(finite_array("j_pump", j_pump))
    widths = finite_array("widths_s", widths_s, 0.0, "s")
    h_sweep = np.sort(finite_array("h_sweep", h_sweep))
    j_probe = check_real("j_probe", j_probe)
    if j_probe == 0:
        raise InvalidParameterError("j_probe = 0: the probe reads R(+j) - R(-j), which "
                                    "vanishes without a probe current; it must be non-zero.")
    h_x = check_real("h_x", h_x, unit="A/m")
    dt = check_real("dt", dt, 0.0, closed_lo=False, unit="s")
    slot_s = check_real("slot_s", slot_s, 0.0, closed_lo=False, unit="s")
    for name, x in (("relax_s", relax_s), ("probe_s", probe_s), ("edge_s", edge_s)):
        check_real(name, x, 0.0, unit="s")
    tilt_deg = check_real("tilt_deg", tilt_deg, -90.0, 90.0, unit="deg")
    P, W, F = j_pump.size, widths.size, h_sweep.size
    s = np.array([-1.0, 1.0])
    # junction layout: loops (2, W, P) then field sweep (2, F)
    loop_branch = np.broadcast_to(s[:, None, None], (2, W, P)).ravel()
    loop_j = np.broadcast_to(j_pump, (2, W, P)).ravel()
    loop_w = np.broadcast_to(widths[None, :, None], (2, W, P)).ravel()
    sweep_h = (s[:, None] * -h_sweep[None, :])  # branch -1: h_sweep; branch +1: mirrored
    branch = np.concatenate([loop_branch, np.repeat(s, F)])
    jp = np.concatenate([loop_j, np.zeros(2 * F)])
    w = np.concatenate([loop_w, np.full(2 * F, widths.min())])
    hy = np.concatenate([np.zeros(loop_j.size), sweep_h.ravel()])
    n = branch.size

    _grid(widths, slot_s, "widths_s")
    for name, x in (("relax_s", relax_s), ("probe_s", probe_s), ("edge_s", edge_s)):
        _grid(x, slot_s, name)
    t_pump = slot_s
    t1 = t_pump + 2 * edge_s + widths.max() + relax_s          # probe +j starts
    read1 = t1 + edge_s + probe_s
    t2 = read1 + edge_s + slot_s                                  # probe -j starts
    read2 = t2 + edge_s + probe_s
    t_end = read2 + edge_s + slot_s
    every = int(round(slot_s / dt))
    if abs(every * dt - slot_s) > 1e-9 * slot_s:
        raise InvalidParameterError(
            f"slot_s = {slot_s:g} s must be a multiple of dt = {dt:g} s.")

    c = lambda x: jnp.asarray(x, dtype)  # noqa: E731
    pulse = (Trapezoid(c(jp), c(t_pump), c(w), c(edge_s), c(edge_s))
             + Trapezoid(c(j_probe), c(t1), c(probe_s), c(edge_s), c(edge_s))
             + Trapezoid(c(-j_probe), c(t2), c(probe_s), c(edge_s), c(edge_s)))
    field = np.stack([np.full(n, h_x), hy, np.zeros(n)], -1)
    tilt = np.deg2rad(tilt_deg)
    m0 = np.stack([np.full(n, np.sin(tilt)), branch * np.cos(tilt), np.zeros(n)], -1)
    n_slots = int(round(t_end / slot_s))
    sol = simulate(bar.model, c(m0), t1=n_slots * every * dt, dt=dt, key=key,
                   drive=Drive(field_A_per_m=c(field), j_sot_A_per_m2=pulse),
                   save=Save(every=every))
    i1, i2 = int(round(read1 / slot_s)), int(round(read2 / slot_s))
    r_plus = np.asarray(bar.readout.magnetoresistance(sol.ys[i1], c(j_probe)), np.float64)
    r_minus = np.asarray(bar.readout.magnetoresistance(sol.ys[i2], c(-j_probe)), np.float64)
    # the field sweep must not switch: a protocol check (from the simulation's truth)
    my_end = np.asarray(sol.m[-2 * F:, 1])
    if np.any(np.sign(my_end) != branch[-2 * F:]):
        raise InvalidParameterError(
            "h_sweep switches the magnet at some fields; restrict it to the stable range "
            "(below the switching field of the tilted state).")
    nl = 2 * W * P
    return analyse_pump_probe(bar, j_pump, widths, np.stack([h_sweep, -h_sweep]),
                   (r_plus - r_minus)[:nl].reshape(2, W, P),
                   r_plus[nl:].reshape(2, F), r_minus[nl:].reshape(2, F), j_probe, h_x)


def _thresholds(j, state, start):
    """Midpoint of the first switching step away from the branch's initial state."""
    switched = state != start
    if not switched.any():
        return np.nan
    k = np.flatnonzero(switched)
    k = k[np.argmin(np.abs(j[k]))]                 # the switched pulse of smallest |J|
    prev = k - 1 if j[k] > 0 else k + 1            # its neighbour toward J = 0
    if not 0 <= prev < j.size:
        return np.nan                              # switched at the grid's edge: unknown
    return 0.5 * (j[k] + j[prev])


def _shift_fit(h, rp, rm, n_iter=8):
    """(delta, c) with R+(H) = R-(H + delta) + c: first the linear estimate
    R+ - R- = delta Rbar'(H) + c, then Gauss-Newton on the exact shift with a cubic
    spline of R- (points whose shifted field leaves the sweep are dropped)."""
    slope_mean = CubicSpline(h, 0.5 * (rp + rm))(h, 1)
    a = np.stack([slope_mean, np.ones_like(h)], -1)
    (delta, off), *_ = np.linalg.lstsq(a, rp - rm, rcond=None)
    spline = CubicSpline(h, rm)
    # Gauss-Newton by hand, not scipy.optimize.least_squares: the points kept (shifted
    # field inside the sweep) change with delta, so the residual changes length
    for _ in range(n_iter):
        inside = (h + delta >= h[0]) & (h + delta <= h[-1])
        x = h[inside] + delta
        resid = rp[inside] - spline(x) - off
        jac = np.stack([spline(x, 1), np.ones_like(x)], -1)
        (dd, dc), *_ = np.linalg.lstsq(jac, resid, rcond=None)
        delta, off = delta + dd, off + dc
    return delta, off


def analyse_pump_probe(bar: HallBar, j_pump, widths, h_sweep, loop_d, r_plus, r_minus,
                       j_probe, h_x) -> PumpProbeResult:
    """The analysis of [`run_pump_probe`][spinjax.experiments.run_pump_probe] on given data
    (see its docstring): `j_pump` (P,), `widths` (W,), `h_sweep` (2, F), `loop_d` (2, W, P),
    `r_plus` and `r_minus` (2, F), all finite."""
    j_pump = finite_array("j_pump", j_pump)
    widths = finite_array("widths", widths, 0.0, "s")
    shapes = {"h_sweep": (2, None), "loop_d": (2, widths.size, j_pump.size),
              "r_plus": (2, None), "r_minus": (2, None)}
    arrays = {"h_sweep": h_sweep, "loop_d": loop_d, "r_plus": r_plus, "r_minus": r_minus}
    n_fields = np.shape(h_sweep)[-1] if np.ndim(h_sweep) == 2 else -1
    for name, want in shapes.items():
        want = tuple(n_fields if w is None else w for w in want)
        a = np.asarray(arrays[name], np.float64)
        if a.shape != want or n_fields < 1 or not np.all(np.isfinite(a)):
            raise InvalidParameterError(f"{name} has shape {a.shape}; it must be a finite "
                                        f"array of shape {want} (F >= 1 fields).")
    h_sweep, loop_d, r_plus, r_minus = (np.asarray(arrays[k], np.float64) for k in (
        "h_sweep", "loop_d", "r_plus", "r_minus"))
    W = widths.size
    # state from D: nearest of the two reference levels (smallest |J_p| of each branch)
    ref = loop_d[:, :, np.argmin(np.abs(j_pump))]                      # (2, W)
    state = np.where(np.abs(loop_d - ref[0][None, :, None])
                     <= np.abs(loop_d - ref[1][None, :, None]), -1.0, 1.0)
    jc_p = np.array([_thresholds(j_pump, state[0, w], -1.0) for w in range(W)])
    jc_m = np.array([_thresholds(j_pump, state[1, w], 1.0) for w in range(W)])
    jc = 0.5 * (np.abs(jc_p) + np.abs(jc_m))
    if W >= 2 and np.all(np.isfinite(jc)):
        slope, j_c0 = np.polyfit(1.0 / widths, jc, 1)
    else:
        j_c0 = float(jc[np.argmax(widths)])
    # field sweep: R+ - R- = 2 h j Rbar'(H) + c, per branch
    hs, cs = [], []
    for b in range(2):
        h = h_sweep[b]
        order = np.argsort(h)
        h, rp, rm = h[order], r_plus[b][order], r_minus[b][order]
        two_hj, off = _shift_fit(h, rp, rm)
        hs.append(two_hj / (2 * j_probe))
        cs.append(off)
    ro = bar.readout
    d_umr = float(np.mean([cs[b] / (2 * (b * 2 - 1) * j_probe / float(ro.j_ref_A_per_m2))
                           for b in range(2)]))
    layer = bar.model.layer
    hk, meff = (float(x) for x in bar.anisotropy_fields())
    pref = 2 * E_CHARGE / HBAR * MU0 * float(layer.Ms) * float(layer.thickness_m) * float(
        layer.alpha)
    given = dict(j_c0_liu=float(liu_critical_current(bar)),
                 j_switch=float(switching_current(bar, h_x_A_per_m=h_x)),
                 h_per_j=float(bar.in_plane_field_per_j()),
                 xi_dl=float(bar.sot.xi_dl), d_umr_ohm=float(ro.d_umr_ohm))
    return PumpProbeResult(
        j_pump=j_pump, widths_s=widths, loop_d=loop_d, loop_state=state, h_sweep=h_sweep,
        sweep_r_plus=r_plus, sweep_r_minus=r_minus, j_probe=float(j_probe), h_x=float(h_x),
        j_c_plus=jc_p, j_c_minus=jc_m, j_c=jc, j_c0=float(j_c0),
        h_per_j=float(np.mean(hs)), h_per_j_branches=np.array(hs), d_umr_ohm=d_umr,
        xi_dl_liu=float(np.sign(np.nanmean(jc_p)) * pref * (hk + meff / 2) / j_c0),
        given=given)
