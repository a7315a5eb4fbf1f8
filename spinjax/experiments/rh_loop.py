"""Resistance-field (R-H) loops of an MTJ array: major and minor loops."""

import dataclasses
import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from .._params import InvalidParameterError
from .._pulses.shapes import PiecewiseLinear
from .._save import Save
from .._simulate import simulate
from ..devices.mtj import MTJ


class _FieldAlong(eqx.Module):
    """$\\mathbf H(t) = h(t)\\,\\hat{\\mathbf a}$ in A/m: a scalar waveform along an axis."""

    waveform: PiecewiseLinear
    axis: jax.Array

    def __call__(self, t):
        return self.waveform(t) * self.axis


@dataclasses.dataclass(frozen=True)
class RHLoop:
    """An R-H loop: the applied field along the sweep and each junction's response.

    `field_A_per_m` (T,) along the sweep; `m_axis` (T, n) the easy-axis component of
    each junction; `resistance_ohm` (T,) the array's mean resistance at zero bias;
    `down_switch_A_per_m`, `up_switch_A_per_m` (n,) the field at which each junction
    first crossed $m_u = 0$ on the descending and ascending branch (NaN: it did not).
    """

    field_A_per_m: np.ndarray
    m_axis: np.ndarray
    resistance_ohm: np.ndarray
    down_switch_A_per_m: np.ndarray
    up_switch_A_per_m: np.ndarray

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
                "shift_A_per_m": self.shift_A_per_m}

    def save_json(self, path):
        with open(path, "w") as f:
            json.dump(self.to_json(), f, indent=1)

    def plot(self, path):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(5, 3.8))
        ax.plot(self.field_A_per_m / 1e3, self.resistance_ohm / 1e3, lw=1)
        ax.set(xlabel="H (kA/m)", ylabel="mean R (kOhm)",
               title=f"H_c = {self.coercive_field_A_per_m / 1e3:.1f} kA/m")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)


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
    """
    if not (np.isfinite(h_max_A_per_m) and h_max_A_per_m > 0):
        raise InvalidParameterError(f"h_max_A_per_m = {h_max_A_per_m}; the valid range "
                                    f"is (0, inf) A/m.")
    h_min = -h_max_A_per_m if h_min_A_per_m is None else float(h_min_A_per_m)
    if not h_min < h_max_A_per_m:
        raise InvalidParameterError(f"h_min_A_per_m = {h_min} must be below h_max_A_per_m"
                                    f" = {h_max_A_per_m}.")
    if int(n) < 1:
        raise InvalidParameterError(f"n = {n}: an empty array; the valid range is [1, inf).")
    steps = int(round(sweep_time_s / dt))
    every = max(1, steps // points)
    steps = every * max(1, steps // every)
    t1 = steps * dt
    dtype = jnp.result_type(device.model.layer.Ms, jnp.float32)
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
        m0 = (device.thermal_state(k0, (int(n),), well=start_well)
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
                  _crossing(field, m_u, ascending))
