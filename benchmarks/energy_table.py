"""Energy per random bit and energy x area per bit: junction TRNGs against software PRNGs.

The form of paper A's comparison (Cheng et al., Nat. Commun. 16, 5022, 2025: "about
10^3 better energy-per-bit-per-area than conventional hardware"; its full text was not
available to us). Its metric is read here as the product E_bit x A
(J um^2 per bit, lower is better): the energy of one random bit times the silicon
footprint that produces it. Every number below is either computed by spinjax from a
preset or stated as an assumption in ASSUMPTIONS (written into the JSON and README).

Devices (energies from ``spinjax.devices.energy``; E_bit = E_write + E_reset + E_read):

- vcma: the precessional write of ``precessional_schedule`` at the amplitude tuned to
  p = 1/2 (simulated: bisection, 10 x 2048 writes), E_write from
  ``barrier_write_energy_J`` (V^2/R integrated over the pulse + C V^2) in the parallel
  state (the state the write starts from); the reset counted as a second write of the
  same energy (assumption); read at 0.1 V for 1 ns (``read_energy_J``, antiparallel:
  the larger conductance bound is parallel, both given).
- stt: a 5 ns pulse into the antiparallel state (V < 0) at the amplitude tuned to
  p = 1/2 (simulated); reset counted as one more write of the same energy (assumption).
- sot: channel write ``channel_write_energy_J`` of a 2 ns pulse at J = 2 J_c0 (an
  assumed operating point, NOT simulated: the TRNG driver here writes by voltage; the
  preset's J_c0 = 3.8 MA/cm^2 is from its docstring), reset the same; read through
  the barrier.
- superparamagnetic: no write: one read per bit of the telegraph noise (reads spaced
  beyond the correlation time, assumed), E_bit = E_read.

Area: the junction footprint (free-layer area; for SOT the channel's 200 x 400 nm).
An access transistor and sense amplifier add area and energy (a 1T1MTJ cell is of
order 10^-2 um^2 at advanced nodes); they are left out, as device-level comparisons do.

Conventional hardware:

- CPU (measured throughput): ``jax.random.bits`` (threefry2x32, uint32, jitted, 2^22
  words per call) on this machine's 2 cores; power and area assumed (ASSUMPTIONS).
- GPU (not measured: no GPU here): an NVIDIA H100 SXM at its 700 W board power, with
  random-bit generation taken as bound by HBM3 write bandwidth, 3.35 TB/s (datasheet)
  = 2.7e13 bits/s, an optimistic rate (a cuRAND Philox kernel that stores its output
  cannot write faster); die 814 mm^2.

Usage::

    python benchmarks/energy_table.py           # about a minute
    python benchmarks/energy_table.py --quick   # fewer timing repeats, smaller tuning

Writes ``benchmarks/results/energy.json`` (``energy_quick.json`` with --quick) and, for a
full run, the section between the ``energy_table`` markers of benchmarks/README.md.
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
import jax.numpy as jnp  # noqa: E402

import harness as h  # noqa: E402

UM2 = 1e-12  # m^2 per um^2

ASSUMPTIONS = {
    "cpu_power_W": (12.5, "2 cores' share of a 56-core, 350 W Xeon (Sapphire Rapids 8480+ "
                          "class; the VM reports 'Intel(R) Xeon(R) Processor' with AMX): "
                          "2 x 350/56 W"),
    "cpu_area_mm2": (57.0, "2 cores' share of about 1600 mm^2 of silicon for 56 cores "
                           "(4 tiles of about 400 mm^2): 2 x 28.5 mm^2"),
    "gpu_power_W": (700.0, "NVIDIA H100 SXM board power (datasheet)"),
    "gpu_bits_per_s": (3.35e12 * 8, "HBM3 write bandwidth 3.35 TB/s (H100 SXM datasheet) "
                                    "as the bound on stored random bits; not measured"),
    "gpu_area_mm2": (814.0, "GH100 die (NVIDIA)"),
    "read": ((0.1, 1e-9), "read at 0.1 V for 1 ns, one read per bit"),
    "reset": (1.0, "reset energy = one more write of the same energy"),
    "sot_operating_point": ((2.0, 3.8e10, 2e-9), "J = 2 J_c0, J_c0 = 3.8e10 A/m^2 (sot_mtj "
                                                 "docstring), 2 ns pulse, 50 ps edges; not "
                                                 "simulated"),
    "stt_pulse_s": (5e-9, "STT write pulse width (100 ps edges), amplitude tuned to p = 1/2"),
}


def cpu_prng_rate(repeats):
    n = 2**22
    f = jax.jit(lambda k: jax.random.bits(k, (n,), jnp.uint32))
    f(jax.random.key(0)).block_until_ready()
    times = []
    for i in range(repeats):
        t = time.perf_counter()
        f(jax.random.key(i + 1)).block_until_ready()
        times.append(time.perf_counter() - t)
    return 32 * n / statistics.median(times), times


def device_rows(quick):
    from spinjax import trng
    from spinjax import Trapezoid
    from spinjax.devices import (barrier_write_energy_J, channel_write_energy_J, read_energy_J,
                                 sot_mtj, stt_mtj, superparamagnetic_mtj, vcma_mtj)
    n_tune = 512 if quick else 2048
    v_read, t_read = ASSUMPTIONS["read"][0]
    rows = []

    def row(name, dev, e_write, area_m2, note, amplitude=None, bit_rate=None):
        e_read = float(read_energy_J(dev, v_read, t_read, "parallel"))
        e_read_ap = float(read_energy_J(dev, v_read, t_read, "antiparallel"))
        e_bit = 2 * e_write + e_read if e_write else e_read
        rows.append(dict(device=name, amplitude=amplitude, write_J=e_write, reset_J=e_write,
                         read_J=e_read, read_ap_J=e_read_ap, bit_J=e_bit,
                         area_um2=area_m2 / UM2, bit_J_um2=e_bit * area_m2 / UM2,
                         device_bits_per_s=bit_rate, note=note))

    dev = vcma_mtj()
    sch = trng.precessional_schedule(dev)
    amp = float(trng.tune_amplitude(dev, sch, jax.random.key(1), 0.5, 0.85, 1.15,
                                    junctions=n_tune, iterations=10))
    e_w = float(barrier_write_energy_J(dev, sch.pulse(amp), "parallel"))
    row("vcma (precessional)", dev, e_w, float(dev.area_m2),
        f"{amp:.3f} V, {sch.width_s * 1e9 + sch.edge_s * 1e9:.2f} ns FWHM, simulated p = 1/2",
        amp, 1 / sch.cycle_s)

    dev = stt_mtj()
    t_p = ASSUMPTIONS["stt_pulse_s"][0]
    sch = trng.CycleSchedule(start_s=20e-12, width_s=t_p, edge_s=100e-12, settle_s=0.5e-9,
                             dt_s=4e-12)
    amp = float(trng.tune_amplitude(dev, sch, jax.random.key(2), 0.5, -1.5, -0.6,
                                    junctions=n_tune // 2, iterations=10))
    e_w = float(barrier_write_energy_J(dev, sch.pulse(amp), "parallel"))
    row("stt", dev, e_w, float(dev.area_m2),
        f"{amp:.3f} V, {t_p * 1e9:.0f} ns, simulated p = 1/2", amp, 1 / sch.cycle_s)

    dev = sot_mtj()
    k, jc0, t_p = ASSUMPTIONS["sot_operating_point"][0]
    pulse = Trapezoid(k * jc0, 0.0, t_p, 50e-12, 50e-12)
    e_w = float(channel_write_energy_J(dev, pulse))
    row("sot", dev, e_w, 200e-9 * 400e-9,
        f"J = {k:g} J_c0 for {t_p * 1e9:.0f} ns (assumed, not simulated); area = channel",
        k * jc0, 1 / (t_p + 2e-9))

    dev = superparamagnetic_mtj()
    row("superparamagnetic", dev, 0.0, float(dev.area_m2),
        "no write: one read of the telegraph noise per bit", None, None)
    return rows


def run_all(quick):
    rate, times = cpu_prng_rate(3 if quick else 7)
    a = {k: v[0] for k, v in ASSUMPTIONS.items()}
    cpu_bit = a["cpu_power_W"] / rate
    gpu_bit = a["gpu_power_W"] / a["gpu_bits_per_s"]
    baselines = [
        dict(name="CPU: jax.random.bits (threefry), measured here", bits_per_s=rate,
             power_W=a["cpu_power_W"], bit_J=cpu_bit, area_um2=a["cpu_area_mm2"] * 1e6,
             bit_J_um2=cpu_bit * a["cpu_area_mm2"] * 1e6, times_s=times),
        dict(name="GPU: H100 SXM, HBM-bandwidth bound (stated, not measured)",
             bits_per_s=a["gpu_bits_per_s"], power_W=a["gpu_power_W"], bit_J=gpu_bit,
             area_um2=a["gpu_area_mm2"] * 1e6, bit_J_um2=gpu_bit * a["gpu_area_mm2"] * 1e6),
    ]
    rows = device_rows(quick)
    for r in rows:
        r["vs_cpu"] = baselines[0]["bit_J_um2"] / r["bit_J_um2"]
        r["vs_gpu"] = baselines[1]["bit_J_um2"] / r["bit_J_um2"]
        r["energy_vs_cpu"] = baselines[0]["bit_J"] / r["bit_J"]
        r["energy_vs_gpu"] = baselines[1]["bit_J"] / r["bit_J"]
    return dict(machine=h.machine_info("quick" if quick else "full"),
                assumptions={k: dict(value=v[0], why=v[1]) for k, v in ASSUMPTIONS.items()},
                baselines=baselines, devices=rows)


def _value(v):
    """An assumption's value as in ``ASSUMPTIONS`` (a JSON file reads tuples as lists)."""
    return tuple(v) if isinstance(v, list) else v


