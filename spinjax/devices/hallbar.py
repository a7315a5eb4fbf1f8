r"""A heavy-metal / in-plane CoFeB Hall bar: the device of paper B (arXiv:2002.09104).

Geometry: current along $\hat x$ in a heavy metal (HM) below an in-plane magnet with
its easy axis along $\hat y$ (collinear with the spin polarization $\boldsymbol\sigma$,
the geometry in which the damping-like torque switches it: Liu et al., Science 336,
555, 2012; Y.-T. Liu, ..., C.-F. Pai, Phys. Rev. Applied 13, 044032, 2020,
arXiv:2002.09104).
"""

import equinox as eqx
import jax.numpy as jnp

from ..constants import E_CHARGE, HBAR, MU0
from .._custom_types import PerJunction
from .._drive import Inputs
from .._fields.demag import Demagnetization
from .._fields.oersted import OerstedField
from .._fields.uniaxial import UniaxialAnisotropy
from .._fields.vcma import VCMAAnisotropy
from .._fields.zeeman import Zeeman
from .._layer import FreeLayer
from .._params import POSITIVE, InvalidParameterError, check_concrete, param
from .._readout.hall import HallReadout
from .._sllg import SLLG
from .._torques.base import torque_field_per_current
from .._torques.sot import SpinOrbitTorque
from ._args import check_finite, check_positive
from ._terms import find_term, positive_array, split_parameter, term_at


