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
import numpy as np
from jax.experimental import pallas as pl

from .affine import Coefficients
from .step import Observables, run_steps, run_steps_jvp


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


def _tangent_kernel(n_steps: int, n_dir: int, *refs):
    """Refs: state (3), keys (2), coefficients (15), then per direction the tangents of
    the state (3) and of the coefficients (15); outputs per direction dm (3), ds1, ds2."""
    nc = len(Coefficients._fields)
    m = tuple(r[...] for r in refs[:3])
    k0, k1 = refs[3][...], refs[4][...]
    coef = Coefficients(*(r[...] for r in refs[5:5 + nc]))
    tan_refs, out = refs[5 + nc:5 + nc + n_dir * (3 + nc)], refs[5 + nc + n_dir * (3 + nc):]
    tangents = []
    for d in range(n_dir):
        r = tan_refs[d * (3 + nc):(d + 1) * (3 + nc)]
        tangents.append((tuple(x[...] for x in r[:3]),
                         Coefficients(*(x[...] for x in r[3:]))))
    res = run_steps_jvp(m, coef, tuple(tangents), k0, k1, n_steps)
    values = [v for dm, ds1, ds2 in res for v in (*dm, ds1, ds2)]
    for ref, value in zip(out, values):
        ref[...] = value


def _call(kernel, n_in: int, outs: list, block: int, num_warps: int, interpret: bool,
          *args):
    n = args[0].shape[0]
    spec = pl.BlockSpec((block,), lambda i: (i,))
    params = None if interpret else _compiler_params(num_warps)
    extra = {} if params is None else dict(compiler_params=params)
    return pl.pallas_call(
        kernel,
        out_shape=[jax.ShapeDtypeStruct((n,), dtype) for dtype in outs],
        grid=(n // block,),
        in_specs=[spec] * n_in,
        out_specs=[spec] * len(outs),
        interpret=interpret,
        **extra,
    )(*args)


@functools.partial(jax.custom_jvp, nondiff_argnums=(6, 7, 8, 9, 10))
def _steps(mx, my, mz, key0, key1, k, n_steps, hysteresis, block, num_warps, interpret):
    f, i = mx.dtype, jnp.int32
    return tuple(_call(functools.partial(_kernel, n_steps, hysteresis),
                       5 + len(Coefficients._fields), [f] * 5 + [i] * 2, block, num_warps,
                       interpret, mx, my, mz, key0, key1, *k))


def _tangents(static, n_dir, primals, tangents):
    """Per direction (leading axis `n_dir` of every tangent), the tangents of the final
    state and of the two running sums, from one launch of the tangent kernel."""
    n_steps, block, num_warps, interpret = static
    mx, my, mz, key0, key1, k = primals
    f = mx.dtype
    nc = len(Coefficients._fields)
    flat = []
    for d in range(n_dir):
        flat += [t[d] for t in tangents[:3]] + [t[d] for t in tangents[3]]
    outs = _call(functools.partial(_tangent_kernel, n_steps, n_dir), 5 + nc + n_dir * (3 + nc),
                 [f] * (5 * n_dir), block, num_warps, interpret,
                 mx, my, mz, key0, key1, *k, *flat)
    return tuple(jnp.stack(outs[j::5]) for j in range(5))


def _one_direction(static, primals, tangents):
    out = _tangents(static, 1, primals, jax.tree.map(lambda t: t[None], tangents))
    return tuple(o[0] for o in out)


def _tangent_outputs(static, primals, tangents):
    """Tangents of (mx, my, mz, sum_mz, sum_mz2) for one direction. Under ``jax.vmap``
    over the directions alone (``jax.jacfwd``) one launch carries them all; a vmap that
    also batches the primals falls back to Pallas's own batching of the kernel."""
    n_primal = len(primals)

    @jax.custom_batching.custom_vmap
    def f(*args):
        return _one_direction(static, args[:n_primal], args[n_primal:])

    @f.def_vmap
    def _rule(axis_size, in_batched, *args):
        if any(jax.tree.leaves(in_batched[:n_primal])):
            axes = [jax.tree.map(lambda b: 0 if b else None, b) for b in in_batched]
            out = jax.vmap(lambda *a: _one_direction(static, a[:n_primal], a[n_primal:]),
                           in_axes=axes)(*args)
            return out, (True,) * 5
        tangents = [jax.tree.map(
            lambda x, b: x if b else jnp.broadcast_to(x, (axis_size, *x.shape)), t, b)
            for t, b in zip(args[n_primal:], in_batched[n_primal:])]
        out = _tangents(static, axis_size, args[:n_primal], tangents)
        return out, (True,) * 5

    return f(*primals, *tangents)


@_steps.defjvp
def _steps_jvp(n_steps, hysteresis, block, num_warps, interpret, primals, tangents):
    """Forward mode through the kernel: the primal kernel, then a tangent kernel that
    carries every tangent direction beside a recomputed state (``jax.linearize`` of the
    Heun step in the kernel body, the noise drawn once per step for all directions).
    ``jax.jacfwd`` over p parameters costs two launches, not p."""
    mx, my, mz, key0, key1, k = primals
    tx, ty, tz, _, _, tk = tangents
    primal_out = _steps(mx, my, mz, key0, key1, k, n_steps, hysteresis, block, num_warps,
                        interpret)
    static = (n_steps, block, num_warps, interpret)
    dmx, dmy, dmz, ds1, ds2 = _tangent_outputs(static, primals, (tx, ty, tz, tk))
    zero_int = np.zeros(mx.shape, jax.dtypes.float0)
    return primal_out, (dmx, dmy, dmz, ds1, ds2, zero_int, zero_int)


@functools.partial(jax.jit, static_argnames=("n_steps", "hysteresis", "block",
                                              "num_warps", "interpret"))
def fused_steps_pallas(mx, my, mz, key0, key1, k: Coefficients, *, n_steps: int,
                       hysteresis: float, block: int = 256, num_warps: int = 4,
                       interpret: bool = False):
    """Final (mx, my, mz) and :class:`Observables` after `n_steps` steps; every array is
    (N,) with N a multiple of `block` (a power of two). Differentiable in forward mode
    (``jax.jvp``, ``jax.jacfwd``) in the state and the coefficients."""
    outs = _steps(mx, my, mz, key0, key1, k, n_steps, hysteresis, block, num_warps,
                  interpret)
    return tuple(outs[:3]), Observables(*outs[3:])
