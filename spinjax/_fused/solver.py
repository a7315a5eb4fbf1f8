r"""`FusedHeun`: the fused fixed-step solver of [`spinjax.simulate`][]."""

import math

import equinox as eqx
import jax
from jax.sharding import PartitionSpec

from .._checks import SimulationInputError
from .._sharding import AXIS
from .heun import run_steps
from .pallas import _is_junction_leaf, fused_launch, monitors_fit_the_kernel

BACKENDS = ("auto", "pallas", "xla")


class FusedHeun(eqx.Module):
    r"""The stochastic Heun scheme with renormalization, as fused loops of whole steps.

    The same equation, scheme and noise as [`spinjax.NormalizedHeun`][] (the diffrax
    path): every field and torque term of the model and every drive (constants and
    pulses, read at each step's own times) are evaluated inside the loop body
    (`spinjax._fused.heun`), and the increment of junction $i$ at step $j$ comes
    from the same counter-based generator, so the same call on either solver gives the
    same trajectory (to rounding). What differs is the loop: one ``lax.fori_loop`` of
    steps (``backend="xla"``, one fused loop over the junctions per step) or a Pallas
    kernel that keeps each block of junctions in registers for many steps
    (``backend="pallas"``), instead of diffrax's generic solve loop. Fixed steps only.

    **Fields:**

    - `backend`: ``"xla"``, ``"pallas"`` (Triton on a GPU; ``interpret=True`` runs the
      same kernel body anywhere), or ``"auto"`` (Pallas on a GPU, XLA elsewhere).
    - `block`: junctions per Pallas program, a power of two (the array is padded to a
      multiple of it). `num_warps`: Triton warps per program. `interpret`: run the
      Pallas kernel in interpret mode (the CPU tests).
    - `segment_steps`: steps per checkpointed segment (a divisor of the save interval;
      default the smallest divisor at least its square root). Reverse-mode gradients
      store the state at segment ends only and recompute each segment, regenerating
      its noise from the counters, so memory grows with the number of segments plus
      one segment's steps, not with the number of steps. On the Pallas backend a
      segment is one kernel launch.
    """

    backend: str = eqx.field(static=True, default="auto")
    block: int = eqx.field(static=True, default=256)
    num_warps: int = eqx.field(static=True, default=4)
    interpret: bool = eqx.field(static=True, default=False)
    segment_steps: int | None = eqx.field(static=True, default=None)

    def __check_init__(self):
        if self.backend not in BACKENDS:
            raise SimulationInputError(f"FusedHeun.backend = {self.backend!r}; the valid "
                                       f"values are {BACKENDS}.")
        b = self.block
        if isinstance(b, bool) or not (isinstance(b, int) and b >= 1 and b & (b - 1) == 0):
            raise SimulationInputError(f"FusedHeun.block = {b!r} must be a power of two.")
        if self.num_warps not in (1, 2, 4, 8, 16, 32):
            raise SimulationInputError(
                f"FusedHeun.num_warps = {self.num_warps!r}; the valid values are 1, 2, 4, "
                "8, 16 and 32 (Triton warps per program).")
        s = self.segment_steps
        if s is not None and (isinstance(s, bool) or not isinstance(s, int) or s < 1):
            raise SimulationInputError(f"FusedHeun.segment_steps = {s!r}; it must be a "
                                       "positive integer (or None).")

    def resolved_backend(self) -> str:
        """``"pallas"`` or ``"xla"``: what ``"auto"`` means on the default device."""
        if self.backend == "auto":
            return "pallas" if jax.default_backend() == "gpu" else "xla"
        return self.backend

    def segment(self, every: int) -> int:
        """Steps per checkpointed segment of a save interval of `every` steps."""
        if self.segment_steps is not None:
            if every % self.segment_steps:
                raise SimulationInputError(
                    f"FusedHeun.segment_steps = {self.segment_steps} must divide the "
                    f"steps between saves ({every}).")
            return self.segment_steps
        root = math.isqrt(every - 1) + 1 if every > 1 else 1
        return next(d for d in range(root, every + 1) if every % d == 0)

    def check(self, batch_shape, common_noise_axes: int) -> None:
        """Refuse what the chosen backend cannot run, naming the option."""
        if self.resolved_backend() != "pallas":
            return
        if len(batch_shape) != 1:
            raise SimulationInputError(
                f"FusedHeun(backend='pallas') needs one junction axis, m0 of shape (N, 3); "
                f"got junction axes {tuple(batch_shape)}. Flatten them, or use "
                "backend='xla' or spinjax.NormalizedHeun().")
        if common_noise_axes:
            raise SimulationInputError(
                "common_noise_axes needs several junction axes, which "
                "FusedHeun(backend='pallas') does not take; use backend='xla'.")

    def monitors_in_loop(self, states, n_junctions: int) -> bool:
        """Whether the monitors tick inside the fused loop (always on the XLA backend;
        on Pallas when every leaf of their states is per junction), so that a launch
        runs a whole segment; otherwise a launch ends at every monitor update."""
        if self.resolved_backend() == "xla":
            return True
        return monitors_fit_the_kernel(states, n_junctions)

    def advance(self, model, drive, increments, k0, k1, m, states, start, n_steps: int, *,
                t0: float, dt: float, monitors=(), monitor_every: int = 1, mesh=None):
        """`(m, states)` after `n_steps` steps numbered from `start`, the `monitors`
        ticking every `monitor_every` steps of the run; `increments` ``None`` without
        noise."""
        kw = dict(t0=t0, dt=dt, monitors=tuple(monitors), monitor_every=monitor_every)
        if self.resolved_backend() == "xla":
            return run_steps(model, drive, increments, k0, k1, m, start, n_steps, **kw,
                             states=states)

        def local(tree, start):
            model, drive, increments, k0, k1, m, states = tree
            return fused_launch(model, drive, increments, k0, k1, m, states, start,
                                n_steps=n_steps, block=self.block,
                                num_warps=self.num_warps, interpret=self.interpret, **kw)

        tree = (model, drive, increments, k0, k1, m, tuple(states))
        if mesh is None:
            return local(tree, start)
        n = m.shape[0]
        dynamic, static = eqx.partition(tree, eqx.is_array)
        specs = jax.tree.map(lambda x: PartitionSpec(AXIS) if _is_junction_leaf(x, n)
                             else PartitionSpec(), dynamic)
        out_specs = (PartitionSpec(AXIS), jax.tree.map(lambda x: PartitionSpec(AXIS),
                                                       tuple(states)))
        # Every junction's loop is independent: no collective (check_vma off).
        return jax.shard_map(lambda d, s: local(eqx.combine(d, static), s), mesh=mesh,
                             in_specs=(specs, PartitionSpec()), out_specs=out_specs,
                             check_vma=False)(dynamic, start)
