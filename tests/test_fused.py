"""The fused multi-step path (``spinjax.fused_simulate``, ``spinjax/_fused``).

- the Pallas kernel (interpret mode on the CPU) equals the XLA reference bit for bit;
- at T = 0 it integrates the same equation with the same scheme as ``spinjax.simulate``;
- at T > 0 it samples the Boltzmann distribution;
- its running observables are those of the path (Schmitt trigger as ``SwitchCount``);
- the same key gives the same per-junction result whatever the padding or the number
  of devices (bad input: test_fused_inputs.py; the generator: test_fused_rng.py).

Statistical tolerances are stated per test from the number of samples; the seeds are
fixed, so every test is deterministic. All runs are float32 (the default precision).
"""

import textwrap

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from fused_models import MS, THICKNESS, T, VOLUME, _f32, _pma_model, _tilted
from host_devices import run_result
from scipy import stats

import spinjax as sj
from spinjax._fused import counter_rng as crng
from spinjax._fused.affine import affine_field, check_affine, coefficients
from spinjax._fused.step import heun_step
from spinjax.constants import GAMMA0, KB, MU0

import physics as ph

# --------------------------------------------------------------------------------------
# 2. The Pallas kernel against the XLA reference


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


def test_pallas_kernel_equals_xla_reference_bit_for_bit():
    """N = 300 junctions (not a multiple of the block of 64: the last program is
    padded), per-junction Ms, alpha and temperature, thermal noise on, 400 steps: the
    interpreted Pallas kernel and the XLA loop give identical final states, time
    averages, switch counts and sides (same counters, same arithmetic)."""
    n = 300
    model = _varied_model(n)
    kw = dict(t1=400e-12, dt=1e-12, key=jax.random.key(0), hysteresis=0.5)
    ref = sj.fused_simulate(model, sj.junction_state(n), backend="xla", **kw)
    out = sj.fused_simulate(model, sj.junction_state(n), backend="pallas", interpret=True,
                            block=64, **kw)
    for name in sj.FusedSolution._fields:
        a, b = np.asarray(getattr(ref, name)), np.asarray(getattr(out, name))
        assert a.shape == b.shape and a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert ref.m.shape == (n, 3) and ref.switches.dtype == jnp.int32
    # a stochastic regime, not a trivial one: some junctions switched, some did not
    assert ref.switches.sum() > 10 and 0 < np.sum(np.asarray(ref.side) == -1) < n


# --------------------------------------------------------------------------------------
# 3. T = 0: the same equation and scheme as simulate


def _compare_with_simulate(model, m0, drive, n_steps, dt, hysteresis=0.5):
    fused = sj.fused_simulate(model, m0, t1=n_steps * dt, dt=dt, drive=drive,
                              thermal=False, hysteresis=hysteresis)
    sol = sj.simulate(model, m0, t1=n_steps * dt, dt=dt, drive=drive, thermal=False,
                      save=sj.Save(every=1, fn=lambda t, m: m[..., 2]),
                      monitors=(sj.SwitchCount(hysteresis=hysteresis),))
    return fused, sol


