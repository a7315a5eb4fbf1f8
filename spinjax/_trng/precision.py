r"""How precisely a TRNG's write must be tuned for the bits it is to deliver, and the
XOR depth that makes up for what the tuning could not show.

A stream of $N$ bits with bias $\epsilon = p - 1/2$ shifts the NIST SP 800-22
frequency statistic $|S_N|/\sqrt N$ (Rukhin et al., NIST SP 800-22 rev. 1a, 2010,
section 2.1) by $2\epsilon\sqrt N$ standard deviations: at $N = 10^7$ a tuning error of
$6.7\times10^{-4}$ is a shift of 4.2 sigma, a certain failure. The tolerance here is
$|\epsilon| \le \epsilon^* = 0.1/\sqrt N$ (a shift of 0.2 sigma).

A tuning is *shown* to reach it only if its verification sample bounds the bias:
$|\hat p - 1/2| + 3\,\sigma_{\hat p} \le \epsilon^*$, with $\sigma_{\hat p} =
\sqrt{\hat p(1-\hat p)/M}$ from $M$ verification writes, so $M \gtrsim 900 N$.
Otherwise the bound $b = |\hat p - 1/2| + 3\sigma_{\hat p}$ is what is known, and
the XOR of $k$ independent streams of bias at most $b$ has bias at most
$2^{k-1} b^k$ (the piling-up lemma, $\epsilon_k = -(-2\epsilon)^k/2$: Matsui,
EUROCRYPT '93, LNCS 765, 386, 1994). The depth reported is the smallest $k$ with
$2^{k-1} b^k \le 0.1/\sqrt{N/k}$ (the XORed stream has $N/k$ bits).
"""

import dataclasses
import math

from .._params import InvalidParameterError

MAX_XOR = 64


@dataclasses.dataclass(frozen=True)
class TuneResult:
    """The result of [`spinjax.trng.tune_amplitude`][] with `bits` given.

    **Fields:** `amplitude_V` (V; also ``float(result)``); `target`; `p`, `p_se` the
    verified probability of a 1 and its standard error, from `verify_writes` writes;
    `bias` $= p - 1/2$ and `bias_bound` $= |p - 1/2| + 3\\,$`p_se`; `bits` the bits
    planned; `tolerance` $0.1/\\sqrt{\\text{bits}}$; `reached` whether
    $|p - p^*| + 3\\,$`p_se` $\\le$ `tolerance` (shown, not hoped); `xor_k` the
    smallest XOR depth whose output bias bound is within tolerance (1 when `reached`
    at $p^* = 1/2$; ``None`` when no depth up to 64 suffices); `writes_needed` the
    verification writes that could show the tolerance at this $p$ ($9 p(1-p)/\\epsilon^{*2}$).
    """

    amplitude_V: float
    target: float
    p: float
    p_se: float
    verify_writes: int
    bits: int
    tolerance: float
    bias: float
    bias_bound: float
    reached: bool
    xor_k: int | None
    writes_needed: int

    def __float__(self) -> float:
        return float(self.amplitude_V)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    def summary(self) -> str:
        """One line for a report or a command line."""
        head = (f"amplitude {self.amplitude_V:.5f} V: p = {self.p:.5f} +- {self.p_se:.1e} "
                f"({self.verify_writes} writes); {self.bits} bits need |p - 1/2| <= "
                f"{self.tolerance:.1e}")
        if self.reached:
            return head + ": reached."
        if self.xor_k is None:
            return head + f": not reached (bias bound {self.bias_bound:.1e}); no XOR depth " \
                          f"up to {MAX_XOR} makes up for it."
        return head + (f": not shown (bias bound {self.bias_bound:.1e}); XOR k = "
                       f"{self.xor_k} streams to be within it.")


def xor_depth(bias_bound: float, bits: int) -> int | None:
    """The smallest k with $2^{k-1} b^k \\le 0.1/\\sqrt{\\text{bits}/k}$ for a bias bound
    `bias_bound` $b$ (``None`` if no k up to 64 does: $b \\ge 1/2$ never shrinks)."""
    for k in range(1, MAX_XOR + 1):
        if 2.0 ** (k - 1) * bias_bound**k <= 0.1 / math.sqrt(max(bits / k, 1.0)):
            return k
    return None


def precision_report(amplitude_V: float, ones: int, writes: int, target: float,
                     bits: int) -> TuneResult:
    """The [`TuneResult`][spinjax.trng.TuneResult] of `ones` ones in `writes` verification
    writes at `amplitude_V` (V), for a tuning to `target` that is to deliver `bits` bits."""
    if writes < 1 or not 0 <= ones <= writes:
        raise InvalidParameterError(f"ones = {ones} of writes = {writes}: need 0 <= ones "
                                    "<= writes and writes >= 1.")
    p = ones / writes
    # a sample of all 0s or all 1s has a zero plug-in sigma; 1/writes is the rule of
    # three's scale, so the bound never claims more than the sample shows.
    p_se = max(math.sqrt(p * (1 - p) / writes), 1.0 / writes)
    tol = 0.1 / math.sqrt(bits)
    bound = abs(p - 0.5) + 3 * p_se
    reached = abs(p - target) + 3 * p_se <= tol
    q = min(max(p, 1e-3), 1 - 1e-3)
    needed = math.ceil(9 * q * (1 - q) / tol**2)
    return TuneResult(float(amplitude_V), float(target), p, p_se, int(writes), int(bits),
                      tol, p - 0.5, bound, bool(reached), xor_depth(bound, bits), needed)


def check_amplitudes(name: str, values):
    """`values` (V) as a non-empty 1-d float array of finite numbers."""
    import numpy as np
    try:
        a = np.atleast_1d(np.asarray(values))
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(f"{name} = {values!r:.80}; it must be a non-empty 1-d "
                                    "array of finite voltages in V.") from err
    if a.dtype.kind not in "iuf":
        raise InvalidParameterError(f"{name} = {values!r:.80} (dtype {a.dtype}); it must be "
                                    "a non-empty 1-d array of finite voltages in V.")
    a = a.astype(np.float64)
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)):
        raise InvalidParameterError(f"{name} = {np.ravel(a).tolist()[:8]} (shape {a.shape}); "
                                    "it must be a non-empty 1-d array of finite voltages "
                                    "in V.")
    return a
