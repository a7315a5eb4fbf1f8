r""":func:`spinjax._fused.heun.run_steps` as a Pallas kernel (``jax.experimental.pallas``).

Each program instance owns a block of junctions: it loads their state, key words and
every array of the model and the drive that has a junction axis (the others whole),
runs all the launch's steps of :func:`~spinjax._fused.heun.heun_step` on them (the
model's own right-hand side and the drive at each step's times, evaluated in the
kernel body), and stores the final state once. So any model and any pulse runs here,
with the noise of the same counter-based generator as every other solver.

Derivatives: the kernel has a custom JVP whose tangent is the JVP of the same steps in
XLA (:func:`~spinjax._fused.heun.run_steps`), recomputed from the launch's initial
state with the same noise; that tangent is linear and transposable, so ``jax.grad``
works too. Memory is bounded by the launch length, which the caller chooses (the
segments of :class:`spinjax.FusedHeun`).

Which array is per junction: a leaf whose leading axis has the array's length N
(after broadcasting the state); every other leaf (a scalar, a field vector of shape
(3,), a pulse's knots) is passed whole to every block.
"""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl

from .heun import run_steps


def _compiler_params(num_warps: int):
    """Triton launch parameters, across the names recent jax versions give them."""
    try:
        from jax.experimental.pallas import triton as pltriton
        return pltriton.CompilerParams(num_warps=num_warps, num_stages=1)
    except (ImportError, AttributeError, TypeError):
        return None


def _is_junction_leaf(x, n: int) -> bool:
    return x.ndim >= 1 and x.shape[0] == n


def _pad(x, pad: int):
    """Repeat the last junction `pad` times (padding lanes stay finite)."""
    if not pad:
        return x
    return jnp.concatenate([x, jnp.broadcast_to(x[-1:], (pad, *x.shape[1:]))])


def pallas_steps(model, drive, increments, k0, k1, m, start, *, n_steps: int, t0: float,
                 dt: float, block: int, num_warps: int, interpret: bool):
    """`m` (N, 3) after `n_steps` steps from step `start` (int32 scalar); `k0`, `k1`
    per-junction key words (N,); no noise when `increments` is ``None``."""
    dynamic, static = eqx.partition((model, drive, increments), eqx.is_array)
    n = m.shape[0]
    pad = -n % block
    leaves, treedef = jax.tree.flatten(dynamic)
    blocked = [_is_junction_leaf(x, n) for x in leaves]
    args = [_pad(x, pad) if b else (x.reshape(1) if x.ndim == 0 else x)
            for x, b in zip(leaves, blocked)]
    shapes = [x.shape for x in leaves]
    mx, my, mz = (_pad(m[:, i], pad) for i in range(3))
    if k0 is None:   # no noise: the key lanes are loaded but never read
        k0 = k1 = jnp.zeros((n,), jnp.uint32)
    k0, k1 = _pad(k0, pad), _pad(k1, pad)
    start = jnp.broadcast_to(jnp.asarray(start, jnp.int32), (1,))

    def kernel(*refs):
        mx_ref, my_ref, mz_ref, k0_ref, k1_ref, start_ref = refs[:6]
        leaf_refs, out = refs[6:-3], refs[-3:]
        values = [r[...] if b else r[...].reshape(s)
                  for r, b, s in zip(leaf_refs, blocked, shapes)]
        model, drive, increments = eqx.combine(jax.tree.unflatten(treedef, values), static)
        state = jnp.stack([mx_ref[...], my_ref[...], mz_ref[...]], -1)
        state = run_steps(model, drive, increments, k0_ref[...], k1_ref[...], state,
                          start_ref[0], n_steps, t0, dt)
        for i, ref in enumerate(out):
            ref[...] = state[:, i]

    def spec(x, per_junction):
        if per_junction:
            rest = x.shape[1:]
            return pl.BlockSpec((block, *rest), lambda i, r=len(rest): (i,) + (0,) * r)
        return pl.BlockSpec(x.shape, lambda i, d=x.ndim: (0,) * d)

    lane = pl.BlockSpec((block,), lambda i: (i,))
    in_specs = [lane] * 5 + [spec(start, False)] + [spec(x, b) for x, b in zip(args, blocked)]
    params = None if interpret else _compiler_params(num_warps)
    extra = {} if params is None else dict(compiler_params=params)
    outs = pl.pallas_call(
        kernel,
        out_shape=[jax.ShapeDtypeStruct(mx.shape, m.dtype)] * 3,
        grid=(mx.shape[0] // block,),
        in_specs=in_specs,
        out_specs=[lane] * 3,
        interpret=interpret,
        **extra,
    )(mx, my, mz, k0, k1, start, *args)
    return jnp.stack([x[:n] for x in outs], -1)


def fused_launch(model, drive, increments, k0, k1, m, start, *, n_steps: int, t0: float,
                 dt: float, block: int, num_warps: int, interpret: bool):
    """:func:`pallas_steps` with the custom JVP described in the module docstring;
    differentiable in the arrays of `model`, `drive` and `m`."""
    dynamic, static = eqx.partition((model, drive, increments), eqx.is_inexact_array)
    kw = dict(n_steps=n_steps, t0=t0, dt=dt)
    if k0 is None:   # no noise
        k0 = k1 = jnp.zeros(m.shape[:1], jnp.uint32)
    start = jnp.asarray(start, jnp.int32)

    # The key words and the start step are arguments, not closed-over values: a
    # custom_jvp function must not capture tracers of an enclosing trace (scan,
    # checkpoint), and their tangents are zero (integers).
    @jax.custom_jvp
    def launch(dynamic, m, k0, k1, start):
        return pallas_steps(*eqx.combine(dynamic, static), k0, k1, m, start, block=block,
                            num_warps=num_warps, interpret=interpret, **kw)

    @functools.partial(launch.defjvp, symbolic_zeros=True)
    def _jvp(primals, tangents):
        dynamic, m, k0, k1, start = primals
        out = launch(*primals)
        # Differentiate only in the inputs with a non-zero tangent, as JAX does for the
        # XLA loop: a zero tangent times an infinite partial derivative (a float32
        # quotient by a volume of 1e-24 m^3 has one) would otherwise give NaN.
        leaves, treedef = jax.tree.flatten((dynamic, m))
        zero = jax.custom_derivatives.SymbolicZero
        tleaves = jax.tree.leaves(tangents[:2], is_leaf=lambda x: isinstance(x, zero))
        live = [not isinstance(t, zero) for t in tleaves]
        if not any(live):
            return out, jnp.zeros_like(out)

        def xla(*moving):
            it = iter(moving)
            dynamic, m = jax.tree.unflatten(
                treedef, [next(it) if b else x for x, b in zip(leaves, live)])
            model, drive, increments = eqx.combine(dynamic, static)
            return run_steps(model, drive, increments, k0, k1, m, start, **kw)
        _, tangent = jax.jvp(xla, tuple(x for x, b in zip(leaves, live) if b),
                             tuple(t for t, b in zip(tleaves, live) if b))
        return out, tangent

    return launch(dynamic, m, k0, k1, start)
