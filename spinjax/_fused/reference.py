"""The fused steps as plain XLA: :func:`spinjax._fused.step.run_steps` over whole arrays.

The reference that the Pallas kernel is tested against (same counters, same arithmetic),
and the fused path's backend where no Pallas backend is worth it (the CPU): XLA fuses
the elementwise loop body into one loop over junctions per step.
"""

import functools

import jax

from .affine import Coefficients
from .step import Observables, run_steps


def fused_steps_xla(mx, my, mz, key0, key1, k: Coefficients, *, n_steps: int,
                    hysteresis: float):
    """Final (mx, my, mz) and :class:`Observables` of `n_steps` steps; arrays (N,)."""
    return _jitted(mx, my, mz, key0, key1, k, n_steps, hysteresis)


@functools.partial(jax.jit, static_argnums=(6, 7))
def _jitted(mx, my, mz, key0, key1, k, n_steps, hysteresis) -> tuple:
    m, obs = run_steps((mx, my, mz), k, key0, key1, n_steps, hysteresis)
    return m, Observables(*obs)
