"""The SQL adapters: every domain's repository ports (``iam.ports``, ``sts.ports``) on SQLAlchemy Core, over
the tables of ``rolegate.store.schema``. They import the domains' entities, so they sit above the domains
(ADR 0014); only the composition root (``rolegate.server``) chooses this store.

``SqlStore`` is the entry point; the modules beside it are its private implementation, one per domain area
over the helpers in ``rows``.
"""

from .unit_of_work import SqlStore, SqlTransaction, SqlUnitOfWork

__all__ = ["SqlStore", "SqlTransaction", "SqlUnitOfWork"]
