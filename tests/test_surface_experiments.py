"""The public surface of the experiments: arguments are checked before anything is
compiled, results say how they were obtained (rounded-up trials, bounds, sweep rate)."""

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import spinjax as sj
from spinjax.constants import GAMMA0, MU0
from spinjax.devices import stt_mtj, vcma_mtj, w_cofeb
from spinjax.experiments import (
    SweepTooFastWarning, WriteErrorRate, first_maximum, half_precession_period_s,
    harmonic_hall, rh_loop, run_pump_probe, switching_map, write_error_rate)

VCMA = vcma_mtj()
BAR = w_cofeb(temperature_K=0.0)
KEY = jax.random.key(0)
NAN, INF = float("nan"), float("inf")


def _sm(**kw):
    a = {**dict(amplitudes=[1.2], widths_s=[0.1e-9], n=2, key=KEY), **kw}
    return switching_map(VCMA, a.pop("amplitudes"), a.pop("widths_s"), **a)


def _wer(**kw):
    a = {**dict(amplitude=1.2, width_s=0.1e-9, trials=2, key=KEY, batch=2), **kw}
    return write_error_rate(VCMA, a.pop("amplitude"), a.pop("width_s"), **a)


def _rh(**kw):
    a = {**dict(h_max_A_per_m=2e5, n=1, key=KEY, sweep_time_s=2e-9, dt=2e-12), **kw}
    return rh_loop(stt_mtj(temperature_K=0.0), **a)


def _hh(**kw):
    a = {**dict(phi_rad=[0.0], h_ext_A_per_m=2e4, j0_A_per_m2=1e10, frequency_hz=1e8,
                dt=1e-12, samples_per_period=100), **kw}
    return harmonic_hall(BAR, **a)


def _pp(**kw):
    a = {**dict(j_pump=[-1e11, 1e11], widths_s=[1e-9], h_sweep=[-100.0, 0.0],
                j_probe=1e10, h_x=100.0), **kw}
    return run_pump_probe(BAR, **a)


_BAD = [
    (_sm, "n", [0, -3, 2.5, "4", True]), (_sm, "amplitudes", [[NAN], [], "a", [[1.0]]]),
    (_sm, "widths_s", [[-1e-9], [INF]]), (_sm, "dt", [0.0, -1e-12, NAN, "a"]),
    (_sm, "settle_s", [-1e-9, NAN]), (_sm, "edge_s", [-1e-12]), (_sm, "delay_s", [-1e-9]),
    (_sm, "input_name", [3, "x"]), (_sm, "start_well", [0, 2]),
    (_sm, "m0", [np.ones((3, 2))]),
    (_wer, "batch", [-1, 0, True, 1.5]), (_wer, "trials", [0, 1.5, "9"]),
    (_wer, "amplitude", [NAN, "x"]), (_wer, "width_s", [-1e-9, INF]), (_wer, "dt", [0.0]),
    (_rh, "sweep_time_s", [0.0, -1e-9, NAN, 1e-12]), (_rh, "points", [0, -1]),
    (_rh, "dt", [0.0, NAN]), (_rh, "n", [0, "a"]), (_rh, "h_max_A_per_m", [NAN, "a", -1.0]),
    (_rh, "h_min_A_per_m", [NAN, 3e5]), (_rh, "axis", [(0.0, 0.0, 0.0), (1.0, 0.0)]),
    (_rh, "start_well", [2]),
    (_hh, "frequency_hz", [0.0, -1e8]), (_hh, "dt", [0.0]), (_hh, "samples_per_period", [0, 2]),
    (_hh, "periods", [0]), (_hh, "settle_periods", [-1]), (_hh, "h_ext_A_per_m", [NAN]),
    (_hh, "j0_A_per_m2", ["a"]), (_hh, "phi_rad", [[]]),
    (_pp, "dt", [0.0]), (_pp, "widths_s", [[-1e-9], []]), (_pp, "j_pump", [[NAN, 1.0], []]),
    (_pp, "h_sweep", [[]]), (_pp, "j_probe", [0.0, NAN]), (_pp, "h_x", [NAN]),
    (_pp, "slot_s", [0.0]), (_pp, "relax_s", [-1e-9]), (_pp, "tilt_deg", [NAN, 180.0]),
]
_CASES = [(f, name, v) for f, name, values in _BAD for v in values]


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(_CASES))
def test_bad_arguments_are_named_before_compiling(case):
    """Every bad value raises InvalidParameterError naming the argument (no simulation
    runs: these return in milliseconds)."""
    f, name, value = case
    with pytest.raises(sj.InvalidParameterError, match=name):
        f(**{name: value})


