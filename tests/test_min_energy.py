"""The minimum-energy write pulse (an 8-knot piecewise-linear voltage, end knots 0 V)
of the VCMA preset at p* = 0.9, against the rectangular (trapezoid) pulse at the
precessional width (plateau 0.44 ns, 30 ps edges) tuned to the same p*.

Sizes (for about a minute on two CPU cores): 512 antithetic pairs per estimator
call, 30 augmented-Lagrangian steps, two-point noise. Both pulses are then checked
on independent samples of the unperturbed pulse (4096 junctions each, se about
0.005). Tolerances:

- probability: the design tolerance 0.02 (the accepted |P - p*| of the running
  estimate) plus 3 standard errors of the independent sample;
- energy: the designed pulse must not use more than the rectangular one plus 5 %.
  The 5 % is the sampling tolerance in energy: near p* = 0.9 the rectangular
  pulse's E ~ V^2 and dP/dV ~ 2.5 per V at V ~ 1.07 V give d(ln E)/dP =
  2/(V dP/dV) ~ 0.75, so the two probabilities, each within 0.02 + 3 se of p*
  (a difference up to ~0.06), make at most ~4.5 % of energy. (Measured saving:
  about 15 %.)
"""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj
from spinjax.devices import barrier_write_energy_J, vcma_mtj
from spinjax._design import DesignFailed
from spinjax._design.min_energy import (
    min_energy_pulse, rectangular_reference, waveform_energy_J)
from spinjax._estimators import pulse_outcome
from spinjax._estimators.waveform_outcome import waveform_outcome

TARGET, TOL, V_MAX, PAIRS = 0.9, 0.02, 1.6, 512
TIMES = np.linspace(0.1e-9, 0.8e-9, 8)        # the window, s: knots every 100 ps
BATCHES = 8                                   # independent sample: 8 x 512 junctions


@pytest.fixture(scope="module")
def reference():
    return rectangular_reference(vcma_mtj, TARGET, jax.random.key(0), amplitude_V=1.0,
                                 v_max=V_MAX, n_pairs=PAIRS, tol=TOL)


@pytest.fixture(scope="module")
def design(reference):
    init = reference.amplitude_V * np.array([1, 1, 1, 1, 1, 0.3])  # the trapezoid, roughly
    return min_energy_pulse(vcma_mtj, TARGET, jax.random.key(1), times_s=TIMES,
                            v_max=V_MAX, init=init, n_pairs=PAIRS, max_steps=30, tol=TOL)


def _independent_p(outcome, params, seed):
    """P of the unperturbed pulse from BATCHES x PAIRS fresh junctions (the two halves
    of a call share their noise, so one half is the independent sample)."""
    b = np.concatenate([np.asarray(outcome(params, jax.random.key(seed + i)))[:PAIRS]
                        for i in range(BATCHES)]).astype(np.float64)
    return b.mean(), np.sqrt(b.mean() * (1 - b.mean()) / b.size)


def test_energy_is_differentiable_and_exact_for_a_piecewise_linear_pulse():
    """barrier_write_energy_J on a PiecewiseLinear, and its jax.grad, against the
    closed form sum dt (a^2 + ab + b^2)/(3 R_P) + C max v^2 of the parallel state."""
    dev = vcma_mtj()
    v = jnp.asarray([0.0, 0.4, 1.0, 1.2, 0.9, 0.5, 0.2, 0.0], jnp.float32)
    r, c = float(dev.tmr.r_p_ohm), float(dev.capacitance_F())

    def exact(x):
        a, b = x[:-1], x[1:]
        dt = jnp.asarray(np.diff(TIMES), x.dtype)
        return jnp.sum(dt * (a * a + a * b + b * b)) / (3 * r) + c * jnp.max(x) ** 2

    e = float(waveform_energy_J(dev, TIMES, v))
    np.testing.assert_allclose(e, float(exact(v)), rtol=2e-3)
    grad = jax.grad(lambda x: waveform_energy_J(dev, TIMES, x))(v)
    np.testing.assert_allclose(np.asarray(grad), np.asarray(jax.grad(exact)(v)), rtol=2e-2,
                               atol=1e-19)


def test_designed_pulse_reaches_the_target_within_the_limit(design):
    assert design.converged
    v = design.values_V
    assert v[0] == 0 and v[-1] == 0
    assert np.all(v >= 0) and np.max(v) <= V_MAX, v          # the amplitude limit
    out = waveform_outcome(vcma_mtj, TIMES)
    p, se = _independent_p(out, {"values": jnp.tile(jnp.asarray(v, jnp.float32),
                                                    (2 * PAIRS, 1))}, 100)
    assert abs(p - TARGET) <= TOL + 3 * se, (p, se, design.p, design.p_se)
    assert abs(design.p - TARGET) <= TOL + 3 * design.p_se
    assert len(design.log) == 30
    json.dumps(design.to_json())                              # the log is JSON-ready
    assert {"step", "p", "p_se", "energy_J", "multiplier", "values_V"} <= set(design.log[0])


def test_designed_pulse_uses_no_more_energy_than_the_rectangular_one(design, reference):
    out = pulse_outcome(vcma_mtj, width_s=reference.width_s, edge_s=reference.edge_s,
                        start_s=reference.start_s)
    p_ref, se_ref = _independent_p(
        out, {"amplitude": jnp.full((2 * PAIRS,), reference.amplitude_V, jnp.float32)}, 200)
    assert abs(p_ref - TARGET) <= TOL + 3 * se_ref, (p_ref, se_ref)
    e_ref = float(barrier_write_energy_J(vcma_mtj(), reference.pulse))
    np.testing.assert_allclose(e_ref, reference.energy_J, rtol=1e-6)
    assert design.energy_J <= 1.05 * reference.energy_J, (design.energy_J,
                                                          reference.energy_J)


def test_unreachable_target_fails_clearly():
    """At 0.7 V no junction of the preset switches, whatever the shape in the window:
    the search must say the amplitude limit is the reason, not return a pulse."""
    with pytest.raises(DesignFailed, match="amplitude limit"):
        min_energy_pulse(vcma_mtj, TARGET, jax.random.key(2), times_s=TIMES, v_max=0.7,
                         n_pairs=PAIRS, max_steps=5)
    with pytest.raises(sj.InvalidParameterError, match="target"):
        min_energy_pulse(vcma_mtj, 1.0, jax.random.key(2), times_s=TIMES, v_max=V_MAX)
    with pytest.raises(sj.InvalidParameterError, match="times_s"):
        min_energy_pulse(vcma_mtj, TARGET, jax.random.key(2), times_s=TIMES[::-1],
                         v_max=V_MAX)
