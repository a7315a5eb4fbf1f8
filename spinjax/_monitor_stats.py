r"""Online statistics of a trajectory: moments, switch counts and histograms.

Each is a monitor (``init``, then ``update`` every ``monitor_every`` steps) whose
state does not grow with the number of steps: per-junction running moments and switch
counts cost O(N), an ensemble histogram O(bins). With them a run of $10^8$ junctions
keeps only its state and these reductions, whatever its length (``simulate(...,
monitors=(...), monitor_every=k)``; the final state is always returned, the path is
not).
"""

from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp

from ._monitors import AbstractMonitor, m_z


class RunningMoments(AbstractMonitor):
    r"""Per junction, the mean and variance of ``observable(m)`` over the monitor updates
    (the initial state included), by Welford's update:

    $$n \leftarrow n + 1,\quad \delta = x - \mu,\quad \mu \leftarrow \mu + \delta/n,\quad
      M_2 \leftarrow M_2 + \delta\,(x - \mu),$$

    which stays accurate in float32 where $\sum x^2/n - \mu^2$ cancels. State
    ``(n, mean, m2)``, each per junction (the count too, so that every leaf of the
    state has the junction axes and the fused kernel updates it block by block); the
    variance is ``m2 / n`` ([`variance`][spinjax.RunningMoments.variance]).
    """

    observable: Callable = m_z

    def init(self, t, m):
        x = self.observable(m)
        return (jnp.ones(x.shape, jnp.int32), x, jnp.zeros_like(x))

    def update(self, state, t, m):
        n, mean, m2 = state
        x = self.observable(m)
        n = n + 1
        delta = x - mean
        mean = mean + delta / n.astype(x.dtype)
        return (n, mean, m2 + delta * (x - mean))

    @staticmethod
    def variance(state):
        """The population variance over the monitor updates."""
        n, _, m2 = state
        return m2 / n.astype(m2.dtype)


class SwitchCount(AbstractMonitor):
    r"""Per junction, the number of switches of ``observable(m)`` between the wells
    $x > h$ and $x < -h$ seen at the monitor updates (a Schmitt trigger with hysteresis
    $h$: excursions inside $(-h, h)$ that return are not switches). State
    ``(side, count)`` with side +1, -1, or 0 before the junction first leaves the band.
    A telegraph signal's rate is ``count / duration``; switches faster than the save
    interval are missed.
    """

    hysteresis: float = 0.5
    observable: Callable = m_z

    def _side(self, x, previous):
        return jnp.where(x > self.hysteresis, 1, jnp.where(x < -self.hysteresis, -1,
                                                           previous)).astype(jnp.int8)

    def init(self, t, m):
        x = self.observable(m)
        return (self._side(x, jnp.zeros(x.shape, jnp.int8)), jnp.zeros(x.shape, jnp.int32))

    def update(self, state, t, m):
        side, count = state
        new = self._side(self.observable(m), side)
        flipped = (new != side) & (side != 0)
        return (new, count + flipped.astype(jnp.int32))


class Histogram(AbstractMonitor):
    r"""The histogram of ``observable(m)`` over every junction and monitor update, in
    `bins` equal bins on $[\mathrm{lo}, \mathrm{hi}]$ (values outside go to the end
    bins). Its state is the counts, shape (bins,), int32: an ensemble distribution
    without storing any path (for example $P(m_z)$, to compare with the Boltzmann law
    $\propto \exp(\Delta\, m_z^2)$ of a uniaxial junction).
    """

    bins: int = eqx.field(static=True, default=64)
    lo: float = -1.0
    hi: float = 1.0
    observable: Callable = m_z

    def _counts(self, m):
        x = self.observable(m)
        idx = jnp.floor((x - self.lo) / (self.hi - self.lo) * self.bins).astype(jnp.int32)
        idx = jnp.clip(idx, 0, self.bins - 1)
        return jnp.bincount(idx.ravel(), length=self.bins).astype(jnp.int32)

    def init(self, t, m):
        return self._counts(m)

    def update(self, state, t, m):
        return state + self._counts(m)

    def edges(self):
        """The bin edges, shape (bins + 1,)."""
        return jnp.linspace(self.lo, self.hi, self.bins + 1)
