"""Parameter transforms: optimize an unconstrained z, keep the physical parameter in
its range (the gradient survives at the bounds, unlike clipping)."""

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from .._params import InvalidParameterError
from .._validate import check_real


def _as_float(name, value):
    """A concrete array of finite numbers (float64)."""
    try:
        x = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(f"{name} {value!r:.60} is not a number.") from err
    if x.dtype.kind not in "iuf" or not np.all(np.isfinite(x)):
        raise InvalidParameterError(f"{name} {value!r:.60} must be a finite number (or "
                                    "array of them).")
    return x.astype(np.float64)


class Bounded(eqx.Module):
    r"""$\theta = \mathrm{lo} + (\mathrm{hi} - \mathrm{lo})\,\sigma(z)$: a parameter kept in
    (lo, hi) (an amplitude under the barrier's breakdown limit, a width under a cycle)."""

    lo: float
    hi: float

    def __check_init__(self):
        check_real("Bounded.lo", self.lo)
        check_real("Bounded.hi", self.hi)
        if not self.lo < self.hi:
            raise InvalidParameterError(f"Bounded(lo={self.lo}, hi={self.hi}) needs finite "
                                        f"lo < hi.")

    def forward(self, z):
        return self.lo + (self.hi - self.lo) * jnp.reciprocal(1 + jnp.exp(-z))

    def inverse(self, theta):
        theta = _as_float("initial value", theta)
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

    def __check_init__(self):
        check_real("Positive.scale", self.scale, 0.0, closed_lo=False)

    def forward(self, z):
        return self.scale * jnp.exp(z)

    def inverse(self, theta):
        theta = _as_float("initial value", theta)
        if np.any(theta <= 0):
            raise InvalidParameterError(f"initial value {theta} must be positive.")
        return np.log(theta / self.scale)

    def derivative(self, z):
        return self.scale * jnp.exp(z)
