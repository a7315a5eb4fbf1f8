r"""A Fokker-Planck reference for the write error rate of axially symmetric junctions.

``fokker_planck_wer(device, widths_s, *, voltage_V=0.0, current_A=0.0,
field_A_per_m=0.0, initial_well=None, relax_s=0.0, convention="final",
n_cells=600, steps=200, rtol=2e-3) -> FokkerPlanckWER``

solves the one-dimensional equation of $x = m_z$ (derived from spinjax's sLLG in
`spinjax._wer.fp_model`),

$$\partial_t p = -\partial_x\left[A(x)\,p - D(1-x^2)\,\partial_x p\right],\qquad
  A(x) = \gamma'(1-x^2)[\alpha h(x) + a(x)],\quad D = \frac{\gamma'\alpha k_BT}{\mu_0M_sV},$$

for a rectangular pulse (constant voltage, current and axial field during each width,
then none for `relax_s`), and returns the write error rate at every width at once.

**Conventions.** The initial density is the Boltzmann density of the device at zero
drive restricted to the hemisphere of `initial_well` (truncated at the equator
$m_z = 0$ and renormalized). With ``convention="final"`` the WER is the probability
that $m_z$ is on the initial side at the end of the pulse plus `relax_s` of relaxation
at zero drive: what a read after the pulse sees, and what a brute-force Monte Carlo
of ``sign(m_z)`` measures. With ``convention="first_passage"`` it is the probability
that $m_z$ never reached the equator during the pulse (an absorbing boundary at
$x = 0$: what splitting along $m_z$ estimates); always below the first.

**Assumptions** (also in ``FokkerPlanckWER.assumptions``): a macrospin; every field
and torque symmetric about $\hat z$ (anisotropy along $z$, demagnetization with
$N_x = N_y$, axial applied fields, a spin-transfer polarizer along $\pm z$, a
field-like torque along it); the angular dependence of the efficiency and of the TMR
current is kept; constant drive during the pulse, instantaneous edges; the
stochastic LLG in the Stratonovich sense with Brown's thermal field (as
[`spinjax.simulate`][]). Devices that break the symmetry (an in-plane field, a
VCMA precessional write with its bias field, SOT, a tilted polarizer, an elliptical
layer) raise [`spinjax.InvalidParameterError`][] naming the term.

**Numerics.** Finite volumes on cells uniform in $\theta$ (their width in $x$ shrinks
as $\theta\,d\theta$ at the poles, which resolves a Boltzmann density of width
$1/\Delta$ in $x$ at any $\Delta$; a face lies on the equator), with the
Scharfetter-Gummel flux $J = k\,(g_i - g_{i+1})$, $g = p\,e^{-\Phi}$ (the stationary
density $e^{\Phi}$ is exact for the discrete operator, so a density at rest stays at
rest to rounding), and backward Euler with Richardson extrapolation (steps $\tau$,
$\tau/2$, $\tau/4$, $\tau/8$: fourth order). Backward Euler on this generator is an M-matrix
solve: every density stays positive and the tiny tails that a WER of $10^{-12}$ is
made of are computed to relative precision. A spectral matrix exponential (e.g. an
eigendecomposition of the symmetrized generator) is not: under a write current the
stationary density spans $e^{8\Delta}$ across the sphere, and its rounding errors,
scaled by $\sqrt{\pi_i/\pi_j}$, swamp $10^{-12}$. NumPy/SciPy in float64 rather than
JAX: a reference solver of a tridiagonal system, sequential in time, needs float64
(the tails) and no gradients or accelerator.

**Accuracy and cost.** The steps double (from 200 over the longest width, at least
24 between two widths) until the last Richardson correction, reported as
``FokkerPlanckWER.time_error`` and measured at 3-5 times the true error, is below
`rtol` = 0.2 % for every WER above $10^{-14}$. With 600 cells the WER from $10^{-9}$
to $10^{-12}$ of the STT preset ($\Delta = 45$) and of a $\Delta = 60$ junction at
$2 I_{c0}$ moves by less than 0.1 % when the cells double and `rtol` drops 20-fold
(tested at 1 %); the Neel-Brown rate agrees with Brown's asymptotic formula to
$1 - 1/\Delta$, its known next order. A curve of 20-50 widths takes 0.1-0.4 s on
one CPU core (measured on the 2-core development machine, shared).
"""

