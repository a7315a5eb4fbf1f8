"""Property-based tests (Hypothesis) of the public core's input checks and outputs.

Invalid values (negative, zero where a positive number is needed, NaN, infinities,
wrong shapes) raise the project's error type naming the parameter, before anything is
compiled; valid values of the layer, field terms and pulses give a finite solution
with |m| = 1 through one jitted solve whose parameters are traced (compiled once).

To cover a new entry point, add a row to ``ENTRIES``: (name, a function of one value,
the parameter name its error must contain, a strategy of valid values, a strategy of
invalid values).
"""

import math
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import Phase, given, settings, strategies as st

import spinjax as sj

ERRORS = (sj.InvalidParameterError, sj.SimulationInputError)
LAYER = dict(Ms=1e6, alpha=0.02, thickness_m=1e-9, area_m2=2e-15, temperature_K=300.0)
_MODEL = sj.SLLG(sj.FreeLayer(**LAYER), (sj.UniaxialAnisotropy(K_u=3e5),))
_M0 = np.tile(np.array([0.0, 0.0, 1.0], np.float32), (2, 1))

NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])


def positive(lo, hi):
    return st.floats(lo, hi)


def not_positive():
    return st.floats(max_value=0.0, allow_nan=False) | NON_FINITE


def negative():
    return st.floats(max_value=-1e-300, allow_nan=False) | NON_FINITE


def vectors(lo=-1e6, hi=1e6):
    return st.lists(st.floats(lo, hi), min_size=3, max_size=3).map(tuple)


def bad_vectors():
    """Wrong length, or a non-finite entry."""
    return (st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=5)
            .filter(lambda v: len(v) != 3).map(tuple)
            | st.tuples(st.floats(-1e6, 1e6), NON_FINITE, st.floats(-1e6, 1e6)))


def _simulate(**kw):
    args = {"t1": 4e-12, "dt": 1e-12, **kw}
    return sj.simulate(_MODEL, args.pop("m0", _M0), key=jax.random.key(0), **args)


class Entry(NamedTuple):
    name: str
    call: Callable
    parameter: str
    valid: st.SearchStrategy
    invalid: st.SearchStrategy


def _layer(name):
    return lambda v: sj.FreeLayer(**{**LAYER, name: v})


ENTRIES = [
    Entry("FreeLayer.Ms", _layer("Ms"), "Ms", positive(1e3, 1e7), not_positive()),
    Entry("FreeLayer.alpha", _layer("alpha"), "alpha", positive(1e-4, 10.0), negative()),
    Entry("FreeLayer.thickness_m", _layer("thickness_m"), "thickness_m",
          positive(1e-10, 1e-6), not_positive()),
    Entry("FreeLayer.area_m2", _layer("area_m2"), "area_m2", positive(1e-18, 1e-10),
          not_positive()),
    Entry("FreeLayer.temperature_K", _layer("temperature_K"), "temperature_K",
          st.floats(0.0, 1e4), negative()),
    Entry("UniaxialAnisotropy.K_u", lambda v: sj.UniaxialAnisotropy(K_u=v), "K_u",
          st.floats(-1e7, 1e7), NON_FINITE),
    Entry("UniaxialAnisotropy.axis", lambda v: sj.UniaxialAnisotropy(K_u=1e5, axis=v),
          "axis", vectors().filter(lambda v: max(map(abs, v)) > 1e-3), bad_vectors()),
    Entry("VCMAAnisotropy.xi", lambda v: sj.VCMAAnisotropy(K_i0=1e-3, xi=v), "xi",
          st.floats(-1e-12, 1e-12), NON_FINITE),
    Entry("VCMAAnisotropy.t_ox_m", lambda v: sj.VCMAAnisotropy(K_i0=1e-3, t_ox_m=v),
          "t_ox_m", positive(1e-10, 1e-8), not_positive()),
    Entry("Zeeman.bias_A_per_m", lambda v: sj.Zeeman(bias_A_per_m=v), "bias_A_per_m",
          vectors(), bad_vectors()),
    Entry("Demagnetization.factors", lambda v: sj.Demagnetization(factors=v), "factors",
          vectors(0.0, 1.0), bad_vectors() | st.tuples(st.floats(1.0001, 1e3),
                                                       st.just(0.0), st.just(0.0))),
    Entry("Trapezoid.width_s", lambda v: sj.Trapezoid(1.0, width_s=v), "width_s",
          st.floats(0.0, 1e-6), negative()),
    Entry("Trapezoid.rise_s", lambda v: sj.Trapezoid(1.0, rise_s=v), "rise_s",
          st.floats(0.0, 1e-6), negative()),
    Entry("Trapezoid.start_s", lambda v: sj.Trapezoid(1.0, start_s=v), "start_s",
          st.floats(-1e-6, 1e-6), NON_FINITE),
    Entry("GaussianPulse.sigma_s", lambda v: sj.GaussianPulse(1.0, 0.0, v), "sigma_s",
          positive(1e-15, 1e-6), not_positive()),
    Entry("Sinusoid.frequency_hz", lambda v: sj.Sinusoid(1.0, v), "frequency_hz",
          positive(1.0, 1e12), not_positive()),
    Entry("simulate.dt", lambda v: _simulate(dt=v), "dt", st.just(1e-12), not_positive()),
    Entry("simulate.t1", lambda v: _simulate(t1=v), "t1", st.just(4e-12),
          st.floats(-1e-9, 0.0)),
    Entry("simulate.m0", lambda v: _simulate(m0=v), "m0", st.just(_M0),
          st.sampled_from([np.zeros((2, 3), np.float32), np.ones((2, 2), np.float32),
                           np.full((2, 3), np.nan, np.float32)])),
]
_IDS = [e.name for e in ENTRIES]


