r"""The timing of one TRNG cycle: reset, write pulse, settling, read.

One cycle of a junction-array TRNG is

1. **reset** (duration $t_\mathrm{reset}$): every junction is put back into the
   parallel (+ easy axis) well;
2. **write window** $[0, t_1]$: a voltage pulse $V(t)$ of amplitude $A$ on the barrier,
   then the pulse-free settling time in which $\mathbf m$ falls into a well; this window
   is what [`spinjax.simulate`][] integrates, with the Brown thermal field on;
3. **read** (duration $t_\mathrm{read}$): a TMR threshold read at bias
   $V_\mathrm{read}$ ([`spinjax.devices.MTJ.read`][]), bit 1 on the antiparallel side.

The cycle time is $t_\mathrm{cycle} = t_\mathrm{reset} + t_1 + t_\mathrm{read}$ and one
junction delivers $1/t_\mathrm{cycle}$ raw bits per second.

Two write schemes share this timing:

- **precessional** ([`precessional_schedule`][spinjax.trng.precessional_schedule]): a pulse
  of half a precession period about the in-plane bias field, $t_w = \pi/(\gamma_0 H_x)$, at
  an amplitude near the switching threshold, so that thermal noise decides whether
  $\mathbf m$ ends on the $-\hat z$ side; $p(A)$ is a sigmoid that must be tuned
  ([`spinjax.trng.tune_amplitude`][] style bisection, ``_trng/tune.py``).
- **release** ([`release_schedule`][spinjax.trng.release_schedule]): a long pulse above the
  voltage at which $K_\mathrm{eff}(V) = K_i(V)/t_F - \mu_0 M_s^2 N_z/2$ changes sign, so
  that the barrier is gone and $\mathbf m$ relaxes towards the in-plane bias $H_x\hat x$; at
  the release $\hat x$ is a saddle and $\mathbf m$ falls to $\pm\hat z$. The energy, the
  isotropic thermal noise and $\hat x$ are invariant under the rotation by $\pi$ about
  $\hat x$, which exchanges $+\hat z$ and $-\hat z$, so $p = 1/2$ *if* the state at
  release has forgotten the reset (a hold of several damping times
  $\tau \approx 2(1+\alpha^2)/[\alpha\gamma_0(2H_x + |H_K(V)|)]$) and no torque breaks
  the symmetry (the spin-transfer torque of the pulse's current does).
"""

import math

import equinox as eqx
import jax.numpy as jnp

from ..constants import GAMMA0
from .._fields.zeeman import Zeeman
from .._params import InvalidParameterError
from .._pulses.shapes import Trapezoid
from .._validate import check_real


def _bias_field_x(device) -> float:
    """The static in-plane bias $H_x$ (A/m) of the device's Zeeman term (its mean)."""
    for f in device.model.fields:
        if isinstance(f, Zeeman):
            h_x = float(jnp.mean(jnp.asarray(f.bias_A_per_m)[..., 0]))
            if not (math.isfinite(h_x) and h_x > 0):
                raise InvalidParameterError(
                    f"the device's in-plane bias field H_x = {h_x!r} A/m; precessional and "
                    "release writes need a finite H_x in (0, inf) A/m.")
            return h_x
    raise InvalidParameterError("the device has no Zeeman bias field: precessional and "
                                "release writes need an in-plane bias H_x > 0.")


