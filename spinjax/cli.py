"""The ``spinjax`` command line: each experiment as a subcommand writing JSON and PNG.

    spinjax psw-map  --device vcma --amplitudes 0.8:1.8:11 --widths 0.3e-9,0.47e-9 --out out/
    spinjax window   --device vcma --amplitude 1.61 --widths 0.1e-9:1.0e-9:37 --out out/
    spinjax wer      --device vcma --amplitude 1.61 --width 0.45e-9 --trials 1000000
    spinjax wer      --device vcma --target 1e-9 --widths 0.3e-9:0.45e-9:4 --max-time 600
    spinjax rh-loop  --device stt --h-max 2.2e5 --sweep-time 200e-9 --n 64
    spinjax pump-probe --bar w --out out/
    spinjax harmonic-hall --bar pt --out out/
    spinjax trng     --out out/
    spinjax fit data.csv --init compensation_V=0.36,xi=650e-15

``spinjax <command> --help`` lists each command's options. Every command writes
``<out>/<command>.json`` (the result and the arguments that produced it; strict JSON,
``null`` with a reason under ``not_a_number`` where a value is not a number) and
``<out>/<command>.png``. Progress goes to stderr. A mistake in the arguments, a
missing file or a fit or design that cannot proceed ends with one line on stderr and
exit status 2.
"""

import argparse
import inspect
import sys
import time
import warnings

import numpy as np

from . import _cli_args as ca
from ._cli_output import Progress, TRNGReport, WindowPlot, write_record

_PRESETS = ("vcma", "stt", "sot", "superparamagnetic")
_DRIVE_OF = {"vcma": "voltage_V", "stt": "voltage_V", "superparamagnetic": "voltage_V",
             "sot": "j_sot_A_per_m2"}
_SPREADS = {"diameter_m": 0.03, "thickness_m": 0.01, "K_i0": 0.01, "alpha": 0.1, "Ms": 0.01}


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _device(args, n=None):
    import jax
    from . import devices
    preset = getattr(devices, f"{args.device}_mtj")
    kw = {"temperature_K": args.temperature}
    if not args.variation:
        return preset(**kw)
    names = inspect.signature(preset).parameters
    spreads = {k: devices.Normal(v) for k, v in _SPREADS.items() if k in names}
    return devices.sample_devices(jax.random.key(args.seed + 1), preset, n or args.n,
                                  spreads, **kw)


def _check_size(n, *grids):
    """One solve holds n junctions per grid point: refuse what cannot fit in memory."""
    total = n * int(np.prod([len(g) for g in grids]))
    if total > ca.MAX_JUNCTIONS:
        raise ca.CLIError(f"--n = {n} junctions x {total // n} grid points = {total} "
                          f"junctions in one solve; at most {ca.MAX_JUNCTIONS}.")


def _psw_map(args):
    import jax
    from .experiments import switching_map
    amps, widths = args.amplitudes, args.widths
    _check_size(args.n, amps, widths)
    _say(f"psw-map: {len(amps)} amplitudes x {len(widths)} widths x {args.n} junctions")
    res = switching_map(_device(args), amps, widths, n=args.n, key=jax.random.key(args.seed),
                        dt=args.dt, input_name=_DRIVE_OF[args.device])
    write_record(args, "psw-map", res)
    for i, w in enumerate(res.widths_s):
        print(f"width {w * 1e9:.3g} ns: " + " ".join(f"{p:.3f}" for p in res.p[i]))


def _window(args):
    import jax
    from .experiments import first_maximum, half_precession_period_s, switching_map
    widths = args.widths
    if len(widths) < 3:
        raise ca.CLIError(f"--widths has {len(widths)} value(s); a window needs at least 3 "
                          "widths (e.g. 0.1e-9:1.0e-9:37).")
    _check_size(args.n, widths)
    _say(f"window: {len(widths)} widths x {args.n} junctions at {args.amplitude:g}")
    dev = _device(args)
    res = switching_map(dev, [args.amplitude], widths, n=args.n,
                        key=jax.random.key(args.seed), dt=args.dt, edge_s=args.edge,
                        input_name=_DRIVE_OF[args.device])
    peak = first_maximum(widths + args.edge, res.p[:, 0])
    extra = {"first_maximum_s": peak}
    half = None
    if args.device == "vcma":
        bias = float(np.asarray(dev.model.fields[2].bias_A_per_m)[..., 0].mean())
        half = extra["half_precession_period_s"] = half_precession_period_s(bias)
    if not np.any(res.switched):
        _say("window: no junction switched at any width; the first maximum is "
             "meaningless (raise --amplitude or the widths)")
        extra["first_maximum_s"] = None
        extra["first_maximum_reason"] = "no junction switched at any width"
    write_record(args, "window", WindowPlot(res, args.edge, peak, half), extra)
    print(f"first maximum of P_sw at {peak * 1e9:.3f} ns (plateau + one edge)"
          + (f"; pi/(gamma0 H_x) = {half * 1e9:.3f} ns" if half is not None else ""))


