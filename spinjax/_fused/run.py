"""`fused_simulate`: the sLLG of a junction array at fixed drive values, many steps per
kernel launch, returning the final state and running observables only."""

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.sharding import Mesh, PartitionSpec

from .._checks import (
    SimulationInputError, _check, _check_drive_shapes, _check_drives_used, _check_inputs,
    _is_concrete, step_count)
from .._drive import Constant, Drive
from .._params import validate
from .._sharding import AXIS, _n_shards, check_divisible, check_fits
from .._simulate import _cast
from .._sllg import SLLG
from .._solver import normalize
from .affine import check_affine, coefficients
from .counter_rng import junction_keys
from .kernel import fused_steps_pallas
from .reference import fused_steps_xla

BACKENDS = ("auto", "pallas", "xla")
# Words of 4 bytes held per junction at the peak of a launch: the state in and out (6),
# key words (2), coefficient rows (15), observables (4), m0 and the stacked result (6),
# and one padded copy of the inputs (20).
_WORDS_PER_JUNCTION = 53


class FusedSolution(NamedTuple):
    r"""What :func:`spinjax.fused_simulate` returns; per junction, shape (N, ...).

    - `m`: the final magnetization, (N, 3).
    - `mean_mz`, `mean_mz2`: $\overline{m_z}$ and $\overline{m_z^2}$ over the states after
      each of the `n_steps` steps (time averages; accumulated in the state's precision).
    - `switches`: the number of Schmitt-trigger well changes of $m_z$ with hysteresis
      $h$ (as :class:`spinjax.SwitchCount`, checked at every step), int32.
    - `side`: the last well (+1, -1; 0 if $m_z$ never left $(-h, h)$), int32.
    """

    m: jax.Array
    mean_mz: jax.Array
    mean_mz2: jax.Array
    switches: jax.Array
    side: jax.Array


def _key_words(key) -> jax.Array:
    key = key if hasattr(key, "dtype") else jnp.asarray(key)
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        words = jax.random.key_data(key)
    else:
        words = jnp.asarray(key)
    if words.shape != (2,) or words.dtype != jnp.uint32:
        raise SimulationInputError(
            f"key must be a Threefry key (jax.random.key(seed) or a uint32 pair); got key "
            f"data of shape {words.shape} and dtype {words.dtype}.")
    return words


def _constant_inputs(drive: Drive, t0: float):
    for name in ("field_A_per_m", "voltage_V", "j_stt_A_per_m2", "j_sot_A_per_m2"):
        if not isinstance(getattr(drive, name), Constant):
            raise SimulationInputError(
                f"drive {name} is a function of time; fused_simulate holds the drive "
                "values fixed over the run. Split a piecewise-constant pulse into one "
                "call per level (passing the state on), or use spinjax.simulate.")
    return drive(jnp.asarray(t0))


def _resolve_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise SimulationInputError(f"backend = {backend!r}; the valid values are {BACKENDS}.")
    if backend == "auto":
        return "pallas" if jax.default_backend() == "gpu" else "xla"
    return backend


@eqx.filter_jit
def _fused(model, inputs, m0, key_words, *, dt, n_steps, thermal, hysteresis, backend,
           block, num_warps, interpret, mesh):
    n = m0.shape[0]
    coef = coefficients(model, inputs, n, dt, thermal, m0.dtype)
    k0, k1 = junction_keys(key_words, jnp.arange(n, dtype=jnp.uint32))

    def local(mx, my, mz, k0, k1, coef):
        size = mx.shape[0]
        pad = -size % block if backend == "pallas" else 0
        if pad:
            def padded(x, fill):
                return jnp.concatenate([x, jnp.full((pad,), fill, x.dtype)])
            mx, my, k0, k1 = (padded(x, 0) for x in (mx, my, k0, k1))
            mz = padded(mz, 1)
            coef = type(coef)(*(padded(x, 0) for x in coef))
        if backend == "pallas":
            m, obs = fused_steps_pallas(mx, my, mz, k0, k1, coef, n_steps=n_steps,
                                        hysteresis=hysteresis, block=block,
                                        num_warps=num_warps, interpret=interpret)
        else:
            m, obs = fused_steps_xla(mx, my, mz, k0, k1, coef, n_steps=n_steps,
                                     hysteresis=hysteresis)
        return tuple(x[:size] for x in (*m, *obs))

    if mesh is not None:
        # Every junction's loop is independent: no collective, so the per-shard loop
        # carries need no varying-axes bookkeeping (check_vma off).
        local = jax.shard_map(local, mesh=mesh, in_specs=PartitionSpec(AXIS),
                              out_specs=PartitionSpec(AXIS), check_vma=False)
    mx, my, mz, s1, s2, side, switches = local(m0[:, 0], m0[:, 1], m0[:, 2], k0, k1, coef)
    return FusedSolution(jnp.stack([mx, my, mz], axis=-1), s1 / n_steps, s2 / n_steps,
                         switches, side)


