r"""Harmonic Hall measurement of an in-plane magnetized Hall bar (simulated lock-in).

A sinusoidal current $I(t) = I_0\sin\omega t$ drives the damping-like and in-plane
(Oersted + field-like) fields, which tilt $\mathbf m$ in phase with $I$; the Hall
voltage $V = I R_{xy}(\mathbf m(t))$ then has a second harmonic
$V_{2\omega} = \tfrac12 I_0^2\, dR_{xy}/dI$ (Hayashi et al., PRB 89, 144425, 2014;
Avci et al., PRB 90, 224427, 2014).
"""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from .._params import InvalidParameterError
from .._pulses.shapes import Sinusoid
from .._readout.hall import harmonic_voltages
from .._save import Save
from .._simulate import simulate
from .._validate import check_int, check_real
from ..devices.hallbar import HallBar
from ._args import finite_array


def harmonic_hall_analytic(bar: HallBar, phi_rad, h_ext_A_per_m, j0_A_per_m2):
    r"""Quasi-static $(V_{1\omega}, V_{2\omega})$ in V of an in-plane magnet with
    $\mathbf m\parallel\mathbf H_\mathrm{ext}$ at angle $\varphi$ from the current.

    With $a_{DL} = \xi_{DL}\hbar/(2e\mu_0M_st_F)$ and $h$ the in-plane field per
    current density
    ([`HallBar.in_plane_field_per_j`][spinjax.devices.HallBar.in_plane_field_per_j]), the
    current tilts $\mathbf m$ out of plane by $\delta m_z = a_{DL}J\cos\varphi/H_\perp$ and
    in plane by $\delta\varphi = hJ\cos\varphi/H_\parallel$, with the stiffnesses
    $H_\perp = H + M_\mathrm{eff} + H_k\sin^2\varphi$ and
    $H_\parallel = H - H_k\cos 2\varphi$ (easy axis $\hat y$), so

    $$V_{1\omega} = I_0\,\Delta R_{PHE}\sin\varphi\cos\varphi, \qquad
      V_{2\omega} = \frac{I_0 J_0}{2}\left[\Delta R_{AHE}\frac{a_{DL}\cos\varphi}{H_\perp}
      + \Delta R_{PHE}\cos 2\varphi\,\frac{h\cos\varphi}{H_\parallel}\right]$$

    (Avci et al., PRB 90, 224427, 2014, eqs. for in-plane magnetization, without the
    thermal terms; their sign convention for $V_{2\omega}$ is opposite). Valid for
    $m\parallel H$, i.e. $H \gg H_k$ or $\varphi \in \{0, \pi/2\}$, and small tilts.
    """
    if not any(isinstance(x, jax.core.Tracer) for x in (phi_rad, h_ext_A_per_m,
                                                        j0_A_per_m2)):
        finite_array("phi_rad", phi_rad, unit="rad")
        check_real("h_ext_A_per_m", h_ext_A_per_m, unit="A/m")
        check_real("j0_A_per_m2", j0_A_per_m2, unit="A/m^2")
    hk, meff = bar.anisotropy_fields()
    ro = bar.readout
    phi = jnp.asarray(phi_rad)
    i0 = bar.current_A(j0_A_per_m2)
    h_perp = h_ext_A_per_m + meff + hk * jnp.sin(phi) ** 2
    h_par = h_ext_A_per_m - hk * jnp.cos(2 * phi)
    v1 = i0 * ro.d_phe_ohm * jnp.sin(phi) * jnp.cos(phi)
    v2 = 0.5 * i0 * j0_A_per_m2 * jnp.cos(phi) * (
        ro.d_ahe_ohm * bar.damping_like_field_per_j() / h_perp
        + ro.d_phe_ohm * jnp.cos(2 * phi) * bar.in_plane_field_per_j() / h_par)
    return v1, v2


@dataclasses.dataclass(frozen=True)
class HarmonicHallResult:
    """Simulated and analytic harmonic Hall voltages against the field angle.

    `phi_rad` (A,); `v1w`, `v2w` (A,) in V from the simulated lock-in;
    `v1w_analytic`, `v2w_analytic` (A,) from
    [`harmonic_hall_analytic`][spinjax.experiments.harmonic_hall_analytic]; `h_ext_A_per_m`,
    `j0_A_per_m2`, `frequency_hz`.
    """

    phi_rad: np.ndarray
    v1w: np.ndarray
    v2w: np.ndarray
    v1w_analytic: np.ndarray
    v2w_analytic: np.ndarray
    h_ext_A_per_m: float
    j0_A_per_m2: float
    frequency_hz: float

    def to_json(self) -> dict:
        """A JSON-serializable dict (arrays as lists)."""
        out = {f.name: (np.asarray(getattr(self, f.name), np.float64).tolist()
                        if isinstance(getattr(self, f.name), (np.ndarray, jax.Array))
                        else getattr(self, f.name)) for f in dataclasses.fields(self)}
        json.dumps(out)
        return out

    def plot(self, path=None):
        """A plot of V_1w and V_2w against the field angle.
        The ``matplotlib.figure.Figure``, built without pyplot (the backend and open
        figures stay the user's; a notebook shows it inline); also written as a PNG to
        `path` when one is given."""
        from matplotlib.figure import Figure   # no pyplot: no global figure state
        fig = Figure(figsize=(9, 3.5))
        ax = fig.subplots(1, 2)
        deg = np.rad2deg(self.phi_rad)
        for a, sim, ana, name in ((ax[0], self.v1w, self.v1w_analytic, r"$V_{1\omega}$"),
                                  (ax[1], self.v2w, self.v2w_analytic, r"$V_{2\omega}$")):
            a.plot(deg, 1e6 * sim, "o", label="simulated lock-in")
            a.plot(deg, 1e6 * ana, "-", label="analytic")
            a.set(xlabel=r"$\varphi$ (deg)", ylabel=name + r" ($\mu$V)")
        ax[0].legend(fontsize=8)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig


def harmonic_hall(bar: HallBar, phi_rad, h_ext_A_per_m: float, j0_A_per_m2: float, *,
                  frequency_hz: float, dt: float, samples_per_period: int = 200,
                  settle_periods: int = 1, periods: int = 1, key=None,
                  dtype=jnp.float32) -> HarmonicHallResult:
    r"""Simulate a harmonic Hall measurement: one junction per field angle, one solve.

    The in-plane field $H$ (`h_ext_A_per_m`) at angle $\varphi$ from $\hat x$ (per
    junction, `phi_rad` (A,)) saturates $\mathbf m$ along it; the HM current density
    $J_0\sin(2\pi f t)$ flows for `settle_periods` + `periods` periods; $R_{xy}(t)$ is
    sampled `samples_per_period` times a period and the lock-in
    ([`spinjax.harmonic_voltages`][]) runs over the last `periods` periods with
    $I(t)$ from [`HallBar.current_A`][spinjax.devices.HallBar.current_A]. $1/f$ must be
    `samples_per_period` (>= 5, to resolve the second harmonic) times a whole number of
    steps `dt`. Quasi-static (comparable with the analytic formula) when $2\pi f$ is far
    below the relaxation rate $\alpha\gamma_0(H_\perp + H_\parallel)/2$.
    """
    phi = finite_array("phi_rad", phi_rad, unit="rad")
    h_ext_A_per_m = check_real("h_ext_A_per_m", h_ext_A_per_m, unit="A/m")
    j0_A_per_m2 = check_real("j0_A_per_m2", j0_A_per_m2, unit="A/m^2")
    frequency_hz = check_real("frequency_hz", frequency_hz, 0.0, closed_lo=False, unit="Hz")
    dt = check_real("dt", dt, 0.0, closed_lo=False, unit="s")
    samples_per_period = check_int("samples_per_period", samples_per_period, 5)
    settle_periods = check_int("settle_periods", settle_periods, 0)
    periods = check_int("periods", periods, 1)
    steps = 1.0 / (frequency_hz * dt * samples_per_period)
    every = int(round(steps))
    if every < 1 or abs(steps - every) > 1e-6 * every:
        raise InvalidParameterError(
            f"1/frequency_hz = {1 / frequency_hz:g} s must be samples_per_period = "
            f"{samples_per_period} times a whole number of steps dt = {dt:g} s.")
    c = lambda x: jnp.asarray(x, dtype)  # noqa: E731
    u = np.stack([np.cos(phi), np.sin(phi), np.zeros_like(phi)], -1)
    drive = Drive(field_A_per_m=c(h_ext_A_per_m * u),
                  j_sot_A_per_m2=Sinusoid(c(j0_A_per_m2), c(frequency_hz)))
    n_total = (settle_periods + periods) * samples_per_period
    sol = simulate(bar.model, c(u), t1=n_total * every * dt, dt=dt, key=key, drive=drive,
                   save=Save(every=every, fn=lambda t, m: bar.readout.r_xy(m)))
    first = settle_periods * samples_per_period
    t = np.asarray(sol.ts[first:], np.float64)
    r = jnp.asarray(sol.ys[first:], jnp.float64 if jax.config.jax_enable_x64 else dtype)
    j = j0_A_per_m2 * np.sin(2 * np.pi * frequency_hz * t)
    i = jnp.asarray(np.asarray(bar.current_A(1.0)) * j, r.dtype)[:, None]
    v1, v2 = harmonic_voltages(t, i, r, frequency_hz)
    a1, a2 = harmonic_hall_analytic(bar, phi, h_ext_A_per_m, j0_A_per_m2)
    return HarmonicHallResult(phi, np.asarray(v1), np.asarray(v2), np.asarray(a1),
                              np.asarray(a2), float(h_ext_A_per_m), float(j0_A_per_m2),
                              float(frequency_hz))