@pytest.mark.parametrize("case", ["field", "sot", "stt"])
def test_deterministic_run_matches_simulate(case):
    """16 tilted PMA junctions (alpha = 0.3, H_K = 3.3e5 A/m, bias 1e4 A/m along x), 400
    steps of 0.5 ps with a constant drive: an applied field of -1.5 H_K along z (per
    junction, +-10 %: it switches every junction), or a spin-orbit torque (damping- and
    field-like, tilted polarization, 2e12 A/m^2: it pulls m in-plane), or a Slonczewski
    torque at asymmetry 1 (constant efficiency: affine, so accepted) with a field-like
    part. fused_simulate and simulate (NormalizedHeun, T = 0) agree to float32
    rounding: final m within 1e-5 (measured 3e-7, while the state moves by order 1),
    mean m_z and mean m_z^2 over the states after each step (not the initial one)
    within 2e-5 of the saved path's (float32 sums of 400 terms; measured 3e-6), and
    switch counts and sides equal to SwitchCount's at every step."""
    n, dt, n_steps = 16, 0.5e-12, 400
    hk = 2 * 5 * KB * T / VOLUME / (MU0 * MS)
    if case == "field":
        model = _pma_model(alpha=0.3, delta=5, bias=(1e4, 0.0, 0.0), temperature=0.0)
        field = np.zeros((n, 3))
        field[:, 2] = -1.5 * hk * np.linspace(0.9, 1.1, n)   # per-junction drive values
        drive = sj.Drive(field_A_per_m=jnp.asarray(field, jnp.float32))
    elif case == "sot":
        sot = sj.SpinOrbitTorque(xi_dl=-0.3, xi_fl=0.1, sigma=(0.2, 1.0, 0.0))
        model = _pma_model(alpha=0.3, delta=5, bias=(1e4, 0.0, 0.0), temperature=0.0,
                           torques=(sot,))
        drive = sj.Drive(j_sot_A_per_m2=jnp.float32(2e12))
    else:
        stt = sj.SlonczewskiSTT(polarizer=(0.0, 0.0, 1.0), polarization=0.6,
                                asymmetry=1.0, field_like_ratio=0.2)
        model = _pma_model(alpha=0.3, delta=5, bias=(1e4, 0.0, 0.0), temperature=0.0,
                           torques=(stt,))
        drive = sj.Drive(j_stt_A_per_m2=jnp.float32(-3e12))
    m0 = _tilted(n, z=0.9)
    fused, sol = _compare_with_simulate(model, m0, drive, n_steps, dt)
    m, ref = np.asarray(fused.m, np.float64), np.asarray(sol.m, np.float64)
    assert np.min(np.linalg.norm(ref - np.asarray(m0), axis=-1)) > 0.1   # it moved
    np.testing.assert_allclose(m, ref, atol=1e-5, rtol=0)
    path = np.asarray(sol.ys, np.float64)[1:]       # the states after each step
    np.testing.assert_allclose(np.asarray(fused.mean_mz), path.mean(0), atol=2e-5, rtol=0)
    np.testing.assert_allclose(np.asarray(fused.mean_mz2), (path**2).mean(0), atol=2e-5,
                               rtol=0)
    side, count = sol.monitors[0]
    np.testing.assert_array_equal(np.asarray(fused.switches), np.asarray(count))
    np.testing.assert_array_equal(np.asarray(fused.side), np.asarray(side, np.int32))
    if case == "field":
        assert np.all(np.asarray(count) >= 1)   # the field switches every junction


def test_affine_map_of_anisotropy_and_demag_is_analytic():
    """h0 and A read off the model equal the analytic fields: h0 = bias, A = diag(0, 0,
    2 K_i / (mu0 Ms t) - Ms) for VCMA on z plus thin-film demag (to float32 rounding of
    the difference of two fields of 1.3e6 and 1e6 A/m: 1e-5 relative)."""
    model = _pma_model(delta=5.0, bias=(1e4, -2e3, 5e2))
    inputs = sj.Drive()(jnp.float32(0.0))
    h0, a = affine_field(model, inputs, 3, jnp.float32)
    k_i0 = THICKNESS * (5.0 * KB * T / VOLUME + 0.5 * MU0 * MS**2)
    azz = 2 * k_i0 / (MU0 * MS * THICKNESS) - MS
    np.testing.assert_allclose(np.asarray(h0), np.tile([1e4, -2e3, 5e2], (3, 1)), rtol=1e-6)
    want = np.zeros((3, 3, 3))
    want[:, 2, 2] = azz
    np.testing.assert_allclose(np.asarray(a), want, rtol=1e-5, atol=1e-6 * abs(azz))


