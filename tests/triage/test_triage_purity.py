"""The triage package stays pure: no Django, Celery or DRF, and no app code outside it.

Checked twice, as for the routing engine (``tests/test_routing_purity.py``): statically
(every ``import`` in coordination/triage, parsed with ``ast``) and at run time (a fresh
interpreter imports the package, trains and predicts, and must not have loaded Django).
It must not unpickle either: no pickle, joblib, skops or dill anywhere in it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRIAGE = ROOT / "coordination" / "triage"
MODULES = sorted(path for path in TRIAGE.rglob("*.py") if "__pycache__" not in path.parts)

FRAMEWORKS = {"django", "celery", "kombu", "rest_framework", "guardian", "environ"}
APPS = {"issues", "agencies", "platform_gov", "coordination"}  # coordination.triage excepted
UNSAFE_LOADERS = {"pickle", "joblib", "skops", "dill", "cloudpickle", "marshal", "shelve"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import; relative ones resolved."""
    package = ["coordination", "triage", *path.relative_to(TRIAGE).parent.parts]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def test_there_is_something_to_check():
    assert {"__init__.py", "features.py", "model.py", "training.py"} <= {p.name for p in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(TRIAGE)))
def test_triage_module_imports_no_framework_no_app_and_no_unpickler(path):
    for line, module in imported_modules(path):
        top = module.split(".")[0]
        where = f"{path.relative_to(ROOT)}:{line} imports {module}"
        assert top not in FRAMEWORKS, where
        assert top not in UNSAFE_LOADERS, where
        if top in APPS:
            assert module == "coordination.triage" or module.startswith("coordination.triage."), (
                where
            )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(TRIAGE)))
def test_triage_module_never_loads_arrays_with_pickle_allowed(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "allow_pickle":
            assert isinstance(node.value, ast.Constant) and node.value.value is False, (
                f"{path.name}:{node.value.lineno} allows pickle"
            )


def test_training_and_predicting_load_no_django():
    code = (
        "import sys\n"
        "from coordination.triage import Example, Model, train\n"
        "examples = [Example(f'{w} {i}', '', w) for w in ('water', 'road') for i in range(6)]\n"
        "model = Model.from_bytes(train(examples, validation_share=0.34).to_bytes())\n"
        "model.predict('burst water main', 'no water since morning')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{sorted(FRAMEWORKS | APPS - {'coordination'})!r})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
