"""Solver choice and bad input to the solvers of ``spinjax.simulate``: each refusal names
the option and the solver that serves it; precision follows the state's dtype."""

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from fused_models import MS, THICKNESS, T, VOLUME, _pma_model
from hypothesis import given, settings
from hypothesis import strategies as st

import spinjax as sj


def _call(solver=None, **changes):
    args = dict(model=_pma_model(delta=5.0), m0=sj.junction_state(8), t1=10e-12,
                dt=1e-12, key=jax.random.key(0))
    args.update(changes)
    model, m0 = args.pop("model"), args.pop("m0")
    return sj.simulate(model, m0, solver=solver, **args)


def test_default_solver_is_the_fused_one_unless_an_option_needs_diffrax():
    """Fixed steps: FusedHeun (XLA on the CPU); adaptive steps or an adjoint: the
    diffrax path, and the Solution says which ran."""
    assert _call().solver == "FusedHeun(backend='xla')"
    cold = _pma_model(delta=5.0, temperature=0.0)
    adaptive = _call(model=cold, key=None, adaptive=diffrax.PIDController(rtol=1e-5,
                                                                           atol=1e-7))
    assert adaptive.solver == "NormalizedHeun()"
    assert _call(adjoint=diffrax.RecursiveCheckpointAdjoint()).solver == "NormalizedHeun()"
    assert _call(solver=sj.NormalizedHeun()).solver == "NormalizedHeun()"


@pytest.mark.parametrize("changes, match", [
    (dict(solver=sj.FusedHeun(), model=_pma_model(temperature=0.0), key=None,
          adaptive=diffrax.PIDController(rtol=1e-5, atol=1e-7)),
     r"adaptive= is an option of the diffrax path.*solver=spinjax.NormalizedHeun\(\)"),
    (dict(solver=sj.FusedHeun(), adjoint=diffrax.RecursiveCheckpointAdjoint()),
     "adjoint= is an option of the diffrax path"),
    (dict(solver="heun"), "solver = 'heun'; pass spinjax.FusedHeun()"),
    (dict(solver=sj.FusedHeun(backend="pallas", interpret=True),
          m0=jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (2, 4, 1))),
     r"FusedHeun\(backend='pallas'\) needs one junction axis.*backend='xla'"),
    (dict(solver=sj.FusedHeun(segment_steps=3)), "segment_steps = 3 must divide"),
    (dict(monitor_every=0), "monitor_every = 0"),
    (dict(monitor_every=2.5), "monitor_every = 2.5"),
    (dict(m0=jnp.zeros((8, 2), jnp.float32)), r"m0 must be a float array of shape"),
    (dict(m0=jnp.zeros((8, 3), jnp.int32)), "dtype int32"),
    (dict(dt=1e-10, t1=1e-9), "dt = 1e-10 s is above the stability bound"),
    (dict(t1=10.5e-12), "integer number of steps"),
    (dict(drive=sj.Drive(field_A_per_m=jnp.asarray([np.nan, 0.0, 0.0], jnp.float32))),
     "drive field_A_per_m is not finite"),
    (dict(drive=sj.Drive(j_sot_A_per_m2=1e11)),
     r"Drive\(j_sot_A_per_m2=...\) is given but no term"),
    (dict(key=None), "key is required"),
], ids=["fused-adaptive", "fused-adjoint", "not-a-solver", "pallas-2-axes", "segment",
        "monitor-every-0", "monitor-every-float", "m0-Nx2", "m0-int", "dt-unstable",
        "steps-fraction", "nan-drive", "unused-drive", "no-key"])
def test_bad_input_is_refused_naming_it(changes, match):
    with pytest.raises(sj.SimulationInputError, match=match):
        _call(**changes)


def test_common_noise_axes_need_the_xla_backend_of_the_fused_solver():
    """Common random numbers over a pair axis run on FusedHeun(backend='xla') and on
    the diffrax path, with the same noise for both members of a pair; the Pallas
    kernel takes one junction axis and says so."""
    m0 = jnp.tile(jnp.array([0.0, 0.0, 1.0], jnp.float32), (2, 8, 1))
    kw = dict(t1=50e-12, dt=1e-12, key=jax.random.key(0), common_noise_axes=1)
    model = _pma_model(delta=5.0)
    for solver in (sj.FusedHeun(backend="xla"), sj.NormalizedHeun()):
        out = sj.simulate(model, m0, solver=solver, **kw)
        np.testing.assert_array_equal(np.asarray(out.m[0]), np.asarray(out.m[1]))
    with pytest.raises(sj.SimulationInputError, match="one junction axis"):
        sj.simulate(model, m0, solver=sj.FusedHeun(backend="pallas", interpret=True), **kw)


@settings(max_examples=25, deadline=None)
@given(backend=st.one_of(st.text(max_size=8), st.integers()),
       block=st.one_of(st.integers(-4, 1000), st.floats(allow_nan=True), st.booleans()),
       num_warps=st.integers(-2, 64), segment=st.one_of(st.none(), st.integers(-3, 5),
                                                        st.floats(), st.booleans()))
def test_fused_solver_fields_are_validated(backend, block, num_warps, segment):
    """Any FusedHeun field outside its range raises SimulationInputError naming the
    field and the value; valid ones construct."""
    valid = (backend in ("auto", "xla", "pallas")
             and isinstance(block, int) and not isinstance(block, bool) and block >= 1
             and block & (block - 1) == 0
             and num_warps in (1, 2, 4, 8, 16, 32)
             and (segment is None or (isinstance(segment, int)
                                      and not isinstance(segment, bool) and segment >= 1)))
    kw = dict(backend=backend, block=block, num_warps=num_warps, segment_steps=segment)
    if valid:
        sj.FusedHeun(**kw)
    else:
        with pytest.raises(sj.SimulationInputError, match=r"FusedHeun\.\w+ = "):
            sj.FusedHeun(**kw)


def test_no_key_is_fine_without_thermal_noise():
    """At T = 0 (or thermal=False) no key is needed, on either fused backend."""
    for solver in (sj.FusedHeun(), sj.FusedHeun(backend="pallas", interpret=True)):
        out = _call(solver=solver, key=None, thermal=False)
        assert np.all(np.isfinite(np.asarray(out.m)))


def test_float32_state_with_x64_parameters_and_pulse():
    """jax_enable_x64 is on in this suite (conftest), so an uncast model's parameters
    and a pulse's are float64; a float32 state runs them in float32."""
    layer = sj.FreeLayer(Ms=MS, alpha=0.1, thickness_m=THICKNESS, area_m2=VOLUME / THICKNESS,
                         temperature_K=T)
    model = sj.SLLG(layer, (sj.UniaxialAnisotropy(K_u=1e5), sj.Zeeman()))
    drive = sj.Drive(field_A_per_m=sj.Trapezoid(jnp.array([1e4, 0.0, 0.0]), 0.0, 5e-12,
                                                1e-12, 1e-12))
    for dtype in (jnp.float32, jnp.float64):
        out = sj.simulate(model, sj.junction_state(8, dtype=dtype), t1=10e-12, dt=1e-12,
                          key=jax.random.key(0), drive=drive)
        assert out.m.dtype == dtype
