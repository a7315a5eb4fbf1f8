"""The external judge: NIST SP 800-22 p-values through ``sp80022suite`` (MIT, C)."""

import numpy as np

_ONE_ARG = ("frequency", "runs", "longest_run_of_ones", "rank",
            "discrete_fourier_transform", "universal", "cumulative_sums",
            "random_excursions", "random_excursions_variant")
_TWO_ARG = (("block_frequency", 128), ("approximate_entropy", 10), ("serial", 16),
            ("linear_complexity", 500), ("overlapping_template_matchings", 9))


def nist_pvalues(bits) -> dict:
    """p-values of the applicable SP 800-22 tests for `bits` (0/1, flattened row-major:
    cycle by cycle, the array read in parallel and serialized), with the parameters of
    the NIST reference (block 128, m = 10 and 16, M = 500, template length 9).

    Random excursions (and its variant) are left out when the suite reports them not
    applicable (fewer than 500 cycles of the walk); the non-overlapping template test
    is not run, since ``sp80022suite`` ships no template files. Requires the package
    ``sp80022suite`` (the ``dev`` extra)."""
    try:
        import sp80022suite
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("NIST SP 800-22 needs the package sp80022suite: "
                          "pip install 'spinjax[dev]' or pip install sp80022suite") from e
    b = np.asarray(bits, np.uint8).ravel()
    if b.size == 0 or np.any(b > 1):
        raise ValueError(f"bits must be a non-empty array of 0 and 1; got {b.size} values "
                         f"with maximum {b.max() if b.size else 'n/a'}.")
    raw = b.tobytes()
    out = {}
    for name in _ONE_ARG:
        try:
            out[name] = float(getattr(sp80022suite, name)(raw))
        except ValueError:   # "Insufficient number of cycles": not applicable
            pass
    for name, arg in _TWO_ARG:
        out[name] = float(getattr(sp80022suite, name)(arg, raw))
    return out