class HallBar(eqx.Module):
    r"""A Hall bar: the macrospin model of the magnet, its readout and its geometry.

    The current divides between the heavy metal and the magnet in parallel, so a HM
    current density $J_{HM}$ (the ``j_sot_A_per_m2`` drive) goes with the total current

    $$I = J_{HM}\, w \left(t_{HM} + t_F\,\rho_{HM}/\rho_F\right).$$

    The current-induced in-plane field along $\hat y$ per unit $J_{HM}$ is the Oersted
    field plus the field-like torque field,

    $$\frac{H_y}{J_{HM}} = \frac{t_{HM}}{2}\,(\hat{\mathbf u}_{Oe}\cdot\hat y)
      + \xi_{FL}\,\frac{\hbar}{2 e\mu_0 M_s t_F}\,(\boldsymbol\sigma\cdot\hat y)
      \quad (\mathrm{A/m\ per\ A/m^2}),$$

    and the damping-like field amplitude per unit $J_{HM}$ is
    $\xi_{DL}\hbar/(2e\mu_0 M_s t_F)$. Sign conventions: the presets use
    $\boldsymbol\sigma = +\hat y$ for $J_{HM} > 0$ (spinjax's convention, the sign of
    $\xi$ carries the material, so $\xi_{DL} J > 0$ drives $\mathbf m$ toward $+\hat y$)
    and the Oersted field of a heavy metal *below* the magnet, along $-\hat y$
    ([`OerstedField`][spinjax.OerstedField]).

    **Fields:**

    - `model`: the [`spinjax.SLLG`][] of the magnet; it must hold one
      [`spinjax.SpinOrbitTorque`][] and may hold one [`OerstedField`][spinjax.OerstedField].
    - `readout`: the [`HallReadout`][spinjax.HallReadout].
    - `width_m`, `length_m`: bar width $w$ and the length between the voltage probes, m.
    - `t_hm_m`: heavy-metal thickness $t_{HM}$ in m. Stored once: read from the
      model's [`OerstedField`][spinjax.OerstedField] when it holds one (then it may be left
      out, and a given one must equal it), else kept on the bar as `own_t_hm_m` (None when
      the term holds it).
    - `rho_hm_ohm_m`, `rho_fm_ohm_m`: resistivities of the heavy metal and the magnet
      in Ohm m.
    """

    model: SLLG
    readout: HallReadout
    width_m: PerJunction = param("m", POSITIVE)
    length_m: PerJunction = param("m", POSITIVE)
    own_t_hm_m: PerJunction | None
    rho_hm_ohm_m: PerJunction = param("Ohm m", POSITIVE)
    rho_fm_ohm_m: PerJunction = param("Ohm m", POSITIVE)

    def __init__(self, model: SLLG, readout: HallReadout, width_m, length_m, t_hm_m=None,
                 rho_hm_ohm_m=None, rho_fm_ohm_m=None):
        # One stored value of t_HM (_terms.py): `own_t_hm_m` is None when the model's
        # OerstedField holds it.
        model, t_hm = split_parameter("HallBar", "t_hm_m", t_hm_m, model, OerstedField,
                                      "t_hm_m")
        self.own_t_hm_m = None if t_hm is None else positive_array("HallBar.t_hm_m",
                                                                    t_hm, "m")
        self.model, self.readout = model, readout
        self.width_m, self.length_m = width_m, length_m
        self.rho_hm_ohm_m, self.rho_fm_ohm_m = rho_hm_ohm_m, rho_fm_ohm_m

    def __check_init__(self):
        check_concrete(self)
        if len([t for t in self.model.torques if isinstance(t, SpinOrbitTorque)]) != 1:
            raise InvalidParameterError(
                "HallBar.model must hold exactly one SpinOrbitTorque; got torques "
                f"{[type(t).__name__ for t in self.model.torques]}.")

    @property
    def t_hm_m(self) -> PerJunction:
        """Heavy-metal thickness $t_{HM}$ in m: the model's
        [`OerstedField`][spinjax.OerstedField] one when it holds one, else the bar's own."""
        where = find_term("HallBar", self.model, OerstedField)
        return self.own_t_hm_m if where is None else term_at(self.model, where).t_hm_m

    @property
    def sot(self) -> SpinOrbitTorque:
        """The model's [`spinjax.SpinOrbitTorque`][]."""
        return next(t for t in self.model.torques if isinstance(t, SpinOrbitTorque))

    def current_A(self, j_hm_A_per_m2) -> PerJunction:
        """Total current $I$ in A for a HM current density $J_{HM}$ in A/m$^2$."""
        t_f = self.model.layer.thickness_m
        return j_hm_A_per_m2 * self.width_m * (self.t_hm_m
                                               + t_f * self.rho_hm_ohm_m / self.rho_fm_ohm_m)

    def j_hm(self, current_A) -> PerJunction:
        """HM current density $J_{HM}$ in A/m$^2$ for a total current $I$ in A."""
        return current_A / self.current_A(1.0)

    def oersted_field_per_j(self) -> PerJunction:
        """$H_{Oe,y}/J_{HM}$ in A/m per A/m$^2$ (0 without an
            [`OerstedField`][spinjax.OerstedField])."""
        h = jnp.zeros(())
        for term in self.model.fields:
            if isinstance(term, OerstedField):
                u = term.axis / jnp.linalg.norm(term.axis, axis=-1, keepdims=True)
                h = h + term.field_per_current_density() * u[..., 1]
        return h

    def field_like_field_per_j(self) -> PerJunction:
        """$H_{FL,y}/J_{HM} = \\xi_{FL}\\hbar(\\boldsymbol\\sigma\\cdot\\hat y)/(2e\\mu_0 M_s
        t_F)$ in A/m per A/m$^2$."""
        s = self.sot
        sig = s.sigma / jnp.linalg.norm(s.sigma, axis=-1, keepdims=True)
        return s.xi_fl * torque_field_per_current(self.model.layer) * sig[..., 1]

    def in_plane_field_per_j(self) -> PerJunction:
        """The current-induced in-plane field $H_y/J_{HM}$ (Oersted + field-like), A/m
        per A/m$^2$: what the pump-probe field sweep measures."""
        return self.oersted_field_per_j() + self.field_like_field_per_j()

    def damping_like_field_per_j(self) -> PerJunction:
        """$\\xi_{DL}\\hbar/(2e\\mu_0 M_s t_F)$ in A/m per A/m$^2$."""
        return self.sot.xi_dl * torque_field_per_current(self.model.layer)

    def anisotropy_fields(self) -> tuple[PerJunction, PerJunction]:
        r"""$(H_k, M_\mathrm{eff})$ in A/m from the model's field terms at zero drive.

        For field terms linear in $\mathbf m$, $\mathbf H = A\mathbf m$, with $\hat y$ the
        easy axis: $H_k = A_{yy} - A_{xx}$ (in-plane uniaxial anisotropy field) and
        $M_\mathrm{eff} = A_{xx} - A_{zz}$ (the effective demagnetizing field,
        $M_s - 2K_i/(\mu_0 M_s t_F)$ for a film with interfacial anisotropy). Bias
        (Zeeman) fields do not enter.
        """
        ms = jnp.asarray(self.model.layer.Ms)
        zero = Inputs(jnp.zeros(3), jnp.zeros(()), jnp.zeros(()), jnp.zeros(()))
        eye = jnp.eye(3, dtype=jnp.result_type(ms))
        shape = jnp.shape(ms)
        m = jnp.broadcast_to(eye, (*shape, 3, 3)) if shape else eye
        ms = ms[..., None] if shape else ms
        h = jnp.zeros_like(m)
        for term in self.model.fields:
            if not isinstance(term, (Zeeman, OerstedField)):
                h = h + term.field(m, self.model.layer, zero)
        a = jnp.diagonal(h, axis1=-2, axis2=-1)  # (*N, 3): A_xx, A_yy, A_zz
        return a[..., 1] - a[..., 0], a[..., 0] - a[..., 2]


