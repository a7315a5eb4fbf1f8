"""The command line writes what it says (JSON with the result and its arguments, PNG),
and a user's mistake ends in one line on stderr with exit status 2, never a traceback."""

import argparse
import json

import numpy as np
import pytest

import spinjax.experiments as experiments
from spinjax import _fitting
from spinjax._cli_output import Progress, strict_json
from spinjax.cli import _COMMANDS, build_parser, main

_STRICT = {"parse_constant": lambda c: pytest.fail(f"non-strict JSON constant {c}")}


def _one_error_line(capsys, *names):
    """The last line of stderr, the only error line (progress lines may precede it)."""
    lines = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in lines if "error:" in line]
    assert "Traceback" not in "".join(lines) and errors == lines[-1:], lines
    assert all(n in errors[0] for n in names), errors[0]
    return errors[0]


def test_window_command_finds_half_period(tmp_path):
    """`spinjax window` on the VCMA preset at compensation: its JSON records the first
    maximum at pi/(gamma0 H_x) = 0.473 ns within 10 % (64 junctions, 19 widths,
    grid step 50 ps)."""
    assert main(["window", "--n", "64", "--widths", "0.1e-9:1.0e-9:19",
                 "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "window.json").read_text(), **_STRICT)
    assert (tmp_path / "window.png").stat().st_size > 1000
    assert record["arguments"]["n"] == 64
    res = record["result"]
    assert len(res["p_sw"]) == 19 and res["trials"] == 64
    assert all(lo <= p <= hi for lo, p, hi in zip(np.ravel(res["wilson95_low"]),
                                                  np.ravel(res["p_sw"]),
                                                  np.ravel(res["wilson95_high"])))
    half = record["half_precession_period_s"]
    assert abs(record["first_maximum_s"] - half) < 0.1 * half


@pytest.mark.parametrize("command", [None, *_COMMANDS])
def test_every_help_works(command, capsys):
    """A '%' in a help string once crashed `--help`; every command's help prints."""
    assert main([command, "--help"] if command else ["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: spinjax")


def test_every_argument_has_help():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        for action in parser._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"


@pytest.mark.parametrize("argv, names", [
    ([], ["command"]),
    (["bogus"], ["invalid choice", "bogus"]),
    (["psw-map", "--device", "nonexistent"], ["--device", "invalid choice"]),
    (["psw-map", "--n", "0"], ["--n", "0"]),
    (["psw-map", "--n", "abc"], ["--n", "abc"]),
    (["psw-map", "--amplitudes", "1:2"], ["--amplitudes"]),
    (["psw-map", "--amplitudes", "1,nan"], ["--amplitudes"]),
    (["psw-map", "--widths=-1e-9"], ["--widths", "positive"]),
    (["psw-map", "--widths", "-1e-9"], ["--widths", "--option=-1e-9"]),
    (["psw-map", "--temperature", "-5"], ["--temperature"]),
    (["psw-map", "--out", __file__], ["--out", "not a directory"]),
    (["window", "--dt", "nan"], ["--dt"]),
    (["psw-map", "--n", "16777216"], ["--n", "at most 16777216"]),
    (["window", "--widths", "0.5e-9"], ["--widths", "at least 3"]),
    (["wer", "--trials", "0"], ["--trials"]),
    (["wer", "--width", "inf"], ["--width"]),
    (["rh-loop", "--h-min", "3e5"], ["--h-min", "--h-max"]),
    (["pump-probe", "--pumps", "1"], ["--pumps"]),
    (["harmonic-hall", "--frequency", "1e10"], ["--dt", "--frequency"]),
    (["trng", "--target", "1"], ["--target"]),
    (["trng", "--lo", "1.2", "--hi", "1.0"], ["--lo", "--hi"]),
    (["trng", "--n", "8", "--xor", "9"], ["--xor", "--n"]),
    (["fit", "/nonexistent/data.csv"], ["/nonexistent/data.csv"]),
    (["fit", "examples/data/published_sigmoid.csv", "--init", "bogus=1"], ["bogus"]),
    (["fit", "examples/data/published_sigmoid.csv", "--init", "xi=-1"], ["xi"]),
    (["fit", "examples/data/published_sigmoid.csv", "--init", "xi"], ["--init"]),
])
def test_mistakes_end_in_one_line_and_status_2(argv, names, capsys, tmp_path):
    if "--out" not in argv and argv and argv[0] in _COMMANDS:
        argv = argv + ["--out", str(tmp_path)]
    assert main(argv) == 2
    _one_error_line(capsys, *names)
    assert not list(tmp_path.iterdir())   # nothing written


def test_json_is_strict_and_says_why(tmp_path, monkeypatch, capsys):
    """An R-H loop in which nothing switched: coercive field null, with the reason."""
    t = np.linspace(0, 1, 5)

    def no_switching(device, h_max, *, n, **kw):
        return experiments.RHLoop(t * h_max, np.ones((5, n)), np.ones(5),
                                  np.full(n, np.nan), np.full(n, np.nan))

    monkeypatch.setattr(experiments, "rh_loop", no_switching)
    assert main(["rh-loop", "--n", "3", "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "rh-loop.json").read_text(), **_STRICT)
    assert record["result"]["coercive_field_A_per_m"] is None
    assert "raise --h-max" in record["not_a_number"]["result.coercive_field_A_per_m"]
    assert "not measured" in capsys.readouterr().out


def test_strict_json_replaces_every_non_finite_value():
    reasons = {}
    out = strict_json({"a": [1.0, np.nan, np.float32(np.inf)], "b": np.array([2, 3])},
                      reasons, why={"a": "because"})
    assert out == {"a": [1.0, None, None], "b": [2, 3]}
    assert reasons == {"a[1]": "because", "a[2]": "because"}
    json.dumps(out, allow_nan=False)


def test_wer_reports_batches_and_progress(tmp_path, monkeypatch, capsys):
    """The rounding of trials into whole batches is stated, and the progress callback
    (where write_error_rate takes one) prints trials, errors, rate and time left."""
    def fake(device, amplitude, width_s, *, trials, batch, progress=None, **kw):
        total = -(-trials // batch) * batch
        for b in range(total // batch):
            progress({"trials_done": (b + 1) * batch, "trials_total": total,
                      "errors": b, "elapsed_s": 0.5 * (b + 1), "batch": b})
        return experiments.WriteErrorRate(amplitude, width_s, 2, total)

    monkeypatch.setattr(experiments, "write_error_rate", fake)
    assert main(["wer", "--trials", "1000000", "--batch", "2048", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "1000000 trials requested, running 1001472 = 489 batches of 2048" in err
    assert "1001472/1001472 trials (100.0 %), 488 errors so far" in err
    assert json.loads((tmp_path / "wer.json").read_text(), **_STRICT)["result"]["errors"] == 2


def test_progress_lines_are_throttled():
    lines = []

    class Sink:
        def write(self, s):
            lines.append(s)

        def flush(self):
            pass

    p = Progress("wer", every_s=3600, stream=Sink())
    for done in (10, 20, 30):
        p({"trials_done": done, "trials_total": 30, "errors": 1, "elapsed_s": done / 10})
    text = "".join(lines)
    assert text.count("trials (") == 2 and "about 0 s left" in text   # first and last


def test_failed_fit_says_which_start_to_use(monkeypatch, capsys, tmp_path):
    def fail(*a, **k):
        raise _fitting.FitFailed("the model gives P = [0.0, 0.0, 0.0] at the data points.")

    monkeypatch.setattr(_fitting, "fit_switching", fail)
    assert main(["fit", "examples/data/published_sigmoid.csv", "--init",
                 "compensation_V=1.6,xi=80e-15", "--out", str(tmp_path)]) == 2
    err = _one_error_line(capsys, "compensation_V=1.6", "P = 1/2 at 0.2", "try --init")
    assert "xi=" in err.split("try --init")[1]


def test_default_fit_start_follows_the_data():
    """'auto' puts the start where the example's fit landed (V_c 0.376 V, xi 600 fJ/(V m))
    to within 10 %: the sigmoid's middle and width set V_c and xi."""
    from spinjax._cli_args import fit_start
    data = _fitting.read_csv("examples/data/published_sigmoid.csv")
    start = fit_start("auto", data, None)
    assert abs(start["compensation_V"] / 0.376 - 1) < 0.1
    assert abs(start["xi"] / 600e-15 - 1) < 0.1


def test_trng_report_keeps_nist_tests_that_did_not_apply():
    """A NIST report that says which tests need more bits is written whole, and only
    the applicable tests count as failures."""
    from spinjax._cli_output import TRNGReport

    class Report(dict):
        def to_json(self):
            return {"tests": {"rank": {"p_value": None, "reason": "needs 38912 bits"}},
                    "summary": {"applicable": 2, "passed": 1, "not_applicable": 1}}

    bits = np.random.default_rng(0).integers(0, 2, (64, 8))
    j = TRNGReport(0.9, bits, 2, lambda b: Report(frequency=0.5, runs=0.001),
                   1e-9).to_json()
    assert j["output_bits"] == 64 * 4 and j["nist_failures_at_1pct"] == ["runs"]
    assert j["nist"]["tests"]["rank"]["p_value"] is None
    json.dumps(j, allow_nan=False)
