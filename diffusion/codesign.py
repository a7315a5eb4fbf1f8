r"""Co-design: the write pulse of a junction array tuned by gradient through the noise
pipeline, so that the Gaussians the sampler gets are as close to N(0, 1) as the bits
allow, at the least write energy.

The pipeline is pulse $\theta$ (amplitude $A$, plateau $w$) $\to$ switching
probability $p(\theta)$ of one write (the sLLG of the array) $\to$ bits $\to$ normals
([`diffusion.device_noise.BitsToGaussian`][]). The loss is

$$L(\theta) = W_2^2\big(\mathcal L_{p(\theta)},\, N(0, 1)\big)
  + \lambda\, E_\mathrm{bit}(\theta)/E_\mathrm{bit}(\theta_0),$$

with $\mathcal L_p$ the exact law of the normals made from independent bits of
probability $p$ ([`normal_law`][diffusion.codesign.normal_law]) and $W_2$ the quadratic
Wasserstein distance (in one dimension the sliced Wasserstein distance is this one),
computed in closed form ([`w2_to_normal`][diffusion.codesign.w2_to_normal]);
$E_\mathrm{bit}$ is the write energy of the pulse
([`spinjax.devices.barrier_write_energy_J`][], differentiable in $A$ and $w$). The chain
rule splits the gradient where the physics is:
$\partial L/\partial\theta = \partial W_2^2/\partial p \cdot \partial p/\partial\theta +
\lambda\,\partial E/\partial\theta / E_0$; $\partial
p/\partial\theta$ comes from the smoothed (likelihood-ratio) estimator through the simulated
writes ([`spinjax.smoothed_probability`][spinjax.estimators.smoothed_probability], unbiased
for the smoothed $p$), the other two factors from ``jax.grad``. Taking the distance on the
exact law instead of a batch of samples removes the sampling noise of the distance (a batch
of $M$ normals has an empirical $W_2^2$ floor of order $1/M$) and leaves only the noise of
the estimate of $p$.

What the loss sees and what it does not: the marginal law of one normal. Independent,
identical junctions are fully described by it. Correlation between cycles (failed
resets) and junction-to-junction spread are not in $\mathcal L_p$ (tune those with the
per-junction calibration of
[`spinjax.tune_to_probability`][spinjax.design.tune_to_probability], and measure them with
[`diffusion.device_noise.calibrate`][]).

$W_2^2(\mathcal L_{1/2}, N(0,1)) = 1.6\times10^{-4}$ for 10-bit inverse-CDF normals
(the quantization floor) and $W_2^2 \approx 1.6\times10^{-4} + 14.3\,(p - 1/2)^2$ near
$p = 1/2$ (0.036 at $p = 0.45$).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.scipy.special import ndtri

import spinjax as sj
from spinjax import Trapezoid, trng
from spinjax.design import Bounded, DesignFailed

from .device_noise import BitsToGaussian
from .errors import CodesignError


def xor_probability(p, x: int):
    r"""P(1) of the XOR of `x` independent bits of P(1) = `p`:
    $\tfrac12 - 2^{x-1}\prod (\tfrac12 - p) = \tfrac12[1 - (1 - 2p)^x]$."""
    return 0.5 * (1 - (1 - 2 * jnp.asarray(p)) ** x)


def normal_law(p_bits, to_gaussian: BitsToGaussian = BitsToGaussian()):
    r"""The exact law of one normal from
    [`BitsToGaussian`][diffusion.device_noise.BitsToGaussian] given the P(1) of the raw bits
    it consumes: `p_bits` of shape (..., k) (one probability per bit position, most
    significant first, before XOR; a scalar broadcasts). Returns ``(support, probs)``: the
    sorted support (float, shape (S,)) and its probabilities (..., S).

    - "inverse_cdf": support $\Phi^{-1}((w + 1/2)/2^k)$ for the words $w$, probability
      $\prod_j p_j^{b_j(w)}(1 - p_j)^{1 - b_j(w)}$;
    - "clt": support $(s - k/2)/\sqrt{k/4}$, $s = 0..k$, the Poisson-binomial law of
      the sum (by its recursion over the bits).

    With ``xor > 1`` each bit's probability is
    [`xor_probability`][diffusion.codesign.xor_probability] of the raw one (the `xor` raw
    bits of one bit taken as equally biased)."""
    k = to_gaussian.k
    p = jnp.broadcast_to(jnp.asarray(p_bits, jnp.float32), jnp.shape(p_bits)[:-1] + (k,)
                         if jnp.ndim(p_bits) else (k,))
    p = xor_probability(p, to_gaussian.xor) if to_gaussian.xor > 1 else p
    if to_gaussian.scheme == "inverse_cdf":
        w = np.arange(2**k)
        bits = (w[:, None] >> (k - 1 - np.arange(k))[None]) & 1            # (2^k, k)
        probs = jnp.prod(jnp.where(bits == 1, p[..., None, :], 1 - p[..., None, :]), -1)
        support = ndtri((jnp.arange(2**k, dtype=jnp.float32) + 0.5) / 2**k)
        return support, probs
    if to_gaussian.scheme == "clt":
        probs = jnp.zeros(p.shape[:-1] + (k + 1,), p.dtype).at[..., 0].set(1.0)
        for j in range(k):   # k is a small static int: the Poisson-binomial recursion
            pj = p[..., j:j + 1]
            shifted = jnp.concatenate([jnp.zeros_like(pj), probs[..., :-1]], -1)
            probs = probs * (1 - pj) + shifted * pj
        support = (jnp.arange(k + 1, dtype=jnp.float32) - k / 2) / math.sqrt(k / 4)
        return support, probs
    raise CodesignError(f"to_gaussian.scheme = {to_gaussian.scheme!r}; normal_law supports "
                        "'inverse_cdf' and 'clt' (Box-Muller's law is two-dimensional).")


def _phi(x):
    return jnp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def w2_to_normal(support, probs):
    r"""$W_2^2$ between the discrete law (sorted `support`, `probs` summing to 1 on the
    last axis) and N(0, 1), exactly: with the cumulative probabilities $C_i$ and
    $x_i = \Phi^{-1}(C_i)$ ($x_{-1} = -\infty$, $x_{S-1} = \infty$),

    $$W_2^2 = \sum_i \int_{C_{i-1}}^{C_i} (z_i - \Phi^{-1}(u))^2 du
      = \sum_i z_i^2 q_i - 2 z_i [\varphi(x_{i-1}) - \varphi(x_i)]
      + q_i - [x_i\varphi(x_i) - x_{i-1}\varphi(x_{i-1})],$$

    from $\int \Phi^{-1} du = -\varphi(x)$ and $\int (\Phi^{-1})^2 du = \Phi(x) -
    x\varphi(x)$. Differentiable in `probs` (float32 error about 1e-6)."""
    c = jnp.cumsum(probs, -1)[..., :-1]
    x = ndtri(jnp.clip(c, 1e-30, 1 - 1e-7))
    zero = jnp.zeros(c.shape[:-1] + (1,), c.dtype)
    f = jnp.concatenate([zero, _phi(x), zero], -1)
    xf = jnp.concatenate([zero, x * _phi(x), zero], -1)
    return jnp.sum(support**2 * probs - 2 * support * (f[..., :-1] - f[..., 1:])
                   + probs - (xf[..., 1:] - xf[..., :-1]), -1)


def pulse_energy_J(device, schedule: trng.CycleSchedule, amplitude_V, width_s):
    """Write energy (J) of the schedule's trapezoid with this amplitude (V) and plateau
    (s), differentiable in both."""
    c = lambda x: jnp.asarray(x, jnp.float32)  # noqa: E731
    return sj.devices.barrier_write_energy_J(device, Trapezoid(
        c(amplitude_V), c(schedule.start_s), c(width_s), c(schedule.edge_s),
        c(schedule.edge_s)))


@dataclass
class CodesignResult:
    """The co-designed pulse: `amplitude_V`, `width_s`; the verified `p` (its standard
    error `p_se`), `w2` ($W_2^2$ of the law at that p), `energy_J` (per write) against
    the start's `energy0_J`; `history`: one dict per step."""

    amplitude_V: float
    width_s: float
    p: float
    p_se: float
    w2: float
    energy_J: float
    energy0_J: float
    history: list = field(default_factory=list)

    def to_json(self) -> dict:
        return dict(self.__dict__)


