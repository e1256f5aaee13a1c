"""Fixtures of the agent's tests: the TLS server IAM Roles Anywhere needs (the end-to-end suite's own fixture)."""

from tests.e2e.conftest import tls  # noqa: F401  (a server of its own for this directory's session)
