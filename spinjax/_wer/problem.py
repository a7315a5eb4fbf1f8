"""One write, as the estimators of the write error rate see it: the device, its pulse, the
initial well, the horizon and the time grid on which trajectories are scored."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._drive import Drive
from .._increments import AbstractIncrements, GaussianIncrements
from .._params import InvalidParameterError, float_dtype
from .._pulses.base import AbstractPulse
from .._save import Save
from ..devices.mtj import MTJ
from .._simulate import simulate
from .._validate import check_choice, check_real
from ..experiments._args import _THERMAL_DT, _THERMAL_T, initial_thermal_state

INPUTS = ("voltage_V", "j_sot_A_per_m2", "j_stt_A_per_m2", "field_A_per_m")
_GRID_POINTS = 64   # at least this many score times on the horizon (fewer only if steps are)
_PREP_POINTS = 32   # and on the preparation of the initial state


class Shifted(AbstractPulse):
    r"""$A(t + s)$: `pulse` read `shift_s` later, one shift per junction (shape (N,)).

    A clone of a splitting run restarts at the absolute time $s$ of its branching point
    while the solve counts its own time from 0: the shift keeps every clone on the
    pulse's absolute clock."""

    pulse: AbstractPulse
    shift_s: jax.Array

    def __call__(self, t):
        return self.pulse(t + self.shift_s)

    def max_abs(self, t0, t1):
        bound = self.pulse.max_abs(t0 + jnp.min(self.shift_s), t1 + jnp.max(self.shift_s))
        return None if bound is None else jnp.max(bound)


