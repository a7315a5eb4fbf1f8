"""WER along a sweep of a trapezoid pulse's amplitude or width."""

import jax
import numpy as np

from .._params import InvalidParameterError
from .._validate import check_key
from ..experiments._args import finite_array
from .estimate import write_error_rate
from .result import WERSweep


def wer_sweep(device, amplitudes, widths_s, *, key, **kwargs) -> WERSweep:
    """[`write_error_rate`][spinjax.wer.write_error_rate] of a trapezoid at each amplitude
    (with one width) or at each width (with one amplitude); point i uses
    ``fold_in(key, i)``. Keyword arguments go to it (target, rel_precision, method,
    max_time_s (per point), edge_s, ...). Returns a [`WERSweep`][spinjax.wer.WERSweep]
    whose ``plot`` is the WER curve on a log axis with its intervals."""
    key = check_key("key", key)
    amps = finite_array("amplitudes", amplitudes)
    widths = finite_array("widths_s", widths_s, 0.0, "s")
    if len(amps) > 1 and len(widths) > 1:
        raise InvalidParameterError(
            f"amplitudes has {len(amps)} values and widths_s {len(widths)}; sweep one of "
            "them (the other a single value).")
    if len(widths) > 1:
        name, values = "width_s", widths
        points = [(float(amps[0]), float(w)) for w in widths]
    else:
        name, values = "amplitude", amps
        points = [(float(a), float(widths[0])) for a in amps]
    results = tuple(write_error_rate(device, a, w, key=jax.random.fold_in(key, i), **kwargs)
                    for i, (a, w) in enumerate(points))
    return WERSweep(name, np.asarray(values), results)