def test_nonaffine_torque_is_recognised_by_the_affinity_check():
    """check_affine names a Slonczewski torque with angular efficiency (asymmetry 2) as
    not affine, and accepts it at asymmetry 1; under jit (traced model) the same check
    stops the run through eqx.error_if instead of returning a wrong answer."""
    state = jnp.zeros((4, 3), jnp.float32)
    inputs = sj.Drive(j_stt_A_per_m2=1e11)(jnp.float32(0.0))
    for asym, ok in ((1.0, True), (2.0, False)):
        model = _pma_model(torques=(sj.SlonczewskiSTT(asymmetry=asym),))
        if ok:
            check_affine(model, inputs, 4, jnp.float32, state)
        else:
            with pytest.raises(sj.SimulationInputError, match="SlonczewskiSTT is not affine"):
                check_affine(model, inputs, 4, jnp.float32, state)
            traced = eqx.filter_jit(lambda mdl: check_affine(mdl, inputs, 4, jnp.float32,
                                                              state))
            with pytest.raises(Exception, match="SlonczewskiSTT is not affine"):
                jax.block_until_ready(traced(model))


# --------------------------------------------------------------------------------------
# 4. Thermal equilibrium


def test_affinity_check_of_a_large_array_samples_it_including_the_ends():
    """Above 4096 junctions the check looks at 4096 spread evenly, the first and last
    included: a per-junction STT asymmetry that is 1 (affine) everywhere but the last
    junction is still refused, and an all-affine array of 5000 passes."""
    n = 5000
    inputs = sj.Drive(j_stt_A_per_m2=1e11)(jnp.float32(0.0))
    state = jnp.zeros((n, 3), jnp.float32)
    asym = jnp.ones(n, jnp.float32)
    ok = _pma_model(torques=(sj.SlonczewskiSTT(asymmetry=asym),))
    check_affine(ok, inputs, n, jnp.float32, state)
    bad = _pma_model(torques=(sj.SlonczewskiSTT(asymmetry=asym.at[-1].set(2.0)),))
    with pytest.raises(sj.SimulationInputError, match="SlonczewskiSTT is not affine"):
        check_affine(bad, inputs, n, jnp.float32, state)


def test_boltzmann_equilibrium_of_mz2():
    r"""4096 PMA junctions (VCMA + thin-film demag, Delta = 5, alpha = 0.1, no bias), all
    started at m_z = +1, where <m_z^2> = 1 is more than 50 sigma from equilibrium.

    After 2000 steps (10 intra-well relaxation times tau = (1 + alpha^2) / (alpha
    gamma0 H_K); the gap to equilibrium decays as exp(-t / 1.15 tau), measured, so it
    is 4e-5 there), the ensemble <m_z^2> equals the Boltzmann value
    int z^2 e^{Delta z^2} dz / int e^{Delta z^2} dz = 0.7643 (quadrature; p(m_z) is
    even, so which well a junction is in does not matter) within 4 sigma,
    sigma = std(m_z^2) / sqrt(N) = 3.5e-3, and |m_z| passes a KS test against the
    Boltzmann law at the 1e-3 level. A second call from those states (another key)
    gives per junction the time average mean_mz2 over 1000 steps, whose ensemble mean
    equals the same value within 4 sigma, sigma = std over junctions / sqrt(N) (the
    junctions are independent; about 2e-3).

    Step bias: dt = tau / 200 (0.05 rad of precession and 0.03 rad of rms thermal kick
    per step). With 2^17 junctions the time averages at dt = tau/100, tau/200, tau/400
    were measured 8e-4, 6e-4, 5e-4 above the exact value (sigma 3e-4; simulate gives
    4e-4 at tau/200): below 1e-3, well under the tolerance here."""
    n, delta, alpha = 4096, 5.0, 0.1
    model = _pma_model(alpha=alpha, delta=delta)
    hk = 2 * delta * KB * T / VOLUME / (MU0 * MS)
    tau = (1 + alpha**2) / (alpha * GAMMA0 * hk)
    dt = tau / 200
    burn = sj.fused_simulate(model, sj.junction_state(n), t1=2000 * dt, dt=dt,
                             key=jax.random.key(1))
    exact = ph.boltzmann_moment(lambda x: x * x, delta, 0.0)
    z = np.asarray(burn.m[:, 2], np.float64)
    sigma = (z**2).std() / np.sqrt(n)
    assert (1 - exact) / sigma > 50          # the start is far outside the tolerance
    assert abs((z**2).mean() - exact) < 4 * sigma, ((z**2).mean(), exact, sigma)
    cdf = ph.boltzmann_cdf(delta, 0.0)
    p = stats.kstest(np.abs(z), lambda x: 2 * cdf(x) - 1).pvalue
    assert p > 1e-3, p
    run = sj.fused_simulate(model, burn.m, t1=1000 * dt, dt=dt, key=jax.random.key(2))
    avg = np.asarray(run.mean_mz2, np.float64)
    sigma = avg.std() / np.sqrt(n)
    assert abs(avg.mean() - exact) < 4 * sigma, (avg.mean(), exact, sigma)


