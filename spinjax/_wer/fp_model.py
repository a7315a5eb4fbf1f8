r"""The one-dimensional Fokker-Planck model of an axially symmetric macrospin.

Derived from spinjax's own stochastic LLG ([`spinjax.SLLG`][]), so that the
Fokker-Planck reference of `spinjax._wer.fokker_planck` and a Monte Carlo run of
[`spinjax.simulate`][] describe the same model in the same units.

**Derivation.** The sLLG is the Stratonovich equation
$d\mathbf m = -\gamma'[\mathbf m\times\mathbf H' + \alpha\,\mathbf m\times(\mathbf m
\times\mathbf H')]\,dt$ with $\gamma' = \gamma_0/(1+\alpha^2)$, $\mathbf H'$ the
effective field plus the torque fields plus the Brown field $\sigma\,d\mathbf W/dt$,
$\sigma^2 = 2\alpha k_B T/(\gamma_0\mu_0 M_s V)$ ([`spinjax.thermal_field_strength`][]).
Its Fokker-Planck equation on the sphere is Brown's (Phys. Rev. 130, 1677, 1963),
$\partial_t W = -\nabla\cdot(\dot{\mathbf m}_\mathrm{det} W) + D\,\nabla^2 W$, with the
diffusion coefficient $D = \tfrac12 \gamma_0^2\sigma^2/(1+\alpha^2)$ (the noise moves
$\mathbf m$ isotropically in the tangent plane, with variance $\gamma'^2\sigma^2
(1+\alpha^2)\,dt$ per direction), i.e.

$$D = \frac{\gamma'\alpha k_B T}{\mu_0 M_s V} = \frac{1}{2\tau_N}.$$

When every term is symmetric about $\hat z$, $\mathbf H' = h(x)\,\hat z + a(x)\,
\mathbf m\times\hat z + c\,\mathbf m$ with $x = m_z$: $h$ collects the axial fields
(anisotropy, demagnetization with $N_x = N_y$, an axial applied field, a field-like
torque along $\pm\hat z$), $a$ the damping-like spin torque of a polarizer along
$\pm\hat z$, and the part along $\mathbf m$ does nothing. With $(\mathbf m\times\hat z)_z = 0$,
$(\mathbf m\times(\mathbf m\times\hat z))_z = x^2 - 1$ and
$\mathbf m\times(\mathbf m\times(\mathbf m\times\hat z)) = -\mathbf m\times\hat z$,
the deterministic drift of $x$ is (precession drops out)

$$A(x) = \dot m_z = \gamma'(1 - x^2)\,[\alpha\, h(x) + a(x)],$$

and integrating Brown's equation over the azimuth (the area element of the sphere is
$dx\,d\varphi$) gives, for the density $p(x, t)$ of $x \in [-1, 1]$,

$$\partial_t p = -\partial_x\left[A(x)\,p - D(1 - x^2)\,\partial_x p\right],
  \qquad \text{zero flux at } x = \pm 1 .$$

The flux is $-D(1-x^2)\,e^{\Phi}\partial_x(e^{-\Phi}p)$ with the quasi-potential

$$\Phi'(x) = \frac{A(x)}{D(1-x^2)} = \frac{\mu_0 M_s V}{k_B T}
  \left[h(x) + \frac{a(x)}{\alpha}\right],$$

so the stationary density is $e^{\Phi}$ (in one dimension every drift is a gradient).
With no current $h = H_K x + H_z$ and $p \propto \exp[\Delta(x^2 + 2 h_z x)]$, $\Delta
= \mu_0 M_s H_K V/(2 k_B T)$, $h_z = H_z/H_K$: the Boltzmann density. The
fields are evaluated here in float64 from the parameters of the terms (the float32
projection of the model's drift loses $(1-x^2)$ near the poles); the tests compare
$A(x)$ with ``SLLG.drift`` at float32 tolerance.
"""

import dataclasses
from typing import Callable

import numpy as np

from ..constants import E_CHARGE, GAMMA0, HBAR, KB, MU0
from .._fields.demag import Demagnetization
from .._fields.uniaxial import UniaxialAnisotropy
from .._fields.vcma import VCMAAnisotropy
from .._fields.zeeman import Zeeman
from .._params import InvalidParameterError
from .._sllg import SLLG
from .._torques.bias_stt import BiasDrivenSTT
from .._torques.stt import SlonczewskiSTT

_AXIS_TOL = 1e-9   # relative in-plane component of an axis that still counts as axial


def _scalar(name, value) -> float:
    arr = np.asarray(value, np.float64)
    if arr.size != 1:
        raise InvalidParameterError(
            f"{name} has {arr.size} values (per-junction parameters); the Fokker-Planck "
            f"reference solves one device: pass a device with scalar parameters.")
    return float(arr.reshape(()))