@pytest.mark.parametrize("entry", ENTRIES, ids=_IDS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_invalid_values_name_the_parameter(entry, data):
    value = data.draw(entry.invalid, label=entry.parameter)
    with pytest.raises(ERRORS, match=entry.parameter):
        entry.call(value)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if not e.name.startswith("simulate")],
                         ids=[n for n in _IDS if not n.startswith("simulate")])
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_valid_values_are_accepted(entry, data):
    entry.call(data.draw(entry.valid, label=entry.parameter))


# Values that are not numbers (a string, None, a bool, a numeric string): the parameter
# declarations refuse them with an error naming the parameter, rather than passing them
# to jnp.asarray (a raw TypeError/ValueError, or for a bool a silent 0/1).
_NOT_NUMBERS = [("Ms", "abc"), ("Ms", None), ("Ms", True), ("alpha", "0.1")]


@pytest.mark.parametrize("name, value", _NOT_NUMBERS)
def test_not_a_number_names_the_parameter(name, value):
    with pytest.raises(ERRORS, match=name):
        _layer(name)(value)


@pytest.mark.parametrize("t1", [math.inf, math.nan])
def test_non_finite_end_time_names_t1(t1):
    with pytest.raises(ERRORS, match="t1"):
        _simulate(t1=t1)


@jax.jit
def _solve(p, key):
    """Two junctions, 12 steps of 1 ps: a VCMA layer with uniaxial anisotropy, an
    in-plane field and a trapezoidal voltage pulse, every parameter traced (float64:
    the tests run with x64 and strict promotion, where float32 parameters fail)."""
    layer = sj.FreeLayer(Ms=p[0], alpha=p[1], thickness_m=1e-9, area_m2=2e-15,
                         temperature_K=p[2])
    fields = (sj.UniaxialAnisotropy(K_u=p[3]), sj.VCMAAnisotropy(K_i0=p[4], xi=p[5]),
              sj.Zeeman(bias_A_per_m=jnp.stack([p[6], 0 * p[6], p[7]])))
    pulse = sj.Trapezoid(p[8], start_s=1e-12, width_s=p[9], rise_s=1e-12, fall_s=1e-12)
    return sj.simulate(sj.SLLG(layer, fields), jnp.asarray(_M0, p.dtype), t1=12e-12, dt=1e-12,
                       key=key, drive=sj.Drive(voltage_V=pulse)).m


@settings(max_examples=12, deadline=None, phases=(Phase.explicit, Phase.generate))
@given(Ms=st.floats(8e5, 2e6), alpha=st.floats(1e-3, 1.0), T=st.floats(0.0, 500.0),
       K_u=st.floats(-3e5, 3e5), K_i0=st.floats(0.0, 3e-4), xi=st.floats(0.0, 1e-13),
       hx=st.floats(-3e5, 3e5), hz=st.floats(-3e5, 3e5), v=st.floats(-1.5, 1.5),
       width=st.floats(0.0, 8e-12), seed=st.integers(0, 2**31 - 1))
def test_valid_parameters_give_unit_magnetization(Ms, alpha, T, K_u, K_i0, xi, hx, hz, v,
                                                  width, seed):
    """The concrete checks accept them, and the solve (at most 0.2 rad of precession
    per step in this range) keeps every m finite and of unit length."""
    sj.FreeLayer(Ms=Ms, alpha=alpha, thickness_m=1e-9, area_m2=2e-15, temperature_K=T)
    sj.Trapezoid(v, start_s=1e-12, width_s=width, rise_s=1e-12, fall_s=1e-12)
    p = np.array([Ms, alpha, T, K_u, K_i0, xi, hx, hz, v, width], np.float64)
    m = np.asarray(_solve(p, jax.random.key(seed)))
    assert m.shape == (2, 3) and np.all(np.isfinite(m))
    np.testing.assert_allclose(np.linalg.norm(m, axis=-1), 1.0, atol=1e-5)
