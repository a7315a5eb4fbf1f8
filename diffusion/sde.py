r"""The forward SDE of a diffusion model: one abstract interface and the VP-SDE.

Song et al. 2021 (score_sde) write every diffusion model as an Itô SDE on
$t \in [0, 1]$,

$$dx = f(x, t)\,dt + g(t)\,dW,$$

which carries data $x_0 \sim p_0$ to a prior $p_1$ that is easy to sample. Generation
runs its reverse (Anderson 1982), $dx = [f(x, t) - g(t)^2\,\nabla_x \log p_t(x)]\,dt
+ g(t)\,d\bar W$ from $t = 1$ to $0$, or the probability-flow ODE with half the score
term. [`AbstractSDE`][diffusion.sde.AbstractSDE] is score_sde's ``SDE`` class: the drift
$f$, the diffusion $g$, the marginal $p_t(x \mid x_0)$ (Gaussian for the linear SDEs of
diffusion models) and the prior. The samplers of [`diffusion.samplers`][] read the process
only through it.

[`VPSDE`][diffusion.sde.VPSDE] is the variance-preserving SDE whose discretization is a
[`Schedule`][diffusion.schedules.Schedule] (the process the $\varepsilon$-network is trained
on): $f = -\tfrac12\beta(t)\,x$, $g = \sqrt{\beta(t)}$, with $\beta(t)$ the schedule's
$T\beta_i$ linearly interpolated over $t_i = i/(T-1)$ (score_sde's ``VPSDE``, whose
discrete betas are $\beta(t_i)/T$).

References: Y. Song, J. Sohl-Dickstein, D. P. Kingma, A. Kumar, S. Ermon, B. Poole,
*Score-Based Generative Modeling through Stochastic Differential Equations*, ICLR 2021
(arXiv:2011.13456), sections 3 and 4 and appendix B; B. D. O. Anderson, Stoch. Proc.
Appl. 12, 313 (1982).
"""

import abc

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int

from .errors import ScheduleError
from .noise import AbstractNoiseSource
from .schedules import Schedule, respace

__all__ = ["AbstractSDE", "VPSDE", "as_sde"]


class AbstractSDE(eqx.Module):
    r"""$dx = f(x, t)\,dt + g(t)\,dW$ on $t \in [0, 1]$, $x(0) \sim p_0$ (the data):
    score_sde's ``SDE`` interface.

    Subclasses implement [`drift`][diffusion.sde.AbstractSDE.drift],
    [`diffusion`][diffusion.sde.AbstractSDE.diffusion],
    [`marginal`][diffusion.sde.AbstractSDE.marginal] and
    [`prior_sample`][diffusion.sde.AbstractSDE.prior_sample];
    [`reverse_drift`][diffusion.sde.AbstractSDE.reverse_drift] follows from them.
    """

    @abc.abstractmethod
    def drift(self, x: Float[Array, "*B"], t: Float[ArrayLike, ""]) -> Float[Array, "*B"]:
        """$f(x, t)$, the drift at time `t` (a scalar in [0, 1])."""

    @abc.abstractmethod
    def diffusion(self, t: Float[ArrayLike, "*T"]) -> Float[Array, "*T"]:
        """$g(t)$, the diffusion coefficient (scalar noise, the same for every entry of
        $x$), elementwise over `t`."""

    @abc.abstractmethod
    def marginal(self, x0: Float[Array, "B *D"], t: Float[ArrayLike, "*B"]
                 ) -> tuple[Float[Array, "B *D"], Float[Array, "*B"]]:
        r"""``(mean, std)`` of the Gaussian $p_t(x \mid x_0) = \mathcal N(\mathrm{mean},
        \mathrm{std}^2 I)$: `t` a scalar or one time per leading entry of `x0`; `std`
        broadcasts against `x0`."""

    @abc.abstractmethod
    def prior_sample(self, noise: AbstractNoiseSource, state, shape: tuple[int, ...]):
        r"""``(x, state)``: a draw of `shape` from the prior $p_1$, built from the
        standard normals of ``noise.sample(state, shape)`` (the noise source is the only
        randomness a sampler has)."""

    def reverse_drift(self, x: Float[Array, "*B"], t: Float[ArrayLike, ""],
                      score: Float[Array, "*B"], probability_flow: bool = False
                      ) -> Float[Array, "*B"]:
        r"""The drift of the reverse-time SDE, $f(x, t) - g(t)^2 s$ (Song et al. eq. 6),
        or with `probability_flow` that of the probability-flow ODE,
        $f(x, t) - \tfrac12 g(t)^2 s$ (their eq. 13), given the score
        $s \approx \nabla_x \log p_t(x)$. Time runs backwards: an Euler step of size
        $\Delta t < 0$ adds ``reverse_drift * dt``."""
        g2 = self.diffusion(t) ** 2
        return self.drift(x, t) - (0.5 * g2 if probability_flow else g2) * score


