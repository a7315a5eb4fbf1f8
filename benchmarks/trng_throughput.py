"""Random bits per second from the simulated VCMA junction-array TRNG, and the bit rate
the simulated device itself would deliver.

What is timed: ``run_trng`` of the VCMA preset (``spinjax.devices.vcma_mtj``) with the
precessional schedule (``precessional_schedule``: 20 ps delay, 30 ps edges, a plateau
so that the FWHM is half a precession period about H_x = 30 kA/m, 1.5 ns settling,
dt = 4 ps, 506 steps per cycle; two-point thermal increments), at the amplitude tuned to
p = 1/2 (bisection, 10 steps of 2048 writes), for N junctions x C cycles. Every bit is
the TMR read of one sLLG write.

- simulated bits/s = N C / t, t the median of the timed calls after one warm-up call
  (compilation excluded; the compile time is reported);
- device bits/s per junction = 1 / t_cycle, t_cycle = t_reset + t_write window +
  t_read = 1 ns + 2.024 ns + 1 ns (reset and read durations are assumptions of the
  schedule, stated in ``CycleSchedule``); the array delivers N / t_cycle.

Usage::

    python benchmarks/trng_throughput.py           # N = 1e3, 1e4, 1e5 (a few minutes)
    python benchmarks/trng_throughput.py --quick   # N = 1e3, 1e4, one timed call

Writes ``benchmarks/results/trng.json`` (``trng_quick.json`` with --quick) and, for a
full run, the section between the ``trng_throughput`` markers of benchmarks/README.md.
"""

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import jax  # noqa: E402

import harness as h  # noqa: E402

FULL = [(1_000, 40, 3), (10_000, 10, 3), (100_000, 2, 3)]   # (N, cycles, timed calls)
QUICK = [(1_000, 10, 1), (10_000, 4, 1)]


def measure(n, cycles, repeats, amplitude, device, schedule):
    from spinjax import trng

    def call(seed):
        t = time.perf_counter()
        run = trng.run_trng(device, schedule, jax.random.key(seed), amplitude, cycles=cycles,
                            junctions=n)
        run.bits.block_until_ready()
        return time.perf_counter() - t, run

    first, _ = call(0)
    times, runs = zip(*(call(1 + k) for k in range(repeats)))
    t = statistics.median(times)
    bits = runs[-1].bits
    return dict(junctions=n, cycles=cycles, bits=n * cycles, steps_per_cycle=schedule.steps,
                median_s=t, times_s=list(times), compile_s=max(first - t, 0.0),
                simulated_bits_per_s=n * cycles / t,
                junction_steps_per_s=n * cycles * schedule.steps / t,
                device_bits_per_s_array=n / schedule.cycle_s,
                bias=float(bits.mean()) - 0.5, loadavg=os.getloadavg())


def run_all(quick):
    from spinjax import trng
    from spinjax.devices import vcma_mtj
    device = vcma_mtj()
    schedule = trng.precessional_schedule(device)
    amplitude = float(trng.tune_amplitude(device, schedule, jax.random.key(123), 0.5, 0.85,
                                          1.15, junctions=2048, iterations=10))
    rows = []
    for n, cycles, repeats in (QUICK if quick else FULL):
        rows.append(measure(n, cycles, repeats, amplitude, device, schedule))
        r = rows[-1]
        print(f"N = {n:>7}: {r['simulated_bits_per_s']:.3g} simulated bits/s "
              f"({r['junction_steps_per_s']:.3g} junction-steps/s, "
              f"compile {r['compile_s']:.1f} s); "
              f"device: {r['device_bits_per_s_array']:.3g} bits/s", flush=True)
    return dict(machine=h.machine_info("quick" if quick else "full"),
                schedule=dict(cycle_s=schedule.cycle_s, t1_s=schedule.t1_s,
                              reset_s=schedule.reset_s, read_s=schedule.read_s,
                              dt_s=schedule.dt_s, steps=schedule.steps,
                              device_bits_per_s_per_junction=1 / schedule.cycle_s),
                amplitude_V=amplitude, rows=rows)


def section(res):
    m, s = res["machine"], res["schedule"]
    lines = [
        f"Measured {m['date']} ({m['mode']} mode) on {m['cpu']}, {m['cores']} cores, "
        f"{m['platform']}; jax {m['jax']}, diffrax {m['diffrax']}. spinjax: "
        f"{m['spinjax_start']}. Load average at the start: {m['loadavg_start'][0]:.2f}.",
        "",
        f"VCMA preset, precessional write at {res['amplitude_V']:.4f} V (tuned to p = 1/2), "
        f"{s['steps']} steps of {s['dt_s'] * 1e12:.0f} ps per cycle, two-point noise. Device "
        f"cycle {s['cycle_s'] * 1e9:.3f} ns = {s['reset_s'] * 1e9:.0f} ns reset (assumed) + "
        f"{s['t1_s'] * 1e9:.3f} ns write and settle (simulated) + {s['read_s'] * 1e9:.0f} ns "
        f"read (assumed): {s['device_bits_per_s_per_junction'] / 1e6:.0f} Mb/s per junction.",
        "",
        "| N | cycles | simulated bits/s | junction-steps/s | compile s | device bits/s (array) "
        "| device / simulation |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res["rows"]:
        lines.append(
            f"| {r['junctions']:.0e}".replace("e+0", "e")
            + f" | {r['cycles']} | {r['simulated_bits_per_s']:.3g} | "
            f"{r['junction_steps_per_s']:.3g} | {r['compile_s']:.1f} | "
            f"{r['device_bits_per_s_array']:.3g} | "
            f"{r['device_bits_per_s_array'] / r['simulated_bits_per_s']:.2g} |")
    return "\n".join(lines)


def main(argv=None):
    h.in_process_main(__doc__, run_all, section, "trng_throughput", "TRNG throughput",
                      quick="N = 1e3, 1e4, one timed call", stem="trng", argv=argv)


if __name__ == "__main__":
    main()
