"""Switching outcomes of a pulse as functions of per-junction parameters: what the
estimators differentiate."""

import inspect
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from .._increments import AbstractIncrements, RademacherIncrements
from .._params import InvalidParameterError
from .._pulses.shapes import Trapezoid
from .._simulate import simulate
from .._validate import check_real


def check_timing(*, dt, start_well, thermal_t_s, **times_s):
    """The timing keywords of an outcome: `dt` > 0 s, `thermal_t_s` > 0 s, each of
    `times_s` >= 0 s (a negative settling time would end the window before the pulse
    and report P = 0), and `start_well` +1 or -1."""
    check_real("dt", dt, 0.0, closed_lo=False, unit="s")
    check_real("thermal_t_s", thermal_t_s, 0.0, closed_lo=False, unit="s")
    for name, value in times_s.items():
        check_real(name, value, 0.0, unit="s")
    if isinstance(start_well, bool) or start_well not in (1, -1):
        raise InvalidParameterError(f"start_well = {start_well!r}; valid values are +1 and "
                                    "-1.")


def pair_size(params: dict) -> int:
    """n of the (2n,) leading axis that every per-junction parameter shares (antithetic
    pairs: junction j and j + n); raises if the sizes differ or are odd."""
    sizes = {int(np.shape(v)[0]) for v in params.values() if np.ndim(v)}
    if len(sizes) != 1 or next(iter(sizes)) % 2:
        raise InvalidParameterError(f"params must share one even leading size (2n); "
                                    f"got sizes {sorted(sizes)}.")
    return sizes.pop() // 2


def switched_pairs(dev, make_pulse: Callable, key, *, n: int, t1: float, dt: float,
                   input_name: str, start_well: int, thermal_t_s: float,
                   noise: AbstractIncrements):
    """Run (2, n) junctions of `dev` from a Boltzmann state of `start_well` under the
    pulse ``make_pulse(dtype)``, pairs sharing noise; 1 where a junction ended in the
    other well, shape (2n,)."""
    k0, k1 = jax.random.split(key)
    m0 = dev.thermal_state(k0, (2, n), well=start_well, t_s=thermal_t_s,
                           common_noise_axes=1)
    sol = simulate(dev.model, m0, t1=float(t1), dt=dt, key=k1,
                   drive=Drive(**{input_name: make_pulse(m0.dtype)}), noise=noise,
                   common_noise_axes=1)
    u = jnp.asarray(dev.easy_axis, sol.m.dtype)
    return (start_well * (sol.m @ u) < 0).reshape(2 * n)


def pulse_outcome(preset: Callable, *, start_s: float = 0.1e-9, edge_s: float = 30e-12,
                  settle_s: float = 1.5e-9, dt: float = 2e-12,
                  input_name: str = "voltage_V", start_well: int = 1,
                  thermal_t_s: float = 1e-9,
                  noise: AbstractIncrements = RademacherIncrements(), **fixed) -> Callable:
    r"""``outcome(params, key) -> b``: whether each junction switched under a trapezoidal
    pulse, for [`spinjax.smoothed_probability`][spinjax.estimators.smoothed_probability] and
    the pulse designers.

    `params` is a dict of per-junction arrays of shape (2n,) (antithetic pairs: junction
    j and j + n share their initial state and thermal noise) with keys among
    ``"amplitude"`` (the pulse amplitude, unit of `input_name`), ``"width_s"`` (the
    plateau, s) and any keyword argument of `preset` (``alpha``, ``temperature_K``,
    ``K_i0``, ...). Parameters not in `params` come from `fixed` or the preset's
    defaults; `fixed` must give ``amplitude`` and ``width_s`` if `params` does not.

    Each junction starts in `start_well`, drawn from the Boltzmann distribution at its
    own temperature ([`spinjax.devices.MTJ.thermal_state`][] for `thermal_t_s`), gets
    the pulse after `start_s` (edges `edge_s`), relaxes for `settle_s`, and counts as
    switched if it ends in the other well. Everything is one [`spinjax.simulate`][]
    over the (2, n) array with ``common_noise_axes=1``.
    """
    check_timing(dt=dt, start_well=start_well, thermal_t_s=thermal_t_s, start_s=start_s,
                 edge_s=edge_s, settle_s=settle_s)
    names = set(inspect.signature(preset).parameters)

    def outcome(params, key):
        unknown = set(params) - names - {"amplitude", "width_s"}
        if unknown:
            raise InvalidParameterError(
                f"parameters {sorted(unknown)} are neither amplitude, width_s nor "
                f"arguments of {preset.__name__}: {sorted(names)}.")
        merged = {**fixed, **params}
        if "amplitude" not in merged or "width_s" not in merged:
            raise InvalidParameterError("pulse_outcome needs amplitude and width_s, as "
                                        "parameters or fixed keywords.")
        n = pair_size(params)

        def pair(x):
            x = jnp.asarray(x)
            return jnp.reshape(x, (2, n)) if x.ndim else x

        dev = preset(**{k: pair(v) for k, v in merged.items()
                        if k not in ("amplitude", "width_s")})

        def make_pulse(dtype):  # in the state's precision
            c = lambda x: jnp.asarray(x, dtype)  # noqa: E731
            return Trapezoid(c(pair(merged["amplitude"])), c(start_s),
                             c(pair(merged["width_s"])), c(edge_s), c(edge_s))

        width_max = float(np.max(np.asarray(merged["width_s"])))
        t1 = dt * np.ceil((start_s + 2 * edge_s + width_max + settle_s) / dt - 1e-9)
        return switched_pairs(dev, make_pulse, key, n=n, t1=t1, dt=dt,
                              input_name=input_name, start_well=start_well,
                              thermal_t_s=thermal_t_s, noise=noise)

    return outcome