def section(res):
    m = res["machine"]
    out = [f"Measured {m['date']} ({m['mode']} mode) on {m['cpu']}, {m['cores']} cores; "
           f"jax {m['jax']}. spinjax: {m['spinjax_start']}.", "",
           "E_bit = write + reset + read (J); figure of merit E_bit x A (J um^2 per bit, "
           "lower is better); the last columns are how many times lower than the CPU and "
           "the GPU baselines (energy alone in brackets).", "",
           "| source | operating point | E_write J | E_read J | E_bit J | area um^2 | "
           "E_bit x A J um^2 | x CPU | x GPU |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["devices"]:
        out.append(f"| {r['device']} | {r['note']} | {r['write_J']:.3g} | {r['read_J']:.3g} | "
                   f"{r['bit_J']:.3g} | {r['area_um2']:.3g} | {r['bit_J_um2']:.3g} | "
                   f"{r['vs_cpu']:.2g} ({r['energy_vs_cpu']:.2g}) | "
                   f"{r['vs_gpu']:.2g} ({r['energy_vs_gpu']:.2g}) |")
    for b in res["baselines"]:
        out.append(f"| {b['name']} | {b['bits_per_s']:.3g} bits/s at {b['power_W']:g} W | | | "
                   f"{b['bit_J']:.3g} | {b['area_um2']:.3g} | {b['bit_J_um2']:.3g} | | |")
    vc = res["devices"][0]
    out += ["", f"Reading the table. Energy alone, the simulated VCMA write (with its reset and "
            f"read) is {vc['energy_vs_gpu']:.2g} times below the GPU bound and "
            f"{vc['energy_vs_cpu']:.2g} times below the CPU, the order of paper A's 'about "
            "10^3'. The product E_bit x A gives ratios of 10^13 and more, because a junction's "
            "footprint is 10^-3 um^2 against 10^8 um^2 of processor silicon: paper A's exact "
            "normalization is not known to us (its full text was not available), so both are "
            "given and neither is claimed to be its number. Access transistors, sense "
            "amplifiers, pulse generators and the debiasing logic are not counted for the "
            "devices; the whole package or board is counted for the CPU and GPU."]
    out += ["", "Assumptions (each also in the JSON):", ""]
    out += [f"- `{k}` = {_value(v['value'])}: {v['why']}." for k, v in res["assumptions"].items()]
    return "\n".join(out)


def main(argv=None):
    h.in_process_main(__doc__, run_all, section, "energy_table", "Energy and area per random bit",
                      quick="fewer timing repeats, smaller tuning", stem="energy", argv=argv)


if __name__ == "__main__":
    main()
