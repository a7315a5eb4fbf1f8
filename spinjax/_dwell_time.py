r"""Dwell times of a telegraph signal: how long each junction stays in each well.

A superparamagnetic junction flips between its two wells by itself; the times it
spends in each (the dwell times) are, for a barrier of a few $k_B T$ and more, close to
exponentially distributed with the Néel-Brown mean. [`DwellTime`][spinjax.DwellTime]
measures their distribution online, from every junction at once, with a state that does not
grow with the number of steps.
"""

import math
import numbers
from collections.abc import Callable
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._checks import SimulationInputError
from ._monitors import AbstractMonitor, m_z
from ._params import float_dtype


class DwellTimeState(NamedTuple):
    """The state of [`DwellTime`][spinjax.DwellTime]. Per junction (shape of the junction
    axes): `side` (int8: +1, -1, or 0 before the junction first leaves the band), `entered`
    (s: the time it entered its current well; the first time for a censored first
    dwell), `known` (bool: whether that entry was observed, so that the dwell in
    progress will count when it ends). Scalar: `t_last` (s: the latest update). Per
    well, index 0 for the well $x > h$ (+1) and 1 for $x < -h$ (-1): `counts`, shape
    (2, bins), the histogram of completed dwells; `underflow` and `overflow`, shape
    (2,), those below the first edge and at or above the last; `count`, `total` (s) and
    `total_sq` (s$^2$), shape (2,), the number, sum and sum of squares of completed
    dwells (all of them, out-of-range ones included)."""

    side: jax.Array
    entered: jax.Array
    known: jax.Array
    t_last: jax.Array
    counts: jax.Array
    underflow: jax.Array
    overflow: jax.Array
    count: jax.Array
    total: jax.Array
    total_sq: jax.Array


def _is_real(value) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
            and math.isfinite(float(value)))


def _refuse(name, value, valid):
    return SimulationInputError(f"DwellTime.{name} = {value!r}; it must be {valid}.")


