"""One engine: every solver of ``spinjax.simulate`` runs every model term and pulse, with
the same noise for the same key.

- the Pallas kernel (interpret mode on the CPU) equals the fused XLA loop bit for bit,
  monitors and saves included;
- at T = 0 every field and torque term and every pulse of the library integrate to the
  same trajectory on the fused solver and the diffrax path (float32 rounding);
- at T > 0 the same key gives the same trajectory on every solver and backend (the
  same noise draws), whatever the padding, the array size or the number of devices.

The analytic physics on each solver: test_thermal.py and test_deterministic.py (the
``solver`` fixture); bad input: test_engine_inputs.py; gradients:
test_engine_gradients.py; the generator: test_fused_rng.py.
"""

import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from fused_models import THICKNESS, T, VOLUME, _f32, _pma_model, _tilted
from host_devices import run_result

import spinjax as sj
from spinjax.constants import KB, MU0

XLA = sj.FusedHeun(backend="xla")
DIFFRAX = sj.NormalizedHeun()


def _pallas(block=64):
    return sj.FusedHeun(backend="pallas", interpret=True, block=block)


def _varied_model(n, seed=0):
    """n junctions with per-junction Ms, alpha and temperature, a low barrier (Delta
    about 1.5 at 300 K) and an in-plane bias, so that some switch within 400 ps."""
    rng = np.random.default_rng(seed)
    k = 1.5 * KB * T / VOLUME
    layer = sj.FreeLayer(Ms=rng.uniform(0.8e6, 1.2e6, n), alpha=rng.uniform(0.05, 0.5, n),
                         thickness_m=THICKNESS, area_m2=VOLUME / THICKNESS,
                         temperature_K=rng.uniform(100.0, 400.0, n))
    return _f32(sj.SLLG(layer, (sj.UniaxialAnisotropy(K_u=k),
                               sj.Zeeman(bias_A_per_m=(1e4, 0.0, 0.0)))))


def _assert_same_solution(a, b, atol=0.0):
    """Equal outputs: integers exactly, floats within `atol` plus 1e-5 relative (the
    running sums of squares reach 1e2) or bit for bit (atol 0)."""
    for x, y in zip(jax.tree.leaves((a.m, a.ys, a.monitors)),
                    jax.tree.leaves((b.m, b.ys, b.monitors))):
        assert x.shape == y.shape and x.dtype == y.dtype
        if jnp.issubdtype(x.dtype, jnp.floating) and atol:
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=atol, rtol=1e-5)
        else:
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_pallas_kernel_equals_the_xla_loop():
    """N = 300 junctions (not a multiple of the block of 64: the last program is
    padded), per-junction Ms, alpha and temperature, thermal noise, 400 steps saved
    every 100 through a reduction, switch counts and running moments every step: the
    interpreted Pallas kernel and the XLA loop give the same switch counts and states
    equal to float32 rounding (5e-5: the same counters and arithmetic, compiled as two
    programs whose contractions may differ by an ulp, which 400 thermal steps near
    the barrier amplify; measured 3e-8 to 4e-6), and each Solution names its
    solver."""
    n = 300
    model = _varied_model(n)
    kw = dict(t1=400e-12, dt=1e-12, key=jax.random.key(0),
              save=sj.Save(every=100, fn=lambda t, m: m[..., 2]),
              monitors=(sj.SwitchCount(hysteresis=0.5), sj.RunningMoments()))
    ref = sj.simulate(model, sj.junction_state(n), solver=XLA, **kw)
    out = sj.simulate(model, sj.junction_state(n), solver=_pallas(64), **kw)
    _assert_same_solution(ref, out, atol=5e-5)
    assert ref.solver == "FusedHeun(backend='xla')"
    assert out.solver == "FusedHeun(backend='pallas')"
    assert ref.ys.shape == (5, n) and int(ref.num_steps) == 400
    side, count = ref.monitors[0]
    # a stochastic regime, not a trivial one: some junctions switched, some did not
    assert count.sum() > 10 and 0 < np.sum(np.asarray(side) == -1) < n


