"""Resistance-field (R-H) loops of an MTJ array: major and minor loops."""

import dataclasses
import json
import math
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from .._params import InvalidParameterError, float_dtype
from .._pulses.shapes import PiecewiseLinear
from .._save import Save
from .._simulate import simulate
from .._validate import check_choice, check_int, check_real
from ..constants import GAMMA0, MU0
from ..devices.mtj import MTJ
from ._args import broadcasts, initial_thermal_state

QUASI_STATIC_RATIO = 0.01


class SweepTooFastWarning(UserWarning):
    """An R-H loop swept faster than the magnet relaxes: its switching fields are
    delayed by the sweep (dynamic coercivity), not the quasi-static ones."""


class _FieldAlong(eqx.Module):
    """$\\mathbf H(t) = h(t)\\,\\hat{\\mathbf a}$ in A/m: a scalar waveform along an axis."""

    waveform: PiecewiseLinear
    axis: jax.Array

    def __call__(self, t):
        return self.waveform(t) * self.axis

    def max_abs(self, t0, t1):
        """Per component, exact: the waveform's bound times |axis component|."""
        return self.waveform.max_abs(t0, t1) * jnp.abs(self.axis)


@dataclasses.dataclass(frozen=True)
class RHLoop:
    r"""An R-H loop: the applied field along the sweep and each junction's response.

    `field_A_per_m` (T,) along the sweep; `m_axis` (T, n) the easy-axis component of
    each junction; `resistance_ohm` (T,) the array's mean resistance at zero bias;
    `down_switch_A_per_m`, `up_switch_A_per_m` (n,) the field at which each junction
    first crossed $m_u = 0$ on the descending and ascending branch (NaN: it did not).
    `sweep_rate_ratio` is $(dH/dt)\,\tau / H_K$ with $\tau = 1/(\alpha\gamma_0 H_K)$,
    the fraction of $H_K$ the field moves in one relaxation time (largest over the
    junctions); `quasi_static` is whether it is at most ``QUASI_STATIC_RATIO`` (1 %).
    """

    field_A_per_m: np.ndarray
    m_axis: np.ndarray
    resistance_ohm: np.ndarray
    down_switch_A_per_m: np.ndarray
    up_switch_A_per_m: np.ndarray
    sweep_rate_ratio: float = math.nan
    quasi_static: bool | None = None

    @property
    def coercive_field_A_per_m(self) -> float:
        """Half the mean distance between the up and down switching fields (over the
        junctions that switched on each branch; NaN if none did)."""
        return float(0.5 * (np.nanmean(self.up_switch_A_per_m)
                            - np.nanmean(self.down_switch_A_per_m)))

    @property
    def shift_A_per_m(self) -> float:
        """The loop's centre (offset field, e.g. from a stray field or torque)."""
        return float(0.5 * (np.nanmean(self.up_switch_A_per_m)
                            + np.nanmean(self.down_switch_A_per_m)))

    def to_json(self) -> dict:
        return {"field_A_per_m": self.field_A_per_m.tolist(),
                "resistance_ohm": self.resistance_ohm.tolist(),
                "mean_m_axis": self.m_axis.mean(axis=1).tolist(),
                "down_switch_A_per_m": self.down_switch_A_per_m.tolist(),
                "up_switch_A_per_m": self.up_switch_A_per_m.tolist(),
                "switched_down": int(np.sum(np.isfinite(self.down_switch_A_per_m))),
                "switched_up": int(np.sum(np.isfinite(self.up_switch_A_per_m))),
                "junctions": int(self.m_axis.shape[1]),
                "coercive_field_A_per_m": self.coercive_field_A_per_m,
                "shift_A_per_m": self.shift_A_per_m,
                "sweep_rate_ratio": self.sweep_rate_ratio,
                "quasi_static": self.quasi_static}

    def save_json(self, path):
        with open(path, "w") as f:
            json.dump(self.to_json(), f, indent=1)

    def plot(self, path=None):
        """The ``matplotlib.figure.Figure``, built without pyplot (the backend and open
        figures stay the user's; a notebook shows it inline); also written as a PNG to
        `path` when one is given."""
        from matplotlib.figure import Figure   # no pyplot: no global figure state
        fig = Figure(figsize=(5, 3.8))
        ax = fig.subplots()
        ax.plot(self.field_A_per_m / 1e3, self.resistance_ohm / 1e3, lw=1)
        fast = "" if self.quasi_static is not False else " (sweep too fast: dynamic)"
        ax.set(xlabel="H (kA/m)", ylabel="mean R (kOhm)",
               title=f"H_c = {self.coercive_field_A_per_m / 1e3:.1f} kA/m{fast}")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig


def _crossing(field, m, branch):
    """First field of `branch` (boolean over time) where m changes sign, per junction."""
    s = np.sign(m)
    change = (s[1:] != s[:-1]) & branch[1:, None]
    first = np.argmax(change, axis=0)
    out = field[1:][first]
    return np.where(change.any(axis=0), out, np.nan)


def rh_loop(device: MTJ, h_max_A_per_m: float, *, n: int, key, sweep_time_s: float,
            h_min_A_per_m: float | None = None, axis=None, dt: float = 1e-12,
            points: int = 400, start_well: int = 1, m0=None) -> RHLoop:
    r"""Sweep the field along `axis` (default: the easy axis) 0 -> `h_max` -> `h_min`
    -> `h_max` linearly over `sweep_time_s` and record each junction.

    `h_min` defaults to $-h_\mathrm{max}$ (a major loop when it exceeds the switching
    field); an asymmetric or smaller range is a minor loop. The sweep rate matters at
    $T > 0$: thermal activation lowers the switching field the slower the sweep
    (Sharrock, J. Appl. Phys. 76, 6413, 1994). At $T = 0$ a field exactly along the
    easy axis exerts no torque on $\mathbf m = \pm\mathbf u$; tilt `axis` slightly (the
    Stoner-Wohlfarth switching field at angle $\psi$ is
    $H_K/(\cos^{2/3}\psi + \sin^{2/3}\psi)^{3/2}$).

    Quasi-static criterion: the field must move by at most 1 % of $H_K$ in one
    relaxation time $\tau = 1/(\alpha\gamma_0 H_K)$, i.e.
    $(dH/dt)\,\tau/H_K \le 0.01$; a faster sweep gives a dynamic loop whose switching
    fields lag the static ones. Such a loop is still returned, with
    ``quasi_static = False`` and its `sweep_rate_ratio`, and a
    [`SweepTooFastWarning`][spinjax.experiments.SweepTooFastWarning] is issued.
    """
    h_max = check_real("h_max_A_per_m", h_max_A_per_m, 0.0, closed_lo=False, unit="A/m")
    h_min = (-h_max if h_min_A_per_m is None else
             check_real("h_min_A_per_m", h_min_A_per_m, hi=h_max, closed_hi=False, unit="A/m"))
    n = check_int("n", n)
    sweep_time_s = check_real("sweep_time_s", sweep_time_s, 0.0, closed_lo=False, unit="s")
    dt = check_real("dt", dt, 0.0, closed_lo=False, unit="s")
    points = check_int("points", points)
    check_choice("start_well", start_well, (1, -1))
    if sweep_time_s < 3 * dt:
        raise InvalidParameterError(
            f"sweep_time_s = {sweep_time_s:g} s is less than 3 steps dt = {dt:g} s (one "
            "per leg of the loop); the valid range is [3 dt, inf).")
    if axis is not None:
        a = np.asarray(axis, np.float64) if np.ndim(axis) == 1 else np.zeros(0)
        if a.shape != (3,) or not np.all(np.isfinite(a)) or not np.linalg.norm(a) > 0:
            raise InvalidParameterError(f"axis = {axis!r}; it must be a non-zero vector "
                                        "of 3 finite numbers.")
    if m0 is not None and not broadcasts(np.shape(m0), (n, 3)):
        raise InvalidParameterError(f"m0 has shape {np.shape(m0)}; it must broadcast to "
                                    f"(n, 3) = ({n}, 3).")
    h_max_A_per_m = h_max
    ratio = _sweep_rate_ratio(device, 2 * (h_max - h_min) + h_max, sweep_time_s)
    if not ratio <= QUASI_STATIC_RATIO:
        warnings.warn(
            f"rh_loop: the field moves {ratio:.3g} H_K per relaxation time "
            f"1/(alpha gamma0 H_K) (quasi-static: <= {QUASI_STATIC_RATIO}); the switching "
            f"fields are dynamic, delayed by the sweep. Lengthen sweep_time_s by at least "
            f"{ratio / QUASI_STATIC_RATIO:.3g}x for the quasi-static loop.",
            SweepTooFastWarning, stacklevel=2)
    steps = int(round(sweep_time_s / dt))
    every = max(1, steps // points)
    steps = every * max(1, steps // every)
    t1 = steps * dt
    dtype = float_dtype(device.model.layer.Ms)
    a = np.asarray(device.easy_axis if axis is None else axis, np.float64)
    a = jnp.asarray(a / np.linalg.norm(a), dtype)
    span = h_max_A_per_m - h_min
    legs = np.array([h_max_A_per_m, span, span])
    knots = np.concatenate([[0.0], np.cumsum(legs)]) / legs.sum() * t1
    knots[-1] = t1 * (1 + 1e-9)   # keep the last sample inside the waveform
    wave = PiecewiseLinear(jnp.asarray(knots, dtype),
                           jnp.asarray([0.0, h_max_A_per_m, h_min, h_max_A_per_m], dtype))
    k0, k1 = jax.random.split(key)
    if m0 is None:
        m0 = (initial_thermal_state(device, k0, (n,), start_well, dt)
              if np.any(np.asarray(device.model.layer.temperature_K) > 0)
              else start_well * jnp.broadcast_to(jnp.asarray(device.easy_axis, dtype),
                                                 (int(n), 3)))
    u = jnp.asarray(device.easy_axis, dtype)
    tmr = device.tmr

    def observe(t, m):
        return m @ u, jnp.mean(tmr.resistance(m))

    sol = simulate(device.model, jnp.asarray(m0, dtype), t1=float(t1), dt=dt, key=k1,
                   drive=Drive(field_A_per_m=_FieldAlong(wave, a)),
                   save=Save(every=every, fn=observe))
    field = np.asarray(jax.vmap(wave)(sol.ts), np.float64)
    m_u, r = (np.asarray(x, np.float64) for x in sol.ys)
    t = np.asarray(sol.ts, np.float64)
    descending = (t > knots[1]) & (t <= knots[2])
    ascending = t > knots[2]
    return RHLoop(field, m_u, r, _crossing(field, m_u, descending),
                  _crossing(field, m_u, ascending), ratio, bool(ratio <= QUASI_STATIC_RATIO))


def _sweep_rate_ratio(device: MTJ, path_A_per_m: float, sweep_time_s: float) -> float:
    r"""$(dH/dt)\,\tau/H_K$: the field's travel in one relaxation time
    $\tau = 1/(\alpha\gamma_0 H_K)$ (the time constant of the Gilbert damping of small
    precession about the easy axis), as a fraction of the anisotropy field
    $H_K = 2E_b/(\mu_0 M_s V)$ from the zero-field barrier; the largest over the
    junctions. A loop is quasi-static when this is small (the magnet follows the
    field's equilibrium, and the switching fields are the static ones)."""
    layer = device.model.layer
    e_b = np.asarray(device.energy_barrier_J(), np.float64)
    h_k = 2 * e_b / (MU0 * np.asarray(layer.Ms, np.float64)
                     * np.asarray(layer.volume_m3, np.float64))
    alpha = np.asarray(layer.alpha, np.float64)
    rate = path_A_per_m / sweep_time_s
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rate / (alpha * GAMMA0 * h_k ** 2)
    return float(np.max(np.where(h_k > 0, ratio, np.inf)))