# --------------------------------------------------------------------------------------
# 5. Running observables against the path


def test_observables_equal_those_of_the_path():
    """64 low-barrier junctions (Delta = 1, alpha = 0.5), 3000 steps, thermal: the path
    rebuilt step by step with ``lax.scan`` of ``heun_step`` and ``step_normals`` (step
    j drawn at counter j) ends bit for bit at fused_simulate's final state; on that
    path an independent Schmitt trigger (numpy) and ``sj.SwitchCount`` (updated at every
    step) give fused_simulate's switch counts and sides exactly, and the time averages
    of m_z and m_z^2 over the 3000 states after each step (not the initial one) agree
    to float32 summation rounding (1e-4)."""
    n, n_steps, h = 64, 3000, 0.5
    model = _pma_model(alpha=0.5, delta=1.0)
    dt = 2e-12
    m0 = _tilted(n, z=0.99)
    key = jax.random.key(5)
    out = sj.fused_simulate(model, m0, t1=n_steps * dt, dt=dt, key=key, hysteresis=h)

    # The model enters as a traced argument, as in fused_simulate: with the model's
    # values as compile-time constants XLA folds c = -gamma0 / (1 + alpha^2) to a value
    # 1 ulp away, which is enough to move a 3000-step thermal path by 1e-4.
    @eqx.filter_jit
    def path(model):
        inputs = sj.Drive()(jnp.float32(0.0))
        k = coefficients(model, inputs, n, dt, True, jnp.float32)
        k0, k1 = crng.junction_keys(jax.random.key_data(key),
                                    jnp.arange(n, dtype=jnp.uint32))

        def body(m, j):
            m = heun_step(m, k, crng.step_normals(k0, k1, j))
            return m, jnp.stack(m, -1)
        m0n = sj.normalize(m0)
        _, ms = jax.lax.scan(body, tuple(m0n.T), jnp.arange(n_steps, dtype=jnp.uint32))
        return m0n, ms

    m0n, ms = path(model)
    np.testing.assert_array_equal(np.asarray(ms[-1]), np.asarray(out.m))
    z = np.asarray(ms[..., 2], np.float64)          # (steps, n)
    side = np.where(m0n[:, 2] > h, 1, np.where(m0n[:, 2] < -h, -1, 0))
    count = np.zeros(n, int)
    for x in z:
        new = np.where(x > h, 1, np.where(x < -h, -1, side))
        count += (new != side) & (side != 0)
        side = new
    np.testing.assert_array_equal(np.asarray(out.switches), count)
    np.testing.assert_array_equal(np.asarray(out.side), side)
    sc = sj.SwitchCount(hysteresis=h)
    state = jax.lax.scan(lambda s, m: (sc.update(s, 0.0, m), None), sc.init(0.0, m0n), ms)[0]
    np.testing.assert_array_equal(np.asarray(out.switches), np.asarray(state[1]))
    np.testing.assert_array_equal(np.asarray(out.side), np.asarray(state[0], np.int32))
    np.testing.assert_allclose(np.asarray(out.mean_mz), z.mean(0), atol=1e-4, rtol=0)
    np.testing.assert_allclose(np.asarray(out.mean_mz2), (z**2).mean(0), atol=1e-4, rtol=0)
    assert count.sum() > 100 and count.min() >= 1   # a telegraph regime, many switches


# --------------------------------------------------------------------------------------
# 6. Reproducibility