def array_pulse_outcome(device, *, width_s: float, start_s: float = 0.1e-9,
                        edge_s: float = 30e-12, settle_s: float = 1.5e-9, dt: float = 2e-12,
                        input_name: str = "voltage_V", start_well: int = 1,
                        thermal_t_s: float = 1e-9,
                        noise: AbstractIncrements = RademacherIncrements()) -> Callable:
    r"""``outcome(params, key) -> b`` of shape (2n, J) for an array of J devices
    (`device` with leaves of shape (J,) or scalars), each with its own pulse amplitude:
    `params` = ``{"amplitude": (2n, J)}``; trial i of junction j and trial i + n share
    noise and initial state. For per-junction calibration
    ([`spinjax.tune_to_probability`][spinjax.design.tune_to_probability] with an amplitude
    of shape (J,))."""
    check_timing(dt=dt, start_well=start_well, thermal_t_s=thermal_t_s, start_s=start_s,
                 edge_s=edge_s, settle_s=settle_s)
    check_real("width_s", width_s, 0.0, closed_lo=False, unit="s")

    def outcome(params, key):
        if set(params) != {"amplitude"}:
            raise InvalidParameterError(f"array_pulse_outcome takes only 'amplitude'; got "
                                        f"{sorted(params)}.")
        a = jnp.asarray(params["amplitude"])
        if a.ndim != 2 or a.shape[0] % 2:
            raise InvalidParameterError(f"amplitude must have shape (2n, J); got {a.shape}.")
        n2, j = a.shape
        k0, k1 = jax.random.split(key)
        m0 = device.thermal_state(k0, (2, n2 // 2, j), well=start_well, t_s=thermal_t_s,
                                  common_noise_axes=1)
        c = lambda x: jnp.asarray(x, m0.dtype)  # noqa: E731
        pulse = Trapezoid(c(a.reshape(2, n2 // 2, j)), c(start_s), c(width_s), c(edge_s),
                          c(edge_s))
        t1 = dt * np.ceil((start_s + 2 * edge_s + width_s + settle_s) / dt - 1e-9)
        sol = simulate(device.model, m0, t1=float(t1), dt=dt, key=k1,
                       drive=Drive(**{input_name: pulse}), noise=noise,
                       common_noise_axes=1)
        u = jnp.asarray(device.easy_axis, sol.m.dtype)
        return (start_well * (sol.m @ u) < 0).reshape(n2, j)

    return outcome


def paired_difference(outcome: Callable, params: dict, name: str, step, key, n: int):
    r"""The central finite difference of the switching probability with common random
    numbers: $[P(\theta + h e_k) - P(\theta - h e_k)]/(2h)$ from n pairs that share
    their noise, with its standard error. Returns (estimate, standard error)."""
    pp = {}
    for k, v in params.items():
        h = step if k == name else 0.0
        pp[k] = jnp.concatenate([jnp.full((n,), v + h), jnp.full((n,), v - h)])
    b = np.asarray(outcome(pp, key), np.float64)
    d = (b[:n] - b[n:]) / (2 * step)
    return float(d.mean()), float(d.std() / np.sqrt(n))
