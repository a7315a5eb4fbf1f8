"""The ``spinjax`` command line: each experiment as a subcommand writing JSON and PNG.

    spinjax psw-map  --device vcma --amplitudes 0.8:1.8:11 --widths 0.3e-9,0.47e-9 --out out/
    spinjax window   --device vcma --amplitude 1.61 --widths 0.1e-9:1.0e-9:37 --out out/
    spinjax wer      --device vcma --amplitude 1.61 --width 0.45e-9 --trials 1000000
    spinjax rh-loop  --device stt --h-max 2.2e5 --sweep-time 200e-9 --n 64
    spinjax pump-probe --bar w --out out/
    spinjax harmonic-hall --bar pt --out out/
    spinjax trng     --out out/
    spinjax fit data.csv --init compensation_V=1.6,xi=80e-15,bias_field_A_per_m=3e4

``spinjax <command> --help`` lists each command's options. Every command writes
``<out>/<command>.json`` (the result and the arguments that produced it) and
``<out>/<command>.png``.
"""

import argparse
import datetime
import json
import pathlib
import sys

import numpy as np

_PRESETS = ("vcma", "stt", "sot", "superparamagnetic")
_DRIVE_OF = {"vcma": "voltage_V", "stt": "voltage_V", "superparamagnetic": "voltage_V",
             "sot": "j_sot_A_per_m2"}
_SPREADS = {"diameter_m": 0.03, "thickness_m": 0.01, "K_i0": 0.01, "alpha": 0.1, "Ms": 0.01}


def _grid(text: str) -> np.ndarray:
    """'a:b:n' (n points from a to b) or 'x,y,z'."""
    if ":" in text:
        a, b, n = text.split(":")
        return np.linspace(float(a), float(b), int(n))
    return np.array([float(x) for x in text.split(",")])


def _device(args):
    import jax
    from . import devices
    preset = getattr(devices, f"{args.device}_mtj")
    kw = {"temperature_K": args.temperature}
    if not args.variation:
        return preset(**kw)
    import inspect
    names = inspect.signature(preset).parameters
    spreads = {k: devices.Normal(v) for k, v in _SPREADS.items() if k in names}
    return devices.sample_devices(jax.random.key(args.seed + 1), preset, args.n, spreads, **kw)


def _write(args, name, result, extra=None):
    from . import __version__
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    record = {"command": name, "arguments": {k: v for k, v in vars(args).items()
                                             if k != "func"},
              "spinjax_version": __version__,
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
              "result": result.to_json(), **(extra or {})}
    (out / f"{name}.json").write_text(json.dumps(record, indent=1))
    result.plot(out / f"{name}.png")
    print(f"wrote {out / name}.json and {out / name}.png")
    return record


def _psw_map(args):
    import jax
    from .experiments import switching_map
    res = switching_map(_device(args), _grid(args.amplitudes), _grid(args.widths), n=args.n,
                        key=jax.random.key(args.seed), dt=args.dt,
                        input_name=_DRIVE_OF[args.device])
    _write(args, "psw-map", res)
    for i, w in enumerate(res.widths_s):
        print(f"width {w * 1e9:.3g} ns: " + " ".join(f"{p:.3f}" for p in res.p[i]))


def _window(args):
    import jax
    from .experiments import first_maximum, half_precession_period_s, switching_map
    widths = _grid(args.widths)
    dev = _device(args)
    res = switching_map(dev, [args.amplitude], widths, n=args.n,
                        key=jax.random.key(args.seed), dt=args.dt, edge_s=args.edge,
                        input_name=_DRIVE_OF[args.device])
    peak = first_maximum(widths + args.edge, res.p[:, 0])
    extra = {"first_maximum_s": peak}
    if args.device == "vcma":
        bias = float(np.asarray(dev.model.fields[2].bias_A_per_m)[..., 0].mean())
        extra["half_precession_period_s"] = half_precession_period_s(bias)
    _write(args, "window", res, extra)
    print(f"first maximum of P_sw at {peak * 1e9:.3f} ns (plateau + one edge)"
          + (f"; pi/(gamma0 H_x) = {extra['half_precession_period_s'] * 1e9:.3f} ns"
             if "half_precession_period_s" in extra else ""))


