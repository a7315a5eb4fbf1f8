"""The backend a benchmark's worker processes run on (``--platform cpu|gpu``), what that
device is, its allocator's memory and a time budget: shared by ``gradients.py`` and
``sllg_throughput.py``.

The driver process of a benchmark stays on jax's CPU backend (it only builds constants
and starts workers), so on a GPU it holds no device memory while the workers run; each
worker gets ``JAX_PLATFORMS`` set to the chosen backend and checks that jax gave it a
device of that kind, so a run asked for on a GPU never measures the CPU under a GPU
label.
"""

import json
import os
import subprocess
import sys
import time
from importlib import metadata

JAX_PLATFORMS = {"cpu": "cpu", "gpu": "cuda"}

_PROBE = """
import json, jax
devs = jax.devices()
d = devs[0]
info = dict(device_platform=d.platform, device_kind=d.device_kind, device_count=len(devs))
try:
    info["platform_version"] = d.client.platform_version
except Exception:
    pass
stats = d.memory_stats() or {}
if "bytes_limit" in stats:
    info["device_memory_limit_gb"] = round(stats["bytes_limit"] / 2**30, 1)
print("PROBE " + json.dumps(info))
"""


def worker_env(platform: str) -> dict:
    """The environment of a worker: jax restricted to `platform`'s backend."""
    return dict(os.environ, JAX_PLATFORMS=JAX_PLATFORMS[platform])


def check_device(platform: str) -> str:
    """In a worker: the kind of jax's first device; exits unless it is a `platform` one."""
    import jax
    dev = jax.devices()[0]
    if dev.platform != platform:
        raise SystemExit(f"asked for platform {platform!r} but jax's first device is "
                         f"{dev.platform!r} ({dev.device_kind})")
    return dev.device_kind


def device_mem_mb() -> dict:
    """jax's first device's allocator statistics in MB: the peak and current bytes in use
    since this process started and the allocator's limit; {} where the backend keeps
    none (``memory_stats()`` may be None on the CPU)."""
    import jax
    stats = jax.devices()[0].memory_stats() or {}
    names = dict(peak_bytes_in_use="peak_gpu_mem_mb", bytes_in_use="gpu_mem_in_use_mb",
                 bytes_limit="gpu_mem_limit_mb")
    return {name: stats[key] / 2**20 for key, name in names.items() if key in stats}


def _nvidia_smi() -> str | None:
    try:
        proc = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                               "--format=csv,noheader"], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None


def probe(platform: str) -> dict:
    """The device the workers will get, from a throwaway process with the workers'
    environment; exits with jax's message when `platform` has no device here."""
    cmd = [sys.executable, "-c", _PROBE]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=worker_env(platform),
                              timeout=300)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE ")]
        info, err = (json.loads(lines[-1][6:]) if lines else None), proc.stderr
    except subprocess.TimeoutExpired:
        info, err = None, "the probe timed out after 300 s"
    if info is None or info["device_platform"] != platform:
        found = (f"its first device is {info['device_platform']!r}" if info
                 else "jax failed to start it")
        raise SystemExit(
            f"--platform {platform}: no {platform} device here (JAX_PLATFORMS="
            f"{JAX_PLATFORMS[platform]}: {found}); nothing was measured. A GPU run needs "
            "jax with its CUDA plugin (jax[cuda12] or jax[cuda13]) and a visible NVIDIA GPU."
            "\nThe probe's last lines of stderr:\n" + "\n".join(err.strip().splitlines()[-6:]))
    plugins = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name.startswith("jax-cuda"):
            plugins[name] = dist.version
    return dict(info, requested=platform, jax_plugins=plugins, nvidia_smi=_nvidia_smi(),
                xla_env={k: v for k, v in os.environ.items() if k.startswith("XLA_")})


class Budget:
    """Wall-time budget of a run: ``expired()`` once `seconds` have passed; a worker
    started before then may run until `grace` seconds after (``timeout()``).
    ``seconds=None``: no budget, no timeout."""

    def __init__(self, seconds: float | None, grace: float = 60.0):
        self.seconds, self.grace = seconds, grace
        self.end = None if seconds is None else time.monotonic() + seconds

    def expired(self) -> bool:
        return self.end is not None and time.monotonic() > self.end

    def timeout(self) -> float | None:
        return None if self.end is None else max(30.0, self.end + self.grace - time.monotonic())


def describe_device(m: dict) -> str:
    """The device, driver, jax and host of a run, from its machine info (``m["device"]``
    from ``probe``), for a report's first line."""
    dev = m["device"]
    smi = (dev.get("nvidia_smi") or "").splitlines()
    parts = smi[0].split(", ") if smi else []
    text = dev["device_kind"] + (f" x {dev['device_count']}" if dev["device_count"] > 1 else "")
    if dev.get("device_memory_limit_gb"):
        text += f" ({dev['device_memory_limit_gb']} GB for XLA's allocator"
        text += f", driver {parts[1]})" if len(parts) > 1 else ")"
    plugins = ", ".join(f"{k} {v}" for k, v in dev.get("jax_plugins", {}).items())
    return (f"{text}; jax {m['jax']}, jaxlib {m['jaxlib']}" + (f", {plugins}" if plugins else "")
            + f", diffrax {m['diffrax']}, equinox {m['equinox']}; host {m['cpu']}, "
            f"{m['cores']} cores, {m['platform']}")
