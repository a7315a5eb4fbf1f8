"""What a solve records (`Save`) and what it returns (`Solution`)."""

from collections.abc import Callable

import equinox as eqx
import jax

from ._custom_types import Magnetization


class Save(eqx.Module):
    """What a solve records besides the final state.

    - ``Save()``: the final state only (memory of order N).
    - ``Save(every=k)``: the state at $t_0$ and every k-th step (N x steps/k).
    - ``Save(every=k, fn=f)``: ``f(t, m)`` instead of ``m``, e.g. a mean of $m_z$
      (``lambda t, m: m[..., 2].mean()``), so memory does not grow with N.
    """

    every: int | None = eqx.field(static=True, default=None)
    fn: Callable | None = None


class Solution(eqx.Module):
    """The result of [`simulate`][spinjax.simulate].

    - `m`: the final magnetization, shape (*N, 3).
    - `ts`: save times in s (``None`` without ``Save(every=...)``).
    - `ys`: the saved states or observables, leading axis over `ts`.
    - `monitors`: the final state of each monitor, in the order given.
    - `num_steps`: the number of steps taken.
    - `solver`: the solver that ran, e.g. ``"FusedHeun(backend='xla')"`` or
      ``"NormalizedHeun()"``.
    """

    m: Magnetization
    ts: jax.Array | None
    ys: object
    monitors: tuple
    num_steps: jax.Array
    solver: str = eqx.field(static=True, default="")
