"""The shared kernel imports nothing but the standard library and itself (docs/design/DESIGN.md, Layers: "core … no
third-party imports"), so every layer, and any tool, can depend on it without pulling anything in.

import-linter checks rolegate's own layers; it cannot say "no third-party package at all" without naming
each one, so this walks core's imports itself.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import rolegate.core

CORE = Path(rolegate.core.__file__).parent


def _imported_modules(source: Path) -> list[tuple[str, int]]:
    """(module, line) for every import in ``source`` (core is one flat package: ``from .x`` is core's own,
    ``from ..x`` reaches outside it)."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.append((node.module or "", node.lineno))
            else:
                parent = "rolegate.core" if node.level == 1 else "rolegate"
                found.append((f"{parent}.{node.module}" if node.module else parent, node.lineno))
    return found


def _allowed(module: str) -> bool:
    top = module.split(".")[0]
    return top in sys.stdlib_module_names or top == "__future__" or module == "rolegate.core" \
        or module.startswith("rolegate.core.")


def test_core_imports_only_the_standard_library_and_itself() -> None:
    offending = [f"{path.relative_to(CORE.parent)}:{line}: {module}"
                 for path in sorted(CORE.rglob("*.py")) for module, line in _imported_modules(path)
                 if not _allowed(module)]
    assert offending == []


def test_the_walk_sees_a_third_party_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom . import ids\nfrom .clock import Clock\nfrom sqlalchemy import select\n"
                      "import rolegate.policy\nfrom ..store import ports\n")
    assert [m for m, _ in _imported_modules(sample) if not _allowed(m)] == [
        "sqlalchemy", "rolegate.policy", "rolegate.store"]
