r"""Distributions of the standardized noise increment of one step.

The Brownian increment of a step of length $\Delta t$ is $\sqrt{\Delta t}\,\xi$ with
$\xi$ drawn from one of these. Gaussian $\xi$ is the Brownian motion itself; a
distribution whose first three moments match $\mathcal N(0, 1)$ keeps the weak order
(the order of convergence of expectations such as $\langle m_z^2\rangle$ or a
switching probability) of the Heun scheme, while individual paths no longer converge.

Both draw from the counter-based generator of `spinjax._counter_rng`: the three
components of junction $i$ at step $j$ are a pure function of the per-junction key
words and $j$, so every solver (and a recomputation in a backward pass) sees the same
increment.
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp

from ._counter_rng import step_normals, threefry2x32


class AbstractIncrements(eqx.Module):
    r"""The law of $\xi$: mean 0, variance 1, per component and per junction."""

    @abc.abstractmethod
    def draw(self, k0: jax.Array, k1: jax.Array, step: jax.Array,
             dtype) -> tuple[jax.Array, jax.Array, jax.Array]:
        r"""The three components of $\xi$ at integer `step` (uint32) for every junction,
        from its key words `k0`, `k1` (uint32 arrays of the junction shape); each
        component has the junction shape and `dtype`. Elementwise only, so it runs in a
        Pallas kernel body as well as in XLA."""


class GaussianIncrements(AbstractIncrements):
    r"""$\xi \sim \mathcal N(0, 1)$: exact Brownian increments (the default).

    Two Threefry-2x32 calls per junction and step (counters $(j, 0)$ and $(j, 1)$),
    Box-Muller on the four words, three normals kept
    (`spinjax._counter_rng.step_normals`). Heun then converges strongly (order
    1/2) and weakly (order 1)."""

    def draw(self, k0, k1, step, dtype):
        return step_normals(k0, k1, step, dtype)


class RademacherIncrements(AbstractIncrements):
    r"""$\xi = \pm 1$ with probability 1/2 each: three bits of one Threefry word.

    $E\xi = E\xi^3 = 0$, $E\xi^2 = 1$: the moment conditions of a weak order-1 scheme,
    so expectations converge like those of the Gaussian Heun scheme (Kloeden and
    Platen, *Numerical Solution of SDEs*, 1992, sections 14.1-14.2; Milstein and
    Tretyakov 2004, section 2.2), while single trajectories do not approximate
    Brownian paths. Use it for ensemble statistics (switching probabilities,
    equilibrium averages, random bits) when throughput matters: it needs one Threefry
    call per junction and step instead of two, and no logarithm or sine.
    """

    def draw(self, k0, k1, step, dtype):
        zero = jnp.zeros_like(k0)
        word, _ = threefry2x32(k0, k1, zero + step, zero + jnp.uint32(2))

        def sign(bit):
            b = jax.lax.shift_right_logical(word, jnp.uint32(bit)) & jnp.uint32(1)
            return 2 * b.astype(dtype) - 1

        return sign(0), sign(1), sign(2)


class TabulatedIncrements(AbstractIncrements):
    r"""$\xi$ read from a table: `table[j]` is the increment of every junction at step
    $j$, shape (steps, \*N, 3), for the junction shape N of the solve.

    For estimators that choose the noise themselves (the importance sampler of the
    write error rate draws it from a shifted and scaled Gaussian and weights each path by
    its likelihood ratio), and for gradients with respect to the noise: the table is a
    leaf, so reverse mode through [`spinjax.NormalizedHeun`][] gives
    $\partial(\cdot)/\partial\xi$. The key words are ignored; a step beyond the table
    reads its last row (JAX clamps the index), so the table must cover every step of
    the solve. The table lives in memory (steps x N x 3 numbers) and does not run in
    the Pallas kernel (use ``FusedHeun(backend="xla")``)."""

    table: jax.Array

    def draw(self, k0, k1, step, dtype):
        x = self.table[jnp.asarray(step).astype(jnp.int32)].astype(dtype)
        return x[..., 0], x[..., 1], x[..., 2]
