"""Parameter transforms: optimize an unconstrained z, keep the physical parameter in
its range (the gradient survives at the bounds, unlike clipping)."""

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from .._params import InvalidParameterError


class Bounded(eqx.Module):
    r"""$\theta = \mathrm{lo} + (\mathrm{hi} - \mathrm{lo})\,\sigma(z)$: a parameter kept in
    (lo, hi) (an amplitude under the barrier's breakdown limit, a width under a cycle)."""

    lo: float
    hi: float

    def __check_init__(self):
        if not (np.isfinite(self.lo) and np.isfinite(self.hi) and self.lo < self.hi):
            raise InvalidParameterError(f"Bounded(lo={self.lo}, hi={self.hi}) needs finite "
                                        f"lo < hi.")

    def forward(self, z):
        return self.lo + (self.hi - self.lo) * jnp.reciprocal(1 + jnp.exp(-z))

    def inverse(self, theta):
        theta = np.asarray(theta, np.float64)
        if np.any(theta <= self.lo) or np.any(theta >= self.hi):
            raise InvalidParameterError(
                f"initial value {theta} is outside the open range ({self.lo}, {self.hi}).")
        u = (theta - self.lo) / (self.hi - self.lo)
        return np.log(u / (1 - u))

    def derivative(self, z):
        s = jnp.reciprocal(1 + jnp.exp(-z))
        return (self.hi - self.lo) * s * (1 - s)


class Positive(eqx.Module):
    r"""$\theta = \theta_0 e^{z}$: a positive parameter on a log scale (damping, widths,
    anisotropies), with $\theta_0$ its initial value."""

    scale: float = 1.0

    def forward(self, z):
        return self.scale * jnp.exp(z)

    def inverse(self, theta):
        theta = np.asarray(theta, np.float64)
        if np.any(theta <= 0):
            raise InvalidParameterError(f"initial value {theta} must be positive.")
        return np.log(theta / self.scale)

    def derivative(self, z):
        return self.scale * jnp.exp(z)
