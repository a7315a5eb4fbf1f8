"""The input surface of design, fitting and the estimators: invalid values raise
InvalidParameterError naming the parameter before anything is simulated; and the
shipped published sigmoid gets a start from its data where the default says nothing."""

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spinjax as sj
from spinjax._design import Bounded, Positive, min_energy_pulse, rectangular_reference
from spinjax._design import tune_to_probability
from spinjax._estimators import pulse_outcome, smoothed_probability, soft_outcome
from spinjax._fitting import FitFailed, fit_switching, from_arrays, grid_outcome, read_csv
from spinjax._fitting.start import find_start, middle_voltage
from spinjax._fitting.vcma_params import vcma_mtj_compensation
from spinjax.devices import vcma_mtj

IPE = sj.InvalidParameterError
FAST = settings(max_examples=20, deadline=None)
CSV = pathlib.Path(__file__).parents[1] / "examples" / "data" / "published_sigmoid.csv"
KEY = jax.random.key(0)
bad_reals = st.one_of(st.just(float("nan")), st.just(float("inf")), st.just(-float("inf")),
                      st.booleans(), st.text(max_size=2), st.none())
bad_counts = st.one_of(st.integers(-5, 0), st.booleans(), st.floats(allow_nan=True),
                       st.text(max_size=2), st.none())


def _never_called(params, key):
    raise AssertionError("validation must come before the outcome is simulated")


@FAST
@given(v=bad_reals)
def test_transforms(v):
    with pytest.raises(IPE, match="lo"):
        Bounded(v, 1.0)
    with pytest.raises(IPE, match="scale"):
        Positive(v)


@FAST
@given(lo=st.floats(-1e3, 1e3), width=st.floats(1e-3, 1e3), u=st.floats(0.01, 0.99))
def test_bounded_round_trip(lo, width, u):
    b = Bounded(lo, lo + width)
    theta = lo + u * width
    assert float(b.forward(b.inverse(theta))) == pytest.approx(theta, rel=1e-4, abs=1e-4)


def test_positive_needs_a_positive_scale():
    for v in (0.0, -1.0):
        with pytest.raises(IPE, match="scale"):
            Positive(v)


@FAST
@given(v=st.one_of(bad_reals, st.sampled_from([0.0, 1.0, -0.5, 1.5])))
def test_tune_to_probability_reals(v):
    args = (_never_called, {"a": 1.0}, {"a": Positive()}, {"a": 0.1})
    with pytest.raises(IPE, match="target"):
        tune_to_probability(*args, v, KEY)
    with pytest.raises(IPE, match="tol"):
        tune_to_probability(*args, 0.5, KEY, tol=v)


@FAST
@given(c=bad_counts)
def test_tune_to_probability_counts(c):
    args = (_never_called, {"a": 1.0}, {"a": Positive()}, {"a": 0.1}, 0.5, KEY)
    for name in ("n_pairs", "max_steps", "verify_pairs"):
        if c is None and name == "verify_pairs":   # None: the default
            continue
        with pytest.raises(IPE, match=name):
            tune_to_probability(*args, **{name: c})


def test_tune_to_probability_structures():
    with pytest.raises(IPE, match="transforms"):
        tune_to_probability(_never_called, {"a": 1.0}, {"a": 1.0}, {"a": 0.1}, 0.5, KEY)
    with pytest.raises(IPE, match="init"):
        tune_to_probability(_never_called, {}, {}, {}, 0.5, KEY)


@FAST
@given(v=bad_reals)
def test_min_energy_and_reference(v):
    times = [0.0, 1e-10, 2e-10]
    with pytest.raises(IPE, match="target"):
        min_energy_pulse(vcma_mtj, v, KEY, times_s=times, v_max=2.0)
    with pytest.raises(IPE, match="v_max"):
        min_energy_pulse(vcma_mtj, 0.5, KEY, times_s=times, v_max=v)
    with pytest.raises(IPE, match="scale_V"):
        min_energy_pulse(vcma_mtj, 0.5, KEY, times_s=times, v_max=2.0, scale_V=v)
    with pytest.raises(IPE, match="target"):
        rectangular_reference(vcma_mtj, v, KEY, amplitude_V=1.0, v_max=2.0)
    with pytest.raises(IPE, match="width_s"):
        rectangular_reference(vcma_mtj, 0.5, KEY, amplitude_V=1.0, v_max=2.0, width_s=v)


def test_min_energy_counts_and_init():
    times = [0.0, 1e-10, 2e-10]
    for name in ("n_pairs", "max_steps", "polish_steps"):
        with pytest.raises(IPE, match=name):
            min_energy_pulse(vcma_mtj, 0.5, KEY, times_s=times, v_max=2.0, **{name: 0})
    with pytest.raises(IPE, match="init"):
        min_energy_pulse(vcma_mtj, 0.5, KEY, times_s=times, v_max=2.0, init=[5.0])
    with pytest.raises(IPE, match="amplitude_V"):
        rectangular_reference(vcma_mtj, 0.5, KEY, amplitude_V=3.0, v_max=2.0)


@FAST
@given(column=st.sampled_from(["voltage_V", "width_s", "switches", "trials"]),
       v=st.one_of(st.just(float("nan")), st.just(float("inf")), st.text(max_size=2),
                   st.none(), st.just([[1.0, 2.0]])))
