"""Devices and drives at the public surface: the step-size check covers the whole drive
(pulse bounds from their parameters, every step of any other callable), its hint can be
followed, and device presets check their arguments by their own names."""

import math
import re

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spinjax as sj
from spinjax.devices import (
    LogNormal, Normal, read_energy_J, sample_devices, sot_mtj, stt_mtj, vcma_mtj, w_cofeb)

NS = 1e-9
_FAST = settings(max_examples=25, deadline=None)
_times = st.floats(-2.0, 6.0)            # in ns


@eqx.filter_jit
def _peak(pulse, t):
    return jnp.max(jnp.abs(pulse(t)))


@eqx.filter_jit
def _bound(pulse, t0, t1):
    return pulse.max_abs(t0, t1)


def _dense_max(pulse, t0, t1, extra=()):
    """max |pulse| on a fine grid of [t0, t1] (float64) plus the given times (one
    compilation per pulse type: the pulse's parameters are arrays)."""
    t = np.concatenate([np.linspace(t0, t1, 20001), np.clip(extra, t0, t1)])
    return float(_peak(pulse, jnp.asarray(t)))


def _max_abs(pulse, t0, t1):
    return float(_bound(pulse, jnp.asarray(t0, jnp.float64), jnp.asarray(t1, jnp.float64)))


_edges = st.one_of(st.just(0.0), st.floats(1e-3, 1))


@_FAST
@given(a=st.floats(-5, 5), start=_times, width=st.floats(0, 3), rise=_edges, fall=_edges,
       lo=_times, span=st.floats(0.01, 8))
def test_trapezoid_bound_is_its_maximum(a, start, width, rise, fall, lo, span):
    """The bound is the supremum of |A(t)| over [t0, t1]: never below a sample (the
    dense grid includes the corners) and above the sampled maximum by at most the
    slope |A| / edge times the grid spacing."""
    p = sj.Trapezoid(a, start * NS, width * NS, rise * NS, fall * NS)
    t0, t1 = lo * NS, (lo + span) * NS
    corners = [float(c) for c in p.corners()]
    bound = _max_abs(p, t0, t1)
    sampled = _dense_max(p, t0, t1, corners)
    edges = [e for e in (rise, fall) if e > 0]
    slack = abs(a) * span / 20000 / min(edges) if edges else 0.0
    assert sampled - 1e-12 <= bound <= sampled + slack + 1e-12


@_FAST
@given(a=st.floats(-5, 5), centre=_times, sigma=st.floats(0.01, 1), lo=_times,
       span=st.floats(0.01, 8))
def test_gaussian_bound_is_its_maximum(a, centre, sigma, lo, span):
    p = sj.GaussianPulse(a, centre * NS, sigma * NS)
    t0, t1 = lo * NS, (lo + span) * NS
    bound = _max_abs(p, t0, t1)
    assert bound == pytest.approx(_dense_max(p, t0, t1, [centre * NS]), abs=1e-12)


@_FAST
@given(a=st.floats(-5, 5), f=st.floats(0.05, 3), phase=st.floats(-7, 7),
       offset=st.floats(-3, 3), lo=_times, span=st.floats(0.01, 8))
def test_sinusoid_bound_is_its_maximum(a, f, phase, offset, lo, span):
    """Between grid points |A(t)| changes by at most 2 pi f |A| dt: the bound is above
    every sample and within that of the sampled maximum."""
    p = sj.Sinusoid(a, f / NS, phase, offset)
    t0, t1 = lo * NS, (lo + span) * NS
    bound = _max_abs(p, t0, t1)
    sampled = _dense_max(p, t0, t1)
    step = 2 * np.pi * f * abs(a) * span / 20000
    assert sampled - 1e-9 <= bound <= sampled + step + 1e-9


def test_sum_and_sequence_bounds():
    """A Sum of piecewise-linear pulses is bounded at its corners (exact, below the sum
    of the parts' peaks when they do not coincide); a Sequence of a Gaussian and a
    rectangle is the larger of its parts."""
    a = sj.Trapezoid(1.0, 0.0, 1 * NS, 0.5 * NS, 0.5 * NS)
    b = sj.PiecewiseLinear(jnp.array([1.5, 2.0, 3.0]) * NS, jnp.array([0.0, -2.0, 0.0]))
    s = a + b
    corners = [float(c) for c in s.corners()]
    assert _max_abs(s, 0.0, 4 * NS) == pytest.approx(
        _dense_max(s, 0.0, 4 * NS, corners), abs=1e-12)
    assert _max_abs(s, 0.0, 4 * NS) == pytest.approx(2.0)
    seq = sj.Sequence((sj.GaussianPulse(3.0, 1 * NS, 0.1 * NS),
                       sj.rectangular(-1.0, 2 * NS, 1 * NS)))
    assert _max_abs(seq, 0.0, 4 * NS) == pytest.approx(3.0)
    assert _max_abs(seq, 1.9 * NS, 4 * NS) == pytest.approx(1.0)


def _magnet(temperature_K=0.0, volume=1e-24):
    layer = sj.FreeLayer(Ms=1e6, alpha=0.1, thickness_m=1e-9, area_m2=volume / 1e-9,
                         temperature_K=temperature_K)
    return sj.SLLG(layer, (sj.UniaxialAnisotropy(K_u=1e5), sj.Zeeman()))


