"""A SQLite database migrated once per test session, and the per-test copies made from it.

Running every Alembic migration is most of a domain test's set-up, so the suite migrates one template
file per session and gives each test its own copy: still a real, migrated, durable SQLite file, but made
with one page copy instead of a migration run.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from rolegate.store.engine import create_store_engine, migrate


def migrated_template(directory: Path) -> Path:
    """A fresh SQLite database in ``directory``, brought to the newest migration."""
    path = directory / "template.db"
    engine = create_store_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


def copy_database(template: Path, target: Path) -> str:
    """Copy ``template`` to ``target`` and return the SQLAlchemy URL of the copy.

    SQLite's backup API copies the database as its readers see it, whatever the template's WAL holds.
    """
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    return f"sqlite:///{target}"
