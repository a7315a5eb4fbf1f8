"""Switching experiments on junction arrays: probability maps P_sw(amplitude, width),
the precessional window and write error rates."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from .._increments import AbstractIncrements, GaussianIncrements
from .._params import InvalidParameterError, float_dtype
from .._pulses.shapes import Trapezoid
from .._simulate import simulate
from .._validate import check_choice, check_int, check_key, check_real
from ..constants import GAMMA0
from ..devices.mtj import MTJ
from ._args import broadcasts, finite_array, initial_thermal_state
from ._stats import wilson_interval

_INPUTS = ("voltage_V", "j_sot_A_per_m2", "j_stt_A_per_m2", "field_A_per_m")


@dataclasses.dataclass(frozen=True)
class SwitchingMap:
    """Counts of switched junctions on a grid of pulse amplitudes and widths.

    `switched[i, j]` of `trials` junctions switched at width `widths_s[i]` and
    amplitude `amplitudes[j]` (unit: `input_name`'s). `p`, `ci_low`, `ci_high` are
    the estimate and its Wilson 95 % interval.
    """

    amplitudes: np.ndarray
    widths_s: np.ndarray
    switched: np.ndarray
    trials: int
    input_name: str

    @property
    def p(self) -> np.ndarray:
        return self.switched / self.trials

    @property
    def ci(self):
        return wilson_interval(self.switched, self.trials)

    def to_json(self) -> dict:
        lo, hi = self.ci
        return {"input": self.input_name, "amplitudes": self.amplitudes.tolist(),
                "widths_s": self.widths_s.tolist(), "trials": int(self.trials),
                "switched": self.switched.tolist(), "p_sw": self.p.tolist(),
                "wilson95_low": lo.tolist(), "wilson95_high": hi.tolist()}

    def save_json(self, path):
        with open(path, "w") as f:
            json.dump(self.to_json(), f, indent=1)

    def plot(self, path=None):
        """The ``matplotlib.figure.Figure``, built without pyplot (the backend and open
        figures stay the user's; a notebook shows it inline); also written as a PNG to
        `path` when one is given."""
        from matplotlib.figure import Figure   # no pyplot: no global figure state
        lo, hi = self.ci
        two = len(self.widths_s) > 1
        fig = Figure(figsize=(10 if two else 5, 3.8))
        axes = fig.subplots(1, 2 if two else 1, squeeze=False)
        ax = axes[0, 0]
        for i, w in enumerate(self.widths_s):
            ax.errorbar(self.amplitudes, self.p[i],
                        yerr=np.maximum([self.p[i] - lo[i], hi[i] - self.p[i]], 0),
                        marker="o", ms=3, capsize=2, label=f"{w * 1e9:.3g} ns")
        ax.set(xlabel=f"amplitude ({self.input_name})", ylabel="P_sw (Wilson 95 %)")
        ax.legend(fontsize=7, title="width")
        if len(self.widths_s) > 1:
            im = axes[0, 1].pcolormesh(self.amplitudes, self.widths_s * 1e9, self.p,
                                       vmin=0, vmax=1, shading="nearest", cmap="viridis")
            axes[0, 1].set(xlabel=f"amplitude ({self.input_name})", ylabel="width (ns)")
            fig.colorbar(im, ax=axes[0, 1], label="P_sw")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig


def switching_map(device: MTJ, amplitudes, widths_s, *, n: int, key, dt: float = 2e-12,
                  edge_s: float = 20e-12, delay_s: float = 0.1e-9, settle_s: float = 1e-9,
                  input_name: str = "voltage_V", start_well: int = 1, m0=None,
                  noise: AbstractIncrements = GaussianIncrements()) -> SwitchingMap:
    r"""$P_\mathrm{sw}$ of `n` junctions for every (width, amplitude) pair: one solve.

    Each junction starts in the `start_well` of the device's easy axis (drawn from
    the Boltzmann distribution by [`MTJ.thermal_state`][spinjax.devices.MTJ.thermal_state],
    or `m0` of shape (n, 3)), receives a trapezoidal pulse (`edge_s` rise and fall, plateau
    `width`) on the drive `input_name` after `delay_s`, and relaxes for `settle_s`; it has
    switched if it ends in the other well. The grid is put on the junction axes, shape
    (widths, amplitudes, n), so one jitted [`spinjax.simulate`][] covers the map;
    the same n initial states are used at every grid point (common random numbers),
    each grid point has its own thermal noise. A device with variation (leaves of
    shape (n,)) is the same array of devices at every grid point.
    """
    amps = finite_array("amplitudes", amplitudes)
    widths = finite_array("widths_s", widths_s, 0.0, "s")
    check_choice("input_name", input_name, _INPUTS[:3])
    key = check_key("key", key)
    n = check_int("n", n)
    dt = check_real("dt", dt, 0.0, closed_lo=False, unit="s")
    for name, value in (("edge_s", edge_s), ("delay_s", delay_s), ("settle_s", settle_s)):
        check_real(name, value, 0.0, unit="s")
    check_choice("start_well", start_well, (1, -1))
    if m0 is not None:
        shape = np.shape(m0)
        if not broadcasts(shape, (len(widths), len(amps), n, 3)):
            raise InvalidParameterError(f"m0 has shape {shape}; it must broadcast to "
                                        f"(n, 3) = ({n}, 3).")
    dtype = float_dtype(device.model.layer.Ms)
    k_init, k_run = jax.random.split(key)
    if m0 is None:
        m0 = initial_thermal_state(device, k_init, (n,), start_well, dt)
    m0 = jnp.broadcast_to(jnp.asarray(m0, dtype), (len(widths), len(amps), n, 3))
    pulse = Trapezoid(amplitude=jnp.asarray(amps, dtype)[None, :, None],
                      start_s=jnp.asarray(delay_s, dtype),
                      width_s=jnp.asarray(widths, dtype)[:, None, None],
                      rise_s=jnp.asarray(edge_s, dtype), fall_s=jnp.asarray(edge_s, dtype))
    t1 = delay_s + float(widths.max()) + 2 * edge_s + settle_s
    t1 = dt * np.ceil(t1 / dt - 1e-9)
    sol = simulate(device.model, m0, t1=float(t1), dt=dt, key=k_run,
                   drive=Drive(**{input_name: pulse}), noise=noise)
    u = jnp.asarray(device.easy_axis, dtype)
    switched = jnp.sum((start_well * (sol.m @ u)) < 0, axis=-1)
    return SwitchingMap(amps, widths, np.asarray(switched), n, input_name)


def first_maximum(widths_s, p, fraction: float = 0.9) -> float:
    r"""The width (s) at the centre of the first window where $P_\mathrm{sw}(w)$ is at
    least `fraction` of its maximum: the first precessional peak (robust to the
    $P \approx 1/2$ shoulder a pulse leaves when it ends with $\mathbf m$ above the
    saddle energy, where the outcome is decided by damping and noise)."""
    w = finite_array("widths_s", widths_s)
    p = finite_array("p", p, 0.0)
    if p.shape != w.shape:
        raise InvalidParameterError(f"p has shape {p.shape} and widths_s {w.shape}; "
                                    "they must match.")
    fraction = check_real("fraction", fraction, 0.0, 1.0, closed_lo=False)
    if not p.max() > 0:
        raise InvalidParameterError("p is 0 at every width: nothing switched, so there is "
                                    "no maximum (widen the range of widths or raise the "
                                    "amplitude).")
    high = p >= fraction * p.max()
    first = int(np.argmax(high))
    last = first
    while last + 1 < len(p) and high[last + 1]:
        last += 1
    return float(0.5 * (w[first] + w[last]))


def half_precession_period_s(field_A_per_m) -> float:
    r"""$\pi / (\gamma_0 H)$: half the period of free precession about a field $H$ (A/m),
    where a compensated ($K_\mathrm{eff}(V) = 0$) VCMA junction, started near
    $+\hat z$, reaches $-\hat z$ (the first maximum of the precessional window)."""
    h = check_real("field_A_per_m", field_A_per_m, unit="A/m")
    if h == 0:
        raise InvalidParameterError("field_A_per_m = 0: a field of zero does not precess "
                                    "the magnetization (infinite period); it must be "
                                    "non-zero.")
    return float(np.pi / (GAMMA0 * abs(h)))


# The write error rate of any pulse (brute force or splitting) lives in spinjax._wer;
# the same objects are spinjax.experiments' and spinjax.wer's.
from .._wer import WriteErrorRate, write_error_rate  # noqa: E402