M0 = jnp.array([0.0, 0.0, 1.0], jnp.float32)


def test_spike_between_samples_is_caught():
    """A 2 fs field spike between two steps, and a callable spike on one step out of
    4000 (between the points the old check sampled): both stop the run before it
    starts, the callable one at its time."""
    f32 = jnp.float32
    spike = sj.GaussianPulse(jnp.array([0.0, 0.0, 1e9], f32), f32(0.5003 * NS), f32(2e-15))
    with pytest.raises(sj.SimulationInputError, match=r"above the stability bound"):
        sj.simulate(_magnet(), M0, t1=1 * NS, dt=1e-12, drive=sj.Drive(field_A_per_m=spike))
    dt, k = 1e-13, 2001
    axis = jnp.array([0.0, 0.0, 1.0], jnp.float32)

    def kick(t):
        return jnp.where(jnp.abs(t - k * dt) < 0.5 * dt, 1e9, 0.0).astype(jnp.float32) * axis

    with pytest.raises(sj.SimulationInputError,
                       match=r"field_A_per_m peaks at 1e\+09 \(t = 2\.001e-10 s\)"):
        sj.simulate(_magnet(), M0, t1=4000 * dt, dt=dt, drive=sj.Drive(field_A_per_m=kick))


def _hint(model, dt, thermal):
    with pytest.raises(sj.SimulationInputError) as err:
        sj.simulate(model, M0, t1=4 * dt, dt=dt, key=jax.random.key(0))
    text = str(err.value)
    use = float(re.search(r"use dt <= ([0-9.e+-]+) s", text).group(1))
    bounds = {k: float(v) for k, v in re.findall(r"(precession|thermal) ([0-9.e+-]+) s",
                                                 text)}
    assert ("thermal" in bounds) == thermal
    assert math.isfinite(use) and use > 0
    assert use == pytest.approx(min(bounds.values()), rel=1e-3)
    return use


def test_step_hint_can_be_followed():
    """At T = 0 only the precession bound is printed; for a tiny hot magnet both, and
    the suggestion is the smaller (thermal) one: a dt just below it passes the check
    and runs."""
    precession = _hint(_magnet(0.0, 1e-24), 1e-10, False)
    model = _magnet(300.0, 1e-27)
    use = _hint(model, 1e-10, True)
    assert use < precession
    dt = 0.99 * use
    sol = sj.simulate(model, M0, t1=4 * dt, dt=dt, key=jax.random.key(0))
    assert bool(jnp.all(jnp.isfinite(sol.m)))


_bad_numbers = st.sampled_from([-60e-9, 0.0, float("nan"), float("inf"), -float("inf"),
                                "60e-9", None, True])


@_FAST
@given(value=_bad_numbers, preset=st.sampled_from([vcma_mtj, stt_mtj]))
def test_bad_diameter_is_named(value, preset):
    with pytest.raises(sj.InvalidParameterError, match="diameter_m"):
        preset(diameter_m=value)


@_FAST
@given(d=st.floats(5e-9, 500e-9))
def test_good_diameter_gives_its_area(d):
    dev = vcma_mtj(diameter_m=d)
    assert float(dev.model.layer.area_m2) == pytest.approx(np.pi * d * d / 4, rel=1e-6)


@pytest.mark.parametrize("build, name", [
    (lambda: vcma_mtj(ra_ohm_m2=-1e-9), "ra_ohm_m2"),
    (lambda: vcma_mtj(bias_field_A_per_m=float("nan")), "bias_field_A_per_m"),
    (lambda: sot_mtj(length_m=-1e-7), "length_m"),
    (lambda: sot_mtj(channel_resistivity_ohm_m=-1.0), "channel_resistivity_ohm_m"),
    (lambda: w_cofeb(rho_hm_ohm_m=-1e-6), "rho_hm_ohm_m"),
    (lambda: w_cofeb(width_m=-5e-6), "width_m"),
    (lambda: Normal(-0.1), "relative_sigma"),
    (lambda: LogNormal(float("nan")), "relative_sigma"),
    (lambda: sample_devices(jax.random.key(0), vcma_mtj, 2.5, {}), "n"),
    (lambda: sample_devices(jax.random.key(0), vcma_mtj, 3, {"alpha": 0.1}), "alpha"),
    (lambda: read_energy_J(vcma_mtj(), 0.1, -1e-9), "duration_s"),
    (lambda: vcma_mtj().energy_barrier_J(0), "num_angles"),
    (lambda: vcma_mtj().thermal_state(jax.random.key(0), (2,), t_s=0.0), "t_s"),
    (lambda: vcma_mtj().read(M0, voltage_V=float("nan")), "voltage_V"),
])
def test_device_arguments_are_named(build, name):
    with pytest.raises(sj.InvalidParameterError, match=name):
        build()


def test_per_junction_diameters_count_the_bad_ones():
    with pytest.raises(sj.InvalidParameterError, match=r"diameter_m = -1e-08 \(1 of 3"):
        vcma_mtj(diameter_m=jnp.array([60e-9, -10e-9, 50e-9]))
