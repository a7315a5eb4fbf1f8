"""The fused multi-step sLLG as a Pallas kernel (``jax.experimental.pallas``).

Each program instance owns a block of junctions: it loads their state, key words and
coefficient rows once, runs every step in registers (:func:`run_steps`: Threefry
noise, Heun step, running observables) and stores the final state and observables
once. Memory traffic is about 100 bytes per junction per launch instead of about 24
bytes per junction per step, so the kernel is bound by arithmetic (mostly the 40
Threefry rounds per step), not by HBM bandwidth. On GPU Pallas lowers it through
Triton; on the CPU it runs in interpret mode, which executes the same kernel body with
XLA, so the tests check this exact body against :mod:`spinjax._fused.reference`.
"""

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl

from .affine import Coefficients
from .step import Observables, run_steps


def _kernel(n_steps: int, hysteresis: float, *refs):
    n_coef = len(Coefficients._fields)
    mx_ref, my_ref, mz_ref, k0_ref, k1_ref = refs[:5]
    coef = Coefficients(*(r[...] for r in refs[5:5 + n_coef]))
    out = refs[5 + n_coef:]
    m, obs = run_steps((mx_ref[...], my_ref[...], mz_ref[...]), coef, k0_ref[...],
                       k1_ref[...], n_steps, hysteresis)
    for ref, value in zip(out, (*m, *obs)):
        ref[...] = value


def _compiler_params(num_warps: int):
    """Triton launch parameters, across the names recent jax versions give them."""
    try:
        from jax.experimental.pallas import triton as pltriton
        return pltriton.CompilerParams(num_warps=num_warps, num_stages=1)
    except (ImportError, AttributeError, TypeError):
        return None


@functools.partial(jax.jit, static_argnames=("n_steps", "hysteresis", "block",
                                              "num_warps", "interpret"))
def fused_steps_pallas(mx, my, mz, key0, key1, k: Coefficients, *, n_steps: int,
                       hysteresis: float, block: int = 256, num_warps: int = 4,
                       interpret: bool = False):
    """Final (mx, my, mz) and :class:`Observables` after `n_steps` steps; every array is
    (N,) with N a multiple of `block` (a power of two)."""
    n = mx.shape[0]
    spec = pl.BlockSpec((block,), lambda i: (i,))
    f = mx.dtype
    out_shape = [jax.ShapeDtypeStruct((n,), f)] * 5 + [jax.ShapeDtypeStruct((n,), jnp.int32)] * 2
    params = None if interpret else _compiler_params(num_warps)
    extra = {} if params is None else dict(compiler_params=params)
    outs = pl.pallas_call(
        functools.partial(_kernel, n_steps, hysteresis),
        out_shape=out_shape,
        grid=(n // block,),
        in_specs=[spec] * (5 + len(Coefficients._fields)),
        out_specs=[spec] * 7,
        interpret=interpret,
        **extra,
    )(mx, my, mz, key0, key1, *k)
    return tuple(outs[:3]), Observables(*outs[3:])