class _WERPlot:
    def __init__(self, res):
        self.res = res

    def to_json(self):
        return self.res.to_json()

    def plot(self, path):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        j = self.res.to_json()
        fig, ax = plt.subplots(figsize=(4, 3.5))
        hi = j["wilson95_high"]
        ax.errorbar([0], [max(j["wer"], 1e-12)], yerr=[[max(j["wer"], 1e-12) - max(
            j["wilson95_low"], 1e-12)], [hi - j["wer"]]], marker="o", capsize=3)
        ax.set(yscale="log", ylabel="write error rate (Wilson 95 %)", xticks=[],
               title=f"{j['errors']} errors / {j['trials']} trials")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)


def _wer(args):
    import jax
    from .experiments import write_error_rate
    if args.variation:
        args.n = args.batch
    res = write_error_rate(_device(args), args.amplitude, args.width, trials=args.trials,
                           key=jax.random.key(args.seed), batch=args.batch, dt=args.dt,
                           input_name=_DRIVE_OF[args.device])
    _write(args, "wer", _WERPlot(res))
    j = res.to_json()
    print(f"WER = {j['wer']:.3g} ({j['errors']} / {j['trials']}), Wilson 95 % "
          f"[{j['wilson95_low']:.3g}, {j['wilson95_high']:.3g}]")


def _rh_loop(args):
    import jax
    from .experiments import rh_loop
    res = rh_loop(_device(args), args.h_max, n=args.n, key=jax.random.key(args.seed),
                  sweep_time_s=args.sweep_time, h_min_A_per_m=args.h_min, dt=args.dt)
    _write(args, "rh-loop", res)
    print(f"coercive field {res.coercive_field_A_per_m:.4g} A/m, loop shift "
          f"{res.shift_A_per_m:.4g} A/m")


def _bar(name, **kw):
    from . import devices
    return (devices.w_cofeb if name == "w" else devices.pt_cofeb)(**kw)


def _pump_probe(args):
    import jax
    from .devices import liu_critical_current
    from .experiments import run_pump_probe
    bar = _bar(args.bar, temperature_K=args.temperature)
    jc0 = float(liu_critical_current(bar))
    hk = float(bar.anisotropy_fields()[0])
    res = run_pump_probe(bar, np.linspace(-1.6, 1.6, args.pumps) * jc0, _grid(args.widths),
                         np.linspace(-1.5, 0.3, 13) * hk, j_probe=0.1 * jc0, h_x=0.2 * hk,
                         dt=args.dt, key=jax.random.key(args.seed))
    _write(args, "pump-probe", res)
    g = res.given
    print(f"J_c0 = {res.j_c0:.4g} A/m^2 (switching current given {g['j_switch']:.4g}, "
          f"Liu's J_c0 {g['j_c0_liu']:.4g}); field per current density "
          f"{res.h_per_j:.4g} (given {g['h_per_j']:.4g}) A/m per A/m^2; "
          f"xi_DL by Liu's formula {res.xi_dl_liu:.3g} (given {g['xi_dl']:.3g})")


def _harmonic_hall(args):
    from .experiments import harmonic_hall
    # The analytic formula (Avci et al. 2014) is quasi-static: a damping of 0.05 keeps
    # the relaxation far faster than the current's 20 MHz; no in-plane anisotropy, so
    # the field sets the angle.
    bar = _bar(args.bar, temperature_K=0.0, alpha=0.05, H_k_A_per_m=0.0)
    phi = np.deg2rad(np.linspace(0.0, 360.0, args.angles, endpoint=False))
    res = harmonic_hall(bar, phi, args.field, args.j0, frequency_hz=args.frequency,
                        dt=args.dt, samples_per_period=250)
    _write(args, "harmonic-hall", res)
    err = np.max(np.abs(res.v2w - res.v2w_analytic)) / np.max(np.abs(res.v2w_analytic))
    print(f"V_2w against the analytic harmonic-Hall formula: max deviation {err:.2%} "
          f"of its amplitude")


