"""The one harness of the benchmark scripts: the platform, worker processes, the time
budget, the machine record, the results JSON and the README section.

A benchmark script keeps its cases (its sizes, as constants), its measurement (a
function that times one case and returns a row, a dict) and its report (a function from
the results dict to a Markdown section); ``benchmarks/`` is on ``sys.path`` when a
script runs, so ``import harness as h`` gives it the rest. Its ``main``:

1. ``ap = h.parser(__doc__, quick=..., budget=...)`` for the common flags, then its own;
2. ``if h.rendered(args, report, "my_bench", "My benchmark"): return`` (``--report JSON
   [--write-readme]``: the section of an existing JSON, nothing measured);
3. measure: in its own process after ``h.use_platform(args.platform)`` (before jax makes
   an array), or from a driver on the CPU (``h.use_platform("cpu")``) that runs each case
   in a fresh worker, ``h.one_row(case, *h.run_worker(__file__, [...], args.platform,
   budget))``, where the worker (``--worker``) hands back its row with ``h.emit(row)``
   and ``h.Budget(seconds)`` stops what would overrun;
4. record the machine: ``h.machine_record(mode, platform)`` at the start (on a GPU it
   probes the device and exits without one), ``h.finish_machine(m, t0)`` at the end;
5. ``h.save(res, report(res), "my_bench", args.platform, args.quick, "My benchmark")``:
   ``results/my_bench[_gpu][_quick].json`` and, for a full run, the section between the
   ``<!-- my_bench[_gpu]:start -->`` and ``<!-- my_bench[_gpu]:end -->`` markers of
   ``benchmarks/README.md`` (appended under the title and the command if they are absent).

A CPU-only script that measures in its own process can hand its command line to
``h.in_process_main``. ``--platform gpu`` runs jax on CUDA (``JAX_PLATFORMS=cuda``);
``check_device`` in a worker refuses to measure the CPU under a GPU label.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform as host
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS, README = HERE / "results", HERE / "README.md"
JAX_PLATFORMS = {"cpu": "cpu", "gpu": "cuda"}


# ---------------------------------------------------------------- platform

def use_platform(platform: str, also_cpu: bool = False) -> None:
    """Restrict jax in this process to `platform`'s backend (with ``also_cpu``, the CPU
    too). Call it before jax makes its first array; if jax is already imported its
    config is updated as well."""
    value = JAX_PLATFORMS[platform] + (",cpu" if also_cpu and platform != "cpu" else "")
    os.environ["JAX_PLATFORMS"] = value
    if "jax" in sys.modules:
        sys.modules["jax"].config.update("jax_platforms", value)


def worker_env(platform: str, **extra: str) -> dict:
    """The environment of a worker: jax restricted to `platform`'s backend."""
    return dict(os.environ, JAX_PLATFORMS=JAX_PLATFORMS[platform], **extra)


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
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                              env=worker_env(platform), timeout=300)
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


# ---------------------------------------------------------------- workers and budget

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

    def spent(self) -> str:
        return f"the time budget of {self.seconds:.0f} s was spent"


def emit(row: dict) -> None:
    """In a worker: hand one row to the driver (a ``RESULT`` line on stdout)."""
    print("RESULT " + json.dumps(row), flush=True)


def run_worker(script, argv: list, platform: str, budget: Budget | float | None = None,
               env: dict | None = None, log=None) -> tuple[list, str | None]:
    """Run ``python script *argv --platform platform`` with jax on `platform` and return
    (the rows it emitted, None) or (the rows emitted before it failed, why). The worker
    is stopped at the budget's ``timeout()`` (or after `budget` seconds); its finished
    rows are kept. `log` sees each row as it comes."""
    timeout = budget.timeout() if isinstance(budget, Budget) else budget
    cmd = [sys.executable, str(script), *map(str, argv), "--platform", platform]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env or worker_env(platform))
    err: list = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    timer = threading.Timer(timeout, proc.kill) if timeout is not None else None
    if timer:
        timer.start()
    rows = []
    for line in proc.stdout:
        if line.startswith("RESULT "):
            rows.append(json.loads(line[7:]))
            if log:
                log(line[7:].rstrip()[:300])
    rc = proc.wait()
    if timer:
        timer.cancel()
    reader.join()
    if rc == -9 and timeout is not None:
        return rows, f"timed out after {timeout:.0f} s"
    return rows, (f"rc {rc}: " + "".join(err).strip()[-2000:] if rc or not rows else None)