def test_ensemble_monitors_tick_between_kernel_launches():
    """Per-junction monitor states are updated inside the Pallas kernel, block by
    block; an ensemble state (a histogram over all junctions) cannot be split into
    blocks, so with one the kernel's launches end at every monitor update instead.
    Either way the kernel gives the XLA loop's monitors (every 5 steps here)."""
    n = 200
    model = _varied_model(n, seed=1)
    kw = dict(t1=200e-12, dt=1e-12, key=jax.random.key(2), monitor_every=5,
              monitors=(sj.SwitchCount(), sj.Histogram(bins=16)))
    ref = sj.simulate(model, sj.junction_state(n), solver=XLA, **kw)
    out = sj.simulate(model, sj.junction_state(n), solver=_pallas(64), **kw)
    _assert_same_solution(ref, out, atol=5e-5)
    assert int(np.sum(np.asarray(out.monitors[1]))) == n * (200 // 5 + 1)


# --------------------------------------------------------------------------------------
# T = 0: every term and every pulse, fused against diffrax


def _vcma(pulse):
    """Paper A's VCMA preset (bias-driven STT with R(theta, V) included) at T = 0."""
    return _f32(sj.devices.vcma_mtj(temperature_K=0.0).model), sj.Drive(voltage_V=pulse)


def _case(name, n):
    hk = 2 * 5 * KB * T / VOLUME / (MU0 * 1.0e6)
    bias = (1e4, 0.0, 0.0)
    if name == "field-per-junction":
        model = _pma_model(alpha=0.3, delta=5, bias=bias, temperature=0.0)
        field = np.zeros((n, 3))
        field[:, 2] = -1.5 * hk * np.linspace(0.9, 1.1, n)
        return model, sj.Drive(field_A_per_m=jnp.asarray(field, jnp.float32)), 0.5e-12
    if name == "sot-oersted-gaussian":
        torques = (sj.SpinOrbitTorque(xi_dl=-0.3, xi_fl=0.1, sigma=(0.2, 1.0, 0.0)),)
        model = _pma_model(alpha=0.3, delta=5, bias=bias, temperature=0.0, torques=torques)
        model = _f32(sj.SLLG(model.layer, (*model.fields, sj.OerstedField(t_hm_m=5e-9)),
                             model.torques))
        pulse = sj.GaussianPulse(amplitude=3e12, center_s=100e-12, sigma_s=40e-12)
        return model, sj.Drive(j_sot_A_per_m2=pulse), 0.5e-12
    if name == "angular-stt-sinusoid":
        stt = sj.SlonczewskiSTT(polarizer=(0.0, 0.0, 1.0), polarization=0.6, asymmetry=2.0,
                                field_like_ratio=0.2)
        model = _pma_model(alpha=0.3, delta=5, bias=bias, temperature=0.0, torques=(stt,))
        pulse = sj.Sinusoid(amplitude=1e12, frequency_hz=5e9, offset=-3e12)
        return model, sj.Drive(j_stt_A_per_m2=pulse), 0.5e-12
    if name == "vcma-bias-stt-trapezoid":
        return (*_vcma(sj.Trapezoid(1.4, 20e-12, 300e-12, 30e-12, 30e-12)), 1e-12)
    if name == "vcma-piecewise-linear":
        pulse = sj.PiecewiseLinear(times_s=jnp.array([0.0, 50e-12, 250e-12, 300e-12]),
                                   values=jnp.array([0.0, 1.5, 1.3, 0.0]))
        return (*_vcma(pulse), 1e-12)
    if name == "vcma-sequence-and-sum":
        write = sj.Sequence((sj.Trapezoid(1.4, 0.0, 150e-12, 20e-12, 20e-12),
                             sj.Trapezoid(-0.3, 220e-12, 100e-12, 20e-12, 20e-12)))
        pulse = sj.Sum((write, sj.Sinusoid(amplitude=0.05, frequency_hz=20e9)))
        return (*_vcma(pulse), 1e-12)
    raise ValueError(name)


CASES = ["field-per-junction", "sot-oersted-gaussian", "angular-stt-sinusoid",
         "vcma-bias-stt-trapezoid", "vcma-piecewise-linear", "vcma-sequence-and-sum"]


@pytest.mark.parametrize("case", CASES)
def test_every_term_and_pulse_runs_fused_as_on_the_diffrax_path(case):
    """16 tilted junctions, 400 steps at T = 0, each model term (an applied field per
    junction; damping- and field-like SOT with the Oersted field of the heavy metal;
    the Slonczewski torque with its angular efficiency; the VCMA preset's bias-driven
    STT with R(theta, V)) under each pulse of the library (Gaussian, Sinusoid with
    offset, Trapezoid, PiecewiseLinear, a Sequence plus a Sinusoid), read at each
    step's own times inside the loop. The fused XLA loop and the diffrax path agree to
    float32 rounding over the whole saved path (5e-5; the state moves by order 1 and
    the rounding of 400 steps is about 1e-5 at most), and so does the interpreted
    Pallas kernel to the XLA loop."""
    n, n_steps = 16, 400
    model, drive, dt = _case(case, n)
    m0 = _tilted(n, z=0.9)
    kw = dict(t1=n_steps * dt, dt=dt, drive=drive, save=sj.Save(every=20))
    ref = sj.simulate(model, m0, solver=DIFFRAX, **kw)
    fused = sj.simulate(model, m0, solver=XLA, **kw)
    kernel = sj.simulate(model, m0, solver=_pallas(16), **kw)
    path = np.asarray(ref.ys, np.float64)
    assert np.max(np.linalg.norm(path - path[:1], axis=-1)) > 0.1   # it moved
    np.testing.assert_allclose(np.asarray(fused.ys, np.float64), path, atol=5e-5, rtol=0)
    _assert_same_solution(fused, kernel, atol=5e-5)


# --------------------------------------------------------------------------------------
# T > 0: the same key, the same noise, on every solver


def test_same_key_same_trajectory_on_every_solver_at_300_K():
    """The VCMA preset at 300 K (bias-driven STT, a trapezoid write), 100 junctions, 300
    steps: the diffrax path, the fused XLA loop and the Pallas kernel (block 32: the
    array padded to 128) draw the same increment for each (key, junction, step), so
    their trajectories agree to float32 rounding (2e-4; measured a few 1e-6) while
    another key moves every junction by more than 1e-3 (measured: at least 1e-2) and
    identical junctions started alike part (per-junction noise)."""
    n, dt = 100, 1e-12
    model = _f32(sj.devices.vcma_mtj().model)
    drive = sj.Drive(voltage_V=sj.Trapezoid(1.3, 20e-12, 200e-12, 30e-12, 30e-12))
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (n, 1))
    kw = dict(t1=300 * dt, dt=dt, drive=drive, save=sj.Save(every=30))
    key = jax.random.key(11)
    runs = {name: sj.simulate(model, m0, key=key, solver=s, **kw)
            for name, s in (("diffrax", DIFFRAX), ("xla", XLA), ("pallas", _pallas(32)))}
    ref = np.asarray(runs["diffrax"].ys, np.float64)
    for name in ("xla", "pallas"):
        np.testing.assert_allclose(np.asarray(runs[name].ys, np.float64), ref, atol=2e-4,
                                   rtol=0, err_msg=name)
    other = sj.simulate(model, m0, key=jax.random.key(12), solver=XLA, **kw)
    moved = np.linalg.norm(np.asarray(other.m, np.float64) - ref[-1], axis=-1)
    assert np.all(moved > 1e-3), moved.min()
    assert len(np.unique(np.round(ref[-1], 4), axis=0)) == n