def fused_simulate(model: SLLG, m0, *, t1: float, dt: float, key=None,
                   drive: Drive | None = None, t0: float = 0.0,
                   thermal: bool | None = None, hysteresis: float = 0.5,
                   max_angle: float = 0.5, backend: str = "auto", block: int = 256,
                   num_warps: int = 4, interpret: bool = False, mesh: Mesh | None = None) -> FusedSolution:
    r"""Integrate the sLLG of `N` junctions at fixed drive values with fused steps.

    The same equation, scheme and step bound as :func:`spinjax.simulate`
    (:class:`spinjax.NormalizedHeun`, Stratonovich, one Gaussian draw per step), for
    models whose Gilbert field is affine in $\mathbf m$ (every field term, and the
    spin-orbit torques; not the angular Slonczewski torque, which is refused by name).
    The noise of junction $i$ at step $j$ is Threefry-2x32 of the counters
    $(j, 0), (j, 1)$ under a key derived from `key` and the global index $i$, then
    Box-Muller: the same key gives the same per-junction result on any backend,
    block size or number of devices (to float rounding), but not the same noise as
    :func:`spinjax.simulate`, whose increments come from ``jax.random``. Nothing is
    saved per step: the result holds the final state and running observables, so
    memory does not grow with the number of steps.

    Differentiable in the model's parameters, the drive values and `m0`: forward mode
    (``jax.jvp``, ``jax.jacfwd``) on every backend (through the kernel, a tangent kernel
    carries all directions in one launch), reverse mode (``jax.grad``) on
    ``backend="xla"`` only (a Pallas kernel has no transpose). The derivative is
    pathwise, with the random numbers held fixed.

    **Arguments:** as :func:`spinjax.simulate`, with `m0` of shape (N, 3) and a
    `drive` of constant values (``Constant`` or arrays; a pulse is a sequence of calls).

    - `hysteresis`: the band of the switch counter, $|m_z| < h$.
    - `backend`: ``"pallas"`` (one kernel launch for all steps; Triton on GPU, or
      ``interpret=True`` anywhere), ``"xla"`` (a ``lax.fori_loop`` of the same step),
      or ``"auto"``: Pallas on a GPU, XLA elsewhere.
    - `block`: junctions per Pallas program, a power of two; N is padded to a multiple
      of it internally. `num_warps`: Triton warps per program (GPU only).
    - `mesh`: a :func:`spinjax.junction_mesh`; the junctions are split over its devices
      (``shard_map``), each running its own launch.
    """
    drive = Drive() if drive is None else drive
    n_steps = step_count(t0, t1, dt, limit=2**31)
    if not (isinstance(block, int) and block >= 1 and block & (block - 1) == 0):
        raise SimulationInputError(f"block = {block!r} must be a power of two.")
    if num_warps not in (1, 2, 4, 8, 16, 32):
        raise SimulationInputError(f"num_warps = {num_warps!r}; the valid values are 1, 2, "
                                   "4, 8, 16 and 32 (Triton warps per program).")
    if not 0 <= hysteresis < 1:
        raise SimulationInputError(f"hysteresis = {hysteresis!r}; the valid range is [0, 1).")
    backend = _resolve_backend(backend)
    m0 = jnp.asarray(m0)
    if m0.ndim != 2 or m0.shape[-1] != 3 or not jnp.issubdtype(m0.dtype, jnp.floating):
        raise SimulationInputError(f"m0 must be a float array of shape (N, 3); got shape "
                                   f"{m0.shape} and dtype {m0.dtype}.")
    n = m0.shape[0]
    k = 1 if mesh is None else _n_shards(mesh)
    if mesh is not None:
        check_divisible(n, mesh)
    itemsize = jnp.dtype(m0.dtype).itemsize
    check_fits(-(-n // k) * _WORDS_PER_JUNCTION * itemsize, mesh,
               f"fused_simulate of {n} junctions")
    model = _cast(model, m0.dtype)
    norm = jnp.linalg.norm(m0, axis=-1)
    m0 = _check(m0, jnp.all(jnp.isfinite(norm) & (norm > 0)),
                "m0 must be finite and non-zero (it is normalized to unit length).")
    m0 = validate(model, (n,), normalize(m0))
    temp = model.layer.temperature_K
    if thermal is None:
        thermal = not (_is_concrete(temp) and bool(jnp.all(temp == 0)))
    if thermal:
        layer = model.layer
        m0 = _check(m0, ~jnp.any((layer.alpha == 0) & (layer.temperature_K > 0)),
                    "FreeLayer.alpha = 0 with temperature_K > 0: alpha must be in (0, inf) "
                    "at T > 0.")
        if key is None:
            raise SimulationInputError("key is required when the thermal field is on "
                                       "(temperature_K > 0): pass jax.random.key(seed).")
    words = _key_words(jax.random.key(0) if key is None else key)
    _check_drives_used(model, drive)
    _check_drive_shapes(drive, (n,), t0)
    inputs = _constant_inputs(drive, t0)
    m0 = _check_inputs(model, drive, m0, float(t0), float(dt), n_steps, max_angle, thermal)
    m0 = check_affine(model, inputs, n, m0.dtype, m0)
    return _fused(model, inputs, m0, words, dt=float(dt), n_steps=n_steps,
                  thermal=bool(thermal), hysteresis=float(hysteresis), backend=backend,
                  block=block, num_warps=num_warps, interpret=bool(interpret),
                  mesh=mesh)
