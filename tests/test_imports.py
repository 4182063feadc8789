"""The house rules, read from the source with `ast` (nothing is imported):

- the product (bot/, ingest/, app.py) never imports the lab (evals/, bench/, experiments/, safety_data/);
- the input screens (bot/safety/input) never import the output screens (bot/safety/output);
- settings come in from the entry points: no module below them calls `get_settings()`, and no
  module reads settings at import time;
- the product and tools/ import only what `make run` installs (no test, training or figure library).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "ingest", "app.py")
LAB = ("evals", "bench", "experiments", "safety_data")
# Where settings may be read: the programs people run, and the lab (each module there is a program).
ENTRY_POINTS = {
    "app.py",
    "bot/__main__.py",
    "bot/cli.py",
    "bot/config.py",  # defines get_settings
    "bot/storage/migrations/env.py",  # Alembic's own entry point (`alembic upgrade` from a shell)
    "ingest/__main__.py",
    "ingest/cli.py",
}
ENTRY_FOLDERS = (*LAB, "tools")
# Top-level modules of requirements-dev.txt and requirements-llm.txt: not installed by `make run`.
NOT_AT_RUN_TIME = {"pytest", "ruff", "sklearn", "pyarrow", "matplotlib", "playwright", "xllamacpp", "jax", "flax"}


def python_files(*tops: str) -> Iterator[Path]:
    for top in tops:
        path = ROOT / top
        yield from [path] if path.is_file() else sorted(path.rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def imported_modules(tree: ast.AST) -> set[str]:
    """Every module an import statement names, at any depth (function-level imports too)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _is_get_settings(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "get_settings") or (
        isinstance(func, ast.Attribute) and func.attr == "get_settings"
    )


def get_settings_calls(tree: ast.AST) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if _is_get_settings(node)]


def import_time_get_settings_calls(tree: ast.Module) -> list[int]:
    """Calls run when the module is imported: outside function bodies (decorators and default
    arguments are evaluated at import time, so they count)."""
    lines: list[int] = []
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defaults = [d for d in node.args.kw_defaults if d is not None]
            pending.extend([*node.decorator_list, *node.args.defaults, *defaults])
            continue
        if isinstance(node, ast.Lambda):
            continue
        if _is_get_settings(node):
            lines.append(node.lineno)  # type: ignore[attr-defined]
        pending.extend(ast.iter_child_nodes(node))
    return lines


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def below_entry_points(path: Path) -> bool:
    name = rel(path)
    return name not in ENTRY_POINTS and not name.startswith(tuple(f"{top}/" for top in ENTRY_FOLDERS))


# --- the readers catch what they should (so the rules below can fail) ---


def test_the_readers_see_nested_imports_and_calls() -> None:
    tree = ast.parse(
        "import os\nfrom bench.common import DATA\n"
        "def f():\n    from evals import safety\n    return get_settings()\n"
        "LIMIT = config.get_settings().max_input_chars\n"
        "def g(s=get_settings()):\n    pass\n"
    )
    assert {"os", "bench.common", "evals", "evals.safety"} <= imported_modules(tree)
    assert sorted(get_settings_calls(tree)) == [5, 6, 7]
    assert sorted(import_time_get_settings_calls(tree)) == [6, 7]


# --- the rules ---


@pytest.mark.parametrize("path", list(python_files(*PRODUCT)), ids=rel)
def test_the_product_never_imports_the_lab(path: Path) -> None:
    lab = {m for m in imported_modules(parsed(path)) if m.split(".")[0] in LAB}
    assert not lab, f"{rel(path)} imports {sorted(lab)}"


@pytest.mark.parametrize("path", list(python_files("bot/safety/input")), ids=rel)
def test_input_screens_never_import_output_screens(path: Path) -> None:
    output = {m for m in imported_modules(parsed(path)) if m.startswith("bot.safety.output")}
    assert not output, f"{rel(path)} imports {sorted(output)}"


@pytest.mark.parametrize("path", list(python_files(*PRODUCT, *ENTRY_FOLDERS)), ids=rel)
def test_settings_are_read_only_by_entry_points_and_never_at_import_time(path: Path) -> None:
    tree = parsed(path)
    assert not import_time_get_settings_calls(tree), f"{rel(path)} reads settings at import time"
    if below_entry_points(path):
        lines = get_settings_calls(tree)
        assert not lines, f"{rel(path)} calls get_settings() (line {lines}): take settings from the caller"


@pytest.mark.parametrize("path", list(python_files(*PRODUCT, "tools")), ids=rel)
def test_the_product_needs_only_the_run_time_requirements(path: Path) -> None:
    extra = {m for m in imported_modules(parsed(path)) if m.split(".")[0] in NOT_AT_RUN_TIME}
    assert not extra, f"{rel(path)} imports {sorted(extra)}, which `make run` does not install"
