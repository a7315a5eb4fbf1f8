r"""The finite-volume generator of the one-dimensional Fokker-Planck equation of $m_z$
(see `spinjax._wer.fokker_planck`) as a birth-death chain, and its time steps.

Cells uniform in $\theta$ with a face on the equator; the Scharfetter-Gummel flux
between neighbouring centres, exact for a piecewise linear quasi-potential $\Phi$,
so that the discrete stationary masses are $w_i e^{\Phi_i}$ exactly (detailed
balance); backward Euler with one LAPACK tridiagonal factorization per step size,
extrapolated in the step (Richardson).
"""

import dataclasses
import math

import numpy as np
from scipy.linalg.lapack import dgttrf, dgttrs

from .fp_model import AxialModel

_GAUSS_X, _GAUSS_W = np.polynomial.legendre.leggauss(6)


def _bernoulli(z):
    """$B(z) = z/(e^z - 1)$, with $B(0) = 1$, stable for all z."""
    z = np.asarray(z, np.float64)
    small = np.abs(z) < 1e-8
    zs = np.where(small, 1.0, z)
    return np.where(small, 1 - z / 2, zs / np.expm1(zs))


def _integrate_phi(fp: AxialModel, theta_a, theta_b):
    r"""$\Phi(\cos\theta_b) - \Phi(\cos\theta_a)$ by 6-point Gauss-Legendre in $\theta$."""
    mid, half = (theta_a + theta_b) / 2, (theta_b - theta_a) / 2
    th = mid[:, None] + half[:, None] * _GAUSS_X
    return np.sum(fp.dphi(np.cos(th)) * (-np.sin(th)) * _GAUSS_W, axis=1) * half


@dataclasses.dataclass(frozen=True)
class Chain:
    """The finite-volume generator as a birth-death chain over the cells, ordered from
    the +z pole (cell 0) to the -z pole: `fwd[i]` is the rate (1/s) from cell i to
    i+1, `bwd[i]` from i+1 to i, `absorb` the rate out of the last cell of the +z
    hemisphere through an absorbing equator (first-passage convention)."""

    fwd: np.ndarray
    bwd: np.ndarray
    absorb: float
    absorb_other: float    # the same out of the first cell of the -z hemisphere
    x: np.ndarray          # cell centres (m_z)
    width: np.ndarray      # cell measures in x
    log_pi: np.ndarray     # log of the discrete stationary masses (unnormalized)