def test_same_key_same_result_and_keys_matter():
    """Two calls with the same key are identical; a legacy uint32 key pair is the same
    key as jax.random.key of the same seed; another key changes every junction."""
    n = 128
    model = _pma_model(alpha=0.5, delta=1.0)
    kw = dict(t1=100e-12, dt=1e-12, monitors=(sj.SwitchCount(),))
    m0 = sj.junction_state(n)
    a = sj.simulate(model, m0, key=jax.random.key(1), **kw)
    b = sj.simulate(model, m0, key=jax.random.key(1), **kw)
    c = sj.simulate(model, m0, key=jax.random.key(2), **kw)
    d = sj.simulate(model, m0, key=jax.random.PRNGKey(1), **kw)
    _assert_same_solution(a, b)
    _assert_same_solution(a, d)
    assert np.all(np.any(np.asarray(a.m) != np.asarray(c.m), axis=-1))


@pytest.mark.parametrize("name", ["diffrax", "xla", "pallas"])
def test_junction_result_does_not_depend_on_array_size(name):
    """Junction i's noise comes from the global index i: the first 300 junctions of a
    run of 512 equal a run of 300 (which the Pallas path pads to 384) to float32
    rounding (1e-6, relative for the moments: XLA vectorizes arrays of different lengths differently, measured
    2e-7 on 9 of 900 components; a different noise draw would move them by 1e-2)."""
    solver = {"diffrax": DIFFRAX, "xla": XLA, "pallas": _pallas(128)}[name]
    model = _pma_model(alpha=0.5, delta=1.0)
    kw = dict(t1=100e-12, dt=1e-12, key=jax.random.key(4), solver=solver,
              monitors=(sj.RunningMoments(),))
    small = sj.simulate(model, _tilted(300), **kw)
    big = sj.simulate(model, _tilted(512), **kw)   # same seed: same first 300 rows
    for x, y in zip(jax.tree.leaves((small.m, small.monitors[0][1:])),
                    jax.tree.leaves((big.m, big.monitors[0][1:]))):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y)[:300], atol=1e-6,
                                   rtol=1e-6)


