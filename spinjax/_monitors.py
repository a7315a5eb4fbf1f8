"""Monitors: running reductions over a trajectory, updated every ``monitor_every`` steps.

A monitor is an ``(init, update)`` pair of pure functions over a small per-junction
state, so a quantity of the whole path (a first-passage time, a switch count) costs
memory of order N, not N x steps. [`spinjax.simulate`][] updates them every
`monitor_every` steps (default every step), independently of the saves, on every
solver.
"""

import abc
from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp

from ._custom_types import Magnetization, Scalar


def m_z(m: Magnetization):
    """The z component of m."""
    return m[..., 2]


class AbstractMonitor(eqx.Module):
    """A running reduction of the trajectory: ``init(t0, m0)``, ``update(state, t, m)``."""

    @abc.abstractmethod
    def init(self, t: Scalar, m: Magnetization):
        """The state before the first step."""

    @abc.abstractmethod
    def update(self, state, t: Scalar, m: Magnetization):
        """The state after a monitor update at time `t` (s) with magnetization `m`."""


class FirstPassage(AbstractMonitor):
    r"""The first monitor time at which ``observable(m) < threshold``, per junction.

    Times are in seconds; ``inf`` marks junctions that never crossed. Checked at
    every monitor update, so with ``monitor_every=k`` the passage time is resolved to
    $k\,\Delta t$; discrete checking of a diffusion misses brief excursions and biases
    the passage time upwards by about $0.5826\,\sigma\sqrt{k\Delta t}$ in the barrier
    position (Broadie, Glasserman and Kou, Math. Finance 7, 325, 1997).

    **Fields:** `threshold`; `observable` a function of m (default $m_z$).
    """

    threshold: float = 0.0
    observable: Callable = m_z

    def init(self, t, m):
        crossed = self.observable(m) < self.threshold
        return jnp.where(crossed, t, jnp.inf).astype(m.dtype)

    def update(self, state, t, m):
        crossed = self.observable(m) < self.threshold
        return jnp.where(jnp.isinf(state) & crossed, t, state).astype(state.dtype)
