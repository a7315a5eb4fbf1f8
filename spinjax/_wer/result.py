"""The result of a write-error-rate estimate and a sweep of them, with their plots."""

import dataclasses

import numpy as np

from ..experiments._stats import clopper_pearson_upper, wilson_interval

STATUSES = {
    "converged": "the 95 % interval is within the requested relative precision",
    "below_target": "the 95 % interval lies below the target rate",
    "fixed_trials": "the requested number of trials was run",
    "switches_nothing": "no trial switched: the pulse does not write (WER = 1)",
    "budget": "the time or trajectory budget ran out before the target was reached",
}


class TargetNotReachedWarning(UserWarning):
    """The budget (time or trajectories) ran out before the requested precision or
    target was reached; the result holds the estimate that was reached."""


@dataclasses.dataclass(frozen=True)
class WriteErrorRate:
    """A write error rate (WER) with its 95 % interval.

    - `amplitude`, `width_s`: the pulse's amplitude and plateau where it is a trapezoid
      given by them (else None); `pulse` the pulse itself.
    - `errors`, `trials`: the counts of a brute-force run (None for the others);
      `trials_requested` the trials asked for (a fixed count is rounded up to whole
      batches: `rounded_up`).
    - `wer`, `ci_low`, `ci_high`: the estimate and its two-sided 95 % interval; for a
      brute-force count the Wilson interval, except with 0 errors where `ci_high` is
      the one-sided 95 % Clopper-Pearson bound
      ([`upper_bound`][spinjax.wer.WriteErrorRate.upper_bound]) and the rate is only
      bounded. For splitting: the mean of independent replicas and the Student-t interval of
      their spread (`replicas` holds each replica's estimate). For importance
      sampling: the weighted mean and its normal interval (`diagnostics`: the samples,
      failed writes, effective sample size of the weights and the proposal).
    - `method` ("brute", "importance" or "splitting"), `interval` (how the interval
      was made),
      `status` (a key of `STATUSES`), `trajectories` (whole or partial
      trajectories simulated), `junction_steps` (junctions x steps integrated, pilots
      included), `elapsed_s`, `target`, `rel_precision`.
    """

    amplitude: float | None
    width_s: float | None
    errors: int | None
    trials: int | None
    trials_requested: int | None = None
    wer: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    method: str = "brute"
    status: str = "fixed_trials"
    interval: str = ""
    trajectories: int | None = None
    junction_steps: int | None = None
    elapsed_s: float | None = None
    target: float | None = None
    rel_precision: float | None = None
    replicas: tuple = ()
    pulse: object = None
    diagnostics: dict | None = None

    def __post_init__(self):
        if self.trials_requested is None:
            object.__setattr__(self, "trials_requested", self.trials)
        if self.wer is None:   # a brute-force count: the estimate follows from it
            lo, hi = (float(x) for x in wilson_interval(self.errors, self.trials))
            if self.errors == 0:
                lo, hi = 0.0, float(clopper_pearson_upper(0, self.trials))
            object.__setattr__(self, "wer", self.errors / self.trials)
            object.__setattr__(self, "ci_low", lo)
            object.__setattr__(self, "ci_high", hi)
            object.__setattr__(self, "interval", self.interval or (
                "Clopper-Pearson one-sided 95 % upper bound (0 errors)" if self.errors == 0
                else "Wilson score 95 %"))
            if self.trajectories is None:
                object.__setattr__(self, "trajectories", self.trials)

    @property
    def rounded_up(self) -> bool:
        return self.trials != self.trials_requested

    @property
    def is_upper_bound(self) -> bool:
        """True when the rate is only bounded (a brute-force count of 0 errors)."""
        return self.method == "brute" and self.errors == 0

    @property
    def upper_bound(self) -> float:
        """The one-sided 95 % upper bound of the rate: for a count, the rate whose
        probability of giving at most `errors` errors in `trials` is 5 % (Clopper-Pearson;
        $1 - 0.05^{1/n} \\approx 3/n$ for 0 errors, the "rule of three"); for the other
        methods the upper end of the two-sided interval."""
        if self.method == "brute":
            return float(clopper_pearson_upper(self.errors, self.trials))
        return float(self.ci_high)

    @property
    def rel_halfwidth(self) -> float:
        """The larger distance from the estimate to an end of its interval, relative to
        the estimate (inf for a zero estimate)."""
        if not self.wer > 0:
            return float("inf")
        return max(self.wer - self.ci_low, self.ci_high - self.wer) / self.wer

    def to_json(self) -> dict:
        """With 0 brute-force errors the rate is not measured, only bounded:
        `wer_is_upper_bound` is then true and `wer_upper95` (one-sided) is the number to
        quote."""
        j = {"amplitude": self.amplitude, "width_s": self.width_s, "method": self.method,
             "status": self.status, "status_means": STATUSES.get(self.status, ""),
             "wer": self.wer, "ci95_low": self.ci_low, "ci95_high": self.ci_high,
             "interval": self.interval, "wer_is_upper_bound": self.is_upper_bound,
             "wer_upper95": self.upper_bound, "trajectories": self.trajectories,
             "junction_steps": self.junction_steps, "elapsed_s": self.elapsed_s,
             "target": self.target, "rel_precision": self.rel_precision}
        if self.method == "brute":
            lo, hi = wilson_interval(self.errors, self.trials)
            j.update(errors=self.errors, trials=self.trials,
                     trials_requested=self.trials_requested,
                     trials_rounded_up=self.rounded_up, wilson95_low=float(lo),
                     wilson95_high=float(hi))
        elif self.method == "splitting":
            j["replicas"] = [float(r) for r in self.replicas]
        if self.diagnostics is not None:
            j["diagnostics"] = self.diagnostics
        return j

    def plot(self, path=None):
        """The rate with its 95 % interval on a log axis; a rate that is only bounded
        (0 errors) is drawn as a bound (a downward arrow), not a point. The
        ``matplotlib.figure.Figure``, built without pyplot (the backend and open figures
        stay the user's; a notebook shows it inline); also written as a PNG to `path`
        when one is given."""
        from matplotlib.figure import Figure   # no pyplot: no global figure state
        fig = Figure(figsize=(4, 3.5))
        ax = fig.subplots()
        _draw(ax, [0.0], [self])
        what = (f"{self.errors} errors / {self.trials} trials" if self.method == "brute"
                else f"splitting, {len(self.replicas)} replicas" if self.method == "splitting"
                else f"importance sampling, {self.trajectories} writes")
        ax.set(xticks=[], title=what)
        ax.legend(fontsize=8)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig


def _draw(ax, xs, results, label=None):
    """Points with their 95 % intervals; bounds (0 errors) as downward arrows."""
    pts = [(x, r) for x, r in zip(xs, results) if not r.is_upper_bound and r.wer > 0]
    bounds = [(x, r) for x, r in zip(xs, results) if r.is_upper_bound or not r.wer > 0]
    if pts:
        x = np.array([p[0] for p in pts])
        w = np.array([p[1].wer for p in pts])
        lo = np.array([max(p[1].ci_low, 1e-300) for p in pts])
        hi = np.array([p[1].ci_high for p in pts])
        ax.errorbar(x, w, yerr=[w - np.minimum(lo, w), np.maximum(hi - w, 0)], marker="o",
                    ms=4, capsize=3, color="C0", label=label or "WER (95 %)")
    for i, (x, r) in enumerate(bounds):
        ub = r.upper_bound
        ax.plot([x], [ub], marker="_", ms=14, mew=2, ls="", color="C3",
                label="bound (95 %), 0 errors" if i == 0 else None)
        ax.annotate("", xy=(x, 0.3 * ub), xytext=(x, ub),
                    arrowprops=dict(arrowstyle="->", color="C3"))
    ax.set(yscale="log", ylabel="write error rate (95 % interval)")


@dataclasses.dataclass(frozen=True)
class WERSweep:
    """Write error rates along a sweep of one pulse parameter (`parameter`, e.g.
    "amplitude" or "width_s", values `values`)."""

    parameter: str
    values: np.ndarray
    results: tuple

    def to_json(self) -> dict:
        return {"parameter": self.parameter, "values": [float(v) for v in self.values],
                "results": [r.to_json() for r in self.results]}

    def plot(self, path=None, floor: float = 1e-10):
        """WER against the swept parameter on a log axis down to `floor` (1e-10), with
        the 95 % intervals, the points of each method marked apart; the
        ``matplotlib.figure.Figure`` (no pyplot), written to `path` if given."""
        from matplotlib.figure import Figure
        fig = Figure(figsize=(5, 3.8))
        ax = fig.subplots()
        # widths in ns, as memory papers plot them
        scale, xlabel = ((1e9, "pulse width (ns)") if self.parameter == "width_s"
                         else (1.0, self.parameter))
        for method, color in (("brute", "C0"), ("importance", "C2"), ("splitting", "C1")):
            sel = [i for i, r in enumerate(self.results) if r.method == method]
            if not sel:
                continue
            rs = [self.results[i] for i in sel]
            xs = [float(self.values[i]) * scale for i in sel]
            pts = [(x, r) for x, r in zip(xs, rs) if r.wer > 0 and not r.is_upper_bound]
            if pts:
                x = np.array([p[0] for p in pts])
                w = np.array([p[1].wer for p in pts])
                lo = np.array([max(p[1].ci_low, floor * 1e-3) for p in pts])
                hi = np.array([p[1].ci_high for p in pts])
                ax.errorbar(x, w, yerr=[w - np.minimum(lo, w), hi - w], marker="o", ms=4,
                            capsize=3, color=color, label=f"{method} (95 %)")
            for x, r in zip(xs, rs):
                if r.is_upper_bound or not r.wer > 0:
                    ub = r.upper_bound
                    ax.plot([x], [ub], marker="v", ls="", color=color)
        low = min([floor] + [r.ci_low for r in self.results if r.ci_low and r.ci_low > 0])
        ax.set(yscale="log", ylim=(max(low, 1e-300) / 3, 1.5), xlabel=xlabel,
               ylabel="write error rate (95 % interval)")
        ax.axhline(floor, color="0.8", lw=0.8, ls=":")
        ax.legend(fontsize=8, title="\u25bd: one-sided upper bound")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig
