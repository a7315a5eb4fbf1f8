"""Analytic reference results for the physics tests (docs/physics.md, section 3, with their sources).

Written independently of spinjax's solver: closed forms and quadratures only.
"""

import numpy as np
from scipy import integrate

from spinjax.constants import GAMMA0, KB, MU0


def boltzmann_pdf(z, delta, h):
    """Normalized density of m_z for a uniaxial macrospin in an axial field:
    p(z) ~ exp[Delta (z^2 + 2 h z)] on [-1, 1]."""
    norm, _ = integrate.quad(lambda x: np.exp(delta * (x * x + 2 * h * x)), -1, 1)
    return np.exp(delta * (z * z + 2 * h * z)) / norm


def boltzmann_cdf(delta, h, n_grid=20001):
    """The CDF of :func:`boltzmann_pdf` as a callable (cumulative trapezoid on a grid)."""
    z = np.linspace(-1, 1, n_grid)
    p = np.exp(delta * (z * z + 2 * h * z))
    c = integrate.cumulative_trapezoid(p, z, initial=0.0)
    c /= c[-1]
    return lambda x: np.interp(x, z, c)


def boltzmann_moment(f, delta, h):
    """<f(m_z)> under the Boltzmann density."""
    w = lambda x: np.exp(delta * (x * x + 2 * h * x))
    num, _ = integrate.quad(lambda x: f(x) * w(x), -1, 1)
    den, _ = integrate.quad(w, -1, 1)
    return num / den


def langevin(x):
    """<m_z> = coth(x) - 1/x of an isotropic macrospin, x = mu0 Ms V H / (kB T)."""
    return 1 / np.tanh(x) - 1 / x


def neel_time(Ms, V, alpha, T):
    """tau_N = mu0 Ms V (1 + alpha^2) / (2 alpha gamma0 kB T) in s."""
    return MU0 * Ms * V * (1 + alpha**2) / (2 * alpha * GAMMA0 * KB * T)


def mfpt(z0, delta, h, tau_n, barrier=0.0):
    """Exact mean first-passage time from m_z = z0 down to m_z = barrier (axial symmetry):
    T = 2 tau_N Int_b^z0 dz e^{bE(z)} / (1 - z^2) Int_z^1 e^{-bE(z')} dz',
    bE = -Delta (z^2 + 2 h z)."""
    be = lambda z: -delta * (z * z + 2 * h * z)
    inner = lambda z: integrate.quad(lambda y: np.exp(-be(y)), z, 1)[0]
    outer, _ = integrate.quad(lambda z: np.exp(be(z)) / (1 - z * z) * inner(z), barrier,
                              z0, limit=200)
    return 2 * tau_n * outer


def astroid_field(psi):
    """Stoner-Wohlfarth reduced switching field h_sw(psi) = (cos^2/3 + sin^2/3)^(-3/2)."""
    return (np.cos(psi) ** (2 / 3) + np.sin(psi) ** (2 / 3)) ** (-1.5)
