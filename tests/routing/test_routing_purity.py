"""The routing engine stays pure: no Django, Celery or DRF, no app code, no clock, no dice.

Checked twice: statically (every ``import`` in coordination/routing, parsed with ``ast``)
and at run time (a fresh interpreter imports the engine and must not have loaded Django).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROUTING = ROOT / "coordination" / "routing"
MODULES = sorted(path for path in ROUTING.rglob("*.py") if "__pycache__" not in path.parts)

FRAMEWORKS = {"django", "celery", "kombu", "rest_framework", "guardian", "environ"}
APPS = {"issues", "agencies", "platform_gov", "coordination"}  # coordination.routing excepted
NONDETERMINISTIC = {"random", "secrets", "uuid", "time"}
CLOCK_CALLS = {"now", "today", "utcnow", "time_ns", "perf_counter", "monotonic"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import; relative ones resolved."""
    package = ["coordination", "routing", *path.relative_to(ROUTING).parent.parts]
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
    names = {path.name for path in MODULES}
    assert {"model.py", "areas.py", "text.py", "compiler.py", "evaluate.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROUTING)))
def test_routing_module_imports_no_framework_and_no_app(path):
    for line, module in imported_modules(path):
        top = module.split(".")[0]
        where = f"{path.relative_to(ROOT)}:{line} imports {module}"
        assert top not in FRAMEWORKS, where
        if top in APPS:
            assert module == "coordination.routing" or module.startswith("coordination.routing."), (
                where
            )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROUTING)))
def test_routing_module_reads_no_clock_and_draws_no_random_numbers(path):
    for line, module in imported_modules(path):
        assert module.split(".")[0] not in NONDETERMINISTIC, f"{path.name}:{line} imports {module}"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in CLOCK_CALLS, (
                f"{path.name}:{node.lineno} calls {node.func.attr}"
            )


def test_importing_the_engine_loads_no_django():
    code = (
        "import sys\n"
        "import coordination.routing.evaluate, coordination.routing.compiler\n"
        "import coordination.routing.areas, coordination.routing.text\n"
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