class _TRNGReport:
    """Bits of a tuned junction array, their statistics and the NIST verdict."""

    def __init__(self, amplitude, bits, xor_k, pvalues, cycle_s):
        from . import _trng as trng
        from ._bits.debias import xor_streams
        self.amplitude, self.cycle_s, self.xor_k = amplitude, cycle_s, xor_k
        self.bits = np.asarray(bits)
        self.per_junction = np.asarray(trng.bias_per_junction(self.bits))
        self.lag1 = float(trng.lag1_correlation(self.bits, pooled=True))
        out = self.bits
        if xor_k > 1:  # XOR of k junctions' streams (columns), same cycles
            n = out.shape[1] // xor_k * xor_k
            out = np.asarray(xor_streams(out[:, :n], xor_k, axis=1))
        self.out = out
        self.pvalues = pvalues(out) if pvalues else None

    def to_json(self):
        j = {"amplitude_V": self.amplitude, "cycle_s": self.cycle_s,
             "bits_per_s_per_junction": 1 / self.cycle_s,
             "raw_bits": int(self.bits.size), "raw_mean": float(self.bits.mean()),
             "per_junction_bias_mean": float(self.per_junction.mean()),
             "per_junction_bias_std": float(self.per_junction.std()),
             "lag1_correlation": self.lag1, "xor_k": self.xor_k,
             "output_bits": int(self.out.size), "output_mean": float(self.out.mean())}
        if self.pvalues is not None:
            j["nist_pvalues"] = self.pvalues
            j["nist_failures_at_1pct"] = [k for k, p in self.pvalues.items() if p < 0.01]
        return j

    def plot(self, path):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
        ax[0].hist(self.per_junction, bins=30)
        ax[0].set(xlabel="per-junction bias p - 1/2", ylabel="junctions")
        ax[1].imshow(self.bits[:64, :256], cmap="gray", interpolation="nearest",
                     aspect="auto")
        ax[1].set(xlabel="junction", ylabel="cycle", title="raw bits")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)


def _trng_cmd(args):
    import jax
    from . import _trng as trng
    from .devices import vcma_mtj
    dev = vcma_mtj(temperature_K=args.temperature)
    sched = trng.precessional_schedule(dev)
    key = jax.random.key(args.seed)
    amp = float(trng.tune_amplitude(dev, sched, jax.random.fold_in(key, 1), args.target,
                                    args.lo, args.hi, junctions=args.tune_junctions,
                                    averaging_iterations=args.averaging))
    run = trng.run_trng(dev, sched, jax.random.fold_in(key, 2), amp, cycles=args.cycles,
                        junctions=args.n)
    report = _TRNGReport(amp, run.bits, args.xor, None if args.no_nist else
                         trng.nist_pvalues, run.cycle_s)
    _write(args, "trng", report)
    j = report.to_json()
    print(f"amplitude {amp:.4f} V; {j['raw_bits']} raw bits, mean {j['raw_mean']:.4f}, "
          f"lag-1 correlation {j['lag1_correlation']:+.4f}; "
          + (f"NIST failures at 1 %: {j['nist_failures_at_1pct']}" if "nist_pvalues" in j
             else "NIST not run"))


def _fit(args):
    import jax
    from ._fitting import fit_switching, read_csv
    from ._fitting.vcma_params import vcma_mtj_compensation
    data = read_csv(args.csv)
    init = {}
    for item in args.init.split(","):
        name, _, value = item.partition("=")
        init[name.strip()] = float(value)
    res = fit_switching(data, init, jax.random.key(args.seed), preset=vcma_mtj_compensation,
                        n_pairs=args.n_pairs, max_steps=args.steps, rel_scale=args.rel_scale,
                        log=lambda e: print(f"step {e['step']}: " + ", ".join(
                            f"{k} = {v:.5g}" for k, v in e["params"].items())
                            + f"; -log L = {e['nll']:.3g}"))
    _write(args, "fit", res)
    for k in res.names:
        lo, hi = res.interval(k)
        print(f"{k} = {res.params[k]:.5g} +- {res.sigma[k]:.2g} (95 %: [{lo:.5g}, {hi:.5g}])")
    print("correlation:\n" + np.array2string(res.correlation, precision=3))