def _divisor_near(n: int, target: int) -> int:
    """The largest divisor of n that is at most `target` (at least 1)."""
    best = 1
    for d in range(1, int(math.isqrt(n)) + 1):
        if n % d == 0:
            for c in (d, n // d):
                if c <= target:
                    best = max(best, c)
    return best


class WriteProblem(eqx.Module):
    r"""A write from the `start_well` of the device's easy axis $\hat u$ by `pulse` on
    the drive `input_name`, judged at the horizon $T$ (the end of the pulse's support
    plus `settle_s`, on the step grid): an error is a junction with
    $s\,\mathbf m(T)\cdot\hat u > 0$ ($s$ = `start_well`), i.e. not in the target well.

    Trajectories are scored on a grid of $K + 1$ times $g\,\Delta$, $\Delta$ = `every`
    steps, $K\,\Delta = T$."""

    device: object
    pulse: AbstractPulse
    input_name: str = eqx.field(static=True)
    start_well: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    n_steps: int = eqx.field(static=True)
    every: int = eqx.field(static=True)
    noise: AbstractIncrements
    solver: object
    m0: object = None

    @property
    def t1(self) -> float:
        return self.n_steps * self.dt

    @property
    def grid(self) -> int:
        """K: the number of grid intervals."""
        return self.n_steps // self.every

    def axis(self, dtype):
        return jnp.asarray(self.device.easy_axis, dtype)

    def dtype(self):
        return float_dtype(self.device.model.layer.Ms)

    def initial(self, key, n: int):
        """n initial states: the thermal distribution in the start well (or `m0`)."""
        if self.m0 is not None:
            return jnp.broadcast_to(jnp.asarray(self.m0, self.dtype()), (n, 3))
        return jnp.asarray(initial_thermal_state(self.device, key, (n,), self.start_well,
                                                 self.dt), self.dtype())

    @property
    def prep_dt(self) -> float:
        """The preparation's step: min(dt, 1 ps), as `initial` draws it."""
        return min(self.dt, _THERMAL_DT)

    @property
    def prep_steps(self) -> int:
        """Steps of the preparation (0 with a given `m0`)."""
        if self.m0 is not None:
            return 0
        return max(1, round(_THERMAL_T / self.prep_dt))

    @property
    def prep_every(self) -> int:
        return _divisor_near(self.prep_steps, max(1, self.prep_steps // _PREP_POINTS)) \
            if self.prep_steps else 1

    @property
    def prep_grid(self) -> int:
        """K_p: grid intervals of the preparation (0 with a given `m0`)."""
        return self.prep_steps // self.prep_every

    def prepare(self, key, m0, n_steps, *, noise=None, solver=None):
        r"""The preparation as a path: the relaxation at $\alpha = 1$ and zero drive that
        `initial` runs ([`MTJ.thermal_state`][spinjax.devices.MTJ.thermal_state] at min(dt,
        1 ps) for 2 ns), from `m0` (n, 3) for `n_steps`, saved every `prep_every` steps: (n,
        points, 3). Time homogeneous, so a clone restarts it from any of its grid points.
        `noise` and `solver` replace the problem's for this solve (default: the
        counter-based increments of `key`, the default solver)."""
        dtype = self.dtype()
        model = eqx.tree_at(lambda mdl: mdl.layer.alpha, self.device.model,
                            jnp.ones_like(jnp.asarray(self.device.model.layer.alpha, dtype)))
        sol = simulate(model, m0, t1=n_steps * self.prep_dt, dt=self.prep_dt, key=key,
                       save=Save(every=self.prep_every), solver=solver,
                       **({} if noise is None else {"noise": noise}))
        return jnp.moveaxis(sol.ys, 0, -2)

    def start(self, n: int):
        """The preparation's start: the bottom of the start well, (n, 3)."""
        return self.start_well * jnp.broadcast_to(self.axis(self.dtype()), (n, 3))

    def run(self, m0, key, *, shift_s=None, n_steps=None, save=False, noise=None,
            solver=None):
        """Solve from `m0` for `n_steps` (default the horizon); each junction reads the
        pulse `shift_s` (s, shape (n,)) later. Returns the final states, and with `save`
        the states on the grid, shape (n, steps/every + 1, 3). `noise` and `solver`
        replace the problem's for this solve."""
        n_steps = self.n_steps if n_steps is None else n_steps
        pulse = self.pulse if shift_s is None else Shifted(self.pulse, shift_s)
        sol = simulate(self.device.model, m0, t1=n_steps * self.dt, dt=self.dt, key=key,
                       drive=Drive(**{self.input_name: pulse}),
                       noise=self.noise if noise is None else noise,
                       solver=self.solver if solver is None else solver,
                       save=Save(every=self.every) if save else Save())
        if not save:
            return sol.m, None
        return sol.m, jnp.moveaxis(sol.ys, 0, -2)

    def errors(self, m):
        """True where the final state `m` (..., 3) is not in the target well."""
        return (self.start_well * (m @ self.axis(m.dtype))) > 0

    def progress(self, m):
        r"""$s\,\mathbf m\cdot\hat u$: 1 at the bottom of the start well, -1 in the target."""
        return self.start_well * (m @ self.axis(m.dtype))


def check_device(device) -> None:
    """A write error rate is a junction's: `device` must be a spinjax.devices.MTJ."""
    if not isinstance(device, MTJ):
        raise InvalidParameterError(
            f"device = {device!r:.80}; it must be a junction (spinjax.devices.MTJ, e.g. "
            "spinjax.devices.vcma_mtj()).")


def default_input(device) -> str:
    """The drive a preset is written with: the heavy-metal current of an SOT junction
    (one with a channel), the voltage across the barrier otherwise."""
    return "j_sot_A_per_m2" if getattr(device, "channel_ohm", None) is not None else "voltage_V"


def make_problem(device, pulse, *, input_name, start_well, dt, settle_s, duration_s, noise,
                 solver, m0) -> WriteProblem:
    """Validate the write and build its `WriteProblem`."""
    check_device(device)
    if not isinstance(pulse, AbstractPulse):
        raise InvalidParameterError(
            f"pulse = {pulse!r}; it must be a spinjax pulse (Trapezoid, GaussianPulse, "
            "Sinusoid, PiecewiseLinear, or a Sum or Sequence of them), or an amplitude "
            "with width_s.")
    input_name = default_input(device) if input_name is None else input_name
    check_choice("input_name", input_name, INPUTS[:3])
    check_choice("start_well", start_well, (1, -1))
    dt = check_real("dt", dt, 0.0, closed_lo=False, unit="s")
    settle_s = check_real("settle_s", settle_s, 0.0, unit="s")
    if not isinstance(noise, AbstractIncrements):
        raise InvalidParameterError(f"noise = {noise!r}; it must be GaussianIncrements() "
                                    "or RademacherIncrements().")
    if duration_s is None:
        end = float(np.max(np.asarray(pulse.support()[1])))
        if not math.isfinite(end):
            raise InvalidParameterError(
                "the pulse has no end (its support is unbounded, e.g. a Sinusoid): give "
                "duration_s, the time in s at which the write is judged.")
        duration_s = max(end, 0.0) + settle_s
    duration_s = check_real("duration_s", duration_s, 0.0, closed_lo=False, unit="s")
    n_steps = max(1, int(np.ceil(duration_s / dt - 1e-9)))
    every = _divisor_near(n_steps, max(1, n_steps // _GRID_POINTS))
    if m0 is not None and np.shape(m0) != (3,):
        raise InvalidParameterError(f"m0 has shape {np.shape(m0)}; it must be one state of "
                                    "shape (3,) (every trial starts there), or None for "
                                    "the thermal distribution of the start well.")
    return WriteProblem(device, pulse, input_name, start_well, dt, n_steps, every, noise,
                        solver, m0)


def noise_or_default(noise):
    return GaussianIncrements() if noise is None else noise
