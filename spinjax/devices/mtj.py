"""A magnetic tunnel junction: its sLLG model, its barrier (TMR, capacitance) and
its thermal state."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..constants import EPS0, KB
from .._custom_types import Magnetization, PerJunction
from .._drive import Inputs
from .._fields.vcma import VCMAAnisotropy
from .._fields.zeeman import Zeeman
from .._params import POSITIVE, InvalidParameterError, check_concrete, float_dtype, param
from .._readout.tmr import TMR, midpoint_threshold
from .._save import Save
from .._simulate import simulate
from .._sllg import SLLG
from .._torques.bias_stt import BiasDrivenSTT
from .._validate import check_int, check_real
from ._terms import find_term, positive_array as _positive, split_parameter, term_at


def _drive_voltage(voltage_V):
    from .._drive import Drive
    return Drive(voltage_V=voltage_V)


def _check_voltage(voltage_V):
    """A concrete read or write voltage must be finite (scalar or per junction)."""
    if isinstance(voltage_V, jax.core.Tracer):
        return
    try:
        ok = bool(np.all(np.isfinite(np.asarray(voltage_V, np.float64))))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InvalidParameterError(f"voltage_V = {voltage_V!r}; it must be finite (V).")


def _zero_inputs(dtype):
    z = jnp.zeros((), dtype)
    return Inputs(jnp.zeros(3, dtype), z, z, z)


class MTJ(eqx.Module):
    r"""A magnetic tunnel junction: free layer dynamics, barrier and readout.

    The free layer's sLLG model (`model`), the tunnel barrier's magnetoresistance
    (`tmr`, with the reference layer direction as its `reference`) and its
    capacitance $C = \varepsilon_0 \varepsilon_r A / t_{ox}$ (a parallel-plate
    capacitor of the junction area $A$). For an SOT junction the write current flows
    in a heavy-metal channel, described by `channel_ohm` (its resistance) and
    `channel_cross_section_m2` (width times thickness, which turns a current density
    into a current); a two-terminal junction has neither.

    **Fields:**

    - `model`: the [`spinjax.SLLG`][] of the free layer (all leaves broadcast over
      the junction axes, so one `MTJ` is an array of devices).
    - `tmr`: the [`spinjax.TMR`][]. Stored once: read from the model's
      [`spinjax.BiasDrivenSTT`][] when it holds one (then it may be left out, and a
      given one must equal it), else kept on the junction as `own_tmr` (None when
      the term holds it).
    - `t_ox_m`: barrier thickness in m, $> 0$ (capacitance). Stored once, in the same
      way: read from the model's [`spinjax.VCMAAnisotropy`][] when it holds one,
      else kept as `own_t_ox_m`.
    - `eps_r`: relative permittivity of the barrier, $> 0$ (MgO: 9.8).
    - `easy_axis`: the direction of the two stable states at zero drive.
    - `channel_ohm`, `channel_cross_section_m2`: heavy-metal channel (SOT only) or None.
    """

    model: SLLG
    own_tmr: TMR | None
    own_t_ox_m: PerJunction | None
    eps_r: PerJunction = param("1", POSITIVE, default=9.8)
    easy_axis: tuple = eqx.field(static=True, default=(0.0, 0.0, 1.0))
    channel_ohm: PerJunction | None = None
    channel_cross_section_m2: PerJunction | None = None

    def __init__(self, model: SLLG, tmr: TMR | None = None, t_ox_m=None, eps_r=9.8,
                 easy_axis=(0.0, 0.0, 1.0), channel_ohm=None,
                 channel_cross_section_m2=None):
        # One stored value for each parameter the model's terms also use (_terms.py):
        # `own_tmr` / `own_t_ox_m` are None when a term holds it.
        model, self.own_tmr = split_parameter("MTJ", "tmr", tmr, model, BiasDrivenSTT,
                                              "tmr")
        model, t_ox = split_parameter("MTJ", "t_ox_m", t_ox_m, model, VCMAAnisotropy,
                                      "t_ox_m")
        self.own_t_ox_m = None if t_ox is None else _positive("MTJ.t_ox_m", t_ox, "m")
        self.model = model
        self.eps_r = eps_r
        self.easy_axis = tuple(easy_axis)
        self.channel_ohm = channel_ohm
        self.channel_cross_section_m2 = channel_cross_section_m2

    def __check_init__(self):
        check_concrete(self)
        if self.own_tmr is not None and not isinstance(self.own_tmr, TMR):
            raise InvalidParameterError(f"MTJ.tmr must be a spinjax.TMR; got "
                                        f"{type(self.own_tmr).__name__}.")

    @property
    def tmr(self) -> TMR:
        """The barrier's [`spinjax.TMR`][]: the model's [`spinjax.BiasDrivenSTT`][]
        one when it holds one, else the junction's own."""
        where = find_term("MTJ", self.model, BiasDrivenSTT)
        return self.own_tmr if where is None else term_at(self.model, where).tmr

    @property
    def t_ox_m(self) -> PerJunction:
        """Barrier thickness $t_{ox}$ in m: the model's [`spinjax.VCMAAnisotropy`][]
        one when it holds one, else the junction's own."""
        where = find_term("MTJ", self.model, VCMAAnisotropy)
        return self.own_t_ox_m if where is None else term_at(self.model, where).t_ox_m

    @property
    def area_m2(self) -> PerJunction:
        """Junction area $A$ in m$^2$ (the free layer's)."""
        return self.model.layer.area_m2

    def capacitance_F(self) -> PerJunction:
        """$C = \\varepsilon_0 \\varepsilon_r A / t_{ox}$ in F."""
        return EPS0 * self.eps_r * self.area_m2 / self.t_ox_m

    def resistance_ohm(self, m: Magnetization, voltage_V=0.0) -> PerJunction:
        """$R(\\theta, V)$ in Ohm (see [`spinjax.TMR`][])."""
        return self.tmr.resistance(m, voltage_V)

    def current_A(self, m: Magnetization, voltage_V) -> PerJunction:
        """The tunnelling current $V / R(\\theta, V)$ in A."""
        return voltage_V / self.resistance_ohm(m, voltage_V)

    def read(self, m: Magnetization, voltage_V=0.1, threshold_ohm=None) -> jax.Array:
        """The bit of each junction (1: antiparallel side) at read bias `voltage_V`,
        with the midpoint threshold unless one is given; see [`spinjax.TMR.read`][]."""
        _check_voltage(voltage_V)
        if threshold_ohm is None:
            threshold_ohm = midpoint_threshold(self.tmr, voltage_V)
        return self.tmr.read(m, threshold_ohm, voltage_V)

    def read_pulse(self, m: Magnetization, *, key, voltage_V: float, duration_s: float,
                   dt: float = 2e-12, threshold_ohm=None):
        r"""A read that disturbs: the read voltage is applied for `duration_s` while the
        junction evolves (its tunnelling current exerts STT through
        [`spinjax.BiasDrivenSTT`][], its VCMA lowers or raises the barrier, the
        thermal field acts), then the bit is read at that voltage. Returns
        ``(bits, m_after)``. Reading the antiparallel state with a positive voltage
        pushes it towards parallel (read disturb); the parallel state is stabilized.
        """
        check_real("duration_s", duration_s, 0.0, closed_lo=False, unit="s")
        check_real("dt", dt, 0.0, closed_lo=False, unit="s")
        _check_voltage(voltage_V)
        sol = simulate(self.model, m, t1=duration_s, dt=dt, key=key,
                       drive=_drive_voltage(voltage_V))
        return self.read(sol.m, voltage_V, threshold_ohm), sol.m

    def energy_barrier_J(self, num_angles: int = 256) -> PerJunction:
        r"""The zero-field barrier $E_b = V\,[\min_{\mathbf m\perp\mathbf u} e(\mathbf m)
        - e(\mathbf u)]$ in J between the easy direction $\mathbf u$ and the lowest
        saddle on the great circle perpendicular to it, with the Zeeman terms (bias
        fields) left out: the thermal stability the field quotes, defined at zero
        field. Exact for anisotropy and demagnetization (energies quadratic in
        $\mathbf m$); the circle is sampled at `num_angles`. A field $H$ along the
        hard direction lowers it to $E_b (1 - H/H_K)^2$ (Stoner-Wohlfarth).
        """
        check_int("num_angles", num_angles, 3)
        dtype = jnp.result_type(self.model.layer.Ms)
        u = jnp.asarray(self.easy_axis, dtype)
        u = u / jnp.linalg.norm(u)
        helper = jnp.asarray((1.0, 0.0, 0.0) if abs(self.easy_axis[0]) < 0.9
                             else (0.0, 1.0, 0.0), dtype)
        e1 = jnp.cross(u, helper)
        e1 = e1 / jnp.linalg.norm(e1)
        e2 = jnp.cross(u, e1)
        phi = jnp.linspace(0, 2 * jnp.pi, num_angles, endpoint=False, dtype=dtype)
        ring = jnp.cos(phi)[:, None] * e1 + jnp.sin(phi)[:, None] * e2   # (K, 3)
        shape = jnp.shape(self.model.layer.volume_m3)
        ring = jnp.broadcast_to(ring.reshape(num_angles, *([1] * len(shape)), 3),
                                (num_angles, *shape, 3))
        inputs = _zero_inputs(dtype)
        model = eqx.tree_at(lambda mdl: mdl.fields, self.model, tuple(
            f for f in self.model.fields if not isinstance(f, Zeeman)))
        e_ring = jnp.min(model.energy_density(ring, inputs), axis=0)
        e_easy = model.energy_density(jnp.broadcast_to(u, (*shape, 3)), inputs)
        return (e_ring - e_easy) * self.model.layer.volume_m3

    def thermal_stability(self) -> PerJunction:
        """$\\Delta = E_b / (k_B T)$ at the layer's temperature (dimensionless)."""
        return self.energy_barrier_J() / (KB * self.model.layer.temperature_K)

    def thermal_state(self, key, shape=(), *, well: int = 1, drive=None,
                      t_s: float = 2e-9, dt: float = 1e-12,
                      common_noise_axes: int = 0) -> Magnetization:
        r"""Magnetizations drawn from the Boltzmann distribution at the layer's
        temperature, starting in the `well` (+1: along `easy_axis`, -1: against).

        The stationary distribution of the sLLG, $p(\mathbf m) \propto
        \exp[-V e(\mathbf m)/k_B T]$, does not depend on $\alpha$, so the array is
        relaxed for `t_s` seconds with $\alpha = 1$ (the fastest relaxation of the
        Gilbert equation, about $2/(\gamma_0 H_K)$): the result is the equilibrium of
        the well for a high barrier (an escape over a barrier $\Delta$ in `t_s` has a
        probability about $e^{-\Delta}$), and of both wells for a low one. Returns an
        array of shape (*shape, 3), in the dtype of the model's parameters.
        `common_noise_axes` as in [`spinjax.simulate`][] (common random numbers).
        """
        if well not in (1, -1):
            raise InvalidParameterError(f"well = {well!r}; valid values are +1 and -1.")
        if any(int(s) < 1 for s in np.atleast_1d(shape)) and np.size(shape):
            raise InvalidParameterError(f"shape = {shape}: an empty array of junctions; "
                                        f"every size must be >= 1.")
        shape = tuple(np.atleast_1d(shape).tolist()) if np.size(shape) else ()
        check_real("t_s", t_s, 0.0, closed_lo=False, unit="s")
        check_real("dt", dt, 0.0, closed_lo=False, unit="s")
        dtype = float_dtype(self.model.layer.Ms)
        model = eqx.tree_at(lambda mdl: mdl.layer.alpha, self.model,
                            jnp.ones_like(jnp.asarray(self.model.layer.alpha, dtype)))
        m0 = well * jnp.broadcast_to(jnp.asarray(self.easy_axis, dtype), (*shape, 3))
        return simulate(model, m0, t1=t_s, dt=dt, key=key, drive=drive,
                        save=Save(), common_noise_axes=common_noise_axes).m