class DwellTime(AbstractMonitor):
    r"""The distribution of the dwell times in each of two wells of
    ``observable(m)`` (default $m_z$), over all junctions: the telegraph statistics of
    superparamagnetic junctions.

    The wells are read by a Schmitt trigger with hysteresis $h$, as in
    [`spinjax.SwitchCount`][]: at the $k$-th monitor update (time $t_k$, in s)

    $$s_k = \begin{cases} +1 & x_k > h \\ -1 & x_k < -h \\ s_{k-1} & |x_k| \le h
      \end{cases}, \qquad s_0 = 0 \text{ if } |x_0| \le h,$$

    so excursions into $(-h, h)$ that return are not switches. A junction enters a
    well at the update where $s$ takes that well's value, and leaves it where $s$
    changes sign; the dwell of a junction that leaves well $w$ at $t_k$ after entering
    it at $t_j$ is $\tau = t_k - t_j$ (s). For each well $w \in \{+1, -1\}$ the monitor
    accumulates, over all junctions, the number $n_w$, sum $S_w = \sum\tau$ and sum of
    squares $Q_w = \sum\tau^2$ of the completed dwells and their histogram on the
    edges

    $$e_i = t_\min\,(t_\max/t_\min)^{i/B} \;\text{(log\_bins)} \quad\text{or}\quad
      e_i = t_\min + (t_\max - t_\min)\,i/B, \qquad i = 0, \dots, B,$$

    bin $i$ being $[e_i, e_{i+1})$; a dwell below $t_\min$ goes to the underflow
    counter of its well, one at or above $t_\max$ to the overflow counter, so none is
    lost. From them (static methods of the state): the mean dwell
    $\bar\tau_w = S_w/n_w$ ([`mean_dwell`][spinjax.DwellTime.mean_dwell]), its standard
    error $\sqrt{(Q_w - S_w^2/n_w)/(n_w(n_w - 1))}$
    ([`mean_dwell_error`][spinjax.DwellTime.mean_dwell_error]) and the escape rate
    $r_w = 1/\bar\tau_w$ of the well ([`rates`][spinjax.DwellTime.rates]); for a Néel-Brown
    junction $\tau$ is nearly exponential, so its coefficient of variation is about 1.

    **Censoring.** Only dwells whose beginning and end were both observed count. The
    dwell in progress at the first update began at an unknown time (left-censored):
    it is not counted when it ends. A junction that starts inside the band $(-h, h)$
    has no dwell in progress; its first entry into a well is observed and that dwell
    counts. The dwell in progress at the last update has not ended (right-censored):
    it is not counted either; [`censored`][spinjax.DwellTime.censored] gives how many
    junctions are in that case per well and [`in_progress`][spinjax.DwellTime.in_progress]
    their elapsed times. Dropping the right-censored dwells biases $\bar\tau_w$ low by about
    $\bar\tau_w / T$ for a run of duration $T$ (the long dwells are the ones that do not
    fit): for an exponential law [`mean_dwell_mle`][spinjax.DwellTime.mean_dwell_mle], the
    maximum-likelihood mean with right-censoring $(S_w + C_w)/n_w$ ($C_w$ the elapsed time
    of the observed dwells still in progress in well $w$), removes it.

    **Resolution.** Wells are read only at the monitor updates (every `monitor_every`
    steps of [`spinjax.simulate`][]), so dwell times are multiples of that interval
    $\Delta t_m$, dwells shorter than it are missed, and discrete monitoring of a
    diffusion acts like thresholds moved outwards by about
    $0.5826\,\sigma\sqrt{\Delta t_m}$ (Broadie, Glasserman and Kou, Math. Finance 7,
    325, 1997). Sums are kept in the precision of $\mathbf m$ (float32: a relative
    error of order $10^{-7} n_w$ at worst, far below the sampling error $n_w^{-1/2}$).

    The state (`DwellTimeState`) costs O(N) for N junctions (per junction its
    well, entry time and whether the entry was observed) plus O(bins) for the
    histograms, whatever the number of steps; per-well arrays are ordered as
    ``DwellTime.WELLS`` = (+1, -1).

    **Fields:**

    - `t_min`, `t_max`: the first and last bin edges in s, $0 < t_\min < t_\max$,
      finite.
    - `bins`: the number of bins $B$, an integer $\ge 1$ (default 32).
    - `log_bins`: log-spaced edges (default) or, if False, linear ones.
    - `hysteresis`: the trigger threshold $h$ on the observable, in $[0, 1)$ (default
      0.5).
    - `observable`: a function of m (default $m_z$) whose two wells are $x > h$ and
      $x < -h$.
    """

    t_min: float
    t_max: float
    bins: int = eqx.field(static=True, default=32)
    log_bins: bool = eqx.field(static=True, default=True)
    hysteresis: float = 0.5
    observable: Callable = m_z

    #: The wells in the order of the state's per-well axis.
    WELLS = (1, -1)

    def __check_init__(self):
        if not _is_real(self.hysteresis) or not 0.0 <= float(self.hysteresis) < 1.0:
            raise _refuse("hysteresis", self.hysteresis, "a finite number in [0, 1)")
        if (isinstance(self.bins, (bool, np.bool_)) or not isinstance(self.bins, numbers.Integral)
                or self.bins < 1):
            raise _refuse("bins", self.bins, "an integer >= 1")
        if not _is_real(self.t_min) or not float(self.t_min) > 0.0:
            raise _refuse("t_min", self.t_min, "a finite time in (0, inf) s")
        if not _is_real(self.t_max) or not float(self.t_max) > float(self.t_min):
            raise _refuse("t_max", self.t_max,
                          f"a finite time in (t_min, inf) = ({self.t_min!r}, inf) s")
        if not isinstance(self.log_bins, (bool, np.bool_)):
            raise _refuse("log_bins", self.log_bins, "True or False")
        if not callable(self.observable):
            raise _refuse("observable", self.observable, "a function of m")

    def edges(self, dtype=None) -> jax.Array:
        """The bin edges $e_0 = t_\\min, \\dots, e_B = t_\\max$ in s, shape (bins + 1,), in
        `dtype` (default: JAX's default float; the monitor bins in the dtype of m)."""
        dtype = jnp.result_type(float) if dtype is None else dtype
        lo, hi = float(self.t_min), float(self.t_max)
        e = (np.geomspace if self.log_bins else np.linspace)(lo, hi, self.bins + 1)
        e[0], e[-1] = lo, hi
        return jnp.asarray(e, dtype)

    def _side(self, x, previous):
        h = float(self.hysteresis)
        return jnp.where(x > h, 1, jnp.where(x < -h, -1, previous)).astype(jnp.int8)

    def init(self, t, m):
        x = self.observable(m)
        dtype = float_dtype(m.dtype)
        zeros2 = jnp.zeros((2,), jnp.int32)
        return DwellTimeState(
            side=self._side(x, jnp.zeros(x.shape, jnp.int8)),
            entered=jnp.full(x.shape, t, dtype),
            known=jnp.zeros(x.shape, bool),
            t_last=jnp.asarray(t, dtype),
            counts=jnp.zeros((2, self.bins), jnp.int32),
            underflow=zeros2, overflow=zeros2, count=zeros2,
            total=jnp.zeros((2,), dtype), total_sq=jnp.zeros((2,), dtype))

    def update(self, state, t, m):
        dtype = state.total.dtype
        t = jnp.asarray(t, dtype)
        new = self._side(self.observable(m), state.side)
        changed = new != state.side                  # includes 0 -> +-1: an observed entry
        done = changed & (state.side != 0) & state.known
        dwell = t - state.entered
        well = (state.side < 0).astype(jnp.int32)    # 0: the +1 well, 1: the -1 well
        # bin b in 0..bins+1 over [-inf, e_0, ..., e_B, inf): 0 underflow, bins+1 overflow
        b = jnp.searchsorted(self.edges(dtype), dwell, side="right").astype(jnp.int32)
        width = self.bins + 2
        sink = 2 * width                             # where the non-completed go
        flat = jnp.where(done, well * width + b, sink).ravel()
        ext = jnp.bincount(flat, length=sink + 1)[:sink].astype(jnp.int32).reshape(2, width)
        in_plus = done & (well == 0)
        in_minus = done & (well == 1)
        d1 = jnp.stack([jnp.sum(jnp.where(in_plus, dwell, 0)),
                        jnp.sum(jnp.where(in_minus, dwell, 0))]).astype(dtype)
        d2 = jnp.stack([jnp.sum(jnp.where(in_plus, dwell * dwell, 0)),
                        jnp.sum(jnp.where(in_minus, dwell * dwell, 0))]).astype(dtype)
        return DwellTimeState(
            side=new,
            entered=jnp.where(changed, t, state.entered),
            known=state.known | changed,
            t_last=t,
            counts=state.counts + ext[:, 1:-1],
            underflow=state.underflow + ext[:, 0],
            overflow=state.overflow + ext[:, -1],
            count=state.count + jnp.sum(ext, axis=1, dtype=jnp.int32),
            total=state.total + d1,
            total_sq=state.total_sq + d2)

    @staticmethod
    def histogram(state: DwellTimeState) -> jax.Array:
        """The counts of completed dwells per well and bin, shape (2, bins) (well +1
        first); see also ``state.underflow`` and ``state.overflow``."""
        return state.counts

    @staticmethod
    def mean_dwell(state: DwellTimeState) -> jax.Array:
        """$\\bar\\tau_w = S_w / n_w$ in s per well, shape (2,) (NaN for a well with no
        completed dwell)."""
        n = state.count.astype(state.total.dtype)
        return jnp.where(n > 0, state.total / jnp.maximum(n, 1), jnp.nan)

    @staticmethod
    def mean_dwell_error(state: DwellTimeState) -> jax.Array:
        """The standard error of [`mean_dwell`][spinjax.DwellTime.mean_dwell] in s,
        $\\sqrt{(Q_w - S_w^2/n_w) / (n_w (n_w - 1))}$, shape (2,) (NaN for $n_w < 2$)."""
        n = state.count.astype(state.total.dtype)
        safe = jnp.maximum(n, 2)
        var = jnp.maximum(state.total_sq - state.total ** 2 / safe, 0) / (safe - 1)
        return jnp.where(n >= 2, jnp.sqrt(var / safe), jnp.nan)

    @staticmethod
    def rates(state: DwellTimeState) -> jax.Array:
        """The escape rate of each well, $r_w = 1/\\bar\\tau_w$ in 1/s, shape (2,)."""
        return 1.0 / DwellTime.mean_dwell(state)

    @staticmethod
    def in_progress(state: DwellTimeState) -> jax.Array:
        """Per junction, the time in s spent so far in its current well at the last
        update, $t_\\text{last} - t_\\text{entry}$ (0 for a junction still in the band
        since the start): the right-censored dwells."""
        return jnp.where(state.side != 0, state.t_last - state.entered, 0)

    @staticmethod
    def censored(state: DwellTimeState) -> jax.Array:
        """The number of junctions in each well at the last update, shape (2,): their
        dwells in progress are not counted (right-censored)."""
        return jnp.stack([jnp.sum(state.side > 0), jnp.sum(state.side < 0)]).astype(jnp.int32)

    @staticmethod
    def mean_dwell_mle(state: DwellTimeState) -> jax.Array:
        """The maximum-likelihood mean dwell in s of an exponential law with
        right-censoring, $(S_w + C_w)/n_w$, shape (2,): $C_w$ sums the elapsed times
        of the dwells in progress in well $w$ whose entry was observed. It removes the
        bias of order $\\bar\\tau_w/T$ of [`mean_dwell`][spinjax.DwellTime.mean_dwell] in a
        run of duration $T$."""
        elapsed = DwellTime.in_progress(state)
        open_ = state.known & (state.side != 0)
        c = jnp.stack([jnp.sum(jnp.where(open_ & (state.side > 0), elapsed, 0)),
                       jnp.sum(jnp.where(open_ & (state.side < 0), elapsed, 0))])
        n = state.count.astype(state.total.dtype)
        return jnp.where(n > 0, (state.total + c.astype(n.dtype)) / jnp.maximum(n, 1),
                         jnp.nan)
