"""Bad input to ``spinjax.fused_simulate`` is refused naming it; precision follows the
state's dtype."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from fused_models import MS, THICKNESS, T, VOLUME, _pma_model

import spinjax as sj

# --------------------------------------------------------------------------------------
# 7. Bad input, clear errors


def _ok_args(n=8):
    return dict(model=_pma_model(delta=5.0), m0=sj.junction_state(n), t1=10e-12,
                dt=1e-12, key=jax.random.key(0))


def _call(**changes):
    args = _ok_args()
    args.update(changes)
    model, m0 = args.pop("model"), args.pop("m0")
    return sj.fused_simulate(model, m0, **args)


@pytest.mark.parametrize("changes, match", [
    (dict(drive=sj.Drive(voltage_V=lambda t: 0.1 * t)),
     "drive voltage_V is a function of time"),
    (dict(drive=sj.Drive(voltage_V=sj.Trapezoid(0.5, 1e-12, 5e-12, 1e-12, 1e-12))),
     "drive voltage_V is a function of time"),
    (dict(block=100), "block = 100 must be a power of two"),
    (dict(block=0), "block = 0 must be a power of two"),
    (dict(backend="cuda"), "backend = 'cuda'"),
    (dict(m0=jnp.zeros((8, 2), jnp.float32)), r"m0 must be a float array of shape \(N, 3\)"),
    (dict(m0=jnp.asarray([0.0, 0.0, 1.0], jnp.float32)), r"shape \(3,\)"),
    (dict(m0=jnp.zeros((8, 3), jnp.int32)), "dtype int32"),
    (dict(dt=1e-10, t1=1e-9), "dt = 1e-10 s is above the stability bound"),
    (dict(dt=0.0), "dt = 0.0 must be a finite positive"),
    (dict(num_warps=3), "num_warps = 3"),
    (dict(t1=10.5e-12), "integer number of steps"),
    (dict(hysteresis=1.0), "hysteresis = 1.0"),
    (dict(drive=sj.Drive(field_A_per_m=jnp.asarray([np.nan, 0.0, 0.0], jnp.float32))),
     "drive field_A_per_m is not finite"),
    (dict(drive=sj.Drive(j_sot_A_per_m2=1e11)),
     r"Drive\(j_sot_A_per_m2=...\) is given but no term"),
    (dict(key=None), "key is required"),
    (dict(key=jnp.zeros(3, jnp.uint32)), "key must be a Threefry key"),
], ids=["lambda-drive", "pulse-drive", "block-100", "block-0", "backend", "m0-Nx2", "m0-1d",
        "m0-int", "dt-unstable", "dt-zero", "warps", "steps-fraction", "hysteresis", "nan-drive",
        "unused-drive", "no-key", "bad-key"])
def test_bad_input_is_refused_naming_it(changes, match):
    with pytest.raises(sj.SimulationInputError, match=match):
        _call(**changes)


def test_no_key_is_fine_without_thermal_noise():
    """At T = 0 (or thermal=False) no key is needed."""
    out = _call(key=None, thermal=False)
    assert np.all(np.isfinite(np.asarray(out.m)))


def test_nonaffine_torque_is_refused_by_name():
    """A Slonczewski torque with angular efficiency (asymmetry 2) is not affine in m:
    fused_simulate must refuse it naming the class, not integrate its affine
    interpolation through m = 0 and the unit vectors."""
    stt = sj.SlonczewskiSTT(asymmetry=2.0)
    with pytest.raises(sj.SimulationInputError, match="SlonczewskiSTT is not affine"):
        _call(model=_pma_model(delta=5.0, torques=(stt,)),
              drive=sj.Drive(j_stt_A_per_m2=1e11))


def test_too_many_junctions_for_memory_fails_before_running(monkeypatch):
    """The per-device bytes of a launch (53 four-byte words per junction) are compared
    with the device's free memory (here pretended to be 1 kB) before anything runs."""
    import spinjax._sharding as sharding
    monkeypatch.setattr(sharding, "device_memory_bytes", lambda d: 1000)
    with pytest.raises(sj.InsufficientMemoryError, match="fused_simulate of 64 junctions"):
        _call(m0=sj.junction_state(64))
    monkeypatch.setattr(sharding, "device_memory_bytes", lambda d: 10**6)
    assert _call(m0=sj.junction_state(64)).m.shape == (64, 3)


# --------------------------------------------------------------------------------------
# Precision: the model follows the state's dtype, and so does the noise


def test_float32_state_with_x64_parameters():
    """jax_enable_x64 is on in this suite (conftest), so an uncast model's parameters
    are float64; simulate accepts it with a float32 state, and so should fused_simulate."""
    layer = sj.FreeLayer(Ms=MS, alpha=0.1, thickness_m=THICKNESS, area_m2=VOLUME / THICKNESS,
                         temperature_K=T)
    model = sj.SLLG(layer, (sj.UniaxialAnisotropy(K_u=1e5),))
    out = sj.fused_simulate(model, sj.junction_state(8), t1=10e-12, dt=1e-12,
                            key=jax.random.key(0))
    assert out.m.dtype == jnp.float32


def test_float64_state():
    layer = sj.FreeLayer(Ms=MS, alpha=0.1, thickness_m=THICKNESS, area_m2=VOLUME / THICKNESS,
                         temperature_K=T)
    model = sj.SLLG(layer, (sj.UniaxialAnisotropy(K_u=1e5),))
    out = sj.fused_simulate(model, sj.junction_state(8, dtype=jnp.float64), t1=10e-12,
                            dt=1e-12, key=jax.random.key(0))
    assert out.m.dtype == jnp.float64