def _axial_sign(name, vector) -> float:
    """+1 or -1 for a vector along +z or -z; raises for any in-plane component."""
    v = np.asarray(vector, np.float64)
    if v.size != 3:
        raise InvalidParameterError(f"{name} has shape {v.shape}; the Fokker-Planck "
                                    "reference solves one device (shape (3,)).")
    v = v.reshape(3)
    norm = np.linalg.norm(v)
    if norm == 0 or np.hypot(v[0], v[1]) > _AXIS_TOL * norm:
        raise InvalidParameterError(
            f"{name} = {tuple(v.tolist())} is not along z: it breaks the axial symmetry "
            "that the one-dimensional Fokker-Planck equation needs (the reference "
            "supports only axes, polarizers and fields along +-z).")
    return float(np.sign(v[2]))


def _axial_field(name, vector) -> float:
    """The z component of a field that must have no in-plane part."""
    v = np.asarray(vector, np.float64)
    if v.size != 3:
        raise InvalidParameterError(f"{name} has shape {v.shape}; expected (3,).")
    v = v.reshape(3)
    if np.hypot(v[0], v[1]) > _AXIS_TOL * max(np.linalg.norm(v), 1e-300):
        raise InvalidParameterError(
            f"{name} = {tuple(v.tolist())} A/m has an in-plane component: it breaks the "
            "axial symmetry of the one-dimensional Fokker-Planck equation.")
    return float(v[2])


@dataclasses.dataclass(frozen=True)
class AxialDrive:
    """Drive values during the pulse: barrier voltage (V), current (A) through the
    junction, axial applied field (A/m); all zero after it."""

    voltage_V: float = 0.0
    current_A: float = 0.0
    field_z_A_per_m: float = 0.0


@dataclasses.dataclass(frozen=True)
class AxialModel:
    r"""$h(x)$ and $a(x)$ of one device under one drive, in float64, and its constants.

    - `h`, `a`: callables of $x$ (array) returning A/m.
    - `alpha`, `Ms`, `volume_m3`, `temperature_K`: the layer.
    - `diffusion_per_s`: $D = \gamma'\alpha k_B T/(\mu_0 M_s V)$ in 1/s.
    - `beta`: $\mu_0 M_s V/(k_B T)$ in m/A, so that $\Phi' = \beta (h + a/\alpha)$.
    """

    h: Callable
    a: Callable
    alpha: float
    Ms: float
    volume_m3: float
    temperature_K: float

    @property
    def gamma_prime(self) -> float:
        return GAMMA0 / (1 + self.alpha**2)

    @property
    def beta(self) -> float:
        return MU0 * self.Ms * self.volume_m3 / (KB * self.temperature_K)

    @property
    def diffusion_per_s(self) -> float:
        return self.gamma_prime * self.alpha / self.beta

    def dphi(self, x):
        r"""$\Phi'(x)$ (dimensionless per unit $x$)."""
        return self.beta * (self.h(x) + self.a(x) / self.alpha)

    def drift(self, x):
        """$A(x) = \\dot m_z$ in 1/s."""
        return self.gamma_prime * (1 - x**2) * (self.alpha * self.h(x) + self.a(x))


