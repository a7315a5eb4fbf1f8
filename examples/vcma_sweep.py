r"""VCMA precessional switching: switching probability vs pulse amplitude, 4096 junctions.

The ``make demo`` job. An array of perpendicular CoFeB/MgO MeRAM junctions with
device-to-device variation is written by one voltage pulse per amplitude; the script
prints the switching probability $P_\mathrm{sw}$ per amplitude with its binomial
standard error and saves a plot of $P_\mathrm{sw}(V)$.

Physics (docs/physics.md, sections 2-3). The free layer has an interfacial anisotropy under
voltage control (VCMA), $K_i(V) = K_{i0} - \xi V / t_{ox}$, thin-film demagnetization
$N = (0, 0, 1)$ and a static in-plane bias field $H_x$, so that

$$K_\mathrm{eff}(V) = K_i(V)/t_F - \mu_0 M_s^2 / 2, \qquad
  H_{K}(V) = 2 K_\mathrm{eff}(V) / (\mu_0 M_s).$$

At rest $H_K \gg H_x$: two wells near $\pm\hat z$, tilted towards $+\hat x$ by
$\sin\theta_0 = H_x/H_K$. A positive pulse lowers $H_K$; once the orbit through the
initial state crosses the equator (roughly $H_K(V) < 2 H_x$) the magnetization
precesses about the bias field and reaches the $-\hat z$ side in half a precession
period, $\pi / (\gamma_0 H_x) = 0.47$ ns at $K_\mathrm{eff} = 0$. The pulse width is set to
that half period, so a pulse that ends there leaves $m$ in the lower well, where it
relaxes; $m_z < 0$ at the end counts as switched. The switching probability oscillates
with pulse width and amplitude (the precessional regime of Amiri and Wang, and of Kanai
et al.); thermal fluctuations of the initial state and device variation turn the sharp
$T = 0$ threshold into a sigmoid.

Parameters: representative literature values for CoFeB/MgO VCMA junctions, *not* the
device of the diffusion paper (whose numbers were not available to us; Cheng et al., Nat. Commun. 16, 5022, 2025).
Typical ranges: $K_{i0}$ 0.9-1.3 mJ/m$^2$, $t_F$ 1.0-1.3 nm, $M_s$ 1.0-1.2 MA/m,
$\xi$ 30-100 fJ/(V m), $t_{ox}$ 1.4-2.8 nm, diameter 50-70 nm, $\alpha$ 0.01-0.05
(e.g. Maruyama et al., Nat. Nanotechnol. 4, 158, 2009; Amiri and Wang, SPIN 2, 1240002,
2012; Kanai et al., Appl. Phys. Lett., 2012; Grezes et al., Appl. Phys. Lett., 2016).
The nominal device has $H_K = 119$ kA/m and $\Delta = 62$ at zero bias; $K_\mathrm{eff}$
vanishes at 1.7 V. The top of the sweep (above about 1.5 V, i.e. 1 V/nm across the
barrier) is beyond what a real MgO barrier of this thickness survives; it is kept to show
the plateau and the decline of $P_\mathrm{sw}$ at large amplitudes.

Device-to-device variation: each junction draws its diameter (normal, 3 % sigma: the
thermal field and the barrier height) and its $K_{i0}$ (normal, 2 % sigma). $K_\mathrm{eff}$ is a
small difference of two large terms, so 2 % in $K_{i0}$ is about 20 % in $H_K$ and
moves the switching threshold by about 0.35 V: the variation, not the thermal noise,
sets most of the width of the curve. The same devices are used at every amplitude
(one array, measured at each voltage); each (amplitude, device) pair has its own
thermal noise and its own initial state. For comparison the same sweep runs on as many
identical nominal junctions (thermal noise only), in the same simulate call.

Initial state: each junction starts in the $+\hat z$ well, drawn from the Boltzmann
distribution in the harmonic approximation about the tilted minimum (variances
$1/[2\Delta(1 - h^2)]$ along $\theta$ and $1/(2\Delta)$ across, with
$\Delta = K_\mathrm{eff} V / k_B T$, $h = H_x / H_K$), because at $\alpha = 0.02$ letting
the array thermalize would take several ns of simulation.

Implementation: the amplitude is put on the junction axis, so the whole sweep is one
``spinjax.simulate`` call over $2 N_\mathrm{amp} n$ junctions whose voltage drive
returns an array of that shape. The step $\Delta t = 2$ ps is far inside the stability
bound (about 0.07 rad of precession per step; ``simulate`` raises above 0.5 rad), and
the probabilities agree within their binomial errors for $\Delta t$ = 0.5, 1, 2 and 4 ps.

What it shows (seed 0, n = 4096): the identical junctions switch sharply between 0.9
and 1.2 V and then with $P_\mathrm{sw} \approx 1$; with device variation the rise is a
broad sigmoid ($P_\mathrm{sw} = 0.5$ near 1.05 V) that peaks at about 0.95 near 1.8 V
and declines slowly beyond: in devices with weaker anisotropy the faster precession has
carried $m$ past $-\hat z$ back towards the equator when the pulse ends, and their
outcome becomes a coin toss. About 12 s on a 2-core CPU (measured from a fresh clone, compile included).

Usage::

    python examples/vcma_sweep.py [--n 4096] [--seed 0] [--out vcma_sweep.png]
"""

