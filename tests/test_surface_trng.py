"""The input surface of the TRNG, the bit tools and the NIST wrapper: invalid values
raise InvalidParameterError naming the parameter (before anything is compiled), valid
ones give finite results; NIST tests that cannot run on that many bits are reported
as not applicable, never as passes; the tuning precision a number of bits needs."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spinjax as sj
from spinjax import _trng as trng
from spinjax._trng.precision import precision_report, xor_depth
from spinjax.devices import vcma_mtj

IPE = sj.InvalidParameterError
FAST = settings(max_examples=25, deadline=None)
BIT_TOOLS = {
    "xor_streams": lambda b: sj.xor_streams(b, 1),
    "von_neumann": lambda b: sj.von_neumann(b)[0],
    "bias": sj.bias,
    "uniforms": lambda b: sj.uniforms(b, 1),
    "gaussian_clt": lambda b: sj.gaussian_clt(b, 1),
    "bias_per_junction": lambda b: trng.bias_per_junction([b]),
}


@pytest.fixture(scope="module")
def device():
    return vcma_mtj()


@pytest.fixture(scope="module")
def schedule():
    return trng.CycleSchedule(start_s=4e-12, width_s=8e-12, edge_s=4e-12, settle_s=4e-12,
                              dt_s=4e-12)


@pytest.mark.parametrize("tool", sorted(BIT_TOOLS))
@FAST
@given(bits=st.lists(st.integers(-3, 4), min_size=2, max_size=12))
def test_bit_tools_accept_only_zeros_and_ones(tool, bits):
    """A 2 (or -1) among the bits is refused naming `bits`; 0/1 give finite output."""
    if all(b in (0, 1) for b in bits):
        assert np.all(np.isfinite(np.asarray(BIT_TOOLS[tool](bits), np.float64)))
    else:
        with pytest.raises(IPE, match="bits"):
            BIT_TOOLS[tool](bits)


@pytest.mark.parametrize("bad", [[], "0101", [[0, 1], [1]], [0.5, 1.0], None])
def test_bit_tools_refuse_non_bits(bad):
    for tool in BIT_TOOLS.values():
        with pytest.raises(IPE, match="bits"):
            tool(bad)


@settings(max_examples=12, deadline=None)
@given(k=st.one_of(st.integers(-5, 0), st.booleans(), st.floats(allow_nan=True),
                   st.text(max_size=2)))
def test_group_sizes_are_integers_from_one(k):
    bits = np.zeros((2, 8), np.uint8)
    with pytest.raises(IPE, match=r"\bk\b"):
        sj.xor_streams(bits, k)
    with pytest.raises(IPE, match=r"\bk\b"):
        sj.uniforms(bits, k)
    with pytest.raises(IPE, match="n_sum"):
        sj.gaussian_clt(bits, k)


def test_group_longer_than_the_stream_and_bad_axis():
    bits = np.zeros((2, 8), np.uint8)
    with pytest.raises(IPE, match="k = 9"):
        sj.uniforms(bits, 9)
    with pytest.raises(IPE, match="axis"):
        sj.xor_streams(bits, 1, axis=2)
    with pytest.raises(IPE, match="pooled"):
        trng.lag1_correlation(bits, pooled="yes")
    with pytest.raises(IPE, match="constant"):
        trng.lag1_correlation(bits, pooled=True)


def test_bit_tools_still_trace_under_jit():
    bits = jnp.array([0, 1, 1, 0, 1, 1], jnp.uint8)
    values, valid = jax.jit(sj.von_neumann)(bits)
    np.testing.assert_array_equal(np.asarray(values)[np.asarray(valid)], [0, 1])
    assert float(jax.jit(sj.bias)(bits)) == pytest.approx(4 / 6 - 0.5)


@pytest.mark.parametrize("n", [10, 150, 1500, 40_000])
def test_nist_counts_only_the_tests_that_apply(n):
    """Below a test's SP 800-22 minimum the suite returns statistics and sentinels
    (rank 0.0, universal n, longest run -1): those tests must be not applicable, with
    the bits they need, and no p-value outside [0, 1] may be reported."""
    bits = np.random.default_rng(n).integers(0, 2, n)
    report = trng.nist_pvalues(bits)
    assert set(report) | set(report.not_applicable) == set(trng.nist.MIN_BITS)
    assert not set(report) & set(report.not_applicable)
    for name, p in report.items():
        assert n >= trng.nist.MIN_BITS[name] and 0 <= p <= 1
    for name, reason in report.not_applicable.items():
        assert report.p_value(name) is None
        if n < trng.nist.MIN_BITS[name]:
            assert f"at least {trng.nist.MIN_BITS[name]} bits" in reason
    summary = report.summary(0.01)
    assert summary["applicable"] == len(report)
    assert summary["passed"] + summary["failed"] == len(report)
    assert report.to_json()["tests"]["rank"]["p_value"] == report.get("rank")
    if n < 100:
        assert len(report) == 0 and summary["passed"] == 0


def test_nist_refuses_non_bits():
    for bad in ([0, 1, 2], [], np.array([0, 1], dtype=object), "01"):
        with pytest.raises(IPE, match="bits"):
            trng.nist_pvalues(bad)


def test_precision_of_a_tuning_for_its_bits():
    """The issue's case: a tuning error of 6.7e-4 at 1e7 bits (4.2 sigma on NIST
    frequency). Measured with 1.2e6 writes (sigma 4.6e-4) the bound is 2e-3, far above
    the 3.2e-5 needed; XOR of 2 gives 2 b^2 = 8e-6 <= 0.1 / sqrt(5e6) = 4.5e-5."""
    writes = 1_200_000
    r = precision_report(0.97, round((0.5 - 6.7e-4) * writes), writes, 0.5, 10**7)
    assert r.tolerance == pytest.approx(0.1 / math.sqrt(1e7))
    assert r.p_se == pytest.approx(0.5 / math.sqrt(writes), rel=1e-3)
    assert not r.reached and r.xor_k == 2 and float(r) == 0.97
    assert 2 * r.bias_bound**2 <= 0.1 / math.sqrt(5e6) < r.bias_bound
    assert "XOR k = 2" in r.summary()
    # enough writes at p = 1/2 exactly: shown, no XOR needed
    r = precision_report(1.0, 5 * 10**9, 10**10, 0.5, 10**4)
    assert r.reached and r.xor_k == 1
    # a bias bound of 1/2 or more never shrinks under XOR
    assert xor_depth(0.5, 100) is None and xor_depth(0.01, 100) == 1


@FAST
@given(b=st.floats(1e-6, 0.45), bits=st.integers(1, 10**12))
def test_xor_depth_is_the_smallest_that_suffices(b, bits):
    k = xor_depth(b, bits)
    ok = lambda k: 2.0 ** (k - 1) * b**k <= 0.1 / math.sqrt(max(bits / k, 1))  # noqa: E731
    if k is None:   # more than 64 streams (b near 1/2): said, not hidden
        assert not any(ok(j) for j in range(1, 65))
    else:
        assert ok(k) and (k == 1 or not ok(k - 1))


bad_counts = st.one_of(st.integers(-5, 0), st.booleans(), st.floats(allow_nan=True),
                       st.text(max_size=2), st.none())
bad_reals = st.one_of(st.just(float("nan")), st.just(float("inf")), st.booleans(),
                      st.text(max_size=2), st.none())


@FAST
@given(c=bad_counts)
def test_run_trng_counts(device, schedule, c):
    for name in ("cycles", "junctions"):
        kw = {"cycles": 2, "junctions": 2, name: c}
        with pytest.raises(IPE, match=name):
            trng.run_trng(device, schedule, jax.random.key(0), 1.0, **kw)


@FAST
@given(v=bad_reals)
def test_run_and_tune_reals(device, schedule, v):
    key = jax.random.key(0)
    with pytest.raises(IPE, match="amplitude_V"):
        trng.run_trng(device, schedule, key, v, cycles=1, junctions=2)
    with pytest.raises(IPE, match="target"):
        trng.run_trng(device, schedule, key, 1.0, cycles=1, junctions=2, target=v)
    with pytest.raises(IPE, match="amplitudes_V"):
        trng.switching_probability(device, schedule, key, [v], junctions=2)
    with pytest.raises(IPE, match="target"):
        trng.tune_amplitude(device, schedule, key, v, 0.8, 1.2, junctions=2)
    with pytest.raises(IPE, match="lo_V"):
        trng.tune_amplitude(device, schedule, key, 0.5, v, 1.2, junctions=2)
    with pytest.raises(IPE, match="gain_V"):
        trng.tune_amplitude(device, schedule, key, 0.5, 0.8, 1.2, junctions=2, gain_V=v)
    with pytest.raises(IPE, match="tol"):
        trng.tune_amplitude_by_gradient(device, schedule, key, 0.5, 0.8, 1.2, tol=v)


def test_tune_counts_and_switches(device, schedule):
    key = jax.random.key(0)
    with pytest.raises(IPE, match="iterations"):
        trng.tune_amplitude(device, schedule, key, 0.5, 0.8, 1.2, junctions=2,
                            iterations=10**30)
    with pytest.raises(IPE, match="bits"):
        trng.tune_amplitude(device, schedule, key, 0.5, 0.8, 1.2, junctions=2, bits=0)
    with pytest.raises(IPE, match="verify_iterations"):
        trng.tune_amplitude(device, schedule, key, 0.5, 0.8, 1.2, verify_iterations=4)
    with pytest.raises(IPE, match="max_steps"):
        trng.tune_amplitude_by_gradient(device, schedule, key, 0.5, 0.8, 1.2,
                                        max_steps=10**30)
    with pytest.raises(IPE, match="reset"):
        trng.run_trng(device, schedule, key, 1.0, cycles=1, junctions=2, reset=0.1)
    with pytest.raises(IPE, match="well"):
        trng.reset_state(device, (2,), well=0)


@FAST
@given(name=st.sampled_from(["start_s", "width_s", "edge_s", "settle_s", "dt_s"]),
       v=st.one_of(st.floats(max_value=-1e-15), st.just(float("nan")),
                   st.just(float("inf")), st.booleans(), st.text(max_size=2)))
def test_schedule_times(device, name, v):
    """A negative settle time (the window would end before the pulse) and every other
    bad time raise naming the time."""
    with pytest.raises(IPE, match=name):
        trng.precessional_schedule(device, **{name: v})


def test_schedule_and_nonideal_edges(device):
    with pytest.raises(IPE, match="dt_s"):
        trng.precessional_schedule(device, dt_s=1e-6)     # longer than the window
    with pytest.raises(IPE, match="edge_s"):
        trng.precessional_schedule(device, edge_s=1e-9)   # plateau would be empty
    with pytest.raises(IPE, match="hold_s"):
        trng.release_schedule(device, hold_s=0.0)
    for make, name in ((trng.IncompleteReset, "probability"), (trng.Drift, "sigma_V"),
                       (trng.StuckJunctions, "fraction"), (trng.Heating, "rise")):
        with pytest.raises(IPE, match=name):
            make(True)
    with pytest.raises(IPE, match="value"):
        trng.StuckJunctions(0.1, value=True)
