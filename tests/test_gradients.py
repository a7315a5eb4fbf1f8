"""Reverse-mode gradients through the stochastic solve against finite differences with
common random numbers (the same key)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

import spinjax as sj

MS, T_F = 1.0e6, 1.2e-9
N, DT, STEPS = 1000, 1e-12, 300


class _HalfSinePulse(eqx.Module):
    """A field pulse along x, amplitude * sin(pi t / t_end) in A/m; a pytree, so a new
    amplitude does not recompile the solve."""

    amplitude: jax.Array

    def __call__(self, t):
        return self.amplitude * jnp.array([1.0, 0.0, 0.0]) * jnp.sin(jnp.pi * t / (STEPS * DT))


def _mean_mz(amplitude, alpha):
    """E[m_z(t_end)] over 1000 junctions at 300 K (Delta about 117: no switching) after a
    field along x of `amplitude` A/m for 0.3 ns, float64."""
    layer = sj.FreeLayer(Ms=MS, alpha=alpha, thickness_m=T_F, area_m2=sj.disk_area(50e-9),
                         temperature_K=300.0)
    fields = (sj.VCMAAnisotropy(K_i0=1.0e-3), sj.Demagnetization(factors=(0.0, 0.0, 1.0)),
              sj.Zeeman())
    model = sj.SLLG(layer, fields)
    drive = sj.Drive(field_A_per_m=_HalfSinePulse(jnp.asarray(amplitude, jnp.float64)))
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float64), (N, 1))
    sol = sj.simulate(model, m0, t1=STEPS * DT, dt=DT, key=jax.random.key(11), drive=drive)
    return jnp.mean(sol.m[:, 2])


@pytest.mark.parametrize("argnum, x0, rel_step", [(0, 5.0e4, 1e-4), (1, 0.05, 1e-4)])
def test_reverse_mode_matches_finite_difference(argnum, x0, rel_step):
    """d E[m_z] / d(field amplitude) and d E[m_z] / d alpha by reverse mode through
    RecursiveCheckpointAdjoint against a central difference (same key, float64) within 5 %.
    (Over this short horizon the two agree to about 1e-6 relative.)"""
    args = [5.0e4, 0.05]
    grad = jax.grad(_mean_mz, argnums=argnum)(*args)
    h = rel_step * x0
    up = list(args); up[argnum] = x0 + h
    dn = list(args); dn[argnum] = x0 - h
    fd = (_mean_mz(*up) - _mean_mz(*dn)) / (2 * h)
    assert abs(float(fd)) > 0  # the observable depends on the parameter
    assert float(grad) == pytest.approx(float(fd), rel=0.05)


def test_gradient_through_saved_observables():
    """Reverse mode through Save(every=k, fn): the time average of <m_z> over 6 saves,
    against a central difference with the same key, within 5 %."""
    layer = sj.FreeLayer(Ms=MS, alpha=0.05, thickness_m=T_F, area_m2=sj.disk_area(50e-9),
                         temperature_K=300.0)
    model = sj.SLLG(layer, (sj.VCMAAnisotropy(K_i0=1.0e-3),
                            sj.Demagnetization(factors=(0.0, 0.0, 1.0)), sj.Zeeman()))
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float64), (256, 1))

    def average_mz(amplitude):
        drive = sj.Drive(field_A_per_m=_HalfSinePulse(amplitude))
        sol = sj.simulate(model, m0, t1=STEPS * DT, dt=DT, key=jax.random.key(5), drive=drive,
                          save=sj.Save(every=STEPS // 5, fn=lambda t, m: jnp.mean(m[:, 2])))
        return jnp.mean(sol.ys)

    a, h = jnp.asarray(5.0e4, jnp.float64), 5.0
    grad = jax.grad(average_mz)(a)
    fd = (average_mz(a + h) - average_mz(a - h)) / (2 * h)
    assert float(grad) == pytest.approx(float(fd), rel=0.05)