import argparse
import math
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import spinjax as sj

MU0 = sj.constants.MU0
GAMMA0 = sj.constants.GAMMA0
KB = sj.constants.KB

# Representative CoFeB/MgO MeRAM parameters (see the module docstring for sources).
MS = 1.1e6            # saturation magnetization, A/m
T_F = 1.1e-9          # free-layer thickness, m
DIAMETER = 60e-9      # pillar diameter, m
K_I0 = 0.927e-3       # zero-bias interfacial anisotropy, J/m^2 (H_K = 119 kA/m, Delta = 62)
XI = 80e-15           # VCMA coefficient, J/(V m) = 80 fJ/(V m)
T_OX = 1.5e-9         # MgO barrier thickness, m
ALPHA = 0.02          # Gilbert damping
TEMPERATURE = 300.0   # K
H_BIAS = 3.0e4        # in-plane bias field along x, A/m (37.7 mT)
SIGMA_DIAMETER = 0.03  # relative device-to-device sigma of the diameter
SIGMA_K_I0 = 0.02      # relative device-to-device sigma of K_i0

# Pulse and time grid.
T_ON = 0.1e-9                               # pulse start (50 % point), s
WIDTH = math.pi / (GAMMA0 * H_BIAS)         # half the precession period about H_x, s
EDGE = 50e-12 / (2 * math.log(9))           # sigmoid scale for a 50 ps 10-90 % edge, s
T_RELAX = 2.5e-9                            # relaxation after the pulse, s
DT = 2e-12                                  # time step, s (converged: see the docstring)
AMPLITUDES = np.linspace(0.0, 2.25, 16)     # pulse amplitudes, V


def pulse_shape(t):
    """Unit pulse with smooth edges: a product of two sigmoids, 50 % points at
    ``T_ON`` and ``T_ON + WIDTH``."""
    return jax.nn.sigmoid((t - T_ON) / EDGE) * jax.nn.sigmoid((T_ON + WIDTH - t) / EDGE)


def k_eff(k_i0):
    """Effective perpendicular anisotropy $K_i/t_F - \\mu_0 M_s^2/2$ at zero bias, J/m^3."""
    return k_i0 / T_F - MU0 * MS**2 / 2


def sample_devices(key, n):
    """Per-device diameter (m) and K_i0 (J/m^2), shape (n,)."""
    k_d, k_k = jax.random.split(key)
    diameter = DIAMETER * (1 + SIGMA_DIAMETER * jax.random.normal(k_d, (n,)))
    k_i0 = K_I0 * (1 + SIGMA_K_I0 * jax.random.normal(k_k, (n,)))
    return diameter, k_i0


def initial_state(key, diameter, k_i0):
    """Boltzmann draw in the harmonic approximation about the tilted +z minimum."""
    keff = k_eff(k_i0)
    h_k = 2 * keff / (MU0 * MS)
    h = jnp.clip(H_BIAS / h_k, 0.0, 0.99)
    delta = keff * sj.disk_area(diameter) * T_F / (KB * TEMPERATURE)
    delta = jnp.maximum(delta, 1.0)  # guard against a (> 4 sigma) device with K_eff <= 0
    sin0, cos0 = h, jnp.sqrt(1 - h**2)
    m_eq = jnp.stack([sin0, jnp.zeros_like(h), cos0], -1)
    e_theta = jnp.stack([cos0, jnp.zeros_like(h), -sin0], -1)
    e_perp = jnp.broadcast_to(jnp.array([0.0, 1.0, 0.0]), m_eq.shape)
    k_t, k_p = jax.random.split(key)
    d_theta = jax.random.normal(k_t, h.shape) / jnp.sqrt(2 * delta * (1 - h**2))
    d_perp = jax.random.normal(k_p, h.shape) / jnp.sqrt(2 * delta)
    m = m_eq + d_theta[:, None] * e_theta + d_perp[:, None] * e_perp
    return m / jnp.linalg.norm(m, axis=-1, keepdims=True)


def build_model(diameter, k_i0):
    layer = sj.FreeLayer(Ms=MS, alpha=ALPHA, thickness_m=T_F,
                         area_m2=sj.disk_area(diameter), temperature_K=TEMPERATURE)
    fields = (
        sj.VCMAAnisotropy(K_i0=k_i0, xi=XI, t_ox_m=T_OX),
        sj.Demagnetization(factors=(0.0, 0.0, 1.0)),
        sj.Zeeman(bias_A_per_m=(H_BIAS, 0.0, 0.0)),
    )
    return sj.SLLG(layer, fields)


class Pulse(eqx.Module):
    """The voltage drive: a per-junction amplitude (V) times the unit pulse shape.

    An ``eqx.Module`` rather than a closure, so the amplitudes are a leaf of the drive
    (traced, not baked into the compiled program as a constant)."""

    amplitude: jax.Array

    def __call__(self, t):
        return self.amplitude * pulse_shape(t)