class CycleSchedule(eqx.Module):
    r"""The timing of one cycle (all times in s, Python floats: they set the step count).

    The write pulse is a [`spinjax.Trapezoid`][] from ``start_s`` with linear edges
    ``edge_s`` and plateau ``width_s``; the simulated window ends ``settle_s`` after
    the falling edge, $t_1 = t_\mathrm{start} + 2 t_\mathrm{edge} + t_w +
    t_\mathrm{settle}$, rounded up to a whole number of steps ``dt_s``.

    **Fields:** `start_s`, `width_s`, `edge_s`, `settle_s`, `dt_s`; `reset_s` and
    `read_s` (not simulated: they count in the cycle time and the energy);
    `read_voltage_V` (V, the read bias).
    """

    start_s: float = eqx.field(static=True)
    width_s: float = eqx.field(static=True)
    edge_s: float = eqx.field(static=True)
    settle_s: float = eqx.field(static=True)
    dt_s: float = eqx.field(static=True)
    reset_s: float = eqx.field(static=True, default=1e-9)
    read_s: float = eqx.field(static=True, default=1e-9)
    read_voltage_V: float = eqx.field(static=True, default=0.1)

    def __check_init__(self):
        for name in ("start_s", "width_s", "edge_s", "settle_s", "reset_s", "read_s"):
            check_real(f"CycleSchedule.{name}", getattr(self, name), 0.0, unit="s")
        window = self.start_s + 2 * self.edge_s + self.width_s + self.settle_s
        check_real("CycleSchedule.dt_s", self.dt_s, 0.0, max(window, 0.0) or math.inf,
                   closed_lo=False, unit="s (at most the window start + 2 edge + width + "
                   "settle)")
        if not self.width_s + self.edge_s > 0:
            raise InvalidParameterError("CycleSchedule.width_s = 0 and edge_s = 0: the write "
                                        "pulse is empty; the valid range of width_s + edge_s "
                                        "is (0, inf) s.")
        check_real("CycleSchedule.read_voltage_V", self.read_voltage_V, unit="V")

    @property
    def steps(self) -> int:
        """Steps of the simulated window."""
        t = self.start_s + 2 * self.edge_s + self.width_s + self.settle_s
        return max(1, math.ceil(t / self.dt_s - 1e-9))

    @property
    def t1_s(self) -> float:
        """End of the simulated window, s (a whole number of steps)."""
        return self.steps * self.dt_s

    @property
    def cycle_s(self) -> float:
        """$t_\\mathrm{cycle} = t_\\mathrm{reset} + t_1 + t_\\mathrm{read}$ in s."""
        return self.reset_s + self.t1_s + self.read_s

    @property
    def duty(self) -> float:
        """Fraction of the cycle under the write pulse (its FWHM over the cycle time)."""
        return (self.width_s + self.edge_s) / self.cycle_s

    def pulse(self, amplitude_V) -> Trapezoid:
        """The write pulse of amplitude `amplitude_V` (V; scalar or per junction), its
        timings in the amplitude's floating dtype (float32 by default)."""
        amplitude_V = jnp.asarray(amplitude_V)
        if not jnp.issubdtype(amplitude_V.dtype, jnp.floating):
            amplitude_V = amplitude_V.astype(jnp.float32)
        dtype = amplitude_V.dtype
        return Trapezoid(amplitude_V, *(jnp.asarray(x, dtype) for x in (
            self.start_s, self.width_s, self.edge_s, self.edge_s)))


def precessional_schedule(device, *, edge_s=30e-12, start_s=20e-12, settle_s=1.5e-9,
                          dt_s=4e-12, width_s=None, **kwargs) -> CycleSchedule:
    r"""A precessional VCMA write: plateau $t_w = \pi/(\gamma_0 H_x) - t_\mathrm{edge}$
    (the FWHM is half a precession period about the bias field $H_x$ of `device`, 0.47
    ns at 30 kA/m), then `settle_s` of relaxation before the read. The settling
    matters: at $\alpha = 0.02$ the relaxation time $1/(\alpha\gamma_0 H_K)$ is about
    2 ns, and a read 0.5 ns after the pulse disagreed with the hemisphere of
    $\mathbf m$ for 27 % of the junctions at $p = 1/2$ (the read samples a precession
    still crossing the threshold), 1 % after 1.5 ns and 0.2 % after 2 ns (vcma_mtj,
    measured, 2e4 junctions). Other keywords
    (`reset_s`, `read_s`, `read_voltage_V`) go to
    [`CycleSchedule`][spinjax.trng.CycleSchedule]."""
    if width_s is None:
        edge = check_real("edge_s", edge_s, 0.0, unit="s")
        half = math.pi / (GAMMA0 * _bias_field_x(device))
        if edge >= half:
            raise InvalidParameterError(
                f"edge_s = {edge_s!r} s; the plateau pi/(gamma0 H_x) - edge_s would be "
                f"empty: the valid range is [0, {half:.4g}) s (or give width_s).")
        width_s = half - edge
    return CycleSchedule(start_s=start_s, width_s=width_s, edge_s=edge_s,
                         settle_s=settle_s, dt_s=dt_s, **kwargs)


def release_schedule(device, *, hold_s=5e-9, edge_s=30e-12, start_s=20e-12,
                     settle_s=1e-9, dt_s=4e-12, **kwargs) -> CycleSchedule:
    r"""A symmetric release write: a pulse held `hold_s` (above the voltage where
    $K_\mathrm{eff}(V) < 0$: choose the amplitude so), released over `edge_s`, then
    `settle_s` to fall into $\pm\hat z$. `device` is checked for a bias field $H_x$.

    Measured with ``vcma_mtj()`` at 2.4 V (1.6 V/nm across its 1.5 nm barrier: beyond
    what MgO survives, since its $K_\mathrm{eff}$ only vanishes at 1.61 V), 2e4 writes
    per start, sigma 0.0035: with a 10 ns hold and 3 ns settling, P(read 1) was 0.500
    from the parallel well and 0.517 from the antiparallel one. With the polarization
    set to 1e-3 (no spin-transfer torque) they were 0.486 and 0.511: their mean is
    1/2 as the symmetry says, the difference is the memory of the start left after
    10 ns (about 2.5 damping times at $\alpha = 0.02$), and the torque of the hold
    current adds about +0.008. So $p = 1/2$ holds only up to these two terms, and a
    cycle costs 3250 steps of 4 ps (6.4 times the precessional one).
    """
    _bias_field_x(device)
    check_real("hold_s", hold_s, 0.0, closed_lo=False, unit="s")
    return CycleSchedule(start_s=start_s, width_s=hold_s, edge_s=edge_s,
                         settle_s=settle_s, dt_s=dt_s, **kwargs)