def _wer_progress():
    """A progress callback: brute-force batches through `Progress`; importance-sampling
    stages and batches, splitting rounds, and iterations every 5 s, as their own lines
    on stderr."""
    fixed, last = Progress("wer"), [-float("inf")]

    def report(info: dict):
        if info.get("method", "brute") == "brute":
            return fixed(info)
        now = time.monotonic()
        if info["method"] == "importance":
            if "stage" in info:
                _say(f"wer: importance sampling, stage {info['stage']}: level "
                     f"{info['level']:.3g}, {info['failed']} failed, {info['directions']} "
                     f"noise directions, {info['elapsed_s']:.0f} s")
            else:
                lo, hi = info["ci95"]
                _say(f"wer: importance sampling, {info['trajectories']} writes: "
                     f"{info['estimate']:.3g} [{lo:.3g}, {hi:.3g}] (95 %), effective "
                     f"sample size {info['ess']:.0f}, {info['elapsed_s']:.0f} s")
        elif info.get("estimate") is not None:
            lo, hi = info["ci95"]
            _say(f"wer: splitting, {info['replicas_done']} replicas: "
                 f"{info['estimate']:.3g} [{lo:.3g}, {hi:.3g}] (95 %), "
                 f"{info['trajectories']} trajectories, {info['elapsed_s']:.0f} s")
        elif now - last[0] > 5:
            _say(f"wer: splitting round {info['round']}, iteration {info['iteration']}, "
                 f"level {info['level']:.3g}, {info['elapsed_s']:.0f} s")
        else:
            return
        last[0] = now
    return report


