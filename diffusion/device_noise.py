r"""Standard normals made from the switching outcomes of a junction array.

Two sources with the interface of [`diffusion.noise.AbstractNoiseSource`][]:

- [`DevicePhysicalNoise`][diffusion.device_noise.DevicePhysicalNoise]: every bit is one
  simulated write of one junction of a spinjax array (reset, sLLG write under the schedule's
  pulse, read), run inside the sampler's jitted loop: ``ceil(n_normals x bits_per_normal /
  N)`` write cycles of the whole array per draw. Non-idealities are switches: the pulse
  amplitude (bias), device-to-device variation (a varied device pytree), incomplete reset
  (correlation between cycles) and stuck junctions.
- [`DeviceCalibratedNoise`][diffusion.device_noise.DeviceCalibratedNoise]: each junction is
  a two-state Markov chain whose $P(1\mid 0)$ and $P(1\mid 1)$ were measured from a physical
  run ([`calibrate`][diffusion.device_noise.calibrate]): the same per-junction bias and
  lag-1 correlation at the cost of a Bernoulli draw.

Bits become Gaussians by [`BitsToGaussian`][diffusion.device_noise.BitsToGaussian]
(spinjax's inverse-CDF, Box-Muller or central-limit schemes, optionally after XOR of several
bits per bit). Bit order: cycle $n$ gives bits $b_{n,0..N-1}$ of all junctions, and
consecutive bits of a k-bit uniform come from neighbouring junctions of the same cycle.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import spinjax as sj
from spinjax.trng import (
    CycleSchedule, IncompleteReset, StuckJunctions, reset_start, reset_state, write_cycle)

from .errors import DeviceNoiseError
from .noise import AbstractNoiseSource

SCHEMES = ("inverse_cdf", "box_muller", "clt")


class BitsToGaussian(eqx.Module):
    r"""Bits to N(0, 1): ``scheme`` "inverse_cdf" ($\Phi^{-1}$ of a `k`-bit uniform),
    "box_muller" (pairs from two `k`-bit uniforms) or "clt" (standardized sum of `k`
    bits); each bit first the XOR of `xor` raw bits (a bias $\epsilon$ becomes
    $2^{x-1}\epsilon^x$, for independent bits)."""

    scheme: str = eqx.field(static=True, default="inverse_cdf")
    k: int = eqx.field(static=True, default=10)
    xor: int = eqx.field(static=True, default=1)

    def __check_init__(self):
        if self.scheme not in SCHEMES:
            raise DeviceNoiseError(f"scheme = {self.scheme!r}; valid schemes are {SCHEMES}.")
        if not (isinstance(self.k, int) and 1 <= self.k <= 24):
            raise DeviceNoiseError(f"k = {self.k!r}; the valid range is 1 to 24 bits.")
        if not (isinstance(self.xor, int) and self.xor >= 1):
            raise DeviceNoiseError(f"xor = {self.xor!r}; the valid range is 1 to inf.")

    @property
    def bits_per_normal(self) -> int:
        """Raw bits consumed per standard normal."""
        return self.k * self.xor

    def __call__(self, bits, n: int):
        """`n` normals from at least ``n * bits_per_normal`` raw bits (a flat array)."""
        bits = bits[: n * self.bits_per_normal].astype(jnp.uint8)
        if self.xor > 1:
            bits = sj.xor_streams(bits.reshape(self.xor, -1), self.xor, axis=0).reshape(-1)
        fn = dict(inverse_cdf=sj.gaussian_inverse_cdf, box_muller=sj.gaussian_box_muller,
                  clt=sj.gaussian_clt)[self.scheme]
        return fn(bits, self.k)[:n]


def _cycles_for(n_normals: int, to_gaussian: BitsToGaussian, junctions: int) -> int:
    return math.ceil(n_normals * to_gaussian.bits_per_normal / junctions)


class DevicePhysicalNoise(AbstractNoiseSource):
    """Normals from simulated writes of `junctions` junctions of `device` (a
    [`spinjax.devices.MTJ`][], parameters scalar or of shape (junctions,)) under
    `schedule` at `amplitude_V` (V, scalar or per junction). State: ``(key, cycle,
    m, stuck_mask)``."""

    device: object
    schedule: CycleSchedule
    amplitude_V: object
    junctions: int = eqx.field(static=True)
    to_gaussian: BitsToGaussian = BitsToGaussian()
    reset: IncompleteReset | None = None
    stuck: StuckJunctions | None = None
    increments: sj.AbstractIncrements = sj.RademacherIncrements()

    def __check_init__(self):
        j = self.junctions
        if isinstance(j, bool) or not isinstance(j, (int, np.integer)) or j < 1:
            raise DeviceNoiseError(f"junctions = {j!r}; it must be an integer >= 1.")
        amp = self.amplitude_V
        if not isinstance(amp, jax.core.Tracer):
            try:
                arr = np.asarray(amp, dtype=float)
            except (TypeError, ValueError):
                arr = None
            if (arr is None or isinstance(amp, (bool, str)) or not np.all(np.isfinite(arr))
                    or arr.shape not in ((), (j,))):
                raise DeviceNoiseError(f"amplitude_V = {amp!r}; it must be a finite voltage in V, "
                                       f"a scalar or of shape ({j},).")

    def init(self, key):
        key, k_stuck = jax.random.split(key)
        mask = (self.stuck.mask(k_stuck, (self.junctions,)) if self.stuck is not None
                else jnp.zeros((self.junctions,), bool))
        m = reset_state(self.device, (self.junctions,))
        return (key, jnp.zeros((), jnp.int32), m, mask)

    def cycles(self, state, n_cycles: int):
        """`n_cycles` reset-write-read cycles of the array: bits (n_cycles, N), state."""
        key, count, m, mask = state
        m_eq = reset_state(self.device, (self.junctions,))
        m_op = reset_state(self.device, (self.junctions,), well=-1)
        u = jnp.asarray(self.device.easy_axis, m.dtype)
        amp = jnp.asarray(self.amplitude_V, m.dtype)

        def one(carry, i):
            m = carry
            k_reset, k_noise = jax.random.split(jax.random.fold_in(key, i), 2)
            start = reset_start(m, m_eq, m_op, u, self.reset, k_reset)
            bits, m_new = write_cycle(self.device, self.schedule, start, amp,
                                      k_noise, self.increments)
            if self.stuck is not None:
                bits = jnp.where(mask, jnp.uint8(self.stuck.value), bits)
            return m_new, bits

        m, bits = jax.lax.scan(one, m, count + jnp.arange(n_cycles, dtype=count.dtype))
        return bits, (key, count + n_cycles, m, mask)

    def sample(self, state, shape):
        n = math.prod(shape)
        bits, state = self.cycles(state, _cycles_for(n, self.to_gaussian, self.junctions))
        return self.to_gaussian(bits.reshape(-1), n).reshape(shape), state


class DeviceCalibratedNoise(AbstractNoiseSource):
    r"""Each junction a two-state Markov chain with the measured $P(1\mid 0)$ = `p10`
    and $P(1\mid 1)$ = `p11` (shape (N,)): its stationary bias is
    $p = p_{10}/(1 - p_{11} + p_{10})$ and its lag-1 correlation $p_{11} - p_{10}$.
    State: ``(key, last_bits)``."""

    p10: jax.Array
    p11: jax.Array
    to_gaussian: BitsToGaussian = BitsToGaussian()

    @property
    def junctions(self) -> int:
        return int(np.shape(self.p10)[0])

    def init(self, key):
        key, k0 = jax.random.split(key)
        p = self.p10 / (1 - self.p11 + self.p10)
        return (key, jax.random.bernoulli(k0, p).astype(jnp.uint8))

    def cycles(self, state, n_cycles: int):
        r"""`n_cycles` steps of every chain, shape (n_cycles, N), in parallel over the
        steps too. Step $t$ with uniform $u_t$ maps the last bit $b$ to
        $f_t(b) = [u_t < p_{1\mid b}]$; a map of {0, 1} into itself is the pair
        $(f_t(0), f_t(1))$, composition is associative, so
        ``lax.associative_scan`` gives every prefix $f_t\circ\dots\circ f_1$ in
        $O(\log n)$ depth and $b_t$ is that prefix applied to the state's bit. The
        bits are those of the sequential chain drawn with ``bernoulli(k_t, p)`` (the
        same uniforms); a ``lax.scan`` of `n_cycles` tiny steps was latency-bound on a
        GPU (7x the software sampler's time on an H100)."""
        key, last = state
        key, sub = jax.random.split(key)
        dtype = jnp.result_type(self.p10, self.p11)
        u = jax.vmap(lambda k: jax.random.uniform(k, last.shape, dtype))(
            jax.random.split(sub, n_cycles))
        f0, f1 = u < self.p10, u < self.p11

        def compose(a, b):   # b after a
            return jnp.where(a[0], b[1], b[0]), jnp.where(a[1], b[1], b[0])

        g0, g1 = jax.lax.associative_scan(compose, (f0, f1))
        bits = jnp.where(last == 1, g1, g0).astype(jnp.uint8)
        return bits, (key, bits[-1])

    def sample(self, state, shape):
        n = math.prod(shape)
        bits, state = self.cycles(state, _cycles_for(n, self.to_gaussian, self.junctions))
        return self.to_gaussian(bits.reshape(-1), n).reshape(shape), state


@eqx.filter_jit
def run_cycles(source, state, n_cycles: int):
    """``source.cycles(state, n_cycles)`` compiled (`n_cycles` a Python int, static):
    bits of shape (n_cycles, N) and the next state."""
    return source.cycles(state, n_cycles)


def _shrink(k, n):
    r"""Per-junction probabilities from `k` successes in `n` trials, shrunk towards the
    array's pooled value by empirical Bayes (James-Stein): with the pooled $\bar p$,
    the binomial variances $v_i = \bar p(1-\bar p)/n_i$ and the real spread
    $\tau^2 = \max(\mathrm{var}_i\,\hat p_i - \overline{v}, 0)$, each
    $p_i = \bar p + \tau^2/(\tau^2 + v_i)\,(\hat p_i - \bar p)$. A junction keeps its
    own deviation only as far as the spread between junctions exceeds counting noise, so
    an array of identical junctions calibrates to identical chains (and not to the
    +-0.035 scatter of 200 cycles)."""
    k, n = np.asarray(k, np.float64), np.asarray(n, np.float64)
    pooled = (k.sum() + 0.5) / (n.sum() + 1)
    raw = (k + 0.5) / (n + 1)
    v = pooled * (1 - pooled) / np.maximum(n, 1)
    tau2 = max(float(np.var(raw) - v.mean()), 0.0)
    return pooled + tau2 / (tau2 + v) * (raw - pooled)


def calibrate(source: DevicePhysicalNoise, key, cycles: int) -> DeviceCalibratedNoise:
    r"""Measure each junction's $P(1\mid 0)$ and $P(1\mid 1)$ from `cycles` simulated
    cycles of `source` (counts of the transitions, Jeffreys' $(k + 1/2)/(n + 1)$ per
    junction, shrunk towards the array's pooled value by `_shrink`) and return
    the calibrated source."""
    if not isinstance(cycles, int) or cycles < 2:
        raise DeviceNoiseError(f"cycles = {cycles!r}; the valid range is 2 to inf.")
    bits, _ = run_cycles(source, source.init(key), cycles)
    b = np.asarray(bits, np.float64)
    prev, nxt = b[:-1], b[1:]
    p10 = _shrink(((1 - prev) * nxt).sum(0), (1 - prev).sum(0))
    p11 = _shrink((prev * nxt).sum(0), prev.sum(0))
    return DeviceCalibratedNoise(jnp.asarray(p10, jnp.float32), jnp.asarray(p11, jnp.float32),
                                 source.to_gaussian)