def test_from_arrays_columns(column, v):
    good = {"voltage_V": [1.0], "width_s": [1e-9], "switches": [1], "trials": [2]}
    with pytest.raises(IPE, match=column):
        from_arrays(**{**good, column: v})


@FAST
@given(p=st.lists(st.integers(0, 50), min_size=1, max_size=5))
def test_from_arrays_valid_counts(p):
    d = from_arrays(np.linspace(0.8, 1.0, len(p)), 4.4e-10, p, [50] * len(p))
    assert np.all((d.p >= 0) & (d.p <= 1)) and d.voltage_V.shape == (len(p),)


def test_from_arrays_temperature_and_counts():
    for t in (float("nan"), -1.0, float("inf")):
        with pytest.raises(IPE, match="temperature_K"):
            from_arrays([1.0], [1e-9], [1], [2], [t])
    with pytest.raises(IPE, match="switches"):
        from_arrays([1.0], [1e-9], [3], [2])


@FAST
@given(v=st.one_of(bad_reals, st.just(0.0), st.just(-1.0)))
def test_fit_switching_reals(v):
    data = from_arrays([0.28, 0.29], 4.4e-10, [300, 700], [1000, 1000])
    kw = {"preset": vcma_mtj_compensation}
    with pytest.raises(IPE, match="xi"):
        fit_switching(data, {"xi": v}, KEY, **kw)
    with pytest.raises(IPE, match="rel_scale"):
        fit_switching(data, {"xi": 8e-14}, KEY, rel_scale=v, **kw)
    with pytest.raises(IPE, match="settle_sigma"):
        fit_switching(data, {"xi": 8e-14}, KEY, settle_sigma=v, **kw)


@FAST
@given(c=bad_counts)
def test_fit_switching_counts(c):
    data = from_arrays([0.28, 0.29], 4.4e-10, [300, 700], [1000, 1000])
    for name in ("n_pairs", "max_steps", "final_pair_factor"):
        with pytest.raises(IPE, match=name):
            fit_switching(data, {"xi": 8e-14}, KEY, preset=vcma_mtj_compensation,
                          **{name: c})


def test_fit_switching_names_and_data():
    data = from_arrays([0.28, 0.29], 4.4e-10, [300, 700], [1000, 1000])
    with pytest.raises(IPE, match="bogus"):
        fit_switching(data, {"bogus": 1.0}, KEY, preset=vcma_mtj_compensation)
    with pytest.raises(IPE, match="data"):
        fit_switching({"voltage_V": [1.0]}, {"xi": 8e-14}, KEY,
                      preset=vcma_mtj_compensation)


@FAST
@given(name=st.sampled_from(["settle_s", "edge_s", "start_s", "dt", "thermal_t_s"]),
       v=st.one_of(st.floats(max_value=-1e-15), st.just(float("nan")), st.booleans()))
def test_outcome_timing(name, v):
    """A negative settling time ended the window before the pulse: P = 0, silently."""
    with pytest.raises(IPE, match=name):
        pulse_outcome(vcma_mtj, **{name: v})
    with pytest.raises(IPE, match=name):
        grid_outcome(vcma_mtj_compensation, from_arrays([1.0], [1e-9], [1], [2]),
                     **{name: v})


def test_estimator_arguments():
    m = jnp.array([[0.0, 0.0, 1.0]])
    for t in (0.0, -1.0, float("nan"), True):
        with pytest.raises(IPE, match="temperature"):
            soft_outcome(m, [0, 0, 1], temperature=t)
    with pytest.raises(IPE, match="start_well"):
        soft_outcome(m, [0, 0, 1], start_well=0)
    with pytest.raises(IPE, match="axis"):
        soft_outcome(m, [0, 0, 0])
    with pytest.raises(IPE, match="n_pairs"):
        smoothed_probability(_never_called, {"a": 1.0}, {"a": 0.1}, KEY, n_pairs=2.5)


def test_published_sigmoid_gets_a_start_from_its_data():
    """The CLI's default start (V_c = 1.6126 V) gives P = 0 at the published points
    (0.275-0.288 V); the preset proposes V_c = V_50 / 0.64 with xi V_c kept, where
    the model switches at every point (16 junctions each: P > 0 everywhere, and
    below 1 at the lowest voltage, so the curve rises across the data), and
    fit_switching starts there. A preset
    without a proposal fails at once, naming the data's middle voltage (0.2824 V)."""
    data = read_csv(CSV)
    v50 = middle_voltage(data)
    assert v50 == pytest.approx(0.282 + 0.006 * 0.02 / 0.33, abs=1e-4)
    outcome = grid_outcome(vcma_mtj_compensation, data)
    names = ("compensation_V", "xi")
    theta, start = find_start(outcome, names, np.array([1.6126, 80e-15]), data, KEY, 16,
                              vcma_mtj_compensation, None)
    assert start["p_given"] == [0.0, 0.0, 0.0]
    assert theta[0] == pytest.approx(v50 / 0.64) and theta[0] * theta[1] == pytest.approx(
        1.6126 * 80e-15)
    p = start["p_found"]
    assert all(x > 0 for x in p) and p[0] < 1 and p[-1] > p[0], start

    def bare(**kw):   # the same device, without a start_from_data proposal
        return vcma_mtj_compensation(**kw)

    with pytest.raises(FitFailed, match=r"cross 1/2 near 0\.2824 V"):
        fit_switching(data, {"compensation_V": 1.6126, "xi": 80e-15}, KEY, preset=bare,
                      n_pairs=16)