def build_chain(fp: AxialModel, n_cells: int) -> Chain:
    """The Scharfetter-Gummel finite-volume chain of `fp` on `n_cells` cells uniform
    in $\\theta$ (`n_cells` even: a face on the equator)."""
    faces = np.linspace(0.0, np.pi, n_cells + 1)
    centres = (faces[:-1] + faces[1:]) / 2
    width = np.cos(faces[:-1]) - np.cos(faces[1:])
    dth = np.pi / n_cells
    d = fp.diffusion_per_s
    delta = _integrate_phi(fp, centres[:-1], centres[1:])
    k = d * np.sin(faces[1:-1]) / dth
    fwd = k * _bernoulli(-delta) / width[:-1]
    bwd = k * _bernoulli(delta) / width[1:]
    absorb = []
    for i in (n_cells // 2 - 1, n_cells // 2):      # the two cells at the equator
        eq = faces[n_cells // 2]
        half = _integrate_phi(fp, centres[i:i + 1], np.array([eq]))[0]
        absorb.append(d * np.sin(eq) / (dth / 2) * _bernoulli(-half)[()] / width[i])
    log_pi = np.log(width) + np.concatenate([[0.0], np.cumsum(delta)])
    return Chain(fwd, bwd, float(absorb[0]), float(absorb[1]), np.cos(centres), width,
                 log_pi)


def flipped(chain: Chain) -> Chain:
    """The same chain seen from the -z pole (x -> -x), so that cell 0 is always the
    pole of the initial well."""
    return Chain(chain.bwd[::-1].copy(), chain.fwd[::-1].copy(), chain.absorb_other,
                 chain.absorb, -chain.x[::-1], chain.width[::-1].copy(),
                 chain.log_pi[::-1].copy())


def _initial(chain: Chain):
    """Discrete zero-drive stationary masses of cells 0..n/2-1 (the initial
    hemisphere), sum 1, zero elsewhere."""
    half = len(chain.x) // 2
    lp = chain.log_pi[:half]
    p = np.exp(lp - lp.max())
    out = np.zeros(len(chain.x))
    out[:half] = p / p.sum()
    return out


def _banded(chain: Chain, tau: float, absorbing: bool):
    """The (1,1)-banded matrix of $I - \\tau L$ (an M-matrix, unit column sums but
    for the absorbed part). Absorbing: only the initial hemisphere, whose last cell
    loses `absorb` through the equator."""
    fwd, bwd = chain.fwd, chain.bwd
    n = len(chain.x)
    if absorbing:
        n //= 2
        fwd, bwd = fwd[:n - 1], bwd[:n - 1]
    out = np.zeros(n)
    out[:-1] += fwd
    out[1:] += bwd
    if absorbing:
        out[-1] += chain.absorb
    ab = np.zeros((3, n))
    ab[0, 1:] = -tau * bwd
    ab[2, :-1] = -tau * fwd
    ab[1] = 1 + tau * out
    return ab


def _stepper(ab):
    """Backward Euler steps with one LU factorization of the tridiagonal `ab`
    (LAPACK gttrf/gttrs; an M-matrix with dominant columns: no pivoting happens)."""
    dl, d, du, du2, ipiv, info = dgttrf(ab[2, :-1], ab[1], ab[0, 1:])
    if info != 0:
        raise FloatingPointError(f"singular backward Euler matrix (gttrf info {info}).")

    def step(p, n, trans="N"):
        for _ in range(n):
            p, info = dgttrs(dl, d, du, du2, ipiv, p, trans=trans)
        return p

    return step


def _run(chain_on, chain_off, p0, edges, relax_s, n_per, n_relax, absorbing):
    """Backward Euler through the intervals `edges` (n_per[k] steps each), then
    `relax_s` at zero drive (`chain_off`); returns the probability in the initial
    hemisphere at each width. The relaxation acts on the indicator instead (the
    transposed steps: the backward equation), once for all widths."""
    half = len(p0) // 2
    p = p0[:half] if absorbing else p0
    states = []
    for k in range(len(n_per)):
        tau = (edges[k + 1] - edges[k]) / n_per[k]
        p = _stepper(_banded(chain_on, tau, absorbing))(p, n_per[k])
        states.append(p)
    indicator = np.zeros(len(p))
    indicator[:half] = 1.0
    if relax_s > 0:
        step = _stepper(_banded(chain_off, relax_s / n_relax, False))
        indicator = step(indicator, n_relax, trans="T")
    return np.stack(states) @ indicator


def _richardson(table):
    """Extrapolate backward Euler results at steps tau, tau/2, ... (an error series in
    all powers of tau) to tau = 0; returns the value and the relative size of the
    last correction (a conservative error estimate: measured 3-5 times the error)."""
    for k in range(1, len(table)):
        prev = table
        table = [(2**k * prev[i] - prev[i - 1]) / (2**k - 1) for i in range(1, len(prev))]
    return table[0], np.abs(table[0] - prev[-1]) / np.maximum(np.abs(table[0]), 1e-300)


def relaxation_rate(chain: Chain, iterations: int = 6) -> float:
    r"""The lowest nonzero eigenvalue $\lambda_1$ (1/s) of the chain's generator (at
    zero drive: the Neel-Brown reversal rate, the sum of the escape rates of both
    wells), by inverse iteration on the Green's function of the chain. Each step is
    a cumulative sum of positive terms, so $\lambda_1 \sim e^{-\Delta}$ comes out to
    relative precision where a dense eigensolver would only resolve it to
    $\epsilon\,\|L\|$."""
    pi = np.exp(chain.log_pi - chain.log_pi.max())
    pi /= pi.sum()
    cond = pi[:-1] * chain.fwd            # = pi[1:] * chain.bwd (detailed balance)
    f = np.where(chain.x > 0, 1.0, -1.0)
    lam = math.nan
    for _ in range(iterations):
        f = f - np.dot(pi, f)
        flux = np.cumsum(pi * f)[:-1]      # solve S q = Pi f, S the chain's Laplacian
        q = np.concatenate([[0.0], -np.cumsum(flux / cond)])
        q = q - np.dot(pi, q)
        lam = np.dot(pi * f, f) / np.dot(pi * f, q)
        f = q / np.sqrt(np.dot(pi * q, q))
    return float(lam)
