"""Device-to-device variation: arrays of devices drawn from parameter distributions."""

import inspect
import numbers
from collections.abc import Callable, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._params import InvalidParameterError
from .._validate import check_int, check_real


def _check_sigma(owner, sigma):
    """A concrete relative sigma must be a finite number in [0, 1)."""
    if isinstance(sigma, jax.core.Tracer):
        return
    check_real(f"{owner}.relative_sigma", sigma, 0.0, 1.0, closed_hi=False)


class Normal(eqx.Module):
    """$x = x_0 (1 + s z)$, $z \\sim N(0, 1)$: a normal spread of relative sigma $s$."""

    relative_sigma: float

    def __check_init__(self):
        _check_sigma(type(self).__name__, self.relative_sigma)

    def draw(self, key, nominal, shape, dtype):
        z = jax.random.normal(key, shape, dtype)
        return jnp.asarray(nominal, dtype) * (1 + self.relative_sigma * z)


class LogNormal(eqx.Module):
    """$x = x_0 \\exp(s z)$, $z \\sim N(0, 1)$: a lognormal spread with median $x_0$
    and log-sigma $s$ (never changes the sign; right for damping, RA, K)."""

    relative_sigma: float

    def __check_init__(self):
        _check_sigma(type(self).__name__, self.relative_sigma)

    def draw(self, key, nominal, shape, dtype):
        z = jax.random.normal(key, shape, dtype)
        return jnp.asarray(nominal, dtype) * jnp.exp(self.relative_sigma * z)


def _check(n, spreads, params):
    if isinstance(n, numbers.Integral) and not isinstance(n, bool) and n < 1:
        raise InvalidParameterError(
            f"n = {n}: an empty array of devices; the valid range of n is [1, inf).")
    check_int("n", n)
    if not isinstance(spreads, Mapping):
        raise InvalidParameterError(f"spreads = {spreads!r}; it must be a mapping from "
                                    "parameter names to Normal or LogNormal.")
    for name, spread in spreads.items():
        if name not in params:
            raise InvalidParameterError(
                f"spreads names {name!r}, which is not a parameter of the preset; its "
                f"parameters are {sorted(params)}.")
        if not isinstance(spread, (Normal, LogNormal)):
            raise InvalidParameterError(f"spreads[{name!r}] must be Normal or LogNormal; "
                                        f"got {type(spread).__name__}.")
        s = float(spread.relative_sigma)
        if not (np.isfinite(s) and 0 <= s < 1):
            raise InvalidParameterError(
                f"spreads[{name!r}].relative_sigma = {s}; the valid range is [0, 1).")


def sample_devices(key, preset: Callable, n: int, spreads: Mapping[str, object],
                   dtype=None, **nominal):
    r"""An array of `n` devices whose parameters scatter around the preset's values.

    ``sample_devices(key, vcma_mtj, 1000, {"diameter_m": Normal(0.03),
    "K_i0": Normal(0.02), "alpha": LogNormal(0.1)})`` calls ``vcma_mtj`` with arrays of
    shape (n,) for the named parameters (each from its own subkey, so adding a spread
    does not change the others' draws) and the preset's defaults, or `nominal`
    overrides, for the rest. Every device of the array has its own value; the result
    is one device pytree whose leaves have shape (n,), ready for one
    [`spinjax.simulate`][] over the array. Draws that leave a parameter's physical
    range (a negative diameter from a wide normal) raise the preset's
    [`spinjax.InvalidParameterError`][] naming it.

    Typical spreads reported for CoFeB/MgO junctions: diameter 2-5 %, thicknesses
    1-3 %, $K_i$ 1-3 %, $\xi$ 5-10 %, $\alpha$ 10-20 %, $M_s$ 2-5 %.
    """
    params = inspect.signature(preset).parameters
    _check(n, spreads, params)
    dtype = dtype or jnp.result_type(float)
    drawn = {}
    for name in sorted(spreads):
        sub = jax.random.fold_in(key, int.from_bytes(name.encode()[:4], "little"))
        base = nominal.pop(name, params[name].default)
        drawn[name] = spreads[name].draw(sub, base, (int(n),), dtype)
    return preset(**nominal, **drawn)
