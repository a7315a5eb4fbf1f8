"""The command line writes what it says: JSON with the result and its arguments, PNG."""

import json

import numpy as np
import pytest

from spinjax.cli import main


def test_window_command_finds_half_period(tmp_path):
    """`spinjax window` on the VCMA preset at compensation: its JSON records the first
    maximum at pi/(gamma0 H_x) = 0.473 ns within 10 % (64 junctions, 19 widths,
    grid step 50 ps)."""
    assert main(["window", "--n", "64", "--widths", "0.1e-9:1.0e-9:19",
                 "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "window.json").read_text())
    assert (tmp_path / "window.png").stat().st_size > 1000
    assert record["arguments"]["n"] == 64
    res = record["result"]
    assert len(res["p_sw"]) == 19 and res["trials"] == 64
    assert all(lo <= p <= hi for lo, p, hi in zip(np.ravel(res["wilson95_low"]),
                                                  np.ravel(res["p_sw"]),
                                                  np.ravel(res["wilson95_high"])))
    half = record["half_precession_period_s"]
    assert abs(record["first_maximum_s"] - half) < 0.1 * half


def test_bad_arguments_exit_with_a_message(capsys):
    with pytest.raises(SystemExit):
        main(["psw-map", "--device", "nonexistent"])
    assert "invalid choice" in capsys.readouterr().err