def _common(p, n=1000, dt=2e-12, device="vcma"):
    p.add_argument("--device", choices=_PRESETS, default=device)
    p.add_argument("--n", type=int, default=n, help="junctions per point")
    p.add_argument("--temperature", type=float, default=300.0, help="K")
    p.add_argument("--variation", action="store_true",
                   help="device-to-device variation: " + ", ".join(
                       f"{k} {100 * v:g} %" for k, v in _SPREADS.items()))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dt", type=float, default=dt, help="time step in s")
    p.add_argument("--out", default="spinjax_out", help="output directory")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spinjax", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("psw-map", help="switching probability map P_sw(amplitude, width)")
    _common(p)
    p.add_argument("--amplitudes", default="0.8:1.8:11", help="V or A/m^2: a:b:n or list")
    p.add_argument("--widths", default="0.3e-9,0.47e-9,0.8e-9", help="s: a:b:n or list")
    p.set_defaults(func=_psw_map)
    p = sub.add_parser("window", help="precessional window: P_sw against pulse width")
    _common(p, n=256)
    p.add_argument("--amplitude", type=float, default=1.61)
    p.add_argument("--widths", default="0.1e-9:1.0e-9:37")
    p.add_argument("--edge", type=float, default=20e-12, help="rise and fall time, s")
    p.set_defaults(func=_window)
    p = sub.add_parser("wer", help="write error rate, in batches, down to 1e-5 and below")
    _common(p)
    p.add_argument("--amplitude", type=float, default=1.61)
    p.add_argument("--width", type=float, default=0.45e-9)
    p.add_argument("--trials", type=int, default=100000)
    p.add_argument("--batch", type=int, default=65536)
    p.set_defaults(func=_wer)
    p = sub.add_parser("rh-loop", help="R-H loop (major or minor) of a junction array")
    _common(p, n=64, device="stt")
    p.add_argument("--h-max", type=float, default=2.2e5, help="A/m")
    p.add_argument("--h-min", type=float, default=None, help="A/m (default -h-max)")
    p.add_argument("--sweep-time", type=float, default=200e-9, help="s")
    p.set_defaults(func=_rh_loop)
    p = sub.add_parser("pump-probe", help="paper B: pump-probe loops of a Hall bar, J_c "
                       "and field per current density by the paper's analysis")
    p.add_argument("--bar", choices=("w", "pt"), default="w", help="heavy metal")
    p.add_argument("--pumps", type=int, default=49, help="pump amplitudes in +-1.6 J_c0")
    p.add_argument("--widths", default="20e-9,40e-9", help="pump plateaus in s")
    p.add_argument("--temperature", type=float, default=0.0, help="K")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dt", type=float, default=1e-12)
    p.add_argument("--out", default="spinjax_out")
    p.set_defaults(func=_pump_probe)
    p = sub.add_parser("harmonic-hall", help="first and second harmonic Hall voltages "
                       "against the in-plane field angle, with the analytic curve")
    p.add_argument("--bar", choices=("w", "pt"), default="w")
    p.add_argument("--field", type=float, default=2e4, help="in-plane field, A/m")
    p.add_argument("--j0", type=float, default=2e10, help="current amplitude, A/m^2")
    p.add_argument("--angles", type=int, default=13, help="angles in [0, 360) deg")
    p.add_argument("--frequency", type=float, default=20e6, help="Hz")
    p.add_argument("--dt", type=float, default=1e-12)
    p.add_argument("--out", default="spinjax_out")
    p.set_defaults(func=_harmonic_hall)
    p = sub.add_parser("fit", help="fit VCMA device parameters (compensation voltage, xi, "
                       "bias field, alpha, ...) to switching counts from a CSV file")
    p.add_argument("csv", help="columns voltage_V, width_s, switches, trials "
                   "[, temperature_K]")
    p.add_argument("--init", default="compensation_V=1.6126,xi=80e-15",
                   help="name=value,... : the parameters to fit and their start (SI)")
    p.add_argument("--n-pairs", type=int, default=512)
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--rel-scale", type=float, default=0.25)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="spinjax_out")
    p.set_defaults(func=_fit)
    p = sub.add_parser("trng", help="a VCMA junction array as a TRNG: tune to p, run "
                       "cycles, bias, correlation, NIST SP 800-22")
    p.add_argument("--n", type=int, default=4000, help="junctions")
    p.add_argument("--cycles", type=int, default=250)
    p.add_argument("--target", type=float, default=0.5, help="switching probability")
    p.add_argument("--lo", type=float, default=0.85, help="tuning bracket, V")
    p.add_argument("--hi", type=float, default=1.15, help="tuning bracket, V")
    p.add_argument("--tune-junctions", type=int, default=4000)
    p.add_argument("--averaging", type=int, default=300, help="averaged tuning steps")
    p.add_argument("--xor", type=int, default=1, help="XOR k junctions' streams")
    p.add_argument("--no-nist", action="store_true")
    p.add_argument("--temperature", type=float, default=300.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="spinjax_out")
    p.set_defaults(func=_trng_cmd)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