def codesign_pulse(device, schedule: trng.CycleSchedule, key, *, amplitude_V: float,
                   width_s: float | None = None, amplitude_range_V=(0.85, 1.15),
                   width_range_s=(0.3e-9, 0.6e-9), energy_weight: float = 0.2,
                   to_gaussian: BitsToGaussian = BitsToGaussian(), n_pairs: int = 16384,
                   steps: int = 60, scale=(0.01, 0.01e-9), w2_tol: float = 5e-4,
                   verify_pairs: int = 32768, optimizer=None,
                   log: Callable | None = None) -> CodesignResult:
    r"""Minimize $L(\theta)$ (module docstring) over the pulse amplitude and plateau of
    the array's identical junctions, from `amplitude_V`, `width_s` (default the
    schedule's), each kept inside its range by a [`spinjax.Bounded`][spinjax.design.Bounded]
    transform.

    - `energy_weight` $\lambda$: the energy penalty relative to the start's energy;
    - `scale`: the smoothing widths (V, s) of the gradient estimator; `n_pairs`
      antithetic pairs of writes per step;
    - `optimizer`: an optax transformation on the unconstrained parameters (default
      Adam with a learning rate decaying from 0.1 to 0.005);
    - `log`: called with each step's dict (loss, p, W2, energy, parameters; the
      polishing steps have a "polish" key and no loss).

    After `steps` steps the last iterates are averaged (the second half, Polyak), two
    Gauss-Newton steps on the amplitude with four times the pairs remove what is left
    of the iterates' noise (`_polish_amplitude`), $p$ is verified with
    `verify_pairs` fresh writes, and [`spinjax.DesignFailed`][spinjax.design.DesignFailed]
    is raised if $W_2^2$ then exceeds its floor (at $p = 1/2$) by more than `w2_tol`."""
    width_s = schedule.width_s if width_s is None else width_s
    bounds = {"amplitude": Bounded(*amplitude_range_V), "width_s": Bounded(*width_range_s)}
    init = {"amplitude": amplitude_V, "width_s": width_s}
    for k, v in init.items():
        lo, hi = bounds[k].lo, bounds[k].hi
        if not lo < v < hi:
            raise CodesignError(f"{k} = {v!r} lies outside its range ({lo}, {hi}).")
    if not energy_weight >= 0:
        raise CodesignError(f"energy_weight = {energy_weight!r}; the valid range is [0, inf).")
    for name, v, lo in (("steps", steps, 2), ("n_pairs", n_pairs, 1),
                        ("verify_pairs", verify_pairs, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise CodesignError(f"{name} = {v!r}; the valid range is {lo} to inf (an integer).")
    if not (np.isfinite(w2_tol) and w2_tol > 0):
        raise CodesignError(f"w2_tol = {w2_tol!r}; the valid range is (0, inf).")
    smooth = {"amplitude": scale[0], "width_s": scale[1]}
    outcome = trng.cycle_outcome(device, schedule, width_max_s=float(width_range_s[1]))
    e0 = float(pulse_energy_J(device, schedule, amplitude_V, width_s))
    w2_of_p = lambda p: w2_to_normal(*normal_law(p, to_gaussian))  # noqa: E731
    w2_floor = float(w2_of_p(0.5))
    dw2_dp = jax.grad(w2_of_p)
    de_dtheta = jax.grad(lambda a, w: pulse_energy_J(device, schedule, a, w) / e0, (0, 1))
    optimizer = optimizer or optax.adam(optax.exponential_decay(
        0.1, transition_steps=steps, decay_rate=0.05, end_value=0.005))
    z = {k: jnp.asarray(bounds[k].inverse(v), jnp.float32) for k, v in init.items()}
    state = optimizer.init(z)
    history, tail = [], []
    for step in range(steps):   # optimization steps, not time steps
        theta = {k: bounds[k].forward(z[k]) for k in z}
        est = sj.smoothed_probability(outcome, theta, smooth, jax.random.fold_in(key, step),
                                      n_pairs=n_pairs)
        de = de_dtheta(theta["amplitude"], theta["width_s"])
        g_p = dw2_dp(est.p)
        grad_theta = {"amplitude": g_p * est.grad["amplitude"] + energy_weight * de[0],
                      "width_s": g_p * est.grad["width_s"] + energy_weight * de[1]}
        if not all(bool(jnp.isfinite(g)) for g in grad_theta.values()):
            raise DesignFailed(f"non-finite gradient at step {step}: {grad_theta}.")
        grads = {k: grad_theta[k] * bounds[k].derivative(z[k]) for k in z}
        energy = float(pulse_energy_J(device, schedule, theta["amplitude"], theta["width_s"]))
        entry = {"step": step, "p": float(est.p), "p_se": float(est.p_se),
                 "w2": float(w2_of_p(est.p)), "energy_J": energy,
                 "loss": float(w2_of_p(est.p)) + energy_weight * energy / e0,
                 "amplitude_V": float(theta["amplitude"]), "width_s": float(theta["width_s"])}
        history.append(entry)
        if log is not None:
            log(entry)
        if step >= steps // 2:
            tail.append(z)
        updates, state = optimizer.update(grads, state, z)
        z = optax.apply_updates(z, updates)
    z = jax.tree.map(lambda *x: jnp.mean(jnp.stack(x)), *tail)
    a, w = (float(bounds[k].forward(z[k])) for k in ("amplitude", "width_s"))
    a = _polish_amplitude(outcome, a, w, smooth, bounds["amplitude"], w2_of_p, energy_weight,
                          lambda a: float(de_dtheta(a, w)[0]), jax.random.fold_in(key, steps),
                          4 * n_pairs, history, log,
                          lambda a: float(pulse_energy_J(device, schedule, a, w)))
    p, p_se = _verify(outcome, a, w, jax.random.fold_in(key, 10**6), verify_pairs)
    w2 = float(w2_of_p(p))
    result = CodesignResult(a, w, p, p_se, w2,
                            float(pulse_energy_J(device, schedule, a, w)), e0, history)
    if w2 - w2_floor > w2_tol:
        raise DesignFailed(
            f"co-design ended at p = {p:.4f} +- {p_se:.4f} (A = {a:.4f} V, w = {w:.3e} s): "
            f"W2^2 = {w2:.2e} exceeds the floor {w2_floor:.2e} by more than w2_tol = "
            f"{w2_tol}. More steps or pairs, a smaller energy_weight, or wider ranges may "
            "help.")
    return result


def _polish_amplitude(outcome, a, w, smooth, bound, w2_of_p, lam, de_da, key, pairs,
                      history, log, energy_fn, rounds: int = 2):
    r"""Gauss-Newton steps on the amplitude alone at the averaged width, with `pairs`
    pairs each: $A \leftarrow A - L'(A)/L''(A)$, $L' = W_2^{2\prime}(p)\,p_A +
    \lambda E_A/E_0$, $L'' \approx W_2^{2\prime\prime}(p)\,p_A^2$. The averaged
    iterate of the noisy descent sits a few standard errors of p from the optimum; this
    takes it there with four times the pairs."""
    d1, d2 = jax.grad(w2_of_p), jax.grad(jax.grad(w2_of_p))
    for r in range(rounds):
        theta = {"amplitude": jnp.float32(a), "width_s": jnp.float32(w)}
        est = sj.smoothed_probability(outcome, theta, smooth, jax.random.fold_in(key, r),
                                      n_pairs=pairs)
        p_a = float(est.grad["amplitude"])
        if not p_a > 0:
            break   # no slope to step on: keep the averaged amplitude
        step = -(float(d1(est.p)) * p_a + lam * de_da(a)) / (float(d2(est.p)) * p_a**2)
        a = float(np.clip(a + step, bound.lo + 1e-4 * (bound.hi - bound.lo),
                          bound.hi - 1e-4 * (bound.hi - bound.lo)))
        entry = {"step": len(history), "polish": r, "p": float(est.p),
                 "p_se": float(est.p_se), "w2": float(w2_of_p(est.p)),
                 "energy_J": energy_fn(a), "amplitude_V": a, "width_s": w}
        history.append(entry)
        if log is not None:
            log(entry)
    return a


def _verify(outcome, amplitude_V, width_s, key, pairs):
    """p (and its standard error) of the pulse from `pairs` independent writes, in
    batches."""
    batch = min(pairs, 8192)
    means = []
    for i in range(max(1, pairs // batch)):
        b = outcome({"amplitude": jnp.full((2 * batch,), amplitude_V, jnp.float32),
                     "width_s": jnp.full((2 * batch,), width_s, jnp.float32)},
                    jax.random.fold_in(key, i))
        means.append(np.asarray(b, np.float64)[:batch])   # pairs share noise: one of each
    b = np.concatenate(means)
    return float(b.mean()), float(b.std() / np.sqrt(b.size))