import dataclasses
import warnings

import numpy as np

from .._params import InvalidParameterError
from .._sllg import SLLG
from .._validate import check_choice, check_int, check_real
from .fp_chain import _initial, _richardson, _run, build_chain, flipped
from .fp_model import AxialDrive, axial_model

__all__ = ["FokkerPlanckWER", "fokker_planck_wer"]

_MIN_STEPS = 24     # backward Euler steps in every interval between two widths
_LEVELS = 4         # Richardson levels: steps tau, tau/2, tau/4, tau/8 (fourth order)
_FLOOR = 1e-14      # rtol applies to the WER values above this
_FLOOR_RTOL = 0.5   # and this one below
_MAX_STEPS = 25_600  # the most steps over the longest width that the doubling reaches

ASSUMPTIONS = (
    "macrospin (one free-layer magnetization)",
    "axial symmetry: anisotropy, demagnetization (N_x = N_y), applied field and "
    "spin-transfer polarizer all along z; field-like torque along the polarizer",
    "rectangular pulse: constant voltage/current/field during the width, zero after",
    "initial state: zero-drive Boltzmann density of the initial hemisphere "
    "(truncated at m_z = 0, renormalized)",
    "Stratonovich sLLG with Brown's thermal field, as spinjax.simulate",
)


@dataclasses.dataclass(frozen=True)
class FokkerPlanckWER:
    """The write error rate of a rectangular pulse against its width.

    - `widths_s`: pulse widths in s (as given).
    - `wer`: the WER at each width (see the conventions of the module).
    - `time_error`: an estimate of the relative time-discretization error of each
      WER (the last Richardson correction).
    - `convention`, `initial_well`, `relax_s`, `voltage_V`, `current_A`,
      `field_A_per_m`: the inputs.
    - `barrier_kT`: the zero-drive energy barrier of the initial well in $k_BT$.
    - `diffusion_per_s`: $D = 1/(2\\tau_N)$ in 1/s.
    - `n_cells`, `steps`: the resolution (`steps`: after the doubling).
    - `assumptions`: what the model assumes, in words.
    """

    widths_s: np.ndarray
    wer: np.ndarray
    time_error: np.ndarray
    convention: str
    initial_well: int
    relax_s: float
    voltage_V: float
    current_A: float
    field_A_per_m: float
    barrier_kT: float
    diffusion_per_s: float
    n_cells: int
    steps: int
    assumptions: tuple = ASSUMPTIONS

    def plot(self, path=None):
        """The WER against width (ns) on a log axis; a
        `matplotlib.figure.Figure` (no pyplot state), saved to `path` if given."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5, 3.6), layout="constrained")
        ax = fig.add_subplot()
        order = np.argsort(self.widths_s)
        ax.semilogy(self.widths_s[order] * 1e9, np.clip(self.wer[order], 1e-300, None),
                    "o-", ms=3,
                    label=f"Fokker-Planck ({self.convention})")
        ax.set_xlabel("pulse width (ns)")
        ax.set_ylabel("write error rate")
        drive = ", ".join(f"{k} = {v:g} {unit}" for k, v, unit in (
            ("V", self.voltage_V, "V"), ("I", self.current_A, "A"),
            ("H_z", self.field_A_per_m, "A/m")) if v)
        ax.set_title(f"Delta = {self.barrier_kT:.1f}" + (f", {drive}" if drive else ""),
                     fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        if path is not None:
            fig.savefig(path)
        return fig


def _check_widths(widths_s):
    try:
        w = np.asarray(widths_s, np.float64)
    except (TypeError, ValueError):
        w = None
    if w is None or w.ndim > 1 or w.size == 0 or w.size > 10_000 \
            or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise InvalidParameterError(
            f"widths_s = {widths_s!r}; it must be a non-empty 1-d array (at most 10000) "
            "of finite pulse widths in (0, inf) s.")
    return np.atleast_1d(w)


def _check_field(field_A_per_m) -> float:
    f = np.asarray(field_A_per_m, np.float64) if not isinstance(field_A_per_m, bool) \
        else np.asarray(np.nan)
    if f.shape not in ((), (3,)) or not np.all(np.isfinite(f)):
        raise InvalidParameterError(
            f"field_A_per_m = {field_A_per_m!r}; it must be a finite axial field in A/m: "
            "its z component (a number) or a vector (0, 0, H_z).")
    if f.shape == ():
        return float(f)
    if f[0] != 0 or f[1] != 0:
        raise InvalidParameterError(
            f"field_A_per_m = {tuple(f.tolist())} has an in-plane component: it breaks the "
            "axial symmetry of the one-dimensional Fokker-Planck equation.")
    return float(f[2])


def fokker_planck_wer(device, widths_s, *, voltage_V: float = 0.0, current_A: float = 0.0,
                      field_A_per_m=0.0, initial_well: int | None = None,
                      relax_s: float = 0.0, convention: str = "final",
                      n_cells: int = 600, steps: int = 200,
                      rtol: float = 2e-3) -> FokkerPlanckWER:
    r"""The write error rate of a rectangular pulse against its width, from the
    Fokker-Planck equation of $m_z$ (see the module docstring for the equation, the
    conventions, the assumptions and the accuracy).

    **Arguments:**

    - `device`: an axially symmetric device: an [`spinjax.devices.MTJ`][] (e.g.
      [`spinjax.devices.stt_mtj`][]) or an [`spinjax.SLLG`][], with scalar
      parameters and $T > 0$.
    - `widths_s`: pulse widths in s, a number or a 1-d array (any order).
    - `voltage_V`: barrier voltage during the pulse (V): drives the current of a
      [`spinjax.BiasDrivenSTT`][] and the VCMA anisotropy.
    - `current_A`: current through the junction during the pulse (A), for a
      [`spinjax.SlonczewskiSTT`][] ($J = I/A$, positive favours $+\hat z$ for a
      polarizer along $+\hat z$).
    - `field_A_per_m`: axial applied field during the pulse, added to the device's
      bias: $H_z$ (a number) or $(0, 0, H_z)$, in A/m.
    - `initial_well`: +1 (write from $+\hat z$) or -1; by default the hemisphere the
      pulse pushes away from (the sign of the torque, else of the field, at the
      equator).
    - `relax_s`: relaxation time at zero drive after the pulse (s), $\ge 0$; only
      with ``convention="final"``.
    - `convention`: ``"final"`` (on the initial side after the pulse and `relax_s`)
      or ``"first_passage"`` (never reached the equator during the pulse).
    - `n_cells`: finite-volume cells over $\theta \in [0, \pi]$, an even integer in
      [64, 20000].
    - `steps`: the initial number of backward Euler steps over the longest width (at
      least 24 in every interval between widths), an integer in [10, 25600]; doubled
      until the time-discretization error estimate of every WER above $10^{-14}$ is
      below `rtol` (or 25600 steps are reached, with a warning).
    - `rtol`: that relative error target, in [1e-8, 0.5].
    """
    model = getattr(device, "model", device)
    if not isinstance(model, SLLG):
        raise InvalidParameterError(
            f"device is a {type(device).__name__}; expected an MTJ device preset or an "
            "SLLG model.")
    widths = _check_widths(widths_s)
    voltage_V = check_real("voltage_V", voltage_V, unit="V")
    current_A = check_real("current_A", current_A, unit="A")
    field_z = _check_field(field_A_per_m)
    relax_s = check_real("relax_s", relax_s, 0.0, unit="s")
    convention = check_choice("convention", convention, ("final", "first_passage"))
    n_cells = check_int("n_cells", n_cells, 64, 20000)
    if n_cells % 2:
        raise InvalidParameterError(f"n_cells = {n_cells}; it must be even (a cell face "
                                    "on the equator), in [64, 20000].")
    steps = check_int("steps", steps, 10, _MAX_STEPS)
    rtol = check_real("rtol", rtol, 1e-8, 0.5)
    if convention == "first_passage" and relax_s > 0:
        raise InvalidParameterError(
            f"relax_s = {relax_s!r} with convention = 'first_passage'; relaxation after "
            "the pulse only applies to convention = 'final' (use relax_s = 0).")

    fp_on = axial_model(model, AxialDrive(voltage_V, current_A, field_z))
    fp_off = axial_model(model, AxialDrive())
    if initial_well is None:
        push = float(fp_on.a(np.array(0.0)))
        push = push if push != 0 else float(fp_on.h(np.array(0.0)) - fp_off.h(np.array(0.0)))
        if push == 0:
            raise InvalidParameterError(
                "initial_well = None, but the pulse pushes neither way (no torque and no "
                "field at the equator): give initial_well = +1 or -1.")
        initial_well = -1 if push > 0 else 1
    if isinstance(initial_well, bool) or initial_well not in (1, -1):
        raise InvalidParameterError(
            f"initial_well = {initial_well!r}; valid values: 1 (write from +z), -1, None.")
    initial_well = int(initial_well)

    chain_on = build_chain(fp_on, n_cells)
    chain_off = build_chain(fp_off, n_cells)
    if initial_well == -1:
        chain_on, chain_off = flipped(chain_on), flipped(chain_off)
    p0 = _initial(chain_off)
    half = n_cells // 2
    barrier = float(chain_off.log_pi[0] - np.log(chain_off.width[0])
                    - np.min(chain_off.log_pi[:half + 1] - np.log(chain_off.width[:half + 1])))

    edges = np.concatenate([[0.0], np.unique(widths)])
    tau_max = edges[-1] / steps
    n_per = np.maximum(_MIN_STEPS, np.ceil(np.diff(edges) / tau_max).astype(int))
    n_relax = max(_MIN_STEPS, steps)
    absorbing = convention == "first_passage"
    runs = {}

    def run(mult):
        if mult not in runs:
            runs[mult] = _run(chain_on, chain_off, p0, edges, relax_s, n_per * mult,
                              n_relax * mult, absorbing)
        return runs[mult]

    mult = 1
    while True:     # double the steps until the Richardson correction is below rtol
        wer, err = _richardson([run(mult * 2**i) for i in range(_LEVELS)])
        # rtol above the floor; below it, a positive value within a factor 1.5.
        bad = (err > np.where(wer >= _FLOOR, rtol, _FLOOR_RTOL)) | (wer <= 0)
        if not np.any(bad) or mult * steps * 2 > _MAX_STEPS:
            break
        mult *= 2
    if np.any(bad):
        warnings.warn(f"fokker_planck_wer: at {mult * steps} steps (the cap) the "
                      f"time-discretization error estimate reaches {np.max(err):.2g}; "
                      "see FokkerPlanckWER.time_error.", RuntimeWarning, stacklevel=2)
    lookup = np.searchsorted(edges[1:], widths)
    return FokkerPlanckWER(
        widths_s=widths, wer=wer[lookup], time_error=err[lookup], convention=convention,
        initial_well=int(initial_well), relax_s=relax_s, voltage_V=voltage_V,
        current_A=current_A, field_A_per_m=field_z, barrier_kT=barrier,
        diffusion_per_s=fp_off.diffusion_per_s, n_cells=n_cells, steps=mult * steps)
