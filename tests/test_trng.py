"""The junction-array TRNG (spinjax/_trng), judged by NIST SP 800-22 (sp80022suite),
by the XOR law (the piling-up lemma, eps_k = -(-2 eps)^k / 2: Matsui, EUROCRYPT '93)
and by the Markov model of an incomplete reset.

Every bit here is the TMR read of one simulated sLLG write of the VCMA preset
(``spinjax.devices.vcma_mtj``, precessional write, 506 steps of 4 ps per cycle,
two-point noise: weak order 1, the right switching probabilities). Tolerances are
stated with their n and sigma in each test.

NIST rule. 14 of the 15 SP 800-22 tests are run at the 1 % level (sp80022suite needs
template files for the non-overlapping template test, which it does not ship);
random excursions (and its variant) are not applicable when the walk has fewer than
500 cycles, as the suite reports, and are then left out. For a random sequence the
number of failures among m <= 14 tests is about Binomial(m, 0.01) (the tests are not
independent, so this is the usual reading, not a theorem): P(>= 2 failures) =
1 - 0.99^14 - 14 (0.01) 0.99^13 = 0.0084, so at most one failure is allowed.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spinjax as sj
from spinjax import _trng as trng
from spinjax.devices import vcma_mtj

ALPHA = 0.01
N_JUNCTIONS, N_CYCLES = 4000, 250          # 1e6 bits


nist = trng.nist_pvalues


def failures(pvalues: dict) -> list:
    return [k for k, p in pvalues.items() if p < ALPHA]


@pytest.fixture(scope="module")
def device():
    return vcma_mtj()


@pytest.fixture(scope="module")
def schedule(device):
    return trng.precessional_schedule(device)


@pytest.fixture(scope="module")
def unbiased(device, schedule):
    """Tuned to p = 1/2 by bisection then 300 averaged stochastic-approximation steps
    of n = 4000 writes (sigma of the tuned p: 0.5/sqrt(4000) sqrt(2/300) = 6.5e-4),
    then verified on 50 x 4000 fresh writes (sigma 1.1e-3) for the 1e6 bits planned,
    then 1e6 bits from 4000 identical junctions x 250 cycles, open loop."""
    tuned = trng.tune_amplitude(device, schedule, jax.random.key(10), 0.5, 0.85, 1.15,
                                junctions=N_JUNCTIONS, iterations=10,
                                averaging_iterations=300, bits=N_JUNCTIONS * N_CYCLES,
                                verify_iterations=50)
    run = trng.run_trng(device, schedule, jax.random.key(11), float(tuned),
                        cycles=N_CYCLES, junctions=N_JUNCTIONS)
    return tuned, run


def test_unbiased_array_passes_nist(unbiased):
    _, run = unbiased
    assert run.bits.shape == (N_CYCLES, N_JUNCTIONS) and run.bits.size == 1_000_000
    p = nist(run.bits)
    print("unbiased array, NIST p-values:", {k: round(v, 4) for k, v in p.items()})
    assert len(p) >= 12
    assert len(failures(p)) <= 1, p


def test_tuning_reaches_its_target(unbiased):
    """The measured bias of the 1e6 bits is the tuning error plus sampling noise:
    sigma_tune = 6.5e-4 (stated above), sigma_bits = 0.5/sqrt(1e6) = 5e-4; within 4 x
    their quadrature sum, 3.3e-3. No lag-1 correlation between cycles with an ideal
    reset: pooled estimate within 4 sigma, sigma = 1/sqrt(4000 x 249) = 1e-3."""
    _, run = unbiased
    sigma = np.hypot(0.5 / np.sqrt(4000) * np.sqrt(2 / 300), 0.5 / np.sqrt(1e6))
    print(f"tuned amplitude {float(unbiased[0]):.5f} V, bias {float(sj.bias(run.bits)):+.5f}, "
          f"lag-1 {float(trng.lag1_correlation(run.bits, pooled=True)):+.5f}")
    assert abs(float(sj.bias(run.bits))) < 4 * sigma
    assert abs(float(trng.lag1_correlation(run.bits, pooled=True))) < 4 / np.sqrt(4000 * 249)


def test_tuning_reports_the_precision_its_bits_need(unbiased):
    """The verification (2e5 writes, sigma 1.1e-3) measures the same p as the run (1e6
    bits, sigma 5e-4): within 4 x their quadrature sum. 1e6 bits need |eps| <= 1e-4,
    which 2e5 writes cannot show; the bias bound |eps| + 3 sigma (about 4e-3) needs one
    XOR of two streams: 2 b^2 <= 0.1 / sqrt(5e5) = 1.4e-4 for b < 8.4e-3."""
    tuned, run = unbiased
    print(tuned.summary())
    assert tuned.verify_writes == 50 * N_JUNCTIONS and tuned.bits == 1_000_000
    mean = float(np.asarray(run.bits).mean())
    assert abs(tuned.p - mean) < 4 * np.hypot(tuned.p_se, 0.5 / np.sqrt(1e6))
    assert tuned.tolerance == pytest.approx(1e-4)
    assert not tuned.reached and tuned.xor_k == 2
    assert tuned.bias_bound == pytest.approx(abs(tuned.p - 0.5) + 3 * tuned.p_se)


@pytest.fixture(scope="module")
def tuned_low(device, schedule):
    """Tuned to p = 0.2 (n = 2048, 10 bisection + 60 averaged steps: sigma =
    sqrt(0.16/2048) sqrt(2/60) = 1.6e-3) and measured with 40000 fresh writes from each
    well (sigma 2e-3)."""
    amp = trng.tune_amplitude(device, schedule, jax.random.key(20), 0.2, 0.85, 1.15,
                              junctions=2048, iterations=10, averaging_iterations=60)
    ones = trng.switching_probability(device, schedule, jax.random.key(21),
                                      jnp.stack([amp]), junctions=40000)
    ones_from_minus = trng.switching_probability(device, schedule, jax.random.key(22),
                                                 jnp.stack([amp]), junctions=40000, well=-1)
    return amp, float(ones[0]), 1 - float(ones_from_minus[0])


def test_tuning_to_a_low_target(tuned_low):
    _, p_plus, _ = tuned_low
    sigma = np.hypot(np.sqrt(0.16 / 2048) * np.sqrt(2 / 60), np.sqrt(0.16 / 40000))
    assert abs(p_plus - 0.2) < 4 * sigma


def test_incomplete_reset_correlation(device, schedule, tuned_low):
    """Reset failing with r = 0.5 at p+ = 0.2: the bits are the Markov chain of
    IncompleteReset, lag-1 correlation r (1 - p+ - p-) with p+, p- measured from each
    well's minimum (40000 writes each: sigma of the prediction r sqrt(2) 2e-3 = 1.4e-3).
    Estimate pooled over 2000 junctions x 100 cycles (sigma about
    1/sqrt(2000 x 99) = 2.2e-3). Systematic: a read 1.5 ns after the pulse disagrees
    with the well for a fraction d of junctions (measured on the final state), which
    scales the correlation by about (1 - 2d)^2; allowed as 4 d |rho|."""
    amp, p_plus, p_minus = tuned_low
    r = 0.5
    run = trng.run_trng(device, schedule, jax.random.key(30), amp, cycles=100,
                        junctions=2000, reset=trng.IncompleteReset(r))
    rho = float(trng.lag1_correlation(run.bits, pooled=True))
    predicted = trng.incomplete_reset_correlation(r, p_plus, p_minus)
    well = np.asarray(run.m[:, 2] < 0)
    d = float(np.mean(well != (np.asarray(run.bits[-1]) == 1)))
    sigma = np.hypot(1 / np.sqrt(2000 * 99), r * np.sqrt(2) * 2e-3)
    print(f"p+ = {p_plus:.4f}, p- = {p_minus:.4f}, rho = {rho:.4f}, predicted {predicted:.4f}, "
          f"d = {d:.4f}")
    assert predicted > 0.2                       # a large, clearly non-zero effect
    assert abs(rho - predicted) < 4 * sigma + 4 * d * abs(predicted), (rho, predicted, d)


def test_biased_array_fails_frequency_and_xor_repairs_it(device, schedule):
    """p = 0.52 (tuned: n = 2048, 60 averaged steps, sigma 1.6e-3): 1e6 bits fail the
    frequency test (z = 2 eps sqrt(n) = 40). XOR of the streams of junction pairs
    (2j, 2j+1) gives 5e5 bits whose bias follows eps_2 = -(-2 eps)^2 / 2 with eps the
    measured input bias (within 4 sigma, sigma = 0.5/sqrt(5e5) = 7.1e-4; the error of
    eps adds 4 |eps| 5e-4 = 4e-5), and that pass the suite."""
    amp = trng.tune_amplitude(device, schedule, jax.random.key(40), 0.52, 0.85, 1.15,
                              junctions=2048, iterations=10, averaging_iterations=60)
    run = trng.run_trng(device, schedule, jax.random.key(41), amp, cycles=N_CYCLES,
                        junctions=N_JUNCTIONS)
    eps = float(sj.bias(run.bits))
    assert abs(eps - 0.02) < 4 * np.hypot(1.6e-3, 5e-4)
    assert nist(run.bits)["frequency"] < ALPHA
    xored = sj.xor_streams(run.bits, 2, axis=1)
    assert xored.shape == (N_CYCLES, N_JUNCTIONS // 2)
    eps2 = float(sj.bias(xored))
    assert abs(eps2 - (-((-2 * eps) ** 2) / 2)) < 4 * 0.5 / np.sqrt(xored.size)
    p = nist(xored)
    print(f"biased: eps = {eps:+.5f}; XOR eps_2 = {eps2:+.5f}, law {-((-2 * eps) ** 2) / 2:+.5f}; "
          "NIST after XOR:", {k: round(v, 4) for k, v in p.items()})
    assert len(failures(p)) <= 1, p


def test_nonidealities_and_determinism(device, schedule):
    """Heating follows T_n = T0 + dT D (1 - exp(-n/tau)) exactly; stuck junctions read
    their value in every cycle; the same key gives the same bits."""
    kw = dict(cycles=4, junctions=64, heating=trng.Heating(100.0, tau_cycles=2.0),
              drift=trng.Drift(0.01), stuck=trng.StuckJunctions(0.25, value=1),
              reset=trng.IncompleteReset(0.1))
    a = trng.run_trng(device, schedule, jax.random.key(50), 0.97, **kw)
    b = trng.run_trng(device, schedule, jax.random.key(50), 0.97, **kw)
    np.testing.assert_array_equal(a.bits, b.bits)
    n = np.arange(4)
    np.testing.assert_allclose(a.temperature_K,
                               300 + 100 * schedule.duty * (1 - np.exp(-n / 2.0)), rtol=1e-6)
    stuck = np.asarray(a.stuck)
    assert 0 < stuck.sum() < 64 and np.all(np.asarray(a.bits)[:, stuck] == 1)
    assert a.cycle_s == pytest.approx(schedule.reset_s + schedule.t1_s + schedule.read_s)
    assert trng.bias_per_junction(a.bits).shape == (64,)


def test_bad_input(device, schedule):
    for target in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(sj.InvalidParameterError, match=r"target = .*\(0, 1\)"):
            trng.tune_amplitude(device, schedule, jax.random.key(0), target, 0.8, 1.2)
    with pytest.raises(sj.InvalidParameterError, match="empty"):
        trng.tune_amplitude(device, schedule, jax.random.key(0), 0.5, 0.8, 1.2, junctions=0)
    with pytest.raises(sj.InvalidParameterError, match="empty"):
        trng.run_trng(device, schedule, jax.random.key(0), 1.0, cycles=0, junctions=8)
    with pytest.raises(sj.InvalidParameterError, match="empty"):
        trng.run_trng(device, schedule, jax.random.key(0), 1.0, cycles=2, junctions=0)
    with pytest.raises(sj.InvalidParameterError, match="bracket"):
        trng.tune_amplitude(device, schedule, jax.random.key(0), 0.5, 0.0, 0.5, junctions=64)
    with pytest.raises(sj.InvalidParameterError, match="probability"):
        trng.IncompleteReset(1.5)
    with pytest.raises(sj.InvalidParameterError, match="value"):
        trng.StuckJunctions(0.1, value=2)
    with pytest.raises(sj.InvalidParameterError, match=r"start_s = -1e-09.*\[0, inf[])] s"):
        trng.CycleSchedule(start_s=-1e-9, width_s=1e-9, edge_s=0.0, settle_s=0.0, dt_s=1e-12)
    with pytest.raises(sj.InvalidParameterError, match="at least 2 cycles"):
        trng.lag1_correlation(np.zeros((1, 4), np.uint8))