def sweep(key, diameter, k_i0, amplitudes, dt=DT):
    """Final m_z of shape (len(amplitudes), n) for devices `diameter`, `k_i0` of shape (n,).

    One simulate call: the amplitude is put on the junction axis, so N = len(amplitudes) * n
    and the voltage drive returns an array of shape (N,)."""
    k_init, k_noise = jax.random.split(key)
    n_amp, n = len(amplitudes), diameter.shape[0]
    diameter, k_i0 = jnp.tile(diameter, n_amp), jnp.tile(k_i0, n_amp)  # (n_amp * n,)
    volts = jnp.repeat(jnp.asarray(amplitudes, jnp.float32), n)         # (n_amp * n,)
    model = build_model(diameter, k_i0)
    m0 = initial_state(k_init, diameter, k_i0)
    t1 = round((T_ON + WIDTH + T_RELAX) / dt) * dt  # an integer number of steps
    sol = sj.simulate(model, m0, t1=t1, dt=dt, key=k_noise, drive=sj.Drive(voltage_V=Pulse(volts)))
    return np.asarray(sol.m[:, 2]).reshape(n_amp, n), int(sol.num_steps)


def binomial(mz):
    """Switching probability (m_z < 0) per amplitude and its binomial standard error."""
    p = (mz < 0).mean(axis=-1)
    return p, np.sqrt(p * (1 - p) / mz.shape[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=4096, help="junctions (default 4096)")
    parser.add_argument("--seed", type=int, default=0, help="PRNG seed (default 0)")
    parser.add_argument("--out", default="vcma_sweep.png", help="plot path (PNG)")
    parser.add_argument("--dt", type=float, default=DT, help=f"time step in s (default {DT:g})")
    args = parser.parse_args()

    keff = k_eff(K_I0)
    h_k = 2 * keff / (MU0 * MS)
    dhk_dv = 2 * XI / (T_OX * T_F * MU0 * MS)
    delta = keff * math.pi * DIAMETER**2 / 4 * T_F / (KB * TEMPERATURE)
    print(f"nominal device: H_K = {h_k / 1e3:.1f} kA/m, Delta = {delta:.1f}, "
          f"H_bias = {H_BIAS / 1e3:.1f} kA/m, dH_K/dV = {dhk_dv / 1e3:.1f} kA/m/V, "
          f"K_eff = 0 at {h_k / dhk_dv:.2f} V")
    print(f"pulse: width {WIDTH * 1e9:.3f} ns (half the precession period about H_bias), "
          f"50 ps edges; relaxation {T_RELAX * 1e9:.1f} ns; dt = {args.dt * 1e12:.2g} ps")
    n, n_amp = args.n, len(AMPLITUDES)
    print(f"{n_amp} amplitudes x {n} junctions with variation "
          f"(sigma {SIGMA_DIAMETER:.0%} diameter, {SIGMA_K_I0:.0%} K_i0), and the same "
          f"for {n} identical nominal junctions: {2 * n_amp * n} trajectories")

    k_dev, k_run = jax.random.split(jax.random.key(args.seed))
    diameter, k_i0 = sample_devices(k_dev, n)
    # Two populations side by side on the junction axis: varied devices, then nominal ones.
    diameter = jnp.concatenate([diameter, jnp.full((n,), DIAMETER)])
    k_i0 = jnp.concatenate([k_i0, jnp.full((n,), K_I0)])
    start = time.perf_counter()
    mz, steps = sweep(k_run, diameter, k_i0, AMPLITUDES, dt=args.dt)
    elapsed = time.perf_counter() - start
    p, err = binomial(mz[:, :n])
    p_nom, err_nom = binomial(mz[:, n:])

    print(f"\n{'':7} {'with variation':>17} {'identical devices':>19}")
    print(f"{'V (V)':>7} {'P_sw':>8} {'std err':>8}  {'P_sw':>8} {'std err':>8}")
    for v, a, b, c, d in zip(AMPLITUDES, p, err, p_nom, err_nom):
        print(f"{v:7.3f} {a:8.4f} {b:8.4f}  {c:8.4f} {d:8.4f}")
    print(f"\nsimulated {mz.size} junctions x {steps} steps in {elapsed:.1f} s "
          f"({mz.size * steps / elapsed / 1e6:.1f} M junction-steps/s, compile and "
          "input checks included)")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8), constrained_layout=True)
    ax.errorbar(AMPLITUDES, p, yerr=err, fmt="o-", ms=4, capsize=3,
                label=f"{n} junctions with device variation")
    ax.errorbar(AMPLITUDES, p_nom, yerr=err_nom, fmt="s--", ms=3, capsize=3, alpha=0.7,
                label=f"{n} identical junctions (thermal noise only)")
    ax.set_xlabel("pulse amplitude V (V)")
    ax.set_ylabel("switching probability $P_\\mathrm{sw}$")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"VCMA precessional switching, T = {TEMPERATURE:.0f} K, "
                 f"{WIDTH * 1e9:.2f} ns pulse, $H_x$ = {H_BIAS / 1e3:.0f} kA/m", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.savefig(args.out, dpi=150)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