SHARDED = textwrap.dedent(r"""
    import json, os
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    os.environ["JAX_PLATFORMS"] = "cpu"
    import jax, jax.numpy as jnp, numpy as np
    import spinjax as sj
    n = 512
    rng = np.random.default_rng(0)
    layer = sj.FreeLayer(Ms=1e6, alpha=rng.uniform(0.1, 1.0, n), thickness_m=1e-9,
                         area_m2=1e-16, temperature_K=300.0)
    model = sj.SLLG(layer, (sj.UniaxialAnisotropy(K_u=1.5 * 1.380649e-23 * 300 / 1e-25),
                            sj.Zeeman(bias_A_per_m=(1e4, 0.0, 0.0))))
    kw = dict(t1=200e-12, dt=1e-12, key=jax.random.key(3),
              monitors=(sj.SwitchCount(hysteresis=0.5),))
    m0 = sj.junction_state(n)
    solvers = dict(diffrax=sj.NormalizedHeun(), xla=sj.FusedHeun(backend="xla"),
                   pallas=sj.FusedHeun(backend="pallas", interpret=True, block=32))
    ref0 = sj.simulate(model, m0, solver=solvers["diffrax"], **kw)
    out = {"devices": len(jax.devices()), "runs": []}
    for name, solver in solvers.items():
        ref = sj.simulate(model, m0, solver=solver, **kw)
        for k in (2, 8):
            mesh = sj.junction_mesh(k)
            r = sj.simulate(model, sj.junction_state(n, mesh=mesh), mesh=mesh,
                            solver=solver, **kw)
            out["runs"].append(dict(
                solver=name, k=k,
                identical=bool(np.array_equal(np.asarray(r.m), np.asarray(ref.m))),
                counts_identical=bool(np.array_equal(np.asarray(r.monitors[0][1]),
                                                     np.asarray(ref.monitors[0][1]))),
                to_diffrax=float(np.max(np.abs(np.asarray(r.m) - np.asarray(ref0.m)))),
                shard_shapes=sorted({tuple(s.data.shape) for s in r.m.addressable_shards}),
                n_shards=len(r.m.addressable_shards),
                switched=float(np.mean(np.asarray(r.monitors[0][1]) > 0))))
    try:
        sj.simulate(model, jnp.tile(m0[:1], (500, 1)), mesh=sj.junction_mesh(8), **kw)
        out["indivisible"] = None
    except Exception as err:
        out["indivisible"] = [type(err).__name__, str(err)]
    print("RESULT " + json.dumps(out))
""")


def test_same_key_same_result_on_eight_devices():
    """512 junctions with per-junction damping, thermal, in a subprocess with 8 host
    devices: on meshes of 2 and 8 devices, on each solver, the final state and the
    switch counts equal the single-device run bit for bit, each device holds 512/k
    junctions, and every solver's state is within float32 rounding (2e-4) of the
    diffrax path's on one device; N = 500 on 8 devices is refused naming N and the
    devices."""
    res = run_result(SHARDED, timeout=600)
    assert res["devices"] == 8
    assert len(res["runs"]) == 6
    for run in res["runs"]:
        k = run["k"]
        assert run["identical"] and run["counts_identical"], run
        assert run["to_diffrax"] < 2e-4, run
        assert run["n_shards"] == k and run["shard_shapes"] == [[512 // k, 3]], run
        assert 0.0 < run["switched"] < 1.0, run   # stochastic, not trivial
    kind, msg = res["indivisible"]
    assert kind == "SimulationInputError" and "N = 500" in msg and "8 devices" in msg
