"""Distributions of the standardized noise increment of one step.

The Brownian increment of a step of length $\\Delta t$ is $\\sqrt{\\Delta t}\\,\\xi$ with
$\\xi$ drawn from one of these. Gaussian $\\xi$ is the Brownian motion itself; a
distribution whose first three moments match $\\mathcal N(0, 1)$ keeps the weak order
(the order of convergence of expectations such as $\\langle m_z^2\\rangle$ or a
switching probability) of the Heun scheme, while individual paths no longer converge.
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import PRNGKeyArray


class AbstractIncrements(eqx.Module):
    """The law of $\\xi$: mean 0, variance 1, per component and per junction."""

    @abc.abstractmethod
    def sample(self, key: PRNGKeyArray, shape: tuple[int, ...], dtype) -> jax.Array:
        """Independent draws of $\\xi$ of the given shape."""


class GaussianIncrements(AbstractIncrements):
    """$\\xi \\sim \\mathcal N(0, 1)$: exact Brownian increments (the default).

    Heun then converges strongly (order 1/2) and weakly (order 1). On a CPU the normal
    variates are most of the cost of a step (about 30 ns per junction-step here)."""

    def sample(self, key, shape, dtype):
        return jr.normal(key, shape, dtype)


class RademacherIncrements(AbstractIncrements):
    r"""$\xi = \pm 1$ with probability 1/2 each (32 draws from one random word).

    $E\xi = E\xi^3 = 0$, $E\xi^2 = 1$: the moment conditions of a weak order-1 scheme,
    so expectations converge like those of the Gaussian Heun scheme (Kloeden and
    Platen, *Numerical Solution of SDEs*, 1992, sections 14.1-14.2; Milstein and
    Tretyakov 2004, section 2.2), while single trajectories do not approximate
    Brownian paths. Use it for ensemble statistics (switching probabilities,
    equilibrium averages, random bits) when throughput matters; it needs 1/32 of the
    random bits of one normal variate; a whole sLLG step measured 1.7-2.1x faster on
    a 2-core CPU at N = 1e4 to 1e6 (benchmarks/README.md).
    """

    def sample(self, key, shape, dtype):
        n = int(np.prod(shape))
        words = jr.bits(key, (-(-n // 32), 1), jnp.uint32)
        signs = (words >> jnp.arange(32, dtype=jnp.uint32)) & 1
        return (2 * signs.reshape(-1)[:n].astype(dtype) - 1).reshape(shape)
