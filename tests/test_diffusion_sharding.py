"""The diffusion sampler over several devices (8 host devices in a subprocess): the
batch of images and the device source's junction array split over a junction mesh,
the same key giving the same images as on one device, and batches or arrays that do
not split evenly refused with a clear error."""

import textwrap

import pytest
from host_devices import run_result

SCRIPT = textwrap.dedent(r"""
    import json, os
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    os.environ["JAX_PLATFORMS"] = "cpu"
    import jax, jax.numpy as jnp, numpy as np
    import spinjax as sj
    from spinjax import trng
    from diffusion.device_noise import DevicePhysicalNoise
    from diffusion.noise import SoftwareNoise
    from diffusion.samplers import SamplerError, ddim_sample, ddpm_sample
    from diffusion.schedules import make_schedule
    from diffusion.unet import UNet, eps_fn, init_params

    # The sampler's split over devices is under test, not the architecture: a one-level
    # U-Net of width 16 without attention compiles in about half the time of
    # the default config (two levels, attention).
    model = UNet(channels=16, channel_mults=(1,), attention=False)
    eps = eps_fn(model, init_params(model, jax.random.key(0), (8, 8, 1)))
    sched = make_schedule("cosine", 100)
    mesh = sj.junction_mesh(8)
    dev = sj.devices.vcma_mtj()
    out = {"devices": len(jax.devices())}

    def compare(name, fn):
        ref = np.asarray(fn(None))
        x = fn(mesh)
        out[name] = dict(max_diff=float(np.max(np.abs(np.asarray(x) - ref))),
                         shards=len(x.addressable_shards),
                         shard_shape=sorted({tuple(s.data.shape) for s in x.addressable_shards}),
                         std=float(ref.std()))

    compare("software_ddpm", lambda m: ddpm_sample(eps, sched, SoftwareNoise(), jax.random.key(1),
                                                  (16, 8, 8, 1), 10, mesh=m))
    compare("software_ddim", lambda m: ddim_sample(eps, sched, SoftwareNoise(), jax.random.key(2),
                                                  (16, 8, 8, 1), 5, eta=1.0, mesh=m))
    phys = DevicePhysicalNoise(dev, trng.precessional_schedule(dev), 0.97, 512)
    compare("physical_ddpm", lambda m: ddpm_sample(eps, sched, phys, jax.random.key(3),
                                                  (8, 8, 8, 1), 2, mesh=m))
    errors = {}
    for name, call in {
            "batch": lambda: ddpm_sample(eps, sched, SoftwareNoise(), jax.random.key(1),
                                         (12, 8, 8, 1), 2, mesh=mesh),
            "junctions": lambda: ddpm_sample(eps, sched, DevicePhysicalNoise(
                dev, trng.precessional_schedule(dev), 0.97, 500), jax.random.key(1),
                (8, 8, 8, 1), 2, mesh=mesh)}.items():
        try:
            call()
            errors[name] = None
        except SamplerError as err:
            errors[name] = str(err)
    out["errors"] = errors
    print("RESULT " + json.dumps(out))
""")


@pytest.fixture(scope="module")
def eight_devices():
    return run_result(SCRIPT, timeout=900)


@pytest.mark.parametrize("name,batch", [("software_ddpm", 16), ("software_ddim", 16),
                                        ("physical_ddpm", 8)])
def test_sharded_sampler_matches_one_device(eight_devices, name, batch):
    """Same key: the images on 8 devices equal the single-device ones up to float32
    rounding of the model's per-shard kernels (max |diff| < 1e-4 of images of std about
    0.5; a different noise draw would differ by order 1), each device holding batch/8
    images. The physical source runs its 512 junctions 64 per device."""
    run = eight_devices[name]
    assert eight_devices["devices"] == 8
    assert run["max_diff"] < 1e-4, run
    assert run["std"] > 0.1
    assert run["shards"] == 8 and run["shard_shape"] == [[batch // 8, 8, 8, 1]], run


def test_uneven_batches_and_arrays_are_refused(eight_devices):
    err = eight_devices["errors"]
    assert err["batch"] is not None and "12 images" in err["batch"] and "8 devices" in err["batch"]
    assert err["junctions"] is not None and "500 junctions" in err["junctions"]
