r"""Non-idealities of a junction-array TRNG, each a switch passed to
[`run_trng`][spinjax.trng.run_trng] (``None``: ideal).

- [`IncompleteReset`][spinjax.trng.IncompleteReset]: the reset of a junction fails with
  probability $r$ and the previous cycle's state is carried into the write.
- [`Heating`][spinjax.trng.Heating]: the array warms with the duty cycle of the write
  pulses.
- [`Drift`][spinjax.trng.Drift]: the write voltage seen by each junction random-walks from
  cycle to cycle (equivalently a drift of $K_{i0}$).
- [`StuckJunctions`][spinjax.trng.StuckJunctions]: a fraction of the junctions always reads
  one value.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, PRNGKeyArray

from .._params import InvalidParameterError
from .._validate import check_real


def _check(name, value, lo, hi, closed_hi=False):
    check_real(name, value, lo, hi, closed_hi=closed_hi)


class IncompleteReset(eqx.Module):
    r"""Each junction's reset fails independently with probability `probability`
    $r \in [0, 1]$ per cycle; a failed reset leaves the state the previous write left.

    For a write that switches a junction out of the reset well (+) with probability
    $p_+$ and out of the other well (-) with probability $p_-$ (a precessional write
    toggles), bits are a two-state Markov chain with
    $P(1\mid 1) = r(1 - p_-) + (1 - r)p_+$ and $P(1\mid 0) = p_+$, so the lag-1
    correlation between consecutive cycles is

    $$\rho_1 = P(1\mid 1) - P(1\mid 0) = r\,(1 - p_+ - p_-),$$

    which vanishes at $p_+ = p_- = 1/2$ (a toggle at $p = 1/2$ forgets the start) and is
    $r(1 - 2p)$ for a symmetric write ($p_+ = p_- = p$); see
    [`incomplete_reset_correlation`][spinjax.trng.incomplete_reset_correlation].
    """

    probability: float

    def __check_init__(self):
        _check("IncompleteReset.probability", self.probability, 0.0, 1.0, closed_hi=True)

    def failed(self, key: PRNGKeyArray, shape) -> Bool[Array, "*N"]:
        return jax.random.bernoulli(key, self.probability, shape)


def incomplete_reset_correlation(r, p_plus, p_minus=None):
    """The predicted lag-1 correlation $r(1 - p_+ - p_-)$ of
    [`IncompleteReset`][spinjax.trng.IncompleteReset] (dimensionless; `p_minus` defaults to
    `p_plus`)."""
    p_minus = p_plus if p_minus is None else p_minus
    for name, v in (("r", r), ("p_plus", p_plus), ("p_minus", p_minus)):
        if isinstance(v, (int, float)):   # a concrete number; arrays pass through
            _check(name, v, 0.0, 1.0, closed_hi=True)
    return r * (1 - p_plus - p_minus)


class Heating(eqx.Module):
    r"""Joule heating with the duty cycle $D$ of the write pulses: the array
    temperature in cycle $n$ is

    $$T_n = T_0 + \Delta T_\mathrm{full}\, D\, (1 - e^{-n/\tau}),$$

    a first-order thermal response of time constant `tau_cycles` $\tau$ (in cycles) to
    the mean power, whose steady rise is `rise_at_full_duty_K` $\Delta T_\mathrm{full}$
    (K) times $D$ ([`CycleSchedule.duty`][spinjax.trng.CycleSchedule.duty]). $T_0$ is the
    device's temperature. A hotter junction has a larger thermal field and a lower barrier,
    so $p$ drifts over the first $\tau$ cycles.
    """

    rise_at_full_duty_K: float
    tau_cycles: float = 1.0

    def __check_init__(self):
        _check("Heating.rise_at_full_duty_K", self.rise_at_full_duty_K, 0.0, math.inf)
        _check("Heating.tau_cycles", self.tau_cycles, 1e-12, math.inf)

    def temperature_K(self, t0_K, duty: float, n) -> Float[Array, "*N"]:
        t0_K = jnp.asarray(t0_K)
        n = jnp.asarray(n).astype(t0_K.dtype)
        return t0_K + self.rise_at_full_duty_K * duty * (1 - jnp.exp(-n / self.tau_cycles))


class Drift(eqx.Module):
    r"""A random walk of the write voltage seen by each junction:
    $\delta V_{n+1} = \delta V_n + \sigma z_n$, $z_n \sim N(0, 1)$ independent per
    junction and cycle, $\sigma$ = `sigma_V` (V per cycle), $\delta V_0 = 0$.

    A drift of the interfacial anisotropy is the same thing for the VCMA term:
    $K_i(V) = K_{i0} - \xi V/t_{ox}$, so $\delta K_{i0} \equiv -\xi\,\delta V / t_{ox}$
    (use ``sigma_V = t_ox * sigma_K / xi``; only the small spin-transfer current of the
    pulse differs). Near $p = 1/2$ the bias wanders as $\epsilon_n \approx p'(V)\,
    \delta V_n$ with variance $p'^2 \sigma^2 n$.
    """

    sigma_V: float

    def __check_init__(self):
        _check("Drift.sigma_V", self.sigma_V, 0.0, math.inf)

    def step(self, key: PRNGKeyArray, offset: Float[Array, "*N"]) -> Float[Array, "*N"]:
        return offset + self.sigma_V * jax.random.normal(key, offset.shape, offset.dtype)


class StuckJunctions(eqx.Module):
    r"""A fraction `fraction` of the junctions (drawn once per run, independently with
    that probability) always reads `value` (0: a shorted barrier reads parallel;
    1: a stuck antiparallel free layer). The array bias grows by
    $f\,(v - \bar b)$ and those junctions' streams are constant."""

    fraction: float
    value: int = 0

    def __check_init__(self):
        _check("StuckJunctions.fraction", self.fraction, 0.0, 1.0, closed_hi=True)
        if isinstance(self.value, bool) or self.value not in (0, 1):
            raise InvalidParameterError(f"StuckJunctions.value = {self.value!r}; valid "
                                        "values are 0 and 1.")

    def mask(self, key: PRNGKeyArray, shape) -> Bool[Array, "*N"]:
        return jax.random.bernoulli(key, self.fraction, shape)