class VPSDE(AbstractSDE):
    r"""The variance-preserving SDE $dx = -\tfrac12\beta(t)\,x\,dt + \sqrt{\beta(t)}\,dW$
    of a discrete schedule (Song et al. eq. 11).

    With $T$ steps and $t_i = i/(T-1)$, $\beta(t)$ is $T\beta_i$ at $t_i$, linear in
    between (constant $T\beta_0$ for $T = 1$), so that the Euler step of length $1/T$
    reproduces the schedule's $\beta_i$. The marginal is exact for this $\beta(t)$:

    $$p_t(x \mid x_0) = \mathcal N\big(e^{-B(t)/2} x_0,\ (1 - e^{-B(t)}) I\big),\qquad
    B(t) = \int_0^t \beta(s)\,ds$$

    (the integral of the piecewise-linear $\beta$ in closed form). It matches the
    schedule's $\bar\alpha_i$ at $t_i$ only up to $O(1/T)$: the $\varepsilon$-network is
    trained on the discrete chain, whose marginals are $\bar\alpha_i$; its score at $t$
    is [`eps_score`][diffusion.sde.VPSDE.eps_score] at the nearest step
    [`timestep`][diffusion.sde.VPSDE.timestep], and the discrete samplers (DDPM, DDIM) run
    on [`discretize`][diffusion.sde.VPSDE.discretize]. The prior is $\mathcal N(0, I)$.

    **Fields:**

    - `schedule`: the training [`Schedule`][diffusion.schedules.Schedule] ($T$ steps).
    """

    schedule: Schedule

    def __check_init__(self):
        if not isinstance(self.schedule, Schedule):
            raise ScheduleError(f"schedule must be a diffusion.schedules.Schedule; got "
                                f"{type(self.schedule).__name__}.")

    @property
    def num_timesteps(self) -> int:
        """$T$, the steps of the discrete chain (static)."""
        return self.schedule.num_timesteps

    def beta(self, t: Float[ArrayLike, "*T"]) -> Float[Array, "*T"]:
        r"""$\beta(t)$, float32, elementwise over `t` (numpy float64 times are scaled to
        the step axis in float64 before the float32 interpolation)."""
        T = self.num_timesteps
        steps = jnp.arange(T, dtype=jnp.float32)
        return T * jnp.interp(jnp.asarray(t * (T - 1), jnp.float32), steps,
                              self.schedule.betas)

    def drift(self, x, t):
        return -0.5 * self.beta(t).astype(x.dtype) * x

    def diffusion(self, t):
        return jnp.sqrt(self.beta(t))

    def integrated_beta(self, t: Float[ArrayLike, "*T"]) -> Float[Array, "*T"]:
        r"""$B(t) = \int_0^t \beta(s)\,ds$: the trapezoids of the whole segments below
        $t$ plus the part of the segment holding $t$ (exact for the piecewise-linear
        $\beta$), float32."""
        T = self.num_timesteps
        b = T * self.schedule.betas
        t = jnp.asarray(t, jnp.float32)
        if T == 1:
            return b[0] * t
        h = 1.0 / (T - 1)
        whole = jnp.concatenate([jnp.zeros((1,), b.dtype),
                                 jnp.cumsum(0.5 * h * (b[:-1] + b[1:]))])
        u = jnp.clip(t, 0.0, 1.0) * (T - 1)
        j = jnp.clip(jnp.floor(u).astype(jnp.int32), 0, T - 2)
        frac = u - j
        return whole[j] + h * frac * (b[j] + 0.5 * (b[j + 1] - b[j]) * frac)

    def marginal(self, x0, t):
        t = jnp.asarray(t)
        if t.ndim > 1 or (t.ndim == 1 and t.shape[0] != x0.shape[0]):
            raise ScheduleError(f"t must be a scalar or have shape (B,) = "
                                f"({x0.shape[0]},); got {t.shape}.")
        B = self.integrated_beta(t).astype(x0.dtype)
        B = B.reshape(B.shape + (1,) * (x0.ndim - B.ndim))
        return jnp.exp(-0.5 * B) * x0, jnp.sqrt(-jnp.expm1(-B))

    def prior_sample(self, noise, state, shape):
        z, state = noise.sample(state, shape)
        return z, state

    # ------------------------------------------------ the discrete chain of the network

    def timestep(self, t: Float[ArrayLike, "*T"]) -> Int[Array, "*T"]:
        r"""The training step nearest $t$, $\mathrm{round}(t\,(T-1))$, int32 (numpy
        for numpy `t`: static, computed in float64)."""
        T = self.num_timesteps
        if isinstance(t, (np.ndarray, float, int)):
            return np.round(np.asarray(t, np.float64) * (T - 1)).astype(np.int32)
        return jnp.round(jnp.asarray(t) * (T - 1)).astype(jnp.int32)

    def eps_score(self, eps: Float[Array, "B *D"], step: Int[ArrayLike, ""]
                  ) -> Float[Array, "B *D"]:
        r"""The score $s = -\hat\varepsilon/\sqrt{1-\bar\alpha_i}$ of a noise prediction
        `eps` made at training step $i$ = `step` (the discrete chain's marginal std;
        score_sde's score of a discretely trained VP model)."""
        std = jnp.sqrt(1.0 - self.schedule.alphas_cumprod[step])
        return -eps / std.astype(eps.dtype)

    def discretize(self, num_steps: int) -> tuple[Schedule, np.ndarray]:
        """``(schedule, kept)``: the chain on `num_steps` evenly kept training steps,
        with the training marginals at those steps
        ([`respace`][diffusion.schedules.respace]); `num_steps` = $T$ gives the training
        schedule itself."""
        return respace(self.schedule, num_steps)


def as_sde(sde_or_schedule) -> VPSDE:
    """A [`VPSDE`][diffusion.sde.VPSDE] as given, or the VP-SDE of a
    [`Schedule`][diffusion.schedules.Schedule] (what the samplers accept)."""
    if isinstance(sde_or_schedule, VPSDE):
        return sde_or_schedule
    if isinstance(sde_or_schedule, Schedule):
        return VPSDE(sde_or_schedule)
    raise ScheduleError(f"expected a diffusion.sde.VPSDE or a diffusion.schedules.Schedule; "
                        f"got {type(sde_or_schedule).__name__}.")

