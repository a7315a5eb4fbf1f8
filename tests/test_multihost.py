"""Several hosts: two processes joined by ``jax.distributed.initialize`` (each with two
CPU devices, gloo collectives, a coordinator on localhost) run ``simulate`` on the
diffrax path and on the fused solver over ``junction_mesh()`` (all four devices) with
no other change, and get bitwise the single-process result, each process holding only
its own shards; the two solvers agree to float32 rounding (same noise).
"""

import json
import socket
import subprocess
import sys
import textwrap

import numpy as np
from host_devices import run_result

BODY = textwrap.dedent(r"""
    import jax, json, numpy as np
    import spinjax as sj
    layer = sj.FreeLayer(Ms=1e6, alpha=0.05, thickness_m=1.2e-9,
                         area_m2=sj.disk_area(50e-9), temperature_K=300.0)
    model = sj.SLLG(layer, (sj.VCMAAnisotropy(K_i0=1e-3),
                            sj.Demagnetization(factors=(0., 0., 1.)),
                            sj.Zeeman(bias_A_per_m=(1e4, 0., 0.))))
    mesh = sj.junction_mesh() if MULTI else None
    m0 = sj.junction_state(512, mesh=mesh)
    kw = dict(t1=50e-12, dt=1e-12, key=jax.random.key(0), mesh=mesh)
    a = sj.simulate(model, m0, solver=sj.NormalizedHeun(), **kw).m
    b = sj.simulate(model, m0, solver=sj.FusedHeun(), **kw).m
    shards = [list(s.data.shape) for s in b.addressable_shards]
    if MULTI:
        from jax.experimental import multihost_utils
        a, b = (multihost_utils.process_allgather(x, tiled=True) for x in (a, b))
    print("RESULT " + json.dumps(dict(devices=len(jax.devices()),
          local=len(jax.local_devices()), shards=shards,
          a=np.asarray(a).tolist(), b=np.asarray(b).tolist())), flush=True)
""")

HEAD = textwrap.dedent(r"""
    import os, sys
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    os.environ["JAX_PLATFORMS"] = "cpu"
    import jax
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address="localhost:%d", num_processes=2,
                               process_id=int(sys.argv[1]))
    MULTI = True
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_two_processes_give_the_single_process_result(tmp_path):
    script = HEAD % _free_port() + BODY
    # Output to files, not pipes: a process blocked on a full pipe would never reach
    # the shutdown barrier that the other process waits at when it exits.
    logs = [(tmp_path / f"out{i}", tmp_path / f"err{i}") for i in range(2)]
    procs = []
    for i, (out, err) in enumerate(logs):
        with open(out, "w") as fo, open(err, "w") as fe:
            procs.append(subprocess.Popen([sys.executable, "-c", script, str(i)],
                                          stdout=fo, stderr=fe))
    for p in procs:
        p.wait(timeout=300)
    results = []
    for p, (out, err) in zip(procs, logs):
        line = [ln for ln in out.read_text().splitlines() if ln.startswith("RESULT ")]
        assert p.returncode == 0 and line, err.read_text()[-3000:]
        results.append(json.loads(line[-1][len("RESULT "):]))
    ref = run_result("import os\nos.environ['JAX_PLATFORMS'] = 'cpu'\nMULTI = False\n" + BODY)
    for r in results:
        assert r["devices"] == 4 and r["local"] == 2
        assert r["shards"] == [[128, 3], [128, 3]]   # a quarter of 512 on each own device
        np.testing.assert_array_equal(np.asarray(r["a"]), np.asarray(ref["a"]))
        np.testing.assert_array_equal(np.asarray(r["b"]), np.asarray(ref["b"]))
    # thermal noise on: the junctions did move apart; the same draws on both solvers
    assert np.std(np.asarray(ref["a"])[:, 0]) > 1e-3
    np.testing.assert_allclose(np.asarray(ref["a"]), np.asarray(ref["b"]), atol=1e-5)
