"""The dwell-time monitor: its bookkeeping against a NumPy reference, the telegraph
statistics of a superparamagnetic junction against Brown's Fokker-Planck equation,
solver independence, and the checks of its fields."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import linalg

import spinjax as sj
from spinjax._checks import SimulationInputError

import physics as ph

DT = np.float32(0.25)   # tick of the hand-built sequences: every time and dwell is exact


def _magnetization(x):
    """Unit vectors with m_z = x (in the x-z plane)."""
    x = np.asarray(x, np.float32)
    return np.stack([np.sqrt(1 - x * x), np.zeros_like(x), x], axis=-1).astype(np.float32)


def _feed(mon, xs):
    """The monitor state after init at t = 0 and an update at t = k DT per row of xs
    (ticks, junctions), through jit and scan as in a solve."""
    ms = jnp.asarray(_magnetization(xs))
    ts = jnp.arange(xs.shape[0], dtype=jnp.float32) * DT

    @jax.jit
    def run(ms, ts):
        state = mon.init(ts[0], ms[0])
        return jax.lax.scan(lambda s, tm: (mon.update(s, tm[0], tm[1]), None), state,
                            (ts[1:], ms[1:]))[0]
    return run(ms, ts)


def _reference(xs, h, edges):
    """Dwells by an independent loop over ticks and junctions: a Schmitt trigger; a dwell
    counts when its entry was seen after the first tick and its exit before the end."""
    n_ticks, n = xs.shape
    counts = np.zeros((2, len(edges) - 1), int)
    under, over = np.zeros(2, int), np.zeros(2, int)
    dwells = [[], []]
    elapsed, censored, mle_open = np.zeros(n), np.zeros(2, int), np.zeros(2)
    for j in range(n):
        side, entered, known = 0, 0.0, False
        for k in range(n_ticks):
            x, t = xs[k, j], k * float(DT)
            new = 1 if x > h else (-1 if x < -h else side)
            if new != side:
                if side != 0 and known:
                    d, w = t - entered, 0 if side == 1 else 1
                    dwells[w].append(d)
                    i = np.searchsorted(edges, np.float32(d), side="right") - 1
                    if i < 0:
                        under[w] += 1
                    elif i >= len(edges) - 1:
                        over[w] += 1
                    else:
                        counts[w, i] += 1
                known = k > 0
                side, entered = new, t
        if side != 0:
            w = 0 if side == 1 else 1
            elapsed[j] = (n_ticks - 1) * float(DT) - entered
            censored[w] += 1
            if known:
                mle_open[w] += elapsed[j]
    return counts, under, over, dwells, elapsed, censored, mle_open


def test_hand_built_sequence():
    """One junction, written out: it starts in the +1 well (its first dwell, of unknown
    beginning, is not counted), makes a round trip into the band and back (not a
    switch), stays 1.0 s in the -1 well, 0.5 s in +1, 0.25 s in -1 (below t_min:
    underflow), 4.0 s in +1 (at t_max: overflow, bins are [e_i, e_i+1)) and ends in -1
    (in progress for 0.5 s: not counted). Bins: log edges 0.5, 1, 2, 4 s."""
    x = [0.9, 0.2, 0.8, -0.7, -0.1, -0.9, -0.6, 0.6, 0.9, -0.8, 0.7] + [0.9] * 15 + [
        -0.9, -0.2, -0.8]
    mon = sj.DwellTime(t_min=0.5, t_max=4.0, bins=3, hysteresis=0.5)
    state = _feed(mon, np.asarray(x, np.float32)[:, None])
    # ticks: 3 (t = 0.75) enters -1; 7 (1.75) enters +1; 9 (2.25) -1; 10 (2.5) +1;
    # 26 (6.5) -1; end at tick 28 (7.0)
    np.testing.assert_array_equal(state.count, [2, 2])            # (+1 well, -1 well)
    np.testing.assert_array_equal(state.underflow, [0, 1])
    np.testing.assert_array_equal(state.overflow, [1, 0])
    np.testing.assert_array_equal(sj.DwellTime.histogram(state), [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(state.total, [0.5 + 4.0, 1.0 + 0.25])
    np.testing.assert_array_equal(state.total_sq, [0.25 + 16.0, 1.0 + 0.0625])
    np.testing.assert_array_equal(sj.DwellTime.mean_dwell(state), [2.25, 0.625])
    np.testing.assert_array_equal(sj.DwellTime.censored(state), [0, 1])
    np.testing.assert_array_equal(sj.DwellTime.in_progress(state), [0.5])
    np.testing.assert_array_equal(sj.DwellTime.mean_dwell_mle(state), [2.25, 0.875])
    np.testing.assert_allclose(sj.DwellTime.mean_dwell_error(state),
                               [np.std([0.5, 4.0], ddof=1) / np.sqrt(2),
                                np.std([1.0, 0.25], ddof=1) / np.sqrt(2)], rtol=1e-6)
    np.testing.assert_array_equal(mon.edges(jnp.float64), [0.5, 1.0, 2.0, 4.0])


@pytest.mark.parametrize("log_bins", [True, False])
def test_random_sequences_match_a_numpy_reference(log_bins):
    """64 junctions, 400 ticks of a persistent random signal in [-1, 1] (some start in
    the band): histogram, under/overflow, count, sum and sum of squares per well, the
    in-progress times and the censored junctions equal the reference loop exactly
    (times are multiples of 0.25 s, exact in float32)."""
    rng = np.random.default_rng(5)
    n_ticks, n = 400, 64
    levels = np.array([-0.95, -0.6, -0.3, 0.0, 0.3, 0.6, 0.95], np.float32)
    idx = np.cumsum(rng.choice([-2, -1, 0, 1, 2], size=(n_ticks, n)), axis=0) + 3
    idx = np.abs((idx % 12) - 6)          # a reflected walk over the levels
    idx[0] = rng.integers(0, 7, n)
    xs = levels[np.clip(idx, 0, 6)]
    mon = sj.DwellTime(t_min=0.75, t_max=4.0, bins=6, log_bins=log_bins, hysteresis=0.5)
    edges = np.asarray(mon.edges(jnp.float32))
    state = _feed(mon, xs)
    counts, under, over, dwells, elapsed, censored, mle_open = _reference(xs, 0.5, edges)
    assert sum(map(len, dwells)) > 500 and under.sum() > 0 and over.sum() > 0
    np.testing.assert_array_equal(state.counts, counts)
    np.testing.assert_array_equal(state.underflow, under)
    np.testing.assert_array_equal(state.overflow, over)
    np.testing.assert_array_equal(state.count, [len(d) for d in dwells])
    np.testing.assert_array_equal(state.count, counts.sum(1) + under + over)
    np.testing.assert_array_equal(state.total, [sum(d) for d in dwells])
    np.testing.assert_array_equal(state.total_sq, [sum(np.square(d)) for d in dwells])
    np.testing.assert_array_equal(sj.DwellTime.in_progress(state), elapsed)
    np.testing.assert_array_equal(sj.DwellTime.censored(state), censored)
    np.testing.assert_allclose(sj.DwellTime.mean_dwell_mle(state),
                               [(sum(d) + c) / len(d) for d, c in zip(dwells, mle_open)],
                               rtol=1e-6)
    np.testing.assert_allclose(sj.DwellTime.mean_dwell_error(state),
                               [np.std(d, ddof=1) / np.sqrt(len(d)) for d in dwells],
                               rtol=1e-4)
    np.testing.assert_allclose(sj.DwellTime.rates(state), [1 / np.mean(d) for d in dwells],
                               rtol=1e-6)


def _first_passage_law(z0, barrier, delta, tau_n, n_grid=600):
    """The law of the first-passage time from m_z = z0 to m_z = barrier of an axially
    symmetric uniaxial macrospin (Brown, Phys. Rev. 130, 1677, 1963):
    dp/dt = (1 / 2 tau_N) d/dz[(1 - z^2)(dp/dz - 2 delta z p)], absorbing at the barrier,
    reflecting at z = 1, in finite volumes on a grid of n_grid cells. Returns rates
    lambda_k and weights c_k with P(T > t) = sum_k c_k exp(-lambda_k t) (eigenvalues of
    the symmetrized backward operator)."""
    z = np.linspace(barrier, 1.0, n_grid + 1)
    h = z[1] - z[0]
    zh = 0.5 * (z[1:] + z[:-1])
    a = (1 - zh * zh) / (2 * tau_n) * np.exp(delta * zh * zh)   # D(z) e^{-U}, U = -delta z^2
    w = np.exp(delta * z * z) * np.r_[np.full(n_grid, h), h / 2]
    a_right = np.r_[a[1:], 0.0]                                  # node j uses a_{j -+ 1/2}
    k = np.diag(-(a + a_right) / h) + np.diag(a[1:] / h, 1) + np.diag(a[1:] / h, -1)
    ws = np.sqrt(w[1:])
    lam, vec = linalg.eigh(k / ws[:, None] / ws[None, :])
    phi = vec / ws[:, None]
    phi0 = np.array([np.interp(z0, z[1:], p) for p in phi.T])
    return -lam, phi0 * (phi.T @ w[1:])


def test_superparamagnetic_telegraph_statistics():
    r"""The telegraph noise of ``devices.superparamagnetic_mtj()`` at zero bias (a 20 nm
    perpendicular disk, $\Delta = 2.99$, $\tau_N = 7.1$ ns), 256 junctions in float32
    from $m_z = 1$ for 2.4 us (dt = 10 ps, wells read every 2 steps: 20 ps), about
    11000 completed dwells.

    The disk's demagnetizing factors are equal in plane, so the energy is exactly
    $-K_\mathrm{eff} V m_z^2$ and $m_z$ obeys Brown's one-dimensional Fokker-Planck
    equation: the mean dwell from entering a well at $|m_z| = h$ to leaving it at
    $-h$ is the quadrature ``physics.mfpt`` and its whole law follows from the
    equation's eigenvalues (:func:`_first_passage_law`). Reading the wells every
    $\Delta t_m$ moves both thresholds outwards by $0.5826\sigma\sqrt{\Delta t_m}$,
    $\sigma^2 = (1 - h^2)/\tau_N$ (Broadie, Glasserman and Kou 1997): 0.029 here, a 2 %
    longer dwell. A run of duration $T$ completes only the dwells that fit in it: the
    law of the completed ones is $f(t)\,(1 - t/W)/(1 - \bar\tau/W)$ for a window $W$
    (the run less the mean time to the first switch), about 2 % less weight in the
    tail, which the reference law includes; the mean uses the censored
    maximum-likelihood estimator, which has no such bias.

    Checks: (1) the two wells' mean dwells agree within 4 combined standard errors
    (zero bias: symmetric wells); (2) the mean dwell equals Brown's quadrature within
    4 standard errors plus 2 % (the Heun scheme's weak error at dt = tau_N / 700 and
    the approximate threshold shift; measured -1 %); (3) it is within a factor 1.25
    of the Néel-Brown high-barrier time $\tau_N\sqrt\pi\,\Delta^{-3/2}e^\Delta$ (the
    quadrature differs from it by $O(1/\Delta)$: 6 % at $\Delta = 3$); (4) each well's
    histogram matches the exact law by a Kolmogorov-Smirnov test on the bin edges at
    the 0.1 % level ($D < 1.95/\sqrt n$; binning only lowers D); (5) the law is
    exponential up to what the equation predicts: the distance of the histogram to
    the exponential of the measured mean is at most the exact law's own distance to
    its exponential (0.04, from fast recrossings of so low a barrier, which also put
    the coefficient of variation at 1.05 instead of 1) plus the KS bound, and the
    coefficient of variation equals the exact law's within 4 standard errors (delta
    method on its moments).
    """
    dev = sj.devices.superparamagnetic_mtj()
    n, dt, every, steps, h = 256, 1e-11, 2, 240_000, 0.5
    mon = sj.DwellTime(t_min=1e-10, t_max=1e-6, bins=40, hysteresis=h)
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (n, 1))
    sol = sj.simulate(dev.model, m0, t1=steps * dt, dt=dt, key=jax.random.key(11),
                      monitors=(mon,), monitor_every=every)
    state = sol.monitors[0]
    count = np.asarray(state.count)
    mean = np.asarray(sj.DwellTime.mean_dwell(state), np.float64)
    err = np.asarray(sj.DwellTime.mean_dwell_error(state), np.float64)
    mle = np.asarray(sj.DwellTime.mean_dwell_mle(state), np.float64)
    assert count.min() > 4000, count
    np.testing.assert_array_equal(count, np.asarray(state.counts).sum(1)
                                  + np.asarray(state.underflow) + np.asarray(state.overflow))
    # (1) symmetric wells
    assert abs(mean[0] - mean[1]) < 4 * np.hypot(*err), (mean, err)

    layer = dev.model.layer
    delta = float(dev.thermal_stability())
    tau_n = ph.neel_time(float(layer.Ms), float(layer.volume_m3), float(layer.alpha),
                         float(layer.temperature_K))
    shift = 0.5826 * math.sqrt((1 - h * h) * every * dt / tau_n)
    exact = ph.mfpt(h + shift, delta, 0.0, tau_n, barrier=-h - shift)
    # (2) Brown's quadrature, (3) the Neel-Brown asymptote
    assert np.all(np.abs(mle - exact) < 4 * err + 0.02 * exact), (mle / exact, err / exact)
    neel_brown = tau_n * math.sqrt(math.pi) * delta ** -1.5 * math.exp(delta)
    assert np.all((mle / neel_brown > 1 / 1.25) & (mle / neel_brown < 1.25)), mle / neel_brown

    rates, weights = _first_passage_law(h + shift, -h - shift, delta, tau_n)
    mu = [math.factorial(k) * np.sum(weights / rates ** k) for k in range(6)]
    assert abs(mu[1] / exact - 1) < 1e-3                 # the law's mean is the quadrature
    window = steps * dt - ph.mfpt(1.0, delta, 0.0, tau_n, barrier=-h - shift)
    e = np.asarray(mon.edges(jnp.float64))
    decay = np.exp(-np.outer(e, rates))
    cdf = 1 - decay @ weights
    first_moment = (weights / rates) @ (1 - decay.T * (1 + np.outer(rates, e)))
    cdf_completed = (cdf - first_moment / window) / (1 - mu[1] / window)
    mu_c = [(mu[k] - mu[k + 1] / window) / (1 - mu[1] / window) for k in range(5)]
    cv_exact = math.sqrt(mu_c[2] - mu_c[1] ** 2) / mu_c[1]
    d_law = np.max(np.abs(cdf_completed - (1 - np.exp(-e / mu_c[1]))))
    # delta method: the sample CV g(m1, m2) = sqrt(m2 - m1^2) / m1
    var = mu_c[2] - mu_c[1] ** 2
    grad = np.array([-mu_c[2] / (mu_c[1] ** 2 * math.sqrt(var)),
                     1 / (2 * mu_c[1] * math.sqrt(var))])
    cov = np.array([[var, mu_c[3] - mu_c[1] * mu_c[2]],
                    [mu_c[3] - mu_c[1] * mu_c[2], mu_c[4] - mu_c[2] ** 2]])
    total, total_sq = np.asarray(state.total, np.float64), np.asarray(state.total_sq, np.float64)
    for w in range(2):
        binned = np.r_[int(state.underflow[w]), np.asarray(state.counts[w]),
                       int(state.overflow[w])]
        ecdf = np.cumsum(binned)[:-1] / count[w]
        bound = 1.95 / math.sqrt(count[w])
        # (4) the exact law, (5) exponential as far as the exact law is
        d_exact = np.max(np.abs(ecdf - cdf_completed))
        assert d_exact < bound, (w, d_exact, bound)
        d_exp = np.max(np.abs(ecdf - (1 - np.exp(-e / mean[w]))))
        assert d_exp < d_law + bound, (w, d_exp, d_law, bound)
        cv = math.sqrt(total_sq[w] / count[w] - (total[w] / count[w]) ** 2) / mean[w]
        cv_err = math.sqrt(grad @ cov @ grad / count[w])
        assert abs(cv - cv_exact) < 4 * cv_err, (w, cv, cv_exact, cv_err)


def test_same_key_same_state_on_both_solvers():
    """The diffrax path (NormalizedHeun) and the fused one (FusedHeun) draw the same
    counter-based noise: with the same key the monitor's whole state is the same. A
    faster variant of the device (alpha = 1: dwells of about 5 ns), 64 junctions
    starting on the equator (in the band: the first entries are observed), 30 ns."""
    dev = sj.devices.superparamagnetic_mtj(alpha=1.0)
    mon = sj.DwellTime(t_min=1e-11, t_max=1e-7, bins=16)
    m0 = jnp.tile(jnp.array([1.0, 0.0, 0.0], jnp.float32), (64, 1))
    states = [sj.simulate(dev.model, m0, t1=30e-9, dt=1e-11, key=jax.random.key(4),
                          monitors=(mon,), monitor_every=1, solver=solver).monitors[0]
              for solver in (sj.NormalizedHeun(), sj.FusedHeun())]
    assert int(states[0].count.sum()) > 20, states[0].count
    for a, b in zip(states[0], states[1]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


_VALID = dict(t_min=1e-10, t_max=1e-6, bins=8, log_bins=True, hysteresis=0.5)


@pytest.mark.parametrize("field, value", [
    ("hysteresis", -0.1), ("hysteresis", 1.0), ("hysteresis", math.nan),
    ("hysteresis", "0.5"), ("hysteresis", True), ("bins", 0), ("bins", 2.5),
    ("bins", True), ("bins", "8"), ("t_min", 0.0), ("t_min", -1e-9), ("t_min", math.inf),
    ("t_min", None), ("t_max", 1e-10), ("t_max", 1e-11), ("t_max", math.inf),
    ("t_max", math.nan), ("log_bins", "yes"), ("observable", 3)])
def test_invalid_field_is_named(field, value):
    with pytest.raises(SimulationInputError, match=rf"DwellTime\.{field} = .*must be"):
        sj.DwellTime(**{**_VALID, field: value})


@settings(max_examples=40, deadline=None)
@given(h=st.floats(allow_nan=True, allow_infinity=True),
       t_min=st.floats(allow_nan=True, allow_infinity=True),
       t_max=st.floats(allow_nan=True, allow_infinity=True),
       bins=st.integers(-4, 64))
def test_fields_are_accepted_exactly_in_their_ranges(h, t_min, t_max, bins):
    """A property: the constructor accepts a combination if and only if every field is
    in its range, and otherwise names the first field out of it."""
    checks = [("hysteresis", math.isfinite(h) and 0 <= h < 1), ("bins", bins >= 1),
              ("t_min", math.isfinite(t_min) and t_min > 0),
              ("t_max", math.isfinite(t_max) and t_max > t_min)]
    bad = [name for name, ok in checks if not ok]
    kwargs = dict(hysteresis=h, t_min=t_min, t_max=t_max, bins=bins)
    if not bad:
        mon = sj.DwellTime(**kwargs)
        e = np.asarray(mon.edges(jnp.float64))
        assert e.shape == (bins + 1,) and e[0] == t_min and e[-1] == t_max
    else:
        with pytest.raises(SimulationInputError, match=rf"DwellTime\.{bad[0]} ="):
            sj.DwellTime(**kwargs)
