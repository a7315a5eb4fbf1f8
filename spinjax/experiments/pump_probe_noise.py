r"""Measurement noise of paper B's pump-probe reads: Gaussian voltage noise per read, a
linear drift and a constant voltage offset, added to clean simulated reads in the
experiment's read order (the data that `spinjax.experiments.pump_probe_fit`
fits), and the shared checks of noise levels and data."""

import jax
import jax.numpy as jnp
import numpy as np

from .._params import InvalidParameterError
from ..devices.hallbar import HallBar
from .pump_probe import PumpProbeResult, analyse_pump_probe


def _concrete(*xs) -> bool:
    return not any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(xs))


def _check_positive(name, x):
    if _concrete(x) and not (np.all(np.isfinite(x)) and np.all(np.asarray(x) > 0)):
        raise InvalidParameterError(f"{name} = {x!r} is outside the valid range (0, inf): "
                                    "give the stated noise rms, a positive number.")


def _check_finite(**arrays):
    for name, x in arrays.items():
        bad = ~np.isfinite(np.asarray(x, np.float64)) if _concrete(x) else np.zeros(1, bool)
        if bad.any():
            raise InvalidParameterError(
                f"{name} holds {int(bad.sum())} non-finite value(s) (NaN or inf) of "
                f"{bad.size}; drop or re-measure those points before fitting.")


def read_noise_ohm(bar: HallBar, j_probe: float, voltage_rms_V: float) -> float:
    r"""Resistance noise per read, $\sigma_R = \sigma_V/|I|$ in Ohm, for a voltage noise
    $\sigma_V$ (V rms per read) at the probe current $I$ of HM current density `j_probe`
    (A/m$^2$; [`HallBar.current_A`][spinjax.devices.HallBar.current_A])."""
    _check_positive("voltage_rms_V", voltage_rms_V)
    return float(voltage_rms_V) / abs(float(bar.current_A(j_probe)))


def noisy_reads(key, loop_d, r_plus, r_minus, sigma_ohm, drift_ohm_per_read=0.0,
                offset_ohm=0.0):
    r"""Add read noise and drift to clean pump-probe reads (pure; `vmap` over `key`).

    The experiment's read order: every loop point (branch, width, pump, in C order), then
    every field of the sweep (branch, field in the stored order), each read at $+j$
    (read $2n$) then $-j$ (read $2n+1$). Read $r$ at probe sign $p = \pm1$ gets
    $\epsilon_r + \dot R\,r + pR_e/2$, $\epsilon_r\sim\mathcal N(0, \sigma_R^2)$
    independent, $R_e/2 = V_\mathrm{off}/|I|$ a constant voltage offset (thermoelectric,
    amplifier) read as a resistance, so

    $$D = R(+j) - R(-j) \to D + \epsilon_{2n} - \epsilon_{2n+1} - \dot R + R_e$$

    (loops store $D$ only; its noise rms is $\sqrt2\sigma_R$). **Arguments:** `key` a
    PRNG key; `loop_d` (2, W, P), `r_plus`, `r_minus` (2, F) in Ohm; `sigma_ohm`
    $\sigma_R > 0$ in Ohm; `drift_ohm_per_read` $\dot R$ in Ohm per read; `offset_ohm`
    $R_e$ in Ohm. **Returns** the three arrays, noisy.
    """
    _check_positive("sigma_ohm", sigma_ohm)
    _check_finite(loop_d=loop_d, sweep_r_plus=r_plus, sweep_r_minus=r_minus)
    dt = jnp.result_type(float)
    loop_d, r_plus, r_minus = (jnp.asarray(x, dt) for x in (loop_d, r_plus, r_minus))
    nl, ns = loop_d.size, r_plus.size
    eps = jnp.asarray(sigma_ohm, dt) * jax.random.normal(key, (2, nl + ns), dt)
    drift, off = jnp.asarray(drift_ohm_per_read, dt), jnp.asarray(offset_ohm, dt) / 2
    d = loop_d + (eps[0, :nl] - eps[1, :nl]).reshape(loop_d.shape) - drift + 2 * off
    read = 2.0 * (nl + jnp.arange(ns, dtype=dt))
    rp = r_plus + (eps[0, nl:] + drift * read + off).reshape(r_plus.shape)
    rm = r_minus + (eps[1, nl:] + drift * (read + 1) - off).reshape(r_minus.shape)
    return d, rp, rm


def add_measurement_noise(result: PumpProbeResult, bar: HallBar, key, *,
                          voltage_rms_V: float, drift_ohm_per_read: float = 0.0,
                          offset_V: float = 0.0) -> PumpProbeResult:
    r"""`result` with noisy reads ([`noisy_reads`][spinjax.experiments.noisy_reads] with
    $\sigma_R$ = [`read_noise_ohm`][spinjax.experiments.read_noise_ohm]), re-analysed by
    [`analyse_pump_probe`][spinjax.experiments.analyse_pump_probe] so that every extracted
    field belongs to the noisy data. `voltage_rms_V`: V rms per read, $> 0$ (0.225 uV at the
    0.225 mA probe of the W preset is 1 mOhm, about half the UMR part of one read);
    `drift_ohm_per_read`: Ohm per read; `offset_V`: a constant voltage offset
    $V_\mathrm{off}$ in V ($R_e = 2V_\mathrm{off}/|I|$)."""
    sigma = read_noise_ohm(bar, result.j_probe, voltage_rms_V)
    r_e = 2 * sigma * float(offset_V) / float(voltage_rms_V)
    d, rp, rm = (np.asarray(x, np.float64) for x in noisy_reads(
        key, result.loop_d, result.sweep_r_plus, result.sweep_r_minus, sigma,
        drift_ohm_per_read, r_e))
    return analyse_pump_probe(bar, result.j_pump, result.widths_s, result.h_sweep, d, rp,
                              rm, result.j_probe, result.h_x)
