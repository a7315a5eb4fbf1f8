r"""`spinjax._fused.heun.run_steps` as a Pallas kernel (``jax.experimental.pallas``).

Each program instance owns a block of junctions: it loads their state, key words and
every array of the model and the drive that has a junction axis (the others whole),
runs all the launch's steps of `heun_step` on them (the
model's own right-hand side and the drive at each step's times, evaluated in the
kernel body), and stores the final state once. So any model and any pulse runs here,
with the noise of the same counter-based generator as every other solver.

Derivatives: the kernel has a custom JVP whose tangent is the JVP of the same steps in
XLA (`run_steps`), recomputed from the launch's initial
state with the same noise; that tangent is linear and transposable, so ``jax.grad``
works too. Memory is bounded by the launch length, which the caller chooses (the
segments of [`spinjax.FusedHeun`][]).

Which array is per junction: a leaf whose leading axis has the array's length N
(after broadcasting the state); every other leaf (a scalar, a field vector of shape
(3,), a pulse's knots) is passed whole to every block.
"""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
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


def pallas_steps(model, drive, increments, k0, k1, m, states, start, *, n_steps: int,
                 t0: float, dt: float, monitors: tuple, monitor_every: int, block: int,
                 num_warps: int, interpret: bool):
    """`(m, states)` after `n_steps` steps from step `start` (int32 scalar): `m` (N, 3),
    `k0`, `k1` per-junction key words (N,) (zeros without noise, when `increments` is
    ``None``), and the monitors' `states`, every leaf of which has the junction axis
    first (updated in the kernel, block by block)."""
    dynamic, static = eqx.partition((model, drive, increments, monitors), eqx.is_array)
    n = m.shape[0]
    pad = -n % block
    leaves, treedef = jax.tree.flatten(dynamic)
    blocked = [_is_junction_leaf(x, n) for x in leaves]
    args = [_pad(x, pad) if b else (x.reshape(1) if x.ndim == 0 else x)
            for x, b in zip(leaves, blocked)]
    shapes = [x.shape for x in leaves]
    mx, my, mz = (_pad(m[:, i], pad) for i in range(3))
    k0, k1 = _pad(k0, pad), _pad(k1, pad)
    mon_leaves, mon_def = jax.tree.flatten(states)
    mon_args = [_pad(x, pad) for x in mon_leaves]
    start = jnp.broadcast_to(jnp.asarray(start, jnp.int32), (1,))
    n_in, n_mon = len(args), len(mon_args)

    def kernel(*refs):
        mx_ref, my_ref, mz_ref, k0_ref, k1_ref, start_ref = refs[:6]
        leaf_refs = refs[6:6 + n_in]
        mon_refs = refs[6 + n_in:6 + n_in + n_mon]
        out = refs[6 + n_in + n_mon:]
        values = [r[...] if b else r[...].reshape(s)
                  for r, b, s in zip(leaf_refs, blocked, shapes)]
        model, drive, increments, monitors = eqx.combine(
            jax.tree.unflatten(treedef, values), static)
        state = jnp.stack([mx_ref[...], my_ref[...], mz_ref[...]], -1)
        mon = jax.tree.unflatten(mon_def, [r[...] for r in mon_refs])
        state, mon = run_steps(model, drive, increments, k0_ref[...], k1_ref[...], state,
                               start_ref[0], n_steps, t0, dt, monitors, mon, monitor_every)
        for i in range(3):
            out[i][...] = state[:, i]
        for ref, x in zip(out[3:], jax.tree.leaves(mon)):
            ref[...] = x

    def spec(x, per_junction):
        if per_junction:
            rest = x.shape[1:]
            return pl.BlockSpec((block, *rest), lambda i, r=len(rest): (i,) + (0,) * r)
        return pl.BlockSpec(x.shape, lambda i, d=x.ndim: (0,) * d)

    lane = pl.BlockSpec((block,), lambda i: (i,))
    in_specs = ([lane] * 5 + [spec(start, False)]
                + [spec(x, b) for x, b in zip(args, blocked)]
                + [spec(x, True) for x in mon_args])
    params = None if interpret else _compiler_params(num_warps)
    extra = {} if params is None else dict(compiler_params=params)
    outs = pl.pallas_call(
        kernel,
        out_shape=([jax.ShapeDtypeStruct(mx.shape, m.dtype)] * 3
                   + [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in mon_args]),
        grid=(mx.shape[0] // block,),
        in_specs=in_specs,
        out_specs=[lane] * 3 + [spec(x, True) for x in mon_args],
        interpret=interpret,
        **extra,
    )(mx, my, mz, k0, k1, start, *args, *mon_args)
    m_out = jnp.stack([x[:n] for x in outs[:3]], -1)
    return m_out, jax.tree.unflatten(mon_def, [x[:n] for x in outs[3:]])


def monitors_fit_the_kernel(states, n: int) -> bool:
    """Whether the kernel can update these monitor states block by block: every leaf
    has the junction axis (of length `n`) first. Ensemble states (a histogram over
    all junctions) cannot be split into blocks; their monitors tick between launches."""
    return all(_is_junction_leaf(x, n) for x in jax.tree.leaves(states))


def fused_launch(model, drive, increments, k0, k1, m, states, start, *, n_steps: int,
                 t0: float, dt: float, monitors: tuple, monitor_every: int, block: int,
                 num_warps: int, interpret: bool):
    """`pallas_steps` with the custom JVP described in the module docstring;
    differentiable in the arrays of `model`, `drive`, `m` and the monitors' floating
    states."""
    dynamic, static = eqx.partition((model, drive, increments, monitors),
                                    eqx.is_inexact_array)
    kw = dict(n_steps=n_steps, t0=t0, dt=dt)
    if k0 is None:   # no noise
        k0 = k1 = jnp.zeros(m.shape[:1], jnp.uint32)
    start = jnp.asarray(start, jnp.int32)
    mon_float, mon_rest = eqx.partition(states, eqx.is_inexact_array)

    def combine(dynamic, mon_float, mon_rest):
        model, drive, increments, monitors = eqx.combine(dynamic, static)
        return model, drive, increments, monitors, eqx.combine(mon_float, mon_rest)

    # The key words, the start step and the integer monitor states are arguments, not
    # closed-over values: a custom_jvp function must not capture tracers of an
    # enclosing trace (scan, checkpoint); their tangents are zero (integers).
    @jax.custom_jvp
    def launch(dynamic, m, mon_float, mon_rest, k0, k1, start):
        model, drive, increments, monitors, states = combine(dynamic, mon_float, mon_rest)
        m, states = pallas_steps(model, drive, increments, k0, k1, m, states, start,
                                 monitors=monitors, monitor_every=monitor_every,
                                 block=block, num_warps=num_warps, interpret=interpret,
                                 **kw)
        return (m, *eqx.partition(states, eqx.is_inexact_array))

    @functools.partial(launch.defjvp, symbolic_zeros=True)
    def _jvp(primals, tangents):
        dynamic, m, mon_float, mon_rest, k0, k1, start = primals
        out = launch(*primals)
        float0 = jax.tree.map(lambda x: np.zeros(x.shape, jax.dtypes.float0), out[2])
        # Differentiate only in the inputs with a non-zero tangent, as JAX does for the
        # XLA loop: a zero tangent times an infinite partial derivative (a float32
        # quotient by a volume of 1e-24 m^3 has one) would otherwise give NaN.
        leaves, treedef = jax.tree.flatten((dynamic, m, mon_float))
        zero = jax.custom_derivatives.SymbolicZero
        tleaves = jax.tree.leaves(tangents[:3], is_leaf=lambda x: isinstance(x, zero))
        live = [not isinstance(t, zero) for t in tleaves]
        if not any(live):
            return out, (jnp.zeros_like(out[0]), jax.tree.map(jnp.zeros_like, out[1]),
                         float0)

        def xla(*moving):
            it = iter(moving)
            dynamic, m, mon_float = jax.tree.unflatten(
                treedef, [next(it) if b else x for x, b in zip(leaves, live)])
            model, drive, increments, monitors, states = combine(dynamic, mon_float,
                                                                 mon_rest)
            m, states = run_steps(model, drive, increments, k0, k1, m, start, **kw,
                                  monitors=monitors, states=states,
                                  monitor_every=monitor_every)
            return m, eqx.filter(states, eqx.is_inexact_array)
        _, (t_m, t_mon) = jax.jvp(xla, tuple(x for x, b in zip(leaves, live) if b),
                                  tuple(t for t, b in zip(tleaves, live) if b))
        return out, (t_m, t_mon, float0)

    m, mon_float, mon_rest = launch(dynamic, m, mon_float, mon_rest, k0, k1, start)
    return m, eqx.combine(mon_float, mon_rest)
