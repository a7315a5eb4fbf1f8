"""What the command line writes: strict JSON records, progress lines, the figures of
the commands whose results have no figure of their own (the window, the write error
rate, the TRNG report).

Figures are drawn on a ``matplotlib.figure.Figure`` with the Agg canvas, without
pyplot, so that nothing here changes matplotlib's global backend.
"""

import datetime
import json
import math
import pathlib
import sys
import time

import numpy as np

__all__ = ["Progress", "TRNGReport", "WERPlot", "WindowPlot", "strict_json", "write_record"]


def strict_json(obj, reasons: dict, path: str = "", why: dict | None = None):
    """`obj` with NumPy values made plain and every NaN or infinity replaced by ``None``;
    `reasons` receives, for each replaced value, its path and why it is not a number
    (from `why`, keyed by the top-level name, or the value itself)."""
    why = why or {}
    if isinstance(obj, dict):
        return {str(k): strict_json(v, reasons, f"{path}.{k}" if path else str(k), why)
                for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v, reasons, f"{path}[{i}]", why) for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        return strict_json(obj.tolist(), reasons, path, why)
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        if math.isfinite(float(obj)):
            return float(obj)
        key = path.split(".")[-1].split("[")[0]
        reasons[path] = why.get(key, f"the computation gave {float(obj)}")
        return None
    return obj


def write_record(args, name: str, result, extra: dict | None = None, why: dict | None = None):
    """Write ``<out>/<name>.json`` (result, arguments, version, date; strict JSON with
    ``null`` and a reason in ``not_a_number`` where a value is NaN or infinite) and
    ``<out>/<name>.png``; return the record."""
    from . import __version__
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    reasons: dict = {}
    record = {"command": name,
              "arguments": {k: v for k, v in vars(args).items() if k != "func"},
              "spinjax_version": __version__,
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
              "result": result.to_json(), **(extra or {})}
    record = strict_json(record, reasons, why=why)
    if reasons:
        record["not_a_number"] = reasons
    (out / f"{name}.json").write_text(json.dumps(record, indent=1, allow_nan=False))
    result.plot(out / f"{name}.png")
    print(f"wrote {out / name}.json and {out / name}.png")
    return record


def _figure(*shape, size=(5, 3.8)):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(*shape)


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=120)


class Progress:
    """Progress lines on stderr for a batched run, at most one every `every_s` seconds
    (and always the last): trials done, errors so far, rate and time left."""

    def __init__(self, name: str, every_s: float = 2.0, stream=None):
        self.name, self.every_s = name, every_s
        self.stream = stream or sys.stderr
        self.last = -math.inf

    def __call__(self, info: dict):
        done, total = int(info["trials_done"]), int(info["trials_total"])
        elapsed = float(info["elapsed_s"])
        now = time.monotonic()
        if done < total and now - self.last < self.every_s:
            return
        self.last = now
        rate = done / elapsed if elapsed > 0 else math.inf
        left = (total - done) / rate if rate > 0 else math.inf
        print(f"{self.name}: {done}/{total} trials ({100 * done / total:.1f} %), "
              f"{int(info['errors'])} errors so far, {rate:.3g} trials/s, "
              f"about {left:.0f} s left", file=self.stream, flush=True)


