"""Online reductions equal the same statistics computed from the stored path, and their
state does not grow with the number of steps."""

import jax
import jax.numpy as jnp
import numpy as np

import spinjax as sj


def _run(steps, monitors, every=5, n=256, monitor_every=None, save=True, **kw):
    dev = sj.devices.superparamagnetic_mtj()
    m0 = dev.thermal_state(jax.random.key(0), (n,))
    return sj.simulate(dev.model, m0, t1=steps * 2e-12, dt=2e-12, key=jax.random.key(1),
                       save=sj.Save(every=every) if save else sj.Save(), monitors=monitors,
                       monitor_every=every if monitor_every is None else monitor_every,
                       **kw)


def test_online_statistics_match_the_stored_path():
    """256 superparamagnetic junctions (Delta = 3, they switch often), 10000 steps of 2 ps
    saved every 25 and monitored every 25: running moments, Schmitt-trigger switch counts and the histogram from the
    monitors equal those of the 401 stored states (float32 rounding for the moments;
    exact for the counts)."""
    mons = (sj.RunningMoments(), sj.SwitchCount(hysteresis=0.5), sj.Histogram(bins=20))
    sol = _run(10_000, mons, every=25)
    path = np.asarray(sol.ys[..., 2], np.float64)   # (saves, n)
    n, mean, m2 = sol.monitors[0]
    assert np.all(np.asarray(n) == path.shape[0])
    np.testing.assert_allclose(np.asarray(mean), path.mean(0), atol=2e-5)
    np.testing.assert_allclose(np.asarray(sj.RunningMoments.variance(sol.monitors[0])),
                               path.var(0), atol=5e-5)
    # switch counts: a Schmitt trigger with +-0.5 thresholds over the stored path
    side = np.zeros(path.shape[1])
    count = np.zeros(path.shape[1], int)
    for x in path:
        new = np.where(x > 0.5, 1, np.where(x < -0.5, -1, side))
        count += (new != side) & (side != 0)
        side = new
    np.testing.assert_array_equal(np.asarray(sol.monitors[1][1]), count)
    assert count.sum() > 20   # a regime with many switches, not a trivial one
    # the histogram: the same bin rule (in float32, as the monitor bins) over the path
    x32 = np.asarray(sol.ys[..., 2], np.float32)
    idx = np.clip(np.floor((x32 + np.float32(1)) / np.float32(2) * np.float32(20)), 0, 19)
    hist = np.bincount(idx.astype(int).ravel(), minlength=20)
    np.testing.assert_array_equal(np.asarray(sol.monitors[2]), hist)
    coarse, _ = np.histogram(path, bins=20, range=(-1, 1))
    assert np.abs(coarse - hist).sum() <= 4   # only values on a bin edge may differ


def test_monitors_tick_at_their_own_cadence():
    """Monitors do not depend on the saves: every 25 steps with the final state only
    equals every 25 steps with a save every 25 steps (bit for bit); ticking every step
    sees at least the switches seen every 25 steps, and more in this fast regime; the
    diffrax path ticks at the same steps as the fused one (same key: same counts)."""
    mons = (sj.RunningMoments(), sj.SwitchCount(hysteresis=0.5))
    saved = _run(4000, mons, every=25)
    final_only = _run(4000, mons, every=25, save=False)
    for a, b in zip(jax.tree.leaves(saved.monitors), jax.tree.leaves(final_only.monitors)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert np.all(np.asarray(saved.monitors[0][0]) == 4000 // 25 + 1)
    each = _run(4000, mons, every=25, save=False, monitor_every=1)
    assert np.all(np.asarray(each.monitors[0][0]) == 4001)
    coarse, fine = np.asarray(saved.monitors[1][1]), np.asarray(each.monitors[1][1])
    assert np.all(fine >= coarse) and fine.sum() > coarse.sum(), (fine.sum(), coarse.sum())
    diffrax_path = _run(4000, mons, every=25, save=False, monitor_every=1,
                        solver=sj.NormalizedHeun())
    assert diffrax_path.solver == "NormalizedHeun()" and each.solver.startswith("FusedHeun")
    np.testing.assert_array_equal(np.asarray(diffrax_path.monitors[1][1]), fine)


def test_monitor_memory_does_not_grow_with_steps():
    """The monitors' state has the same shapes after 100 and 10000 steps."""
    mons = (sj.RunningMoments(), sj.SwitchCount(), sj.Histogram(bins=32))
    shapes = []
    for steps in (100, 10_000):
        dev = sj.devices.superparamagnetic_mtj()
        out = jax.eval_shape(lambda: sj.simulate(
            dev.model, jnp.tile(jnp.array([0.0, 0.0, 1.0]), (64, 1)), t1=steps * 2e-12,
            dt=2e-12, key=jax.random.key(1), save=sj.Save(every=100, fn=lambda t, m: jnp.mean(m[..., 2])),
            monitors=mons).monitors)
        shapes.append(jax.tree.map(lambda x: x.shape, out))
    assert shapes[0] == shapes[1]
    assert shapes[0][2] == (32,)
