"""A counter-based Brownian path: increments keyed by the junction and the step index."""

import equinox as eqx
import equinox.internal as eqxi
import jax
import jax.numpy as jnp
from diffrax import AbstractBrownianPath, BrownianIncrement

from ._counter_rng import junction_key_words
from ._increments import AbstractIncrements, GaussianIncrements


class CounterBrownianPath(AbstractBrownianPath):
    r"""Brownian motion on a unit-step grid whose increment over step $n$ is the
    standardized draw of [`spinjax.GaussianIncrements`][] (or another law) for the
    junction's key and the counter $n$.

    The solver time here is the step counter $s = (t - t_0)/\Delta t$, so step $n$
    spans $[n, n+1]$ and ``evaluate(n, n + 1)`` returns the increment of step $n$. As
    the increment is a pure function of ``(key, junction index, n)``, recomputing a
    step (as diffrax's ``RecursiveCheckpointAdjoint`` does on the backward pass) gives
    the same noise, so reverse-mode gradients are exact for the discretized SDE, and
    the fused solver ([`spinjax.FusedHeun`][]), which draws from the same
    generator, sees the same increments: same key, same trajectory on either solver.

    Valid only when:

    1. steps are exactly one unit long and start on integers (fixed steps over $s$), and
    2. no Lévy area is needed (Heun, Euler-Heun, Euler).

    A non-unit interval $[s_0, s_1]$ returns $\sqrt{s_1 - s_0}$ times the draw of step
    $\lfloor s_0 + 1/2 \rfloor$: Gaussian with the right variance, but successive
    sub-unit intervals are then not independent, so adaptive stepping must not be used
    with noise.

    **Arguments:** `key` a JAX Threefry key; `shape` the increment's shape (*N, 3);
    `dtype`; `increments` the law of the standardized increment (default Gaussian; see
    [`spinjax.RademacherIncrements`][]); `draw_shape` the shape actually drawn, a
    trailing part of `shape` broadcast to it (``None``: `shape`), so that junctions
    along the leading axes share their noise (common random numbers). Junction $i$ is
    numbered in row-major order over the junction axes of `draw_shape`.
    """

    k0: jax.Array
    k1: jax.Array
    shape: tuple[int, ...] = eqx.field(static=True)
    dtype: jnp.dtype = eqx.field(static=True)
    increments: AbstractIncrements
    levy_area: type[BrownianIncrement] = eqx.field(static=True)
    draw_shape: tuple[int, ...] = eqx.field(static=True)

    def __init__(self, key, shape: tuple[int, ...], dtype=jnp.float32,
                 increments: AbstractIncrements = GaussianIncrements(),
                 draw_shape: tuple[int, ...] | None = None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.increments = increments
        self.levy_area = BrownianIncrement
        self.draw_shape = self.shape if draw_shape is None else tuple(draw_shape)
        self.k0, self.k1 = junction_key_words(key, self.draw_shape[:-1])

    @property
    def t0(self):
        return -jnp.inf

    @property
    def t1(self):
        return jnp.inf

    def increment(self, step: jax.Array) -> jax.Array:
        """The standardized increment of integer step `step`, shape `self.shape`."""
        step = jnp.asarray(step).astype(jnp.uint32)
        draw = jnp.stack(self.increments.draw(self.k0, self.k1, step, self.dtype), -1)
        return jnp.broadcast_to(draw, self.shape)

    def evaluate(self, t0, t1=None, left=True, use_levy=False):
        del left
        if use_levy:
            raise ValueError("CounterBrownianPath has no Lévy area; use a solver that "
                             "needs only Brownian increments (Heun, EulerHeun).")
        if t1 is None:
            raise ValueError("CounterBrownianPath only evaluates increments "
                             "evaluate(t0, t1), not point values W(t).")
        t0 = eqxi.nondifferentiable(t0, name="t0")
        t1 = eqxi.nondifferentiable(t1, name="t1")
        step = jnp.floor(t0 + 0.5).astype(jnp.int32)
        scale = jnp.sqrt(jnp.asarray(t1 - t0, self.dtype))
        return scale * self.increment(step)
