"""The public surface of the experiments: arguments are checked before anything is
compiled, results say how they were obtained (rounded-up trials, bounds, sweep rate)."""

import jax
import pytest

import spinjax as sj
from spinjax.devices import vcma_mtj
from spinjax.experiments import write_error_rate


def test_write_error_rate_progress_and_rounded_trials():
    """5 trials in batches of 2 run 3 batches (6 trials); the callback sees every batch,
    with cumulative counts that end at the result's."""
    calls = []
    res = write_error_rate(vcma_mtj(), 1.2, 0.45e-9, trials=5, batch=2,
                           key=jax.random.key(3), progress=calls.append)
    assert res.trials == 6 and res.trials_requested == 5 and res.rounded_up
    assert [c["batch"] for c in calls] == [0, 1, 2]
    assert [c["trials_done"] for c in calls] == [2, 4, 6]
    assert all(c["trials_total"] == 6 for c in calls)
    assert calls[-1]["errors"] == res.errors
    assert all(c["elapsed_s"] >= 0 for c in calls)
    j = res.to_json()
    assert j["trials"] == 6 and j["trials_requested"] == 5 and j["trials_rounded_up"]
    with pytest.raises(sj.InvalidParameterError, match="progress"):
        write_error_rate(vcma_mtj(), 1.2, 0.45e-9, trials=5, key=jax.random.key(0),
                         progress=3)
