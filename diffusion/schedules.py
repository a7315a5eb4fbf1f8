r"""Noise schedules of a discrete-time diffusion: $\beta_t$, $\alpha_t$, $\bar\alpha_t$.

The forward (noising) process of Ho et al. 2020 over $t = 0, \dots, T-1$ (zero-based
here, as in the code of Ho et al. and of Nichol and Dhariwal):

$$q(x_t \mid x_{t-1}) = \mathcal N\big(\sqrt{\alpha_t}\,x_{t-1},\ \beta_t I\big),\qquad
\alpha_t = 1 - \beta_t,\qquad \bar\alpha_t = \prod_{s \le t} \alpha_s,$$

so that $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon$ with
$\varepsilon \sim \mathcal N(0, I)$ ([`q_sample`][diffusion.schedules.q_sample]). A
[`Schedule`][diffusion.schedules.Schedule] holds the three float32 arrays of length $T$; the
constructors compute them in float64 and round once, as Ho et al. do.

References: J. Ho, A. Jain, P. Abbeel, *Denoising Diffusion Probabilistic Models*,
NeurIPS 2020 (arXiv:2006.11239); A. Nichol, P. Dhariwal, *Improved Denoising Diffusion
Probabilistic Models*, ICML 2021 (arXiv:2102.09672).
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .errors import ScheduleError

__all__ = [
    "Schedule", "ScheduleError", "cosine_schedule", "linear_schedule", "make_schedule",
    "posterior_variance", "q_sample", "respace", "respaced_timesteps",
    "schedule_from_alphas_cumprod", "schedule_from_betas",
]


class Schedule(eqx.Module):
    r"""$\beta_t$, $\alpha_t = 1-\beta_t$ and $\bar\alpha_t = \prod_{s\le t}\alpha_s$,
    $t = 0, \dots, T-1$, float32 arrays of length $T$ (a pytree: it can be passed
    through ``jit``; $T$ is static, the array length).

    Build it with [`linear_schedule`][diffusion.schedules.linear_schedule],
    [`cosine_schedule`][diffusion.schedules.cosine_schedule],
    [`make_schedule`][diffusion.schedules.make_schedule],
    [`schedule_from_betas`][diffusion.schedules.schedule_from_betas] or
    [`schedule_from_alphas_cumprod`][diffusion.schedules.schedule_from_alphas_cumprod], not
    field by field: the constructors keep the three arrays consistent.
    """

    betas: Float[Array, " T"]
    alphas: Float[Array, " T"]
    alphas_cumprod: Float[Array, " T"]

    @property
    def num_timesteps(self) -> int:
        """$T$, the number of diffusion steps (static)."""
        return self.betas.shape[0]


def _check_num_timesteps(name: str, T) -> int:
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ScheduleError(f"{name} must be an integer >= 1; got {T!r}.")
    return int(T)


def schedule_from_betas(betas) -> Schedule:
    r"""A [`Schedule`][diffusion.schedules.Schedule] from $\beta_t$ (any float array of
    length $T$, each in $(0, 1)$; the products are taken in float64 when the input is
    concrete)."""
    b = np.asarray(betas, np.float64)
    if b.ndim != 1 or b.size < 1:
        raise ScheduleError(f"betas must be a non-empty 1-d array; got shape {b.shape}.")
    if not np.all(np.isfinite(b)) or np.any(b <= 0) or np.any(b >= 1):
        i = int(np.argmax(~np.isfinite(b) | (b <= 0) | (b >= 1)))
        raise ScheduleError(f"every beta must lie in (0, 1); got betas[{i}] = {b[i]!r}.")
    alphas = 1.0 - b
    return Schedule(jnp.asarray(b, jnp.float32), jnp.asarray(alphas, jnp.float32),
                    jnp.asarray(np.cumprod(alphas), jnp.float32))


def schedule_from_alphas_cumprod(alphas_cumprod) -> Schedule:
    r"""A [`Schedule`][diffusion.schedules.Schedule] whose $\bar\alpha_t$ are exactly
    `alphas_cumprod`, with $\beta_t = 1 - \bar\alpha_t/\bar\alpha_{t-1}$
    ($\bar\alpha_{-1} = 1$).

    Works on traced arrays too (used by [`respace`][diffusion.schedules.respace] inside the
    samplers' ``jit``); `alphas_cumprod` must be decreasing in $(0, 1]$ (checked only when
    concrete).
    """
    abar = jnp.asarray(alphas_cumprod, jnp.float32)
    if abar.ndim != 1 or abar.shape[0] < 1:
        raise ScheduleError(
            f"alphas_cumprod must be a non-empty 1-d array; got shape {abar.shape}.")
    if not isinstance(abar, jax.core.Tracer):
        a = np.asarray(abar, np.float64)
        prev = np.concatenate([[1.0], a[:-1]])
        if not np.all(np.isfinite(a)) or np.any(a <= 0) or np.any(a >= prev):
            raise ScheduleError(
                "alphas_cumprod must be strictly decreasing, finite, in (0, 1), "
                f"starting below 1; got {a!r}.")
    prev = jnp.concatenate([jnp.ones((1,), jnp.float32), abar[:-1]])
    alphas = abar / prev
    return Schedule(1.0 - alphas, alphas, abar)


def linear_schedule(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> Schedule:
    r"""Ho et al.'s linear schedule: $\beta_t$ evenly spaced from `beta_start` to
    `beta_end` over $t = 0, \dots, T-1$.

    The defaults are those of Ho et al. 2020 for $T = 1000$ ($\bar\alpha_{T-1} \approx
    4\times 10^{-5}$). For other $T$, scale both ends by $1000/T$ to keep the same
    continuous-time process (Nichol and Dhariwal 2021, section 3.2 footnote).

    **Arguments:**

    - `T`: number of steps, an integer >= 1.
    - `beta_start`, `beta_end`: first and last $\beta$, $0 < $ `beta_start` $\le$
      `beta_end` $< 1$.
    """
    T = _check_num_timesteps("T", T)
    for name, value in (("beta_start", beta_start), ("beta_end", beta_end)):
        if not (isinstance(value, (int, float)) and 0.0 < value < 1.0):
            raise ScheduleError(f"{name} must be a float in (0, 1); got {value!r}.")
    if beta_start > beta_end:
        raise ScheduleError(
            f"beta_start must not exceed beta_end; got beta_start = {beta_start!r}, "
            f"beta_end = {beta_end!r}.")
    return schedule_from_betas(np.linspace(beta_start, beta_end, T, dtype=np.float64))


def cosine_schedule(T: int, s: float = 0.008, max_beta: float = 0.999) -> Schedule:
    r"""Nichol and Dhariwal's cosine schedule.

    $$\bar\alpha_t = \frac{f(t+1)}{f(0)},\quad f(u) = \cos^2\!\Big(\frac{u/T + s}{1+s}
    \cdot\frac{\pi}{2}\Big),\qquad \beta_t = \min\Big(1 - \frac{\bar\alpha_t}
    {\bar\alpha_{t-1}},\ \beta_{\max}\Big),$$

    $t = 0, \dots, T-1$ (their eq. 17 with zero-based steps), then $\bar\alpha_t$
    recomputed from the clipped $\beta_t$. The clip ($\beta_{\max} = 0.999$) stops the
    singularity at $t = T-1$, where $f(T) = 0$.

    **Arguments:**

    - `T`: number of steps, an integer >= 1.
    - `s`: the small offset that keeps $\beta_0$ from being too small, $s \ge 0$.
    - `max_beta`: the clip, in (0, 1).
    """
    T = _check_num_timesteps("T", T)
    if not (isinstance(s, (int, float)) and math.isfinite(s) and s >= 0):
        raise ScheduleError(f"s must be a finite float >= 0; got {s!r}.")
    if not (isinstance(max_beta, (int, float)) and 0.0 < max_beta < 1.0):
        raise ScheduleError(f"max_beta must be a float in (0, 1); got {max_beta!r}.")

    def f(u):
        return np.cos((u / T + s) / (1 + s) * np.pi / 2) ** 2

    u = np.arange(T + 1, dtype=np.float64)
    betas = np.minimum(1.0 - f(u[1:]) / f(u[:-1]), max_beta)
    return schedule_from_betas(betas)


def make_schedule(kind: str, T: int, **kwargs) -> Schedule:
    """``linear_schedule(T, **kwargs)`` for `kind` = "linear", ``cosine_schedule(T,
    **kwargs)`` for "cosine" (a config's choice of schedule)."""
    constructors = {"linear": linear_schedule, "cosine": cosine_schedule}
    if kind not in constructors:
        raise ScheduleError(
            f"kind must be one of {sorted(constructors)}; got {kind!r}.")
    return constructors[kind](T, **kwargs)


def respaced_timesteps(T: int, num_steps: int) -> np.ndarray:
    r"""The `num_steps` original timesteps kept by [`respace`][diffusion.schedules.respace],
    increasing.

    Nichol and Dhariwal's even spacing (``space_timesteps(T, [num_steps])``):
    $\tau_i = \mathrm{round}\big(i\,(T-1)/(S-1)\big)$, $i = 0, \dots, S-1$, which keeps
    both $0$ and $T-1$; for $S = 1$ the single kept step is $T-1$ (one step from the
    prior, not Nichol and Dhariwal's step 0). Static (numpy int32).
    """
    T = _check_num_timesteps("T", T)
    S = _check_num_timesteps("num_steps", num_steps)
    if S > T:
        raise ScheduleError(
            f"num_steps must be in [1, T] = [1, {T}]; got num_steps = {S}.")
    if S == 1:
        return np.array([T - 1], np.int32)
    kept = np.round(np.arange(S, dtype=np.float64) * ((T - 1) / (S - 1))).astype(np.int32)
    assert np.all(np.diff(kept) > 0)  # S <= T makes the rounded steps distinct
    return kept


def respace(schedule: Schedule, num_steps: int) -> tuple[Schedule, np.ndarray]:
    r"""The schedule of `num_steps` evenly spaced steps, and the kept timesteps.

    Nichol and Dhariwal 2021 (section 4): keep the steps $\tau_0 < \dots < \tau_{S-1}$ of
    [`respaced_timesteps`][diffusion.schedules.respaced_timesteps] and set

    $$\bar\alpha'_i = \bar\alpha_{\tau_i},\qquad
    \beta'_i = 1 - \frac{\bar\alpha'_i}{\bar\alpha'_{i-1}}\quad (\bar\alpha'_{-1} = 1),$$

    so that the marginals $q(x_{\tau_i} \mid x_0)$ are unchanged. A model trained on
    the original schedule is evaluated at the original step $\tau_i$ when the respaced
    sampler is at step $i$. `num_steps` = $T$ returns `schedule` itself (its float64-
    rounded $\beta_t$, not ratios of float32 $\bar\alpha_t$) and $\tau_i = i$.

    Works under ``jit`` (the kept steps depend only on the static $T$ and `num_steps`).

    **Returns:** ``(respaced, timesteps)``: a [`Schedule`][diffusion.schedules.Schedule] of
    length `num_steps` and the kept original steps (numpy int32, increasing).
    """
    kept = respaced_timesteps(schedule.num_timesteps, num_steps)
    if num_steps == schedule.num_timesteps:
        return schedule, kept
    return schedule_from_alphas_cumprod(schedule.alphas_cumprod[kept]), kept


def posterior_variance(schedule: Schedule) -> Float[Array, " T"]:
    r"""$\tilde\beta_t = \beta_t\,(1-\bar\alpha_{t-1})/(1-\bar\alpha_t)$, the variance of
    $q(x_{t-1} \mid x_t, x_0)$ (Ho et al. eq. 7), with $\bar\alpha_{-1} = 1$ so
    $\tilde\beta_0 = 0$."""
    abar = schedule.alphas_cumprod
    prev = jnp.concatenate([jnp.ones((1,), abar.dtype), abar[:-1]])
    return schedule.betas * (1.0 - prev) / (1.0 - abar)


def q_sample(schedule: Schedule, x0: Float[Array, "B *D"], t: Int[Array, " B"],
             noise: Float[Array, "B *D"]) -> Float[Array, "B *D"]:
    r"""$x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon$ (Ho et al.
    eq. 4), `t` a scalar or one step per leading entry of `x0` (shape (B,)).

    The result has the dtype of `x0` (coefficients are cast to it).
    """
    t = jnp.asarray(t)
    if not jnp.issubdtype(t.dtype, jnp.integer):
        raise ScheduleError(f"t must be an integer array of timesteps; got dtype {t.dtype}.")
    if t.ndim > 1 or (t.ndim == 1 and t.shape[0] != x0.shape[0]):
        raise ScheduleError(
            f"t must be a scalar or have shape (B,) = ({x0.shape[0]},); got {t.shape}.")
    abar = schedule.alphas_cumprod[t].astype(x0.dtype)
    abar = abar.reshape(abar.shape + (1,) * (x0.ndim - abar.ndim))
    return jnp.sqrt(abar) * x0 + jnp.sqrt(1.0 - abar) * noise.astype(x0.dtype)
