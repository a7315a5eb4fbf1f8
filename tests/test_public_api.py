"""The public surface: code outside the ``spinjax`` package (the diffusion package, the
benchmarks, the examples and the notebooks) uses only public names, and each public
namespace exports what its ``__all__`` lists."""

import ast
import importlib
import json
from pathlib import Path

import pytest

import spinjax as sj

ROOT = Path(__file__).resolve().parents[1]
NAMESPACES = ["bits", "design", "devices", "estimators", "experiments", "fitting",
              "sharding", "trng", "wer"]


def _sources():
    for folder in ("diffusion", "benchmarks", "examples"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, path.read_text()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = ["\n".join(line for line in "".join(c["source"]).splitlines()
                          if not line.lstrip().startswith(("%", "!")))
                for c in cells if c["cell_type"] == "code"]
        yield path, "\n\n".join(code)


def _private_uses(tree, aliases):
    """(line, text) of each import of a private spinjax module and each attribute
    ``alias._name`` of an alias bound to spinjax."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("spinjax.") and any(
                    part.startswith("_") for part in node.module.split(".")[1:]):
                yield node.lineno, f"from {node.module} import ..."
            if node.module == "spinjax":
                for a in node.names:
                    if a.name.startswith("_"):
                        yield node.lineno, f"from spinjax import {a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("spinjax.") and any(
                        part.startswith("_") for part in a.name.split(".")[1:]):
                    yield node.lineno, f"import {a.name}"
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id in aliases and node.attr.startswith("_")
              and not node.attr.startswith("__")):
            yield node.lineno, f"{node.value.id}.{node.attr}"


def test_nothing_outside_spinjax_imports_its_private_modules():
    bad = []
    for path, text in _sources():
        tree = ast.parse(text)
        aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                   for a in n.names if a.name == "spinjax"}
        bad += [f"{path.relative_to(ROOT)}:{line}: {what}"
                for line, what in _private_uses(tree, aliases)]
    assert not bad, "private spinjax names used outside the package:\n" + "\n".join(bad)


def test_the_check_sees_a_private_import():
    """The scan above is not vacuous: it finds each form it looks for."""
    tree = ast.parse("import spinjax as sj\nfrom spinjax._trng.array import reset_start\n"
                     "import spinjax._fitting\nfrom spinjax import _design\nsj._sharding.AXIS\n")
    assert len(list(_private_uses(tree, {"sj"}))) == 4


@pytest.mark.parametrize("name", NAMESPACES)
def test_public_namespaces_export_what_they_list(name):
    """``import spinjax.<name>`` works as a module, each name of its ``__all__`` is
    there, and the top level holds it as an attribute."""
    module = importlib.import_module(f"spinjax.{name}")
    assert getattr(sj, name) is module
    assert module.__doc__ and module.__all__
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, missing
