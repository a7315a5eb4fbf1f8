r"""Tuning the write amplitude for a target switching probability, and $p(V)$ maps.

$p(A)$ is the probability that one write from the reset state reads 1; it is
estimated from $n$ simulated junctions, $\hat p = \frac1n\sum_i b_i$, with sampling
sigma $\sigma_n = \sqrt{p(1-p)/n}$.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from .._increments import AbstractIncrements, RademacherIncrements
from .._params import InvalidParameterError
from .._validate import check_int, check_ordered, check_real
from .array import MAX_COUNT, _check_sizes, reset_state, write_cycle
from .precision import TuneResult, check_amplitudes, precision_report
from .schedule import CycleSchedule


@eqx.filter_jit
def _map(device, schedule, key, amplitudes, n, noise, well):
    m0 = jnp.broadcast_to(reset_state(device, (n,), well=well), (amplitudes.shape[0], n, 3))
    volts = jnp.broadcast_to(amplitudes[:, None], (amplitudes.shape[0], n))
    bits, _ = write_cycle(device, schedule, m0, volts, key, noise)
    return jnp.mean(bits.astype(jnp.float32), axis=1)


def switching_probability(device, schedule: CycleSchedule, key: PRNGKeyArray,
                          amplitudes_V, *, junctions: int, well: int = 1,
                          noise: AbstractIncrements = RademacherIncrements()
                          ) -> Float[Array, " A"]:
    r"""The fraction of writes that read 1 at each amplitude (V) of `amplitudes_V`
    (shape (A,)), each from `junctions` writes starting at the $T = 0$ minimum of the
    `well` (+1: the reset state, where this is $\hat p_+(A)$; -1: the other well, where
    it is $1 - \hat p_-(A)$): one [`spinjax.simulate`][] over (A, junctions)
    junctions. Device parameters broadcast over the last axis."""
    if isinstance(well, bool) or well not in (1, -1):
        raise InvalidParameterError(f"well = {well!r}; valid values are +1 and -1.")
    _check_sizes(junctions=junctions)
    amps = jnp.asarray(check_amplitudes("amplitudes_V", amplitudes_V), jnp.float32)
    return _map(device, schedule, key, amps, int(junctions), noise, int(well))


@eqx.filter_jit
def _bisect(device, schedule, key, lo, hi, target, n, iterations, noise, rising):
    m0 = reset_state(device, (n,))

    def body(i, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        bits, _ = write_cycle(device, schedule, m0, mid, jax.random.fold_in(key, i), noise)
        below = (jnp.mean(bits.astype(jnp.float32)) < target) == rising
        return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

    lo, hi = jax.lax.fori_loop(0, iterations, body, (lo, hi))
    return 0.5 * (lo + hi)


@eqx.filter_jit
def _verify(device, schedule, key, a, n, batches, noise):
    """The ones in each of `batches` x `n` independent writes at amplitude `a`,
    shape (batches,) (summed by the caller in int64)."""
    m0 = reset_state(device, (n,))

    def body(_, k):
        bits, _ = write_cycle(device, schedule, m0, a, jax.random.fold_in(key, k), noise)
        return None, jnp.sum(bits.astype(jnp.int32))

    return jax.lax.scan(body, None, jnp.arange(batches))[1]


@eqx.filter_jit
def _approximate(device, schedule, key, a0, target, gain, n, iterations, noise):
    m0 = reset_state(device, (n,))
    burn = iterations // 2

    def body(k, state):
        a, total = state
        bits, _ = write_cycle(device, schedule, m0, a, jax.random.fold_in(key, k), noise)
        a_next = a - gain * (jnp.mean(bits.astype(jnp.float32)) - target)
        return a_next, total + jnp.where(k >= burn, a_next, 0.0)

    _, total = jax.lax.fori_loop(0, iterations, body, (a0, jnp.zeros_like(a0)))
    return total / (iterations - burn)


def tune_amplitude(device, schedule: CycleSchedule, key: PRNGKeyArray, target: float,
                   lo_V: float, hi_V: float, *, junctions: int = 4096,
                   iterations: int = 14, averaging_iterations: int = 0,
                   gain_V: float = 0.05, bits: int | None = None,
                   verify_iterations: int | None = None,
                   noise: AbstractIncrements = RademacherIncrements()
                   ) -> jax.Array | TuneResult:
    r"""The amplitude $A$ (V) with $p(A) \approx$ `target` $p^*$, by bisection on the
    simulated $\hat p$ in $[$`lo_V`, `hi_V`$]$, where $p$ must cross $p^*$ monotonically
    (rising, or falling as for an STT write into the antiparallel state at $V < 0$).

    Each of the `iterations` steps simulates `junctions` writes ($n$) at the midpoint
    with a fresh key (``fold_in`` of the step) and keeps the half where $\hat p$ crosses
    $p^*$: the interval shrinks as $2^{-k}$ until it is narrower than the noise
    $\sigma_n / p'(A)$, after which decisions are coin tosses inside that band, so
    $|p(A) - p^*|$ ends within a few $\sigma_n = \sqrt{p^*(1-p^*)/n}$ (and within
    $(hi - lo)\,p'/2^{k+1}$). The endpoints are checked first (one simulation of
    $n$ writes each) and must bracket $p^*$.

    With `averaging_iterations` $K > 0$ the bisection's result starts a stochastic
    approximation (Robbins and Monro, Ann. Math. Stat. 22, 400, 1951) with iterate
    averaging (Polyak and Juditsky, SIAM J. Control Optim. 30, 838, 1992):
    $A_{k+1} = A_k - g\,(\hat p_k - p^*)$, $g$ = `gain_V` (V, its sign set by the
    slope found at the endpoints; stable for $0 < |g\,p'(A)| < 2$, fastest near 1),
    and the result is the mean of $A_{k+1}$ over the last $\lceil K/2 \rceil$ steps. Its error is asymptotically that of one
    estimate from all the averaged writes, $|p(A) - p^*| \approx \sigma_n
    \sqrt{2/K}$: a precision bisection cannot reach (its last steps are coin tosses).

    With `bits` (the number of bits the tuned array is to deliver) the amplitude is
    then verified on `verify_iterations` x `junctions` fresh writes (default: half the
    averaging steps, at least `iterations`) and a [`TuneResult`][spinjax.trng.TuneResult] is
    returned (``float(result)`` is the amplitude): the measured $p$ with its standard error,
    whether the bias is shown to be below the tolerance $0.1/\sqrt{\text{bits}}$ that
    so many bits need (a bias $\epsilon$ shifts NIST's frequency statistic by
    $2\epsilon\sqrt{\text{bits}}$ sigma), and otherwise the XOR depth $k$ after which
    the stream's bias is within it (see `spinjax._trng.precision`). Showing a bias below
    $0.1/\sqrt{\text{bits}}$ takes about $900 \times$ bits writes, so for large runs
    the answer is usually "XOR k = 2".

    Raises [`spinjax.InvalidParameterError`][] for a target outside (0, 1), an
    empty array, or a bracket that does not contain the target.
    """
    target = check_real("target", target, 0.0, 1.0, closed_lo=False, closed_hi=False)
    _check_sizes(junctions=junctions)
    iterations = check_int("iterations", iterations, 1, 64)   # 2^-64: past float32
    averaging_iterations = check_int("averaging_iterations", averaging_iterations, 0,
                                     MAX_COUNT)
    gain_V = check_real("gain_V", gain_V, 0.0, closed_lo=False, unit="V")
    check_ordered(("lo_V", "hi_V"), (lo_V, hi_V), unit="V")
    if bits is not None:
        bits = check_int("bits", bits)
    if verify_iterations is not None:
        verify_iterations = check_int("verify_iterations", verify_iterations, 1, MAX_COUNT)
        if bits is None:
            raise InvalidParameterError("verify_iterations is given but bits is not: the "
                                        "verification is part of the precision report, "
                                        "which needs the planned number of bits.")
    k_ends, key = jax.random.split(key)
    p_ends = np.asarray(switching_probability(device, schedule, k_ends,
                                              [lo_V, hi_V], junctions=junctions,
                                              noise=noise))
    rising = bool(p_ends[0] < p_ends[1])
    if not min(p_ends) < target < max(p_ends):
        raise InvalidParameterError(
            f"p = {p_ends[0]:.4g} at lo_V = {lo_V} V and {p_ends[1]:.4g} at hi_V = {hi_V} V "
            f"do not bracket target = {target}; widen [lo_V, hi_V].")
    k_bisect, k_average = jax.random.split(key)
    a = _bisect(device, schedule, k_bisect, jnp.float32(lo_V), jnp.float32(hi_V),
                jnp.float32(target), int(junctions), int(iterations), noise, rising)
    if averaging_iterations > 0:
        gain = jnp.float32(gain_V if rising else -gain_V)
        a = _approximate(device, schedule, k_average, a, jnp.float32(target), gain,
                         int(junctions), int(averaging_iterations), noise)
    if bits is None:
        return a
    batches = verify_iterations or max(averaging_iterations // 2, iterations)
    ones = int(np.sum(np.asarray(_verify(device, schedule, jax.random.fold_in(k_average, 1),
                                         a, int(junctions), int(batches), noise),
                                 np.int64)))
    return precision_report(float(a), ones, batches * int(junctions), target, bits)