class WindowPlot:
    """The precessional window: P_sw against pulse width (plateau + one edge) at one
    amplitude, its Wilson 95 % band, the first maximum and the half precession period."""

    def __init__(self, res, edge_s: float, first_maximum_s: float,
                 half_period_s: float | None):
        self.res, self.edge_s = res, edge_s
        self.first_maximum_s, self.half_period_s = first_maximum_s, half_period_s

    def to_json(self):
        return self.res.to_json()

    def plot(self, path):
        fig, ax = _figure()
        x = (np.asarray(self.res.widths_s) + self.edge_s) * 1e9
        p = np.asarray(self.res.p)[:, 0]
        lo, hi = (np.asarray(c)[:, 0] for c in self.res.ci)
        ax.fill_between(x, lo, hi, alpha=0.3, label="Wilson 95 %")
        ax.plot(x, p, "o-", ms=3, label=f"P_sw at {float(self.res.amplitudes[0]):.4g} "
                f"({self.res.input_name})")
        ax.axvline(self.first_maximum_s * 1e9, color="C3", ls="--",
                   label=f"first maximum {self.first_maximum_s * 1e9:.3f} ns")
        if self.half_period_s is not None:
            ax.axvline(self.half_period_s * 1e9, color="k", ls=":",
                       label=f"pi/(gamma0 H_x) = {self.half_period_s * 1e9:.3f} ns")
        ax.set(xlabel="pulse width, plateau + one edge (ns)", ylabel="P_sw",
               ylim=(-0.02, 1.02), title=f"{self.res.trials} junctions per width")
        ax.legend(fontsize=7)
        _save(fig, path)


class WERPlot:
    """A write error rate with its Wilson 95 % interval on a log axis."""

    def __init__(self, res):
        self.res = res

    def to_json(self):
        return self.res.to_json()

    def plot(self, path):
        fig, ax = _figure(size=(4, 3.5))
        j = self.res.to_json()
        floor = 0.1 / j["trials"]   # zero errors: the point sits below the upper bound
        wer, lo, hi = (max(j[k], floor) for k in ("wer", "wilson95_low", "wilson95_high"))
        ax.errorbar([0], [wer], yerr=[[wer - lo], [hi - wer]], marker="o", capsize=3)
        ax.set(yscale="log", ylabel="write error rate (Wilson 95 %)", xticks=[],
               title=f"{j['errors']} errors / {j['trials']} trials")
        _save(fig, path)


class TRNGReport:
    """Bits of a tuned junction array, their statistics and the NIST verdict."""

    def __init__(self, amplitude, bits, xor_k, pvalues, cycle_s, tuning=None):
        from . import _trng as trng
        from ._bits.debias import xor_streams
        self.amplitude, self.cycle_s, self.xor_k = amplitude, cycle_s, xor_k
        self.tuning = tuning
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
        if self.tuning is not None:  # the precision the tuning showed for these bits
            j["tuning"] = self.tuning
        if self.pvalues is not None:   # only the tests that apply to this many bits
            j["nist_pvalues"] = dict(self.pvalues)
            j["nist_failures_at_1pct"] = [k for k, p in self.pvalues.items() if p < 0.01]
            if hasattr(self.pvalues, "to_json"):   # which tests did not apply, and why
                j["nist"] = self.pvalues.to_json()
        return j

    def plot(self, path):
        pv = dict(self.pvalues) if self.pvalues else {}
        fig, ax = _figure(1, 3 if pv else 2, size=(14 if pv else 9, 3.8))
        ax[0].hist(self.per_junction, bins=30)
        ax[0].set(xlabel="per-junction bias p - 1/2", ylabel="junctions")
        ax[1].imshow(self.bits[:64, :256], cmap="gray", interpolation="nearest",
                     aspect="auto")
        ax[1].set(xlabel="junction", ylabel="cycle", title="raw bits")
        if pv:  # the NIST p-values of the tests that apply to this many bits
            names = sorted(pv)
            vals = [max(float(pv[k]), 1e-12) for k in names]
            ax[2].barh(range(len(names)), vals,
                       color=["tab:red" if v < 0.01 else "tab:blue" for v in vals])
            ax[2].axvline(0.01, color="k", ls="--", lw=1, label="p = 0.01")
            ax[2].set_yticks(range(len(names)), names, fontsize=7)
            ax[2].set(xscale="log", xlabel="NIST SP 800-22 p-value",
                      title=f"output stream ({self.out.size} bits, XOR {self.xor_k})")
            ax[2].legend(fontsize=7)
        _save(fig, path)
