r"""A start for the fit when the one given says nothing.

Fisher scoring needs a start where the model's $P_i$ is neither 0 nor 1 at some data
points: where every $P_i$ is saturated the likelihood is flat and its curvature zero.
The published sigmoid of ``examples/data/published_sigmoid.csv`` is such a case: it
lies at 0.28 V, where the VCMA preset with its default compensation voltage
$V_c$ = 1.61 V never switches. Then a preset that knows where its curve lies
(a ``start_from_data(data, init)`` attribute, as
`spinjax._fitting.vcma_params.vcma_mtj_compensation` has) proposes a start
from the data; if it has none, or the model is saturated there too,
[`FitFailed`][spinjax.fitting.FitFailed] says so, with the data's middle voltage and the
start proposed.
"""

import jax
import jax.numpy as jnp
import numpy as np


class FitFailed(RuntimeError):
    """The fit cannot proceed: the message says where it stood and why."""


def saturated(p, n: int) -> bool:
    """Whether every modelled probability is 0 or 1 to within one junction in `n`."""
    p = np.asarray(p, np.float64)
    return bool(np.all(np.minimum(p, 1 - p) < 1.0 / n))


def middle_voltage(data) -> float:
    """The voltage (V) where the observed switching fraction crosses 1/2, by linear
    interpolation between neighbouring voltages (means over widths); the voltage of
    the fraction nearest 1/2 if it never crosses."""
    v = np.asarray(data.voltage_V, np.float64)
    p = np.asarray(data.p, np.float64)
    volts = np.unique(v)
    frac = np.array([p[v == x].mean() for x in volts]) - 0.5
    for i in range(volts.size - 1):
        if frac[i] == 0:
            return float(volts[i])
        if frac[i] * frac[i + 1] < 0:
            t = frac[i] / (frac[i] - frac[i + 1])
            return float(volts[i] + t * (volts[i + 1] - volts[i]))
    return float(volts[np.argmin(np.abs(frac))])


def _model_p(outcome, names, theta, key, n):
    b = outcome({k: jnp.full((n,), v) for k, v in zip(names, theta)}, key, paired=False)
    return np.asarray(b, np.float64).mean(0)


def find_start(outcome, names, theta0, data, key, n_pairs, preset, log):
    """`theta0`, or where the model is saturated there, the preset's start from the
    data (see the module); with a record of the change (or ``None``)."""
    y = np.asarray(data.p, np.float64)
    if saturated(y, 10**12):   # every observed fraction 0 or 1: nothing to locate
        return theta0, None
    n = 2 * (int(n_pairs) // 2)
    k_start = jax.random.fold_in(key, 20_000)
    p0 = _model_p(outcome, names, theta0, k_start, n)
    if not saturated(p0, n):
        return theta0, None
    given = dict(zip(names, theta0.tolist()))
    propose = getattr(preset, "start_from_data", None)
    proposal = propose(data, given) if propose is not None else None
    p1 = None
    if proposal is not None:
        theta1 = np.array([float(proposal[k]) for k in names])
        p1 = _model_p(outcome, names, theta1, k_start, n)
        if not saturated(p1, n):
            start = {"given": given, "found": proposal, "p_given": p0.tolist(),
                     "p_found": p1.tolist()}
            if log is not None:
                log({"step": -1, "params": proposal, "nll": float("nan"),
                     "phase": "start from the data"})
            return theta1, start
    tried = ("" if p1 is None else f"; the start proposed from the data, {proposal}, "
             f"gives P = {np.round(p1, 3).tolist()}")
    raise FitFailed(
        f"the model gives P = {np.round(p0, 3).tolist()} at every data point from the start "
        f"{given}{tried}: a flat likelihood, nothing to fit. The data cross 1/2 near "
        f"{middle_voltage(data):.4g} V; give a start (init) where the model's P at the "
        f"data's voltages is between 0 and 1.")