def _wer(args):
    import jax
    from .experiments import write_error_rate
    from .wer import wer_sweep
    if args.target is not None and args.trials is not None:
        raise ca.CLIError("--trials (a fixed count) and --target (run to a precision) "
                          "exclude each other; give one.")
    if args.variation and args.target is not None and args.method not in ("brute", "auto"):
        raise ca.CLIError("--variation draws one device per junction of a batch: it works "
                          "with brute force only (--method brute, or auto).")
    if args.amplitudes is not None and args.widths is not None:
        raise ca.CLIError("--amplitudes and --widths: sweep one of them.")
    kw = dict(dt=args.dt, input_name=_DRIVE_OF[args.device], settle_s=args.settle,
              progress=_wer_progress())
    if args.target is None:
        trials = 100000 if args.trials is None else args.trials
        batch = min(args.batch, trials)
        n_batches = -(-trials // batch)
        _say(f"wer: {trials} trials requested, running {n_batches * batch} = "
             f"{n_batches} batch{'es' if n_batches > 1 else ''} of {batch}")
        kw.update(trials=trials, batch=batch)
        if "progress" not in inspect.signature(write_error_rate).parameters:
            kw.pop("progress")
    else:
        batch = args.batch
        _say(f"wer: to {args.target:g} at +-{100 * args.rel_precision:g} % (95 %), "
             f"method {args.method}, at most {args.max_time:g} s per point")
        kw.update(target=args.target, rel_precision=args.rel_precision,
                  method=args.method, max_time_s=args.max_time, batch=batch)
    dev = _device(args, n=batch)   # with --variation: one device per junction of a batch
    key = jax.random.key(args.seed)
    if args.amplitudes is None and args.widths is None:
        res = write_error_rate(dev, args.amplitude, args.width, key=key, **kw)
        write_record(args, "wer", res)
        j = res.to_json()
        what = (f"({j['errors']} / {j['trials']})" if res.method == "brute"
                else f"(splitting, {len(res.replicas)} replicas)" if res.method == "splitting"
                else f"(importance sampling, {res.trajectories} writes)")
        print(f"WER = {res.wer:.3g} {what}, 95 % [{res.ci_low:.3g}, {res.ci_high:.3g}]"
              f", {res.status}")
        return
    amps = [args.amplitude] if args.amplitudes is None else args.amplitudes
    widths = [args.width] if args.widths is None else args.widths
    sweep = wer_sweep(dev, amps, widths, key=key, **kw)
    write_record(args, "wer", sweep)
    for v, r in zip(sweep.values, sweep.results):
        print(f"{sweep.parameter} {v:.4g}: WER = {r.wer:.3g} [{r.ci_low:.3g}, "
              f"{r.ci_high:.3g}] ({r.method}, {r.status})")


def _rh_loop(args):
    import jax
    from .experiments import rh_loop
    h_min = -args.h_max if args.h_min is None else args.h_min
    if not h_min < args.h_max:
        raise ca.CLIError(f"--h-min = {h_min:g} A/m and --h-max = {args.h_max:g} A/m; "
                          "--h-min must be below --h-max.")
    _say(f"rh-loop: {args.n} junctions, {args.h_max:g} -> {h_min:g} -> {args.h_max:g} A/m "
         f"in {args.sweep_time:g} s")
    res = rh_loop(_device(args), args.h_max, n=args.n, key=jax.random.key(args.seed),
                  sweep_time_s=args.sweep_time, h_min_A_per_m=h_min, dt=args.dt)
    none = "no junction switched on one branch of the sweep (raise --h-max or --sweep-time)"
    with warnings.catch_warnings():   # nanmean of a branch where nothing switched
        warnings.simplefilter("ignore", RuntimeWarning)
        hc, shift = res.coercive_field_A_per_m, res.shift_A_per_m
        write_record(args, "rh-loop", res, why={
            "coercive_field_A_per_m": none, "shift_A_per_m": none,
            "up_switch_A_per_m": "this junction did not switch up",
            "down_switch_A_per_m": "this junction did not switch down"})
    if np.isfinite(hc):
        print(f"coercive field {hc:.4g} A/m, loop shift {shift:.4g} A/m")
    else:
        print(f"coercive field and loop shift not measured: {none}")


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
    _say(f"pump-probe: {args.pumps} pumps x {len(args.widths)} widths")
    res = run_pump_probe(bar, np.linspace(-1.6, 1.6, args.pumps) * jc0, args.widths,
                         np.linspace(-1.5, 0.3, 13) * hk, j_probe=0.1 * jc0, h_x=0.2 * hk,
                         dt=args.dt, key=jax.random.key(args.seed))
    write_record(args, "pump-probe", res)
    g = res.given
    print(f"J_c0 = {res.j_c0:.4g} A/m^2 (switching current given {g['j_switch']:.4g}, "
          f"Liu's J_c0 {g['j_c0_liu']:.4g}); field per current density "
          f"{res.h_per_j:.4g} (given {g['h_per_j']:.4g}) A/m per A/m^2; "
          f"xi_DL by Liu's formula {res.xi_dl_liu:.3g} (given {g['xi_dl']:.3g})")


def _harmonic_hall(args):
    from .experiments import harmonic_hall
    # The analytic formula (Avci et al. 2014) is quasi-static: a damping of 0.05 keeps
    # the relaxation far faster than the current's period; no in-plane anisotropy, so
    # the field sets the angle.
    bar = _bar(args.bar, temperature_K=0.0, alpha=0.05, H_k_A_per_m=0.0)
    if args.dt * 250 > 1 / args.frequency * 1.0000001:
        raise ca.CLIError(f"--dt = {args.dt:g} s and --frequency = {args.frequency:g} Hz: "
                          f"250 samples per period need --dt <= {0.004 / args.frequency:g} s.")
    phi = np.deg2rad(np.linspace(0.0, 360.0, args.angles, endpoint=False))
    _say(f"harmonic-hall: {args.angles} angles, {args.frequency:g} Hz")
    res = harmonic_hall(bar, phi, args.field, args.j0, frequency_hz=args.frequency,
                        dt=args.dt, samples_per_period=250)
    write_record(args, "harmonic-hall", res)
    err = np.max(np.abs(res.v2w - res.v2w_analytic)) / np.max(np.abs(res.v2w_analytic))
    print(f"V_2w against the analytic harmonic-Hall formula: max deviation {err:.2%} "
          f"of its amplitude")


def _trng_cmd(args):
    import jax
    from . import _trng as trng
    from .devices import vcma_mtj
    if not args.lo < args.hi:
        raise ca.CLIError(f"--lo = {args.lo:g} V and --hi = {args.hi:g} V; --lo must be "
                          "below --hi.")
    if args.xor > args.n:
        raise ca.CLIError(f"--xor = {args.xor} exceeds --n = {args.n} junctions; XOR "
                          "combines the streams of --xor junctions.")
    dev = vcma_mtj(temperature_K=args.temperature)
    sched = trng.precessional_schedule(dev)
    key = jax.random.key(args.seed)
    _say(f"trng: tuning to p = {args.target:g} in [{args.lo:g}, {args.hi:g}] V with "
         f"{args.tune_junctions} junctions")
    tuning = trng.tune_amplitude(dev, sched, jax.random.fold_in(key, 1), args.target,
                                 args.lo, args.hi, junctions=args.tune_junctions,
                                 averaging_iterations=args.averaging,
                                 bits=args.n * args.cycles)
    amp = float(tuning)
    _say(f"trng: tuning {tuning.summary()}")
    if tuning.xor_k is not None and args.xor < tuning.xor_k:
        _say(f"trng: warning: --xor {args.xor} is below the depth k = {tuning.xor_k} that "
             f"the tuning's bias bound needs for {args.n * args.cycles} bits; expect the "
             "raw stream to fail NIST frequency tests at this length (pass --xor "
             f"{tuning.xor_k}, or fewer bits)")
    _say(f"trng: {args.cycles} cycles of {args.n} junctions at {amp:.4f} V")
    run = trng.run_trng(dev, sched, jax.random.fold_in(key, 2), amp, cycles=args.cycles,
                        junctions=args.n)
    report = TRNGReport(amp, run.bits, args.xor, None if args.no_nist else
                        trng.nist_pvalues, run.cycle_s, tuning=tuning.to_json())
    write_record(args, "trng", report)
    j = report.to_json()
    if "nist" in j:
        n = j["nist"]["summary"]
        nist = (f"NIST SP 800-22: {n['passed']} of {n['applicable']} applicable tests pass "
                f"at 1 % ({n['not_applicable']} need more bits); failures "
                f"{j['nist_failures_at_1pct']}")
    else:
        nist = (f"NIST failures at 1 %: {j['nist_failures_at_1pct']}" if "nist_pvalues" in j
                else "NIST not run")
    print(f"amplitude {amp:.4f} V; {j['raw_bits']} raw bits, mean {j['raw_mean']:.4f}, "
          f"lag-1 correlation {j['lag1_correlation']:+.4f}; " + nist)


def _fit(args):
    import jax
    from ._fitting import FitFailed, fit_switching, read_csv
    from ._fitting.vcma_params import vcma_mtj_compensation
    data = read_csv(args.csv)
    init = ca.fit_start(args.init, data, vcma_mtj_compensation)
    start = ",".join(f"{k}={v:.4g}" for k, v in init.items())
    _say(f"fit: {len(np.atleast_1d(data.voltage_V))} data points, start {start}")
    try:
        res = fit_switching(data, init, jax.random.key(args.seed),
                            preset=vcma_mtj_compensation, n_pairs=args.n_pairs,
                            max_steps=args.steps, rel_scale=args.rel_scale,
                            log=lambda e: _say(f"fit: step {e['step']}: " + ", ".join(
                                f"{k} = {v:.5g}" for k, v in e["params"].items())
                                + f"; -log L = {e['nll']:.3g}"))
    except FitFailed as err:
        raise ca.CLIError(f"the fit from --init {start} failed: {err} "
                          f"{ca.fit_start_hint(data)}") from err
    write_record(args, "fit", res)
    for k in res.names:
        lo, hi = res.interval(k)
        print(f"{k} = {res.params[k]:.5g} +- {res.sigma[k]:.2g} (95 %: [{lo:.5g}, {hi:.5g}])")
    print("correlation:\n" + np.array2string(res.correlation, precision=3))


_COMMANDS = {"psw-map": _psw_map, "window": _window, "wer": _wer, "rh-loop": _rh_loop,
             "pump-probe": _pump_probe, "harmonic-hall": _harmonic_hall, "trng": _trng_cmd,
             "fit": _fit}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (see `spinjax._cli_args`)."""
    return ca.build_parser(__doc__.split("\n")[0], _COMMANDS, _PRESETS, _SPREADS)


def _errors():
    from ._checks import SimulationInputError
    from ._design.target import DesignFailed
    from ._fitting import FitFailed
    from ._params import InvalidParameterError
    from ._wer import ReactionCoordinateError
    return (ca.CLIError, ReactionCoordinateError, InvalidParameterError, SimulationInputError, FitFailed,
            DesignFailed, FileNotFoundError, OSError)


def main(argv=None) -> int:
    """Run one subcommand; return its exit status (0, or 2 after a one-line error on
    stderr for a mistake in the arguments or a computation that cannot proceed)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:   # --help (0) or argparse's one-line error (2)
        return int(exit_.code or 0)
    t0 = time.monotonic()
    try:
        args.func(args)
    except _errors() as err:
        text = " ".join(str(err).split()) or type(err).__name__
        _say(f"spinjax {args.command}: error: {text}")
        return 2
    _say(f"spinjax {args.command}: done in {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
