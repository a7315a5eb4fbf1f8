r"""A sigmoid relaxation of the switching outcome, for pathwise (reverse-mode)
gradients through the solver.

$$\tilde b_\tau(\mathbf m) = \sigma\!\left(-\frac{s\, \mathbf m\cdot\mathbf u}{\tau}\right),
  \qquad \sigma(x) = \frac{1}{1 + e^{-x}},$$

with $\mathbf u$ the easy axis and $s = \pm 1$ the starting well: 1 deep in the other
well, 0 in the starting one, 1/2 on the equator. $E[\tilde b_\tau]$ is a smooth
function of every parameter, and ``jax.grad`` of its Monte Carlo mean (common random
numbers) is an unbiased estimate of its derivative.

The bias, and when it is right. $E\tilde b_\tau - P$ has two parts: the relaxation
(junctions within $\tau$ of the equator count fractionally; it vanishes as
$\tau \to 0$) and the evaluation time (a junction on its way over the barrier at $t_1$
is counted where it is, not where it ends). Evaluated after the outcome is decided
(settled wells, $|m_u| \approx 1$), $\tilde b_\tau$ is nearly a step again: the
pathwise gradient is carried by the rare junctions crossing at $t_1$, with heavy
tails (measured while this module was written: over 2000 steps with thermally
activated switching, the pathwise gradient of $\langle m_z\rangle$ was 0.40 where
central finite differences with common random numbers gave 0.51-0.57, depending on
the difference step), so its Monte Carlo mean is unreliable. Evaluated at the end of
a pulse, while the state still moves, it is smooth and of low variance but estimates
the probability of being past the equator at that time, not of switching. Use it as a training signal
(pulse design, co-design), with $\tau$ and $t_1$ as the knobs, and check the result
with the unbiased [`spinjax.smoothed_probability`][spinjax.estimators.smoothed_probability]
estimator.
"""

import jax
import jax.numpy as jnp
import numpy as np

from .._params import InvalidParameterError
from .._validate import check_real, is_traced


def soft_outcome(m, axis, start_well: int = 1, temperature: float = 0.1) -> jax.Array:
    """$\\tilde b_\\tau$ per junction, shape (*N,): `m` (*N, 3), `axis` the easy axis,
    `start_well` +1 or -1, `temperature` $\\tau > 0$ (dimensionless, in units of
    $m_u$)."""
    if isinstance(start_well, bool) or start_well not in (1, -1):
        raise InvalidParameterError(f"start_well = {start_well!r}; valid values are +1 and "
                                    "-1.")
    if not is_traced(temperature):
        check_real("temperature", temperature, 0.0, closed_lo=False)
    u = jnp.asarray(axis, m.dtype)
    if u.shape != (3,):
        raise InvalidParameterError(f"axis has shape {u.shape}; it must be a 3-vector.")
    if not is_traced(u) and not float(jnp.linalg.norm(u)) > 0:
        raise InvalidParameterError(f"axis = {np.asarray(u).tolist()}; it must be a "
                                    "non-zero 3-vector (the easy axis).")
    u = u / jnp.linalg.norm(u)
    return jax.nn.sigmoid(-start_well * (m @ u) / temperature)
