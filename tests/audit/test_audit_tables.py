"""docs/audit.md's field tables are generated from the record builder's own field lists: a field added,
renamed or re-explained without regenerating them fails here."""

from __future__ import annotations

from scripts.generate_audit_tables import DOC, TABLES, rendered, table


def test_the_committed_audit_tables_are_current() -> None:
    current = DOC.read_text()
    assert rendered(current) == current, "run: python scripts/generate_audit_tables.py"
    assert all(table(rows) in current for rows in TABLES.values())


def test_every_field_is_named_once_and_explained() -> None:
    for rows in TABLES.values():
        names = [name for name, _ in rows]
        assert len(set(names)) == len(names)
        assert all(meaning for _, meaning in rows)