def liu_critical_current(bar: HallBar, h_y_A_per_m=0.0) -> PerJunction:
    r"""Macrospin critical current density of in-plane SOT switching, A/m$^2$ (> 0).

    $$J_{c0} = \frac{2e}{\hbar}\,\frac{\mu_0 M_s t_F\,\alpha}{|\xi_{DL}|}
               \left(H_k + H_y + \frac{M_\mathrm{eff}}{2}\right)$$

    (Liu et al., Science 336, 555, 2012; Sun, PRB 62, 570, 2000): the current density
    at which the initial state becomes linearly unstable; $H_y$ is an easy-axis field,
    positive when it stabilizes the initial state (then the loop of a field $H$ along
    $+\hat y$ is shifted by $\Delta J = -\mathrm{sign}(\xi) K H$ with
    $K = dJ_{c0}/dH$). Paper B converts its measured $J_c$ to $\xi_{DL}$ through this
    formula (arXiv:2002.09104, following Liu 2012).
    """
    hk, meff = bar.anisotropy_fields()
    layer = bar.model.layer
    k = 2 * E_CHARGE / HBAR * MU0 * layer.Ms * layer.thickness_m * layer.alpha / jnp.abs(
        bar.sot.xi_dl)
    return k * (hk + h_y_A_per_m + meff / 2)


_COFEB = dict(Ms=1.1e6, t_fm_m=1.4e-9, alpha=0.01, H_k_A_per_m=1.6e3, M_eff_A_per_m=6.4e5,
              rho_fm_ohm_m=1.7e-6, width_m=5e-6, length_m=20e-6, temperature_K=300.0,
              amr_ratio=2e-3, smr_ratio=-1e-3, ahe_ohm=1.0)


def _cofeb_bar(preset: str, defaults: dict, overrides: dict) -> HallBar:
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise TypeError(f"unknown preset parameter(s) {sorted(unknown)}; valid: "
                        f"{sorted(defaults)}.")
    p = {**defaults, **overrides}
    check_positive(preset, **{k: p[k] for k in ("width_m", "length_m", "rho_hm_ohm_m",
                                                "rho_fm_ohm_m")})
    check_finite(preset, **{k: p[k] for k in ("H_k_A_per_m", "M_eff_A_per_m", "xi_dl",
                                              "xi_fl", "amr_ratio", "smr_ratio",
                                              "umr_ratio", "ahe_ohm")})
    ms, t_f = p["Ms"], p["t_fm_m"]
    layer = FreeLayer(Ms=ms, alpha=p["alpha"], thickness_m=t_f,
                      area_m2=p["width_m"] * p["length_m"], temperature_K=p["temperature_K"])
    # K_i / t_F - mu0 Ms^2 / 2 = -mu0 Ms M_eff / 2  (interfacial PMA lowers M_eff below Ms)
    k_i = (ms - p["M_eff_A_per_m"]) * MU0 * ms * t_f / 2
    fields = (UniaxialAnisotropy(K_u=p["H_k_A_per_m"] * MU0 * ms / 2, axis=(0.0, 1.0, 0.0)),
              Demagnetization(factors=(0.0, 0.0, 1.0)), VCMAAnisotropy(K_i0=k_i),
              OerstedField(t_hm_m=p["t_hm_m"]), Zeeman())
    sot = SpinOrbitTorque(xi_dl=p["xi_dl"], xi_fl=p["xi_fl"], sigma=(0.0, 1.0, 0.0))
    sheet_g = p["t_hm_m"] / p["rho_hm_ohm_m"] + t_f / p["rho_fm_ohm_m"]  # 1/Ohm
    r0 = p["length_m"] / (p["width_m"] * sheet_g)
    readout = HallReadout(r0_ohm=r0, d_amr_ohm=p["amr_ratio"] * r0,
                          d_smr_ohm=p["smr_ratio"] * r0, d_umr_ohm=p["umr_ratio"] * r0,
                          d_ahe_ohm=p["ahe_ohm"],
                          d_phe_ohm=p["amr_ratio"] * r0 * p["width_m"] / p["length_m"],
                          j_ref_A_per_m2=1e11)
    # t_HM is the OerstedField's (one value): not given to the bar a second time
    return HallBar(SLLG(layer, fields, (sot,)), readout, width_m=p["width_m"],
                   length_m=p["length_m"], rho_hm_ohm_m=p["rho_hm_ohm_m"],
                   rho_fm_ohm_m=p["rho_fm_ohm_m"])


def w_cofeb(**overrides) -> HallBar:
    r"""beta-W / CoFeB / MgO Hall bar (the W device of paper B, arXiv:2002.09104).

    Heavy metal:

    - `xi_dl` = -0.30: beta-W, spin Hall angle -0.30 to -0.33 (Pai et al., APL 101,
      122404, 2012).
    - `xi_fl` = -0.05: a field-like efficiency of a few percent, representative of
      W/CoFeB with in-plane CoFeB of this thickness (its effective field is comparable
      to the Oersted field: Skowronski et al., arXiv:1810.00641); not from paper B.
    - `t_hm_m` = 5 nm: beta-W forms in films thinner than about 6 nm (Pai 2012).
    - `rho_hm_ohm_m` = 2.6e-6 Ohm m (260 uOhm cm, beta-W, Pai 2012).
    - `umr_ratio` = -2e-5 (sign of xi_DL).

    CoFeB free layer and readout (shared with [`pt_cofeb`][spinjax.devices.pt_cofeb];
    every value may be overridden by name):

    - `Ms` = 1.1e6 A/m ($\mu_0M_s$ = 1.38 T): sputtered CoFeB after anneal lies between
      about 1.1e6 and 1.3e6 A/m (Ikeda et al., Nat. Mater. 9, 721, 2010, report
      1.58 T for Co20Fe60B20); a representative value, not one paper's.
    - `t_fm_m` = 1.4 nm: thick enough for in-plane magnetization of CoFeB/MgO
      (the spin reorientation is near 1.2-1.3 nm, Ikeda 2010).
    - `alpha` = 0.01: representative Gilbert damping of 1-2 nm CoFeB on a heavy metal
      (spin pumping raises it above the bulk 0.004); not from paper B.
    - `H_k_A_per_m` = 1.6e3 A/m (20 Oe): in-plane uniaxial anisotropy of the order of the
      coercivities of in-plane CoFeB (Liu et al., Science 336, 555, 2012, MTJ loops of
      tens of Oe); a representative value.
    - `M_eff_A_per_m` = 6.4e5 A/m ($\mu_0M_\mathrm{eff}$ = 0.8 T): interfacial PMA
      lowers $M_\mathrm{eff}$ below $M_s$ near the reorientation thickness;
      representative.
    - `rho_fm_ohm_m` = 1.7e-6 Ohm m (170 uOhm cm, CoFeB, as used by Pai et al., APL 101,
      122404, 2012, for the current shunting estimate).
    - `width_m` = 5 um, `length_m` = 20 um: a micron Hall bar as in paper B.
    - `temperature_K` = 300; the macrospin volume is the bar's (so thermal
      activation is negligible: the macrospin switches by the T = 0 mechanism).
    - readout: $R_0$ from the parallel sheet conductance of the two layers; AMR ratio
      `amr_ratio` = 0.2 % and SMR `smr_ratio` = -0.1 % of $R_0$ (the order of the AMR
      and SMR of CoFeB/W and CoFeB/Pt bilayers, Kim et al., PRL 116, 097201, 2016);
      UMR `umr_ratio` of $R_0$ at $J_\mathrm{ref} = 10^{11}$ A/m$^2$, of the order of
      1e-5 with the sign of $\xi_{DL}$ (Avci et al., Nat. Phys. 11, 570, 2015: Ta and Pt
      opposite); PHE = AMR amplitude times $w/L$; `ahe_ohm` = 1 Ohm, an order of
      magnitude (does not enter the in-plane pump-probe experiment).
    """
    return _cofeb_bar("w_cofeb", {**_COFEB, "xi_dl": -0.30, "xi_fl": -0.05, "t_hm_m": 5e-9,
                       "rho_hm_ohm_m": 2.6e-6, "umr_ratio": -2e-5}, overrides)


def pt_cofeb(**overrides) -> HallBar:
    """Pt / CoFeB / MgO Hall bar (the Pt device of paper B, arXiv:2002.09104).

    Heavy metal:

    - `xi_dl` = +0.07: Pt, 0.056-0.076 by ST-FMR (Liu et al., PRL 106, 036601, 2011);
      0.05-0.15 across interfaces (Pai et al., PRB 92, 064426, 2015).
    - `xi_fl` = 0: the field-like torque of Pt with in-plane CoFeB is small; set to 0.
    - `t_hm_m` = 5 nm; `rho_hm_ohm_m` = 3e-7 Ohm m (30 uOhm cm, sputtered thin Pt is
      20-50 uOhm cm, Pai 2015).
    - `umr_ratio` = +2e-5 (sign of xi_DL, opposite to W).

    CoFeB free layer and readout: those of [`w_cofeb`][spinjax.devices.w_cofeb] (every
    value may be overridden by name).
    """
    return _cofeb_bar("pt_cofeb", {**_COFEB, "xi_dl": 0.07, "xi_fl": 0.0, "t_hm_m": 5e-9,
                       "rho_hm_ohm_m": 3e-7, "umr_ratio": 2e-5}, overrides)