def one_row(case: dict, rows: list, failure: str | None) -> dict:
    """The row of a one-case worker, or `case` with the error."""
    return rows[-1] if rows and failure is None else dict(case, error=failure or "no result")


def keep_fastest(best: dict, key, row: dict) -> None:
    """Keep the faster row of `key` over several passes (other load only slows a pass
    down) and every pass's rate under ``rates_by_round``."""
    old = best.get(key, {})
    rates = old.get("rates_by_round", []) + [row.get("junction_steps_per_s")]
    if row.get("junction_steps_per_s", 0) >= old.get("junction_steps_per_s", 0):
        best[key] = row
    best[key]["rates_by_round"] = rates


# ---------------------------------------------------------------- memory of a process

def vm_mb(field: str = "VmHWM") -> float:
    """A /proc/self/status memory field in MB; ``VmHWM``, the peak resident memory,
    starts afresh in a new process (``ru_maxrss`` carries the parent's over fork)."""
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(ln.split()[1]) for ln in status if ln.startswith(field + ":")) / 1024


peak_mem_mb = vm_mb  # the peak resident memory of this process (VmHWM) in MB


def reset_peak_mem() -> bool:
    """Restart the count of VmHWM at the current RSS (Linux >= 4.0: write 5 to
    ``/proc/self/clear_refs``); False where that is refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------- machine record

def source_version() -> str:
    """The git commit and a sha256 of spinjax's sources: which spinjax was measured."""
    digest = hashlib.sha256()
    for path in sorted((HERE.parent / "spinjax").rglob("*.py")):
        digest.update(path.read_bytes())
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE.parent,
                         capture_output=True, text=True).stdout.strip()
    return f"{git or 'unknown'} sources {digest.hexdigest()[:12]}"


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def version(pkg: str) -> str | None:
    return next((d.version for d in metadata.distributions(name=pkg)), None)


def machine_info(mode: str) -> dict:
    """The host (CPU model, cores, memory, OS), the versions of jax, jaxlib, diffrax,
    equinox, numpy and cmtj, the date, the load average and spinjax's source version."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text()
                .splitlines() if ln.startswith("model name")), host.processor())
    mem_kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                  if ln.startswith("MemTotal"))
    return dict(cpu=cpu, cores=os.cpu_count(), memory_gb=round(mem_kb / 2**20, 1),
                platform=host.platform(), python=host.python_version(),
                **{pkg: version(pkg) for pkg in ("jax", "jaxlib", "diffrax", "equinox",
                                                  "numpy", "cmtj")},
                date=now(), mode=mode, loadavg_start=os.getloadavg(),
                spinjax_start=source_version())


def machine_record(mode: str, platform: str) -> dict:
    """``machine_info`` and, on a GPU, ``device``: what ``probe`` found (it exits when
    there is no GPU). For a driver whose workers run the measurement."""
    m = machine_info(mode)
    return dict(m, device=probe(platform)) if platform == "gpu" else m


def finish_machine(m: dict, t0: float | None = None, **more) -> dict:
    """The machine record at the end of a run: load average, spinjax's source version
    (to see a change during the run) and, from `t0` (``time.perf_counter()``), the
    run's total seconds."""
    m.update(loadavg_end=os.getloadavg(), spinjax_end=source_version(), **more)
    if t0 is not None:
        m["total_s"] = time.perf_counter() - t0
    return m


def device_record() -> dict:
    """jax's first device in this process, jax's versions, the host and the date (the
    record of the scripts that measure in their own process)."""
    import jax
    d = jax.devices()[0]
    return dict(device=d.device_kind, platform=d.platform, device_count=len(jax.devices()),
                jax=jax.__version__, jaxlib=version("jaxlib"),
                host=host.processor() or host.machine(), cores=os.cpu_count(),
                date=datetime.date.today().isoformat())


# ---------------------------------------------------------------- results and README

def result_path(stem: str, platform: str = "cpu", quick: bool = False) -> Path:
    return RESULTS / f"{stem}{'_gpu' * (platform == 'gpu')}{'_quick' * quick}.json"


