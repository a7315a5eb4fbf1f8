"""Switching-probability data: counts of switches out of trials at pulse settings,
read from CSV with checks that name the bad column or row."""

import csv
import dataclasses
import pathlib

import numpy as np

from .._params import InvalidParameterError

REQUIRED = ("voltage_V", "width_s", "switches", "trials")
OPTIONAL = ("temperature_K",)


@dataclasses.dataclass(frozen=True)
class SwitchingData:
    """`switches[i]` of `trials[i]` writes switched at pulse amplitude `voltage_V[i]`
    (V) and plateau `width_s[i]` (s), at `temperature_K[i]` (K; NaN: the device's)."""

    voltage_V: np.ndarray
    width_s: np.ndarray
    switches: np.ndarray
    trials: np.ndarray
    temperature_K: np.ndarray

    def __post_init__(self):
        n = len(self.voltage_V)
        if n == 0:
            raise InvalidParameterError("voltage_V (and every column) has no rows; the data "
                                        "need at least one.")
        for name in ("width_s", "switches", "trials", "temperature_K"):
            if len(getattr(self, name)) != n:
                raise InvalidParameterError(f"column {name} has {len(getattr(self, name))} "
                                            f"rows, voltage_V has {n}.")
        for name in ("voltage_V", "width_s", "switches", "trials"):
            bad = ~np.isfinite(getattr(self, name))
            if np.any(bad):
                raise InvalidParameterError(f"column {name} is not finite in row "
                                            f"{int(np.argmax(bad))}.")
        if np.any(self.width_s <= 0):
            raise InvalidParameterError(f"width_s must be > 0 s; row "
                                        f"{int(np.argmax(self.width_s <= 0))} is "
                                        f"{self.width_s[self.width_s <= 0][0]}.")
        for name in ("switches", "trials"):
            x = getattr(self, name)
            if np.any(x < 0) or np.any(x != np.round(x)):
                raise InvalidParameterError(f"column {name} must hold non-negative "
                                            f"integers (counts).")
        if np.any(self.trials < 1):
            i = int(np.argmax(self.trials < 1))
            raise InvalidParameterError(f"trials must be >= 1; row {i} has "
                                        f"{self.trials[i]:g}.")
        temp = np.asarray(self.temperature_K, np.float64)
        bad = ~np.isnan(temp) & ~(np.isfinite(temp) & (temp >= 0))
        if np.any(bad):
            i = int(np.argmax(bad))
            raise InvalidParameterError(f"temperature_K = {temp[i]!r} K in row {i}; the valid "
                                        "range is [0, inf) K (or empty: the device's).")
        over = self.switches > self.trials
        if np.any(over):
            i = int(np.argmax(over))
            raise InvalidParameterError(f"row {i}: switches = {int(self.switches[i])} "
                                        f"exceeds trials = {int(self.trials[i])}.")

    @property
    def p(self) -> np.ndarray:
        return self.switches / self.trials

    def to_json(self) -> dict:
        return {k: np.asarray(getattr(self, k)).tolist() for k in (*REQUIRED, *OPTIONAL)}


def _column(name, x):
    """A 1-d float64 column of numbers (a scalar broadcasts later)."""
    try:
        a = np.atleast_1d(np.asarray(x))
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(f"{name} = {x!r:.60} is not an array of numbers.") from err
    if a.dtype.kind not in "iuf" or a.ndim != 1:
        raise InvalidParameterError(f"{name} = {x!r:.60} (dtype {a.dtype}, shape {a.shape}); "
                                    "it must be a 1-d array of numbers.")
    return a.astype(np.float64)


def from_arrays(voltage_V, width_s, switches, trials, temperature_K=None) -> SwitchingData:
    """[`SwitchingData`][spinjax.fitting.SwitchingData] from 1-d arrays (a scalar `width_s`
    or `temperature_K` applies to every row); checked as
    [`SwitchingData`][spinjax.fitting.SwitchingData] checks, plus a finite positive
    temperature where one is given."""
    v = _column("voltage_V", voltage_V)
    w = _column("width_s", width_s)
    if w.size == 1:
        w = np.full(v.shape, w[0])
    if temperature_K is None:
        t = np.full(v.shape, np.nan)
    else:
        t = _column("temperature_K", temperature_K)
        t = np.full(v.shape, t[0]) if t.size == 1 else t
        if not np.all(np.isfinite(t) & (t >= 0)):
            raise InvalidParameterError(f"temperature_K = {t.tolist()[:8]}; it must be finite "
                                        "and in [0, inf) K.")
    return SwitchingData(v, w, _column("switches", switches), _column("trials", trials), t)


def read_csv(path) -> SwitchingData:
    """Read columns voltage_V, width_s, switches, trials (and optionally temperature_K)
    from a CSV file with a header row; a column `probability` alone is refused (the
    counts carry the statistics), and one given beside the counts must agree with them."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no CSV file at {path}.")
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        cols = [c.strip() for c in (reader.fieldnames or [])]
        rows = [{k.strip(): v for k, v in row.items() if k is not None} for row in reader]
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        hint = (" (a probability column is not enough: give switches and trials)"
                if "probability" in cols else "")
        raise InvalidParameterError(f"{path}: missing column(s) {missing}; found {cols}"
                                    f"{hint}.")

    def column(name):
        try:
            return np.array([float(r[name]) if r[name] not in ("", None) else np.nan
                             for r in rows])
        except ValueError as e:
            raise InvalidParameterError(f"{path}: column {name} has a non-number: {e}.")

    data = SwitchingData(*(column(c) for c in REQUIRED),
                         column("temperature_K") if "temperature_K" in cols
                         else np.full(len(rows), np.nan))
    if "probability" in cols:
        prob = column("probability")
        if np.any((prob < 0) | (prob > 1)):
            raise InvalidParameterError(f"{path}: probability outside [0, 1] in row "
                                        f"{int(np.argmax((prob < 0) | (prob > 1)))}.")
        if np.any(np.abs(prob - data.p) > 0.5 / data.trials + 1e-9):
            raise InvalidParameterError(f"{path}: the probability column disagrees with "
                                        f"switches / trials.")
    return data