def axial_model(model: SLLG, drive: AxialDrive) -> AxialModel:
    """The float64 $h(x)$, $a(x)$ of `model` under `drive`, term by term; raises
    [`spinjax.InvalidParameterError`][] naming the first term that is not axially
    symmetric (or not known to be)."""
    if not isinstance(model, SLLG):
        raise InvalidParameterError(f"model is a {type(model).__name__}; expected an "
                                    "SLLG (or an MTJ device preset).")
    layer = model.layer
    Ms = _scalar("layer.Ms", layer.Ms)
    alpha = _scalar("layer.alpha", layer.alpha)
    t_f = _scalar("layer.thickness_m", layer.thickness_m)
    area = _scalar("layer.area_m2", layer.area_m2)
    temp = _scalar("layer.temperature_K", layer.temperature_K)
    if not temp > 0:
        raise InvalidParameterError(
            f"layer.temperature_K = {temp!r}; the Fokker-Planck reference needs a "
            "thermal bath, temperature_K in (0, inf) K.")
    if not alpha > 0:
        raise InvalidParameterError(f"layer.alpha = {alpha!r}; it must be in (0, inf).")
    volt = drive.voltage_V
    j_stt = drive.current_A / area

    uses = set()    # the drive inputs that some term reads
    slopes = []     # h contributions linear in x: coefficient in A/m
    constants = [drive.field_z_A_per_m]
    torques = []    # callables (x) -> (a(x), h(x)) in A/m
    for i, term in enumerate(model.fields):
        where = f"model.fields[{i}] ({type(term).__name__})"
        if isinstance(term, UniaxialAnisotropy):
            _axial_sign(f"{where}.axis", term.axis)
            slopes.append(2 * _scalar(f"{where}.K_u", term.K_u) / (MU0 * Ms))
        elif isinstance(term, VCMAAnisotropy):
            uses.add("voltage_V")
            _axial_sign(f"{where}.axis", term.axis)
            k_i = (_scalar(f"{where}.K_i0", term.K_i0)
                   - _scalar(f"{where}.xi", term.xi) * volt / _scalar(f"{where}.t_ox_m",
                                                                       term.t_ox_m))
            slopes.append(2 * k_i / (t_f * MU0 * Ms))
        elif isinstance(term, Demagnetization):
            n = np.asarray(term.factors, np.float64).reshape(-1)
            if n.size != 3:
                raise InvalidParameterError(f"{where}.factors has shape {n.shape}; the "
                                            "reference solves one device (shape (3,)).")
            if abs(n[0] - n[1]) > _AXIS_TOL * max(abs(n[0]), abs(n[1]), 1e-300):
                raise InvalidParameterError(
                    f"{where}.factors = {tuple(n.tolist())}: N_x != N_y breaks the axial "
                    "symmetry of the one-dimensional Fokker-Planck equation (an "
                    "elliptical free layer).")
            slopes.append(-Ms * (n[2] - n[0]))
        elif isinstance(term, Zeeman):
            constants.append(_axial_field(f"{where}.bias_A_per_m", term.bias_A_per_m))
        else:
            raise InvalidParameterError(
                f"{where} is not supported by the Fokker-Planck reference: only uniaxial "
                "and VCMA anisotropy along z, demagnetization with N_x = N_y and an axial "
                "Zeeman field keep the model axially symmetric.")
    for i, term in enumerate(model.torques):
        where = f"model.torques[{i}] ({type(term).__name__})"
        if isinstance(term, SlonczewskiSTT):
            uses.add("current_A")
            torques.append(_stt(where, term, Ms, t_f, lambda x, s: j_stt))
        elif isinstance(term, BiasDrivenSTT):
            uses.add("voltage_V")
            torques.append(_bias_stt(where, term, Ms, t_f, area, volt))
        else:
            raise InvalidParameterError(
                f"{where} breaks the axial symmetry (or is not known to keep it): the "
                "Fokker-Planck reference supports only spin-transfer torques with a "
                "polarizer along z (SlonczewskiSTT, BiasDrivenSTT).")
    for name in ("voltage_V", "current_A"):
        if getattr(drive, name) != 0 and name not in uses:
            raise InvalidParameterError(
                f"{name} = {getattr(drive, name)!r}, but no term of the device reads it "
                f"(a voltage drives VCMA and BiasDrivenSTT, a current SlonczewskiSTT): "
                f"it would be ignored; pass {name} = 0 or a device that uses it.")
    slope = float(np.sum(slopes))
    const = float(np.sum(constants))

    def h(x):
        out = slope * x + const
        for tq in torques:
            out = out + tq(x)[1]
        return out

    def a(x):
        out = np.zeros_like(np.asarray(x, np.float64))
        for tq in torques:
            out = out + tq(x)[0]
        return out

    return AxialModel(h=h, a=a, alpha=alpha, Ms=Ms, volume_m3=area * t_f,
                      temperature_K=temp)


def _efficiency(where, stt: SlonczewskiSTT):
    pol = _scalar(f"{where}.polarization", stt.polarization)
    lam2 = _scalar(f"{where}.asymmetry", stt.asymmetry) ** 2
    return lambda c: 2 * pol * lam2 / ((lam2 + 1) + (lam2 - 1) * c)


def _stt(where, stt, Ms, t_f, current_density):
    """A torque of $J$ (A/m^2) as a function of x: $a = s\\,a_J$, $h = s\\beta a_J$,
    $a_J = \\hbar\\eta J/(2e\\mu_0 M_s t_F)$ with $\\mathbf p = s\\hat z$."""
    s = _axial_sign(f"{where}.polarizer", stt.polarizer)
    beta = _scalar(f"{where}.field_like_ratio", stt.field_like_ratio)
    eta = _efficiency(where, stt)
    per_current = HBAR / (2 * E_CHARGE * MU0 * Ms * t_f)

    def torque(x):
        x = np.asarray(x, np.float64)
        a_j = per_current * eta(s * x) * current_density(x, s)
        return s * a_j, s * beta * a_j

    return torque


def _bias_stt(where, term: BiasDrivenSTT, Ms, t_f, area, volt):
    """The STT of $J = V/(R(\\theta, V) A)$, $R$ from the TMR of the term."""
    stt = term.stt
    r_p = _scalar(f"{where}.tmr.r_p_ohm", term.tmr.r_p_ohm)
    tmr0 = _scalar(f"{where}.tmr.tmr0", term.tmr.tmr0)
    v_h = _scalar(f"{where}.tmr.v_half_V", term.tmr.v_half_V)
    g_p = 1 / r_p
    g_ap = g_p / (1 + tmr0 / (1 + (volt / v_h) ** 2))

    def current_density(x, s):
        return volt * (0.5 * (g_p + g_ap) + 0.5 * (g_p - g_ap) * s * x) / area

    return _stt(f"{where}.stt", stt, Ms, t_f, current_density)