def test_same_key_same_result_and_keys_matter():
    """Two calls with the same key are identical; another key changes every junction;
    identical junctions from one state get distinct noise (per-junction keys); a legacy
    uint32 key pair is the same key as jax.random.key of the same seed."""
    n = 128
    model = _pma_model(alpha=0.5, delta=1.0)
    kw = dict(t1=100e-12, dt=1e-12)
    m0 = sj.junction_state(n)
    a = sj.fused_simulate(model, m0, key=jax.random.key(1), **kw)
    b = sj.fused_simulate(model, m0, key=jax.random.key(1), **kw)
    c = sj.fused_simulate(model, m0, key=jax.random.key(2), **kw)
    d = sj.fused_simulate(model, m0, key=jax.random.PRNGKey(1), **kw)
    for name in sj.FusedSolution._fields:
        np.testing.assert_array_equal(np.asarray(getattr(a, name)),
                                      np.asarray(getattr(b, name)))
        np.testing.assert_array_equal(np.asarray(getattr(a, name)),
                                      np.asarray(getattr(d, name)))
    assert np.all(np.any(np.asarray(a.m) != np.asarray(c.m), axis=-1))
    assert len(np.unique(np.asarray(a.m), axis=0)) == n


@pytest.mark.parametrize("backend", ["xla", "pallas"])
def test_junction_result_does_not_depend_on_array_size(backend):
    """Junction i's noise comes from the global index i: the first 300 junctions of a
    run of 512 equal (bit for bit) a run of 300, which the Pallas path pads to 384."""
    model = _pma_model(alpha=0.5, delta=1.0)
    kw = dict(t1=100e-12, dt=1e-12, key=jax.random.key(4), backend=backend)
    if backend == "pallas":
        kw.update(interpret=True, block=128)
    small = sj.fused_simulate(model, _tilted(300), **kw)
    big = sj.fused_simulate(model, _tilted(512), **kw)   # same seed: same first 300 rows
    for name in sj.FusedSolution._fields:
        np.testing.assert_array_equal(np.asarray(getattr(small, name)),
                                      np.asarray(getattr(big, name))[:300], err_msg=name)


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
    kw = dict(t1=200e-12, dt=1e-12, key=jax.random.key(3))
    m0 = sj.junction_state(n)
    out = {"devices": len(jax.devices()), "runs": []}
    for backend, extra in (("xla", {}), ("pallas", dict(interpret=True, block=32))):
        ref = sj.fused_simulate(model, m0, backend=backend, **extra, **kw)
        for k in (2, 8):
            mesh = sj.junction_mesh(k)
            r = sj.fused_simulate(model, sj.junction_state(n, mesh=mesh), mesh=mesh,
                                  backend=backend, **extra, **kw)
            out["runs"].append(dict(
                backend=backend, k=k,
                identical={f: bool(np.array_equal(np.asarray(getattr(r, f)),
                                                  np.asarray(getattr(ref, f))))
                           for f in r._fields},
                shard_shapes=sorted({tuple(s.data.shape) for s in r.m.addressable_shards}),
                n_shards=len(r.m.addressable_shards),
                switched=float(np.mean(np.asarray(r.switches) > 0))))
    try:
        sj.fused_simulate(model, jnp.tile(m0[:1], (500, 1)), mesh=sj.junction_mesh(8), **kw)
        out["indivisible"] = None
    except Exception as err:
        out["indivisible"] = [type(err).__name__, str(err)]
    print("RESULT " + json.dumps(out))
""")


def test_same_key_same_result_on_eight_devices():
    """512 junctions with per-junction damping, thermal, in a subprocess with 8 host
    devices: on meshes of 2 and 8 devices, with the XLA and the interpreted Pallas
    backends, every output equals the single-device one bit for bit and each device
    holds 512/k junctions; N = 500 on 8 devices is refused naming N and the devices."""
    res = run_result(SHARDED, timeout=300)
    assert res["devices"] == 8
    assert len(res["runs"]) == 4
    for run in res["runs"]:
        k = run["k"]
        assert all(run["identical"].values()), run
        assert run["n_shards"] == k and run["shard_shapes"] == [[512 // k, 3]], run
        assert 0.0 < run["switched"] < 1.0, run   # stochastic, not trivial
    kind, msg = res["indivisible"]
    assert kind == "SimulationInputError" and "N = 500" in msg and "8 devices" in msg
