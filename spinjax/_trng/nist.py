"""The external judge: NIST SP 800-22 p-values through ``sp80022suite`` (MIT, C).

A test run on fewer bits than it is defined for is not a test: the suite then returns
a statistic, a sentinel (-1, 0, ``n``) or NaN in place of the p-value, which read as a
p-value would count as a pass (or a failure) for nothing. Each test here runs only from
the minimum length of NIST SP 800-22 rev. 1a (Rukhin et al., NIST Special Publication
800-22 revision 1a, 2010), section 2, "Input Size Recommendation" of each test, with
the parameters of the NIST reference code; below it the test is *not applicable*: its
p-value is ``None`` with a reason that names the bits it needs.
"""

import math

import numpy as np

from .._validate import check_bits

# name, the block/template parameter (None: a one-argument test), the minimum n and
# its source (SP 800-22 rev. 1a section; for m-bit tests the condition on n).
_TESTS = (
    ("frequency", None, 100, "2.1.7: n >= 100"),
    ("block_frequency", 128, 128, "2.2.7: n >= 100 and one block of M = 128"),
    ("runs", None, 100, "2.3.7: n >= 100"),
    ("longest_run_of_ones", None, 128, "2.4.7: n >= 128 (M = 8)"),
    ("rank", None, 38_912, "2.5.7: n >= 38 M Q = 38 912"),
    ("discrete_fourier_transform", None, 1000, "2.6.7: n >= 1000"),
    ("overlapping_template_matchings", 9, 1_000_000, "2.8.7: n >= 10^6"),
    ("universal", None, 387_840, "2.9.7: n >= 387 840 (L = 6)"),
    ("linear_complexity", 500, 1_000_000, "2.10.7: n >= 10^6"),
    ("serial", 16, 2**19, "2.11.7: m = 16 < floor(log2 n) - 2, n >= 2^19"),
    ("approximate_entropy", 10, 2**16, "2.12.7: m = 10 < floor(log2 n) - 5, n >= 2^16"),
    ("cumulative_sums", None, 100, "2.13.7: n >= 100"),
    ("random_excursions", None, 1_000_000, "2.14.7: n >= 10^6, and J >= 500 cycles"),
    ("random_excursions_variant", None, 1_000_000, "2.15.7: n >= 10^6, and J >= 500 cycles"),
)
MIN_BITS = {name: n for name, _, n, _ in _TESTS}


class NistReport(dict):
    """The p-values of the SP 800-22 tests that apply to the stream, as a dict
    ``{test: p}`` (so iterating it, or counting its failures, sees only tests that
    ran), and beside it the tests that did not apply.

    **Attributes:** `n_bits`; `not_applicable` ``{test: reason}`` (the bits it needs
    and the section of SP 800-22 rev. 1a that says so);
    [`p_value`][spinjax.trng.NistReport.p_value] (``None`` for a test that did not apply);
    [`failures`][spinjax.trng.NistReport.failures],
    [`summary`][spinjax.trng.NistReport.summary], `to_json`.
    """

    def __init__(self, pvalues: dict, not_applicable: dict, n_bits: int):
        super().__init__(pvalues)
        self.not_applicable = dict(not_applicable)
        self.n_bits = int(n_bits)

    def p_value(self, name: str) -> float | None:
        """The test's p-value, or ``None`` if it was not applicable."""
        if name not in MIN_BITS:
            raise KeyError(f"{name!r} is not one of the tests run: {sorted(MIN_BITS)}.")
        return self.get(name)

    def failures(self, alpha: float = 0.01) -> list:
        """The applicable tests with p < `alpha`."""
        return [k for k, p in self.items() if p < alpha]

    def summary(self, alpha: float = 0.01) -> dict:
        """Counts over the applicable tests only: ``applicable``, ``passed``, ``failed``
        (at level `alpha`), and ``not_applicable``."""
        failed = len(self.failures(alpha))
        return {"alpha": alpha, "n_bits": self.n_bits, "applicable": len(self),
                "passed": len(self) - failed, "failed": failed,
                "not_applicable": len(self.not_applicable)}

    def to_json(self, alpha: float = 0.01) -> dict:
        tests = {name: {"p_value": self.get(name), "reason": self.not_applicable.get(name)}
                 for name in MIN_BITS}
        return {"tests": tests, "summary": self.summary(alpha)}


def nist_pvalues(bits) -> NistReport:
    """The SP 800-22 tests for `bits` (0/1, flattened row-major: cycle by cycle, the
    array read in parallel and serialized), with the parameters of the NIST reference
    (block 128, m = 10 and 16, M = 500, template length 9).

    Returns a [`NistReport`][spinjax.trng.NistReport]: the p-values of the tests that apply
    to that many bits, and for each other test (``report.not_applicable``) the reason, with
    the minimum length from SP 800-22 rev. 1a section 2 (random excursions and its variant
    also when the walk has fewer than 500 cycles, as the suite reports). A p-value the
    suite returns outside [0, 1] or NaN is not counted either. The non-overlapping
    template test is not run, since ``sp80022suite`` ships no template files. Requires
    the package ``sp80022suite`` (the ``dev`` extra).
    """
    b = check_bits("bits", bits).ravel()
    try:
        import sp80022suite
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("NIST SP 800-22 needs the package sp80022suite: "
                          "pip install 'spinjax[dev]' or pip install sp80022suite") from e
    raw = b.tobytes()
    n = b.size
    pvalues, skipped = {}, {}
    for name, arg, min_bits, source in _TESTS:
        if n < min_bits:
            skipped[name] = (f"needs at least {min_bits} bits (NIST SP 800-22 rev. 1a, "
                             f"section {source}); got {n}.")
            continue
        test = getattr(sp80022suite, name)
        try:
            p = float(test(raw) if arg is None else test(arg, raw))
        except ValueError as err:   # random excursions: "Insufficient number of cycles"
            skipped[name] = f"not applicable to this stream: {err} (section {source})."
            continue
        if not (math.isfinite(p) and 0.0 <= p <= 1.0):
            skipped[name] = f"the suite returned {p!r}, not a p-value."
            continue
        pvalues[name] = p
    return NistReport(pvalues, skipped, n)
