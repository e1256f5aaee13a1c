"""README.md's settings table is generated from ``Settings``: regenerate it with scripts/generate_settings_table.py."""

from __future__ import annotations

from scripts.generate_settings_table import README, readme_with_settings_table


def test_the_readme_settings_table_is_current() -> None:
    readme = README.read_text()
    assert readme == readme_with_settings_table(readme), \
        "README.md's settings table is stale: run .venv/bin/python scripts/generate_settings_table.py"
