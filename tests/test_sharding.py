"""Junction arrays split over several devices (8 host devices in a subprocess, as XLA
needs its device count before jax starts): the same key gives bit-identical
per-junction results on 1, 2, 4 and 8 devices, each device holds 1/k of the state, and
bad meshes and arrays too large for memory give clear errors before any allocation."""

import textwrap

import jax
import numpy as np
import pytest
from host_devices import run_result

import spinjax as sj

SCRIPT = textwrap.dedent(r"""
    import json, os
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    os.environ["JAX_PLATFORMS"] = "cpu"
    import jax, jax.numpy as jnp, numpy as np
    import spinjax as sj
    n = 512
    # device-to-device variation: per-junction anisotropy and damping, split too
    dev = sj.devices.sample_devices(
        jax.random.key(1), sj.devices.vcma_mtj, n,
        {"K_i0": sj.devices.Normal(0.02), "alpha": sj.devices.LogNormal(0.1)})
    kw = dict(t1=0.3e-9, dt=2e-12, key=jax.random.key(3), drive=sj.Drive(
        voltage_V=sj.Trapezoid(1.0, 0.02e-9, 0.2e-9, 0.02e-9, 0.02e-9)))
    m0 = sj.junction_state(n)
    ref = np.asarray(sj.simulate(dev.model, m0, **kw).m)
    out = {"devices": len(jax.devices()), "runs": []}
    for k in (2, 4, 8):
        mesh = sj.junction_mesh(k)
        m = sj.simulate(dev.model, sj.junction_state(n, mesh=mesh), mesh=mesh, **kw).m
        out["runs"].append(dict(
            k=k, identical=bool(np.array_equal(np.asarray(m), ref)),
            shard_shapes=sorted({tuple(s.data.shape) for s in m.addressable_shards}),
            n_shards=len(m.addressable_shards),
            switched=float(np.mean(np.asarray(m)[:, 2] < 0))))
    errors = {}
    for name, call in {
            "indivisible": lambda: sj.simulate(dev.model, jnp.tile(m0[:1], (500, 1)),
                                               mesh=sj.junction_mesh(8), **kw),
            "too_many": lambda: sj.junction_mesh(16),
            "too_large": lambda: sj.junction_state(10**13, mesh=sj.junction_mesh(8))}.items():
        try:
            call()
            errors[name] = None
        except Exception as err:
            errors[name] = [type(err).__name__, str(err)]
    out["errors"] = errors
    print("RESULT " + json.dumps(out))
""")


@pytest.fixture(scope="module")
def eight_devices():
    return run_result(SCRIPT, timeout=600)


def test_same_key_same_result_on_any_number_of_devices(eight_devices):
    """512 varied VCMA junctions, thermal, under a 1 V pulse: the final states on 2, 4
    and 8 devices equal the single-device ones bit for bit, and each device holds
    512/k junctions."""
    assert eight_devices["devices"] == 8
    for run in eight_devices["runs"]:
        k = run["k"]
        assert run["identical"], run
        assert run["n_shards"] == k and run["shard_shapes"] == [[512 // k, 3]], run
        assert 0.0 < run["switched"] < 1.0   # a stochastic regime, not a trivial one


def test_bad_meshes_and_arrays_too_large_say_why(eight_devices):
    err = eight_devices["errors"]
    kind, msg = err["indivisible"]
    assert kind == "SimulationInputError" and "N = 500" in msg and "8 devices" in msg
    assert "504" in msg   # it names the nearest multiples
    kind, msg = err["too_many"]
    assert kind == "SimulationInputError" and "n_devices = 16" in msg and "8 device" in msg
    kind, msg = err["too_large"]
    assert kind == "InsufficientMemoryError" and "GiB" in msg


def test_solve_too_large_for_memory_fails_before_running(monkeypatch):
    """The compiled solve's buffer plan is compared with the device's free memory (here
    pretended to be 1 kB) before anything runs."""
    import spinjax._sharding as sharding
    monkeypatch.setattr(sharding, "device_memory_bytes", lambda d: 1000)
    dev = sj.devices.vcma_mtj()
    mesh = sj.junction_mesh(1)
    with pytest.raises(sj.InsufficientMemoryError, match="simulate over 64 junctions"):
        sj.simulate(dev.model, np.tile([0.0, 0.0, 1.0], (64, 1)).astype(np.float32),
                    t1=1e-11, dt=1e-12, key=jax.random.key(0), mesh=mesh)