def test_analysis_helpers_reject_nonsense():
    with pytest.raises(sj.InvalidParameterError, match="p is 0 at every width"):
        first_maximum([1e-9, 2e-9], [0.0, 0.0])
    with pytest.raises(sj.InvalidParameterError, match="shape"):
        first_maximum([1e-9, 2e-9], [0.5])
    with pytest.raises(sj.InvalidParameterError, match="fraction"):
        first_maximum([1e-9, 2e-9], [0.1, 0.5], fraction=2.0)
    with pytest.raises(sj.InvalidParameterError, match="field_A_per_m"):
        half_precession_period_s(0.0)


def test_write_error_rate_progress_and_rounded_trials():
    """5 trials in batches of 2 run 3 batches (6 trials); the callback sees every batch,
    with cumulative counts that end at the result's. (T = 0, given m0: one small
    compilation.)"""
    calls = []
    dev = vcma_mtj(temperature_K=0.0)
    res = write_error_rate(dev, 1.2, 0.1e-9, trials=5, batch=2, key=jax.random.key(3),
                           progress=calls.append, settle_s=0.1e-9,
                           m0=jnp.array([0.0, 0.0, 1.0], jnp.float32))
    assert res.trials == 6 and res.trials_requested == 5 and res.rounded_up
    assert [c["batch"] for c in calls] == [0, 1, 2]
    assert [c["trials_done"] for c in calls] == [2, 4, 6]
    assert all(c["trials_total"] == 6 for c in calls)
    assert calls[-1]["errors"] == res.errors
    assert all(c["elapsed_s"] >= 0 for c in calls)
    j = res.to_json()
    assert j["trials"] == 6 and j["trials_requested"] == 5 and j["trials_rounded_up"]
    with pytest.raises(sj.InvalidParameterError, match="progress"):
        _wer(progress=3)


@pytest.mark.parametrize("errors, trials", [(0, 1000), (0, 20), (3, 1000), (19, 20)])
def test_wer_upper_bound_is_one_sided_95(errors, trials, tmp_path):
    """The bound u solves P(K <= k | n, u) = 5 %; at k = 0 it is 1 - 0.05^(1/n), close to
    3/n, and the JSON says the rate is only a bound."""
    res = WriteErrorRate(1.0, 1e-9, errors, trials)
    u = res.upper_bound
    assert stats.binom.cdf(errors, trials, u) == pytest.approx(0.05, rel=1e-6)
    j = res.to_json()
    assert j["wer_is_upper_bound"] == (errors == 0) and j["wer_upper95"] == u
    if errors == 0:
        assert u == pytest.approx(1 - 0.05 ** (1 / trials), rel=1e-9)
        if trials >= 1000:
            assert u == pytest.approx(3 / trials, rel=0.01)
        res.plot(tmp_path / "wer.png")
        assert (tmp_path / "wer.png").stat().st_size > 0


def test_fast_rh_loop_warns_before_it_runs():
    """A 2 ns loop of the STT junction (alpha = 0.027) moves the field by far more than
    1 % of H_K per relaxation time 1/(alpha gamma0 H_K): a SweepTooFastWarning (raised
    here as an error, so nothing is simulated) gives the factor to lengthen the sweep
    by, the stated criterion (dH/dt) / (alpha gamma0 H_K^2) / 1 %, H_K from the barrier."""
    dev = stt_mtj(temperature_K=0.0)
    layer = dev.model.layer
    h_k = 2 * float(dev.energy_barrier_J()) / (MU0 * float(layer.Ms)
                                               * float(layer.volume_m3))
    ratio = 5 * 2e5 / 2e-9 / (float(layer.alpha) * GAMMA0 * h_k**2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SweepTooFastWarning)
        with pytest.raises(SweepTooFastWarning, match="relaxation time") as err:
            rh_loop(dev, 2e5, n=1, key=KEY, sweep_time_s=2e-9, dt=2e-12)
    factor = float(re.search(r"by at least ([0-9.e+]+)x", str(err.value)).group(1))
    assert factor == pytest.approx(ratio / 0.01, rel=1e-2)


def test_plot_returns_a_figure_and_leaves_pyplot_alone(tmp_path):
    """A result's plot builds a ``matplotlib.figure.Figure`` without pyplot: the
    current backend and the user's open figures are unchanged (a notebook's inline
    figures survive), the figure is returned for display, and a path writes a PNG."""
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    before = matplotlib.get_backend()
    mine = plt.figure()
    try:
        fig = WriteErrorRate(1.0, 1e-9, 3, 1000).plot()
        assert isinstance(fig, Figure) and fig.axes
        WriteErrorRate(1.0, 1e-9, 0, 1000).plot(tmp_path / "wer.png")
        assert (tmp_path / "wer.png").stat().st_size > 0
        assert matplotlib.get_backend() == before
        assert plt.get_fignums() == [mine.number]
    finally:
        plt.close(mine)
