"""The arguments of the ``spinjax`` command line: each one typed and range-checked as it
is parsed, so that a mistake ends in one line naming the option, the value and the
valid range (exit status 2) before anything is compiled or simulated."""

import argparse
import inspect
import math
import pathlib

import numpy as np

from ._params import InvalidParameterError

__all__ = ["CLIError", "build_parser", "fit_start", "fit_start_hint"]

MAX_JUNCTIONS = 2**24   # one batch of this many junctions takes a few GB on the host
MAX_STEPS = 10**8       # time steps of one solve


class CLIError(InvalidParameterError):
    """A combination of command-line options that cannot work (the message names them)."""


class _Parser(argparse.ArgumentParser):
    """argparse with its error as one line on stderr (exit status 2), not the usage."""

    def error(self, message):
        if message.endswith("expected one argument"):   # e.g. --dt -1e-12
            message += " (write a value that starts with '-' as --option=-1e-9)"
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _int(lo=1, hi=MAX_JUNCTIONS):
    def integer(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v}; it must be an integer in [{lo}, {hi}]")
        return v
    return integer


def _real(lo=-math.inf, hi=math.inf, *, open_lo=False, open_hi=False, unit=""):
    interval = f"{'(' if open_lo else '['}{lo:g}, {hi:g}{')' if open_hi else ']'}"
    suffix = f" {unit}" if unit else ""

    def number(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        ok = (math.isfinite(v) and (v > lo if open_lo else v >= lo)
              and (v < hi if open_hi else v <= hi))
        if not ok:
            raise argparse.ArgumentTypeError(
                f"{text}; it must be a finite number in {interval}{suffix}")
        return v
    return number


def _grid(positive: bool, unit: str):
    """'a:b:n' (n points from a to b) or 'x,y,z', every value finite (and > 0)."""
    def grid(text):
        try:
            if ":" in text:
                a, b, n = text.split(":")
                if not 1 <= int(n) <= 100_000:
                    raise argparse.ArgumentTypeError(
                        f"{text!r}: the count n of a:b:n must be in [1, 100000]")
                values = np.linspace(float(a), float(b), int(n))
            else:
                values = np.array([float(x) for x in text.split(",")])
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is neither a:b:n nor a list x,y,z of numbers") from None
        if not np.all(np.isfinite(values)) or (positive and not np.all(values > 0)):
            need = "finite and positive" if positive else "finite"
            raise argparse.ArgumentTypeError(f"{text!r}; every value must be {need} ({unit})")
        return values
    return grid


def _out(text):
    path = pathlib.Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a directory")
    return text


def _add(p, *names, help, **kw):
    """add_argument with `help` protected from %-formatting (a '%' in it is literal)."""
    p.add_argument(*names, help=help.replace("%", "%%"), **kw)


def _common(p, spreads, presets, n=1000, dt=2e-12, device="vcma"):
    _add(p, "--device", choices=presets, default=device, help="device preset")
    _add(p, "--n", type=_int(), default=n, help="junctions per point")
    _add(p, "--temperature", type=_real(0, 1e4, unit="K"), default=300.0,
         help="temperature, K")
    _add(p, "--variation", action="store_true", help="device-to-device variation: "
         + ", ".join(f"{k} {100 * v:g} %" for k, v in spreads.items()))
    _seed_out(p)
    _add(p, "--dt", type=_real(0, 1e-9, open_lo=True, unit="s"), default=dt,
         help="time step, s")


def _seed_out(p):
    _add(p, "--seed", type=_int(0, 2**32 - 1), default=0, help="random seed")
    _add(p, "--out", type=_out, default="spinjax_out", help="output directory")


def build_parser(description, commands, presets, spreads) -> argparse.ArgumentParser:
    """The parser of every subcommand; `commands` maps each name to its function."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = _Parser(prog="spinjax", description=description,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    def command(name, help, **kw):
        p = sub.add_parser(name, help=help.replace("%", "%%"), description=help,
                           formatter_class=fmt)
        p.set_defaults(func=commands[name])
        return p

    amp = _real(unit="V or A/m^2")
    p = command("psw-map", "switching probability map P_sw(amplitude, width)")
    _common(p, spreads, presets)
    _add(p, "--amplitudes", type=_grid(False, "V or A/m^2"), default="0.8:1.8:11",
         help="pulse amplitudes, V (A/m^2 for sot): a:b:n or x,y,z")
    _add(p, "--widths", type=_grid(True, "s"), default="0.3e-9,0.47e-9,0.8e-9",
         help="pulse plateaus, s: a:b:n or x,y,z")
    p = command("window", "precessional window: P_sw against pulse width, first maximum")
    _common(p, spreads, presets, n=256)
    _add(p, "--amplitude", type=amp, default=1.61, help="pulse amplitude, V (A/m^2 for sot)")
    _add(p, "--widths", type=_grid(True, "s"), default="0.1e-9:1.0e-9:37",
         help="pulse plateaus, s: a:b:n or x,y,z (at least 3)")
    _add(p, "--edge", type=_real(0, 1e-6, unit="s"), default=20e-12,
         help="rise and fall time, s")
    p = command("wer", "write error rate to 1e-9 and below (brute force, importance "
                "sampling or splitting)")
    _common(p, spreads, presets)
    _add(p, "--amplitude", type=amp, default=1.61, help="pulse amplitude, V (A/m^2 for sot)")
    _add(p, "--width", type=_real(0, 1e-6, open_lo=True, unit="s"), default=0.45e-9,
         help="pulse plateau, s")
    _add(p, "--trials", type=_int(1, 10**12), default=None,
         help="a fixed number of writes (brute force; rounded up to whole batches); "
         "without it and without --target: 100000")
    _add(p, "--batch", type=_int(), default=65536, help="junctions simulated at once")
    _add(p, "--target", type=_real(0, 1, open_lo=True), default=None,
         help="resolve the WER down to this rate (e.g. 1e-9): run until the 95 % "
         "interval is within --rel-precision, or below the target")
    _add(p, "--rel-precision", type=_real(0, 10, open_lo=True), default=0.3,
         help="relative half-width of the 95 % interval to reach (with --target)")
    _add(p, "--method", choices=("auto", "brute", "importance", "splitting"),
         default="auto", help="brute force, importance sampling of the noise, adaptive "
         "multilevel splitting, or chosen from a pilot and the device")
    _add(p, "--max-time", type=_real(0, 1e7, open_lo=True, unit="s"), default=1800.0,
         help="time budget per point, s (with --target)")
    _add(p, "--amplitudes", type=_grid(False, "V or A/m^2"), default=None,
         help="sweep the amplitude (a:b:n or x,y,z) at --width")
    _add(p, "--widths", type=_grid(True, "s"), default=None,
         help="sweep the plateau (a:b:n or x,y,z) at --amplitude")
    _add(p, "--settle", type=_real(0, 1e-6, unit="s"), default=1e-9,
         help="relaxation after the pulse before the write is judged, s")
    p = command("rh-loop", "R-H loop (major or minor) of a junction array")
    _common(p, spreads, presets, n=64, device="stt")
    _add(p, "--h-max", type=_real(0, 1e8, open_lo=True, unit="A/m"), default=2.2e5,
         help="largest field of the sweep, A/m")
    _add(p, "--h-min", type=_real(-1e8, 1e8, unit="A/m"), default=None,
         help="smallest field, A/m (default: -h-max)")
    _add(p, "--sweep-time", type=_real(0, 1e-3, open_lo=True, unit="s"), default=200e-9,
         help="duration of the sweep, s")
    p = command("pump-probe", "paper B: pump-probe loops of a Hall bar, J_c and field "
                "per current density by the paper's analysis")
    _add(p, "--bar", choices=("w", "pt"), default="w", help="heavy metal")
    _add(p, "--pumps", type=_int(5, 10001), default=49, help="pump amplitudes in +-1.6 J_c0")
    _add(p, "--widths", type=_grid(True, "s"), default="20e-9,40e-9",
         help="pump plateaus, s: a:b:n or x,y,z")
    _add(p, "--temperature", type=_real(0, 1e4, unit="K"), default=0.0, help="temperature, K")
    _add(p, "--dt", type=_real(0, 1e-9, open_lo=True, unit="s"), default=1e-12,
         help="time step, s")
    _seed_out(p)
    p = command("harmonic-hall", "first and second harmonic Hall voltages against the "
                "in-plane field angle, with the analytic curve")
    _add(p, "--bar", choices=("w", "pt"), default="w", help="heavy metal")
    _add(p, "--field", type=_real(0, 1e8, open_lo=True, unit="A/m"), default=2e4,
         help="in-plane field, A/m")
    _add(p, "--j0", type=_real(0, 1e14, open_lo=True, unit="A/m^2"), default=2e10,
         help="current amplitude, A/m^2")
    _add(p, "--angles", type=_int(1, 3600), default=13, help="angles in [0, 360) deg")
    _add(p, "--frequency", type=_real(0, 1e11, open_lo=True, unit="Hz"), default=20e6,
         help="current frequency, Hz")
    _add(p, "--dt", type=_real(0, 1e-9, open_lo=True, unit="s"), default=1e-12,
         help="time step, s (250 samples per period need dt <= 1/(250 frequency))")
    _add(p, "--out", type=_out, default="spinjax_out", help="output directory")
    p = command("fit", "fit VCMA device parameters (compensation voltage, xi, bias field, "
                "alpha, ...) to switching counts from a CSV file")
    _add(p, "csv", help="CSV file with columns voltage_V, width_s, switches, trials "
         "[, temperature_K]")
    _add(p, "--init", default="auto", help="name=value,... : the parameters to fit and "
         "their start (SI). 'auto' fits compensation_V and xi from the data's sigmoid: "
         "V_c = V50 / 0.75 and xi = 3e-15 / width (width of the logistic in V), the "
         "ratios of the shipped example's fit")
    _add(p, "--n-pairs", type=_int(1, 2**20), default=512,
         help="antithetic pairs per data point and step")
    _add(p, "--steps", type=_int(1, 1000), default=12, help="largest number of steps")
    _add(p, "--rel-scale", type=_real(0, 1, open_lo=True), default=0.25,
         help="largest smoothing width relative to each parameter")
    _seed_out(p)
    p = command("trng", "a VCMA junction array as a TRNG: tune to p, run cycles, bias, "
                "correlation, NIST SP 800-22")
    _add(p, "--n", type=_int(), default=4000, help="junctions")
    _add(p, "--cycles", type=_int(1, 10**7), default=250, help="write cycles")
    _add(p, "--target", type=_real(0, 1, open_lo=True, open_hi=True), default=0.5,
         help="switching probability to tune to")
    _add(p, "--lo", type=_real(-10, 10, unit="V"), default=0.85, help="tuning bracket, V")
    _add(p, "--hi", type=_real(-10, 10, unit="V"), default=1.15, help="tuning bracket, V")
    _add(p, "--tune-junctions", type=_int(), default=4000, help="junctions per tuning step")
    _add(p, "--averaging", type=_int(0, 10**5), default=300, help="averaged tuning steps")
    _add(p, "--xor", type=_int(1, 64), default=1, help="XOR k junctions' streams")
    _add(p, "--no-nist", action="store_true", help="skip the NIST SP 800-22 tests")
    _add(p, "--temperature", type=_real(0, 1e4, unit="K"), default=300.0,
         help="temperature, K")
    _seed_out(p)
    return parser


def _sigmoid(data):
    """(V50, width) of a logistic fitted to the data's logit P against voltage, or None."""
    v = np.asarray(data.voltage_V, np.float64)
    n = np.asarray(data.trials, np.float64)
    p = np.clip(np.asarray(data.switches, np.float64) / n, 0.5 / n, 1 - 0.5 / n)
    if np.unique(v).size < 2:
        return None
    slope, icpt = np.polyfit(v, np.log(p / (1 - p)), 1)
    if not (np.isfinite(slope) and slope > 0 and -icpt / slope > 0):
        return None
    return -icpt / slope, 1 / slope


def fit_start(text: str, data, preset) -> dict:
    """The start of a fit: 'auto' (from the data's sigmoid, else the preset's values)
    or 'name=value,...' with names the preset takes and finite positive values."""
    if text.strip() == "auto":
        s = _sigmoid(data)
        if s is None:
            return {"compensation_V": 1.6126, "xi": 80e-15}
        return {"compensation_V": s[0] / 0.75, "xi": float(np.clip(3e-15 / s[1], 1e-15,
                                                                     5e-12))}
    from .devices import vcma_mtj
    names = (set(inspect.signature(preset).parameters) | set(
        inspect.signature(vcma_mtj).parameters)) - {"K_i0", "kwargs", "temperature_K"}
    init = {}
    for item in text.split(","):
        name, eq, value = (s.strip() for s in item.partition("="))
        if not eq or not name:
            raise CLIError(f"--init = {text!r}: {item!r} is not name=value.")
        if name not in names:
            raise CLIError(f"--init: {name!r} is not a parameter of the VCMA junction; "
                           f"valid names: {', '.join(sorted(names))}.")
        try:
            x = float(value)
        except ValueError:
            x = math.nan
        if not (math.isfinite(x) and x > 0):
            raise CLIError(f"--init: {name} = {value!r}; it must be a finite number > 0 (SI).")
        init[name] = x
    return init


def fit_start_hint(data) -> str:
    """Which start to use when a fit failed: the one the data's sigmoid implies."""
    s = _sigmoid(data)
    if s is None:
        return ("The data show no rising P(V) to start from: give --init "
                "compensation_V=...,xi=... where the model's P is between 0 and 1.")
    start = fit_start("auto", data, None)
    return (f"The data cross P = 1/2 at {s[0]:.4g} V (logistic width {s[1] * 1e3:.3g} mV): "
            f"try --init compensation_V={start['compensation_V']:.4g},"
            f"xi={start['xi']:.3g} (and a smaller --rel-scale, e.g. 0.01, for a narrow "
            "sigmoid).")
