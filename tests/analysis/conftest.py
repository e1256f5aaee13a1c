"""Analysis fixtures: the IAM tests' real SQLite store, clock and requests, with an account to simulate in."""

from __future__ import annotations

# The same real SQLite store, decision service and requests as the IAM tests.
from tests.iam.conftest import ACCOUNT, Requests, accounts, authz, clock, internal, req, store  # noqa: F401
