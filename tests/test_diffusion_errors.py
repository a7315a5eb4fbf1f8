"""One error base class for the diffusion package (diffusion/errors.py): every error it
raises for a bad input is a DiffusionError, hence a ValueError, and the missing-file
errors are also FileNotFoundErrors; each module's error keeps its name."""

import ast
from pathlib import Path

import pytest

import diffusion
from diffusion import errors
from diffusion.configs import get_config
from diffusion.errors import DiffusionError

# Raised on purpose for something other than a bad input: the CLI's signal handler, a
# diverged training run, spinjax's failed pulse design.
NOT_INPUT_ERRORS = {"KeyboardInterrupt", "FloatingPointError", "DesignFailed"}


def test_every_raise_in_the_package_is_a_diffusion_error():
    raised = set()
    for path in Path(diffusion.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                    and isinstance(node.exc.func, ast.Name):
                raised.add((node.exc.func.id, path.name))
    assert raised, "no raise statement found"
    bad = sorted((name, file) for name, file in raised if name not in NOT_INPUT_ERRORS
                 and not issubclass(getattr(errors, name, type), DiffusionError))
    assert not bad, bad


def test_the_hierarchy_keeps_the_old_relations():
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, DiffusionError) and issubclass(cls, ValueError), name
    assert issubclass(errors.MissingDataError, errors.DataError)
    assert issubclass(errors.MissingDataError, FileNotFoundError)
    assert issubclass(errors.MissingCheckpointError, FileNotFoundError)


def test_modules_raise_and_reexport_their_errors(tmp_path):
    from diffusion.checkpoint import MissingCheckpointError, load
    from diffusion.data import DataError, load_dataset
    from diffusion.samplers import SamplerError  # noqa: F401  (re-exported name)
    from diffusion.schedules import ScheduleError, linear_schedule

    with pytest.raises(errors.ConfigError, match="nope"):
        get_config("nope")
    with pytest.raises(errors.ConfigError, match="train_steps"):
        get_config("default", train_steps=0)
    with pytest.raises(DataError, match="name"):
        load_dataset("cifar")
    with pytest.raises(ScheduleError, match="beta_end"):
        linear_schedule(10, beta_end=1.0)
    with pytest.raises(MissingCheckpointError, match="config.json"):
        load(tmp_path)
    with pytest.raises(FileNotFoundError):
        load(tmp_path)