def write_json(path: Path, data) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=float) + "\n")
    return path


def replace_section(name: str, text: str, intro: str, path: Path = README) -> None:
    """Put `text` between the ``<!-- name:start -->`` and ``<!-- name:end -->`` markers
    of `path`. If they are absent, first append `intro` (a heading and how to run the
    script) and the markers; a missing README is created. Text outside the markers is
    kept as it is."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text_now = path.read_text() if path.exists() else "# Benchmarks\n"
    if start not in text_now:
        text_now = text_now.rstrip("\n") + "\n\n" + intro.strip("\n") + f"\n\n{start}\n{end}\n"
    head, rest = text_now.split(start, 1)
    path.write_text(f"{head}{start}\n{text}\n{end}{rest.split(end, 1)[1]}")


def publish(section: str, text: str, title: str, platform: str = "cpu",
            command: str | None = None) -> None:
    """`text` as the ``section[_gpu]`` section of benchmarks/README.md; a new section
    is headed `title` (and the platform) and the command that makes it."""
    gpu = platform == "gpu"
    command = command or f"python benchmarks/{Path(sys.argv[0]).name}" + " --platform gpu" * gpu
    replace_section(section + "_gpu" * gpu, text,
                    f"## {title} ({platform.upper()})\n\n`{command}`; see its docstring.")


def save(res: dict, text: str, section: str, platform: str, quick: bool, title: str,
         out: Path | None = None, stem: str | None = None, quick_json: bool = True,
         readme: bool | None = None) -> Path | None:
    """Write `res` to `out` (default ``results/<stem>[_gpu][_quick].json``, `stem`
    defaulting to `section`; a quick run without `out` writes none if not
    `quick_json`), publish `text` if `readme` (default: a full run) and print it."""
    path = None
    if out is not None or quick_json or not quick:
        path = write_json(out or result_path(stem or section, platform, quick), res)
    if (not quick) if readme is None else readme:
        publish(section, text, title, platform)
    print(text + (f"\n\n(wrote {path})" if path else ""))
    return path


# ---------------------------------------------------------------- command line

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parser(doc: str, *, quick: str | None = None, platform: bool = True,
           budget: str | None = None, report: bool = True) -> argparse.ArgumentParser:
    """The common flags: ``--quick`` (its help `quick`), ``--platform cpu|gpu``,
    ``--budget-s`` (its help `budget`) and ``--report JSON [--write-readme]``."""
    ap = _Parser(prog=Path(sys.argv[0]).name, description=doc.splitlines()[0])
    if quick:
        ap.add_argument("--quick", action="store_true", help=quick)
    if platform:
        ap.add_argument("--platform", choices=("cpu", "gpu"), default="cpu",
                        help="jax backend of the measurement (gpu: JAX_PLATFORMS=cuda)")
    if budget:
        ap.add_argument("--budget-s", type=float, default=None, help=budget)
    if report:
        ap.add_argument("--report", type=Path, default=None,
                        help="only print the section of an existing results JSON")
        ap.add_argument("--write-readme", action="store_true",
                        help="with --report: also put the section in benchmarks/README.md")
    return ap


def rendered(args, report, section: str, title: str = "") -> bool:
    """With ``--report JSON``: print `report` of that JSON and, with
    ``--write-readme``, publish it; True when that was asked (nothing to measure)."""
    if getattr(args, "report", None) is None:
        return False
    res = json.loads(args.report.read_text())
    text = report(res)
    if args.write_readme:
        plat = res.get("platform") or res.get("machine", {}).get("platform")
        publish(section, text, title or section, "gpu" if plat == "gpu" else "cpu")
    print(text)
    return True


def in_process_main(doc: str, run_all, report, section: str, title: str, quick: str,
                    stem: str | None = None, argv=None) -> None:
    """The whole ``main`` of a script that measures in its own process on the CPU:
    ``--quick`` (help `quick`) and ``--report``; ``run_all(quick)`` makes the results."""
    args = parser(doc, quick=quick, platform=False).parse_args(argv)
    if not rendered(args, report, section, title):
        res = run_all(args.quick)
        save(res, report(res), section, "cpu", args.quick, title, stem=stem)
