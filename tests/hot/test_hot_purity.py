"""The hot-issue engine stays pure: no Django, Celery or DRF, no app code, no clock, no dice.

Checked twice, as for the routing engine: statically (every ``import`` in the engine's
modules, parsed with ``ast``) and at run time (a fresh interpreter imports the engine and
must not have loaded Django). ``coordination/hot/__init__.py`` must import nothing, since
the Django side of the feature will live in the same package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOT = ROOT / "coordination" / "hot"
# The engine is a package (its data, its evidence, the clusterer) beside the text module.
ENGINE_MODULES = (
    "text.py",
    *sorted(str(p.relative_to(HOT)) for p in (HOT / "engine").glob("*.py")),
)

FRAMEWORKS = {"django", "celery", "kombu", "rest_framework", "guardian", "environ"}
APPS = {"issues", "agencies", "platform_gov", "coordination"}  # coordination.hot excepted
NONDETERMINISTIC = {"random", "secrets", "uuid", "time"}
CLOCK_CALLS = {"now", "today", "utcnow", "time_ns", "perf_counter", "monotonic"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import; relative ones resolved."""
    package = ["coordination", "hot", *path.relative_to(HOT).parent.parts]
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


def test_the_engine_modules_exist():
    assert len(ENGINE_MODULES) >= 4
    assert all((HOT / name).is_file() for name in ENGINE_MODULES)


def test_package_init_imports_nothing():
    init = HOT / "__init__.py"
    assert init.is_file()
    assert imported_modules(init) == []


@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_engine_module_imports_no_framework_and_no_app(name):
    path = HOT / name
    for line, module in imported_modules(path):
        top = module.split(".")[0]
        where = f"{path.relative_to(ROOT)}:{line} imports {module}"
        assert top not in FRAMEWORKS, where
        if top in APPS:
            assert module == "coordination.hot" or module.startswith("coordination.hot."), where


@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_engine_module_reads_no_clock_and_draws_no_random_numbers(name):
    path = HOT / name
    for line, module in imported_modules(path):
        assert module.split(".")[0] not in NONDETERMINISTIC, f"{name}:{line} imports {module}"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in CLOCK_CALLS, f"{name}:{node.lineno} calls {node.func.attr}"


def test_importing_the_engine_loads_no_django():
    code = (
        "import sys\n"
        "import coordination.hot.engine, coordination.hot.text\n"
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
