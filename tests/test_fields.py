"""Each conservative field term is minus the gradient of its energy density, and the
torque terms have the textbook directions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj
from spinjax.constants import E_CHARGE, HBAR, MU0

N = 16
KEY = jax.random.key(0)
MS = jnp.linspace(0.8e6, 1.2e6, N)  # per-junction parameters


def _layer():
    return sj.FreeLayer(Ms=MS, alpha=0.02, thickness_m=1.1e-9, area_m2=2e-15)


def _inputs():
    return sj.Inputs(jnp.array([1e4, -2e4, 3e4]), jnp.linspace(-0.5, 0.5, N),
                     jnp.asarray(1e11), jnp.asarray(-2e11))


TERMS = [
    sj.Zeeman(bias_A_per_m=(5e3, 0.0, -1e4)),
    sj.UniaxialAnisotropy(K_u=jnp.linspace(-2e5, 3e5, N), axis=(1.0, 2.0, 0.5)),
    sj.VCMAAnisotropy(K_i0=1.1e-3, xi=60e-15, t_ox_m=1.4e-9, axis=(0.1, 0.0, 1.0)),
    sj.Demagnetization(factors=(0.2, 0.3, 0.5)),
]


@pytest.mark.parametrize("term", TERMS, ids=lambda t: type(t).__name__)
def test_field_is_energy_gradient(term):
    """H = -(1 / mu0 Ms) de/dm by autodiff, per junction, to float64 rounding."""
    m = sj.normalize(jax.random.normal(KEY, (N, 3), jnp.float64))
    layer, inputs = _layer(), _inputs()
    grad = jax.grad(lambda m: jnp.sum(term.energy_density(m, layer, inputs)))(m)
    np.testing.assert_allclose(term.field(m, layer, inputs), -grad / (MU0 * MS[:, None]),
                               rtol=1e-10, atol=1e-6)


def test_vcma_lowers_anisotropy_linearly():
    """K_i(V) = K_i0 - xi V / t_ox: 1 V on 60 fJ/(V m) over 1.4 nm removes 4.3e-5 J/m^2."""
    term = sj.VCMAAnisotropy(K_i0=1.0e-3, xi=60e-15, t_ox_m=1.4e-9)
    assert float(term.K_i(1.0)) == pytest.approx(1.0e-3 - 60e-15 / 1.4e-9, rel=1e-6)
    assert float(term.K_i(-1.0)) > 1.0e-3


def test_stt_directions_and_magnitude():
    """At m = x, p = z: H_tau = a_J (m x p) + beta a_J p with a_J = hbar P J/(2 e mu0 Ms t)."""
    layer = sj.FreeLayer(Ms=1e6, alpha=0.02, thickness_m=1e-9, area_m2=2e-15)
    stt = sj.SlonczewskiSTT(polarizer=(0.0, 0.0, 1.0), polarization=0.5, field_like_ratio=0.1)
    inputs = sj.Inputs(jnp.zeros(3), jnp.asarray(0.0), jnp.asarray(1e11), jnp.asarray(0.0))
    h = stt.field(jnp.array([1.0, 0.0, 0.0]), layer, inputs)
    a_j = HBAR * 0.5 * 1e11 / (2 * E_CHARGE * MU0 * 1e6 * 1e-9)
    np.testing.assert_allclose(h, [0.0, -a_j, 0.1 * a_j], rtol=1e-6)


def test_stt_angular_efficiency():
    """eta(theta) = 2 P L^2 / ((L^2 + 1) + (L^2 - 1) cos theta): P at Lambda = 1, and
    larger antiparallel than parallel for Lambda > 1."""
    stt = sj.SlonczewskiSTT(polarization=0.6, asymmetry=2.0)
    assert float(sj.SlonczewskiSTT(polarization=0.6).efficiency(0.3)) == pytest.approx(0.6)
    assert float(stt.efficiency(-1.0)) == pytest.approx(2 * 0.6 * 4 / 2)
    assert float(stt.efficiency(1.0)) == pytest.approx(2 * 0.6 * 4 / 8)


def test_sot_directions():
    """At m = x, sigma = y: H_tau = xi_DL a (m x sigma) + xi_FL a sigma."""
    layer = sj.FreeLayer(Ms=1e6, alpha=0.02, thickness_m=1e-9, area_m2=2e-15)
    sot = sj.SpinOrbitTorque(xi_dl=-0.3, xi_fl=0.1)
    inputs = sj.Inputs(jnp.zeros(3), jnp.asarray(0.0), jnp.asarray(0.0), jnp.asarray(1e11))
    h = sot.field(jnp.array([1.0, 0.0, 0.0]), layer, inputs)
    a = HBAR * 1e11 / (2 * E_CHARGE * MU0 * 1e6 * 1e-9)
    np.testing.assert_allclose(h, [0.0, 0.1 * a, -0.3 * a], rtol=1e-6)


def test_llg_rhs_is_tangent_and_damps_toward_field():
    m = sj.normalize(jax.random.normal(KEY, (N, 3), jnp.float64))
    H = jnp.array([0.0, 0.0, 1e5])
    dm = sj.llg_rhs(m, H, 0.1)
    scale = float(jnp.max(jnp.abs(dm)))
    np.testing.assert_allclose(jnp.sum(dm * m, -1) / scale, 0.0, atol=1e-12)
    assert bool(jnp.all(dm[:, 2] >= 0))  # damping turns m toward H
