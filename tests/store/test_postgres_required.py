"""Without ``ROLEGATE_TEST_POSTGRES_URL`` a PostgreSQL test fails in CI-mode (``CI`` set) and is skipped, with the
reason, elsewhere: CI can never pass by quietly not running the PostgreSQL half of the suite."""

from __future__ import annotations

import pytest

from tests.postgres import URL_VARIABLE, postgres_url


def test_without_a_cluster_ci_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(URL_VARIABLE, raising=False)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is required in CI"):
        postgres_url()


def test_without_a_cluster_elsewhere_the_test_is_skipped_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(URL_VARIABLE, raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=URL_VARIABLE):
        postgres_url()


def test_with_a_cluster_its_url_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_VARIABLE, "postgresql+psycopg://rolegate@127.0.0.1:1/postgres")
    assert postgres_url().endswith(":1/postgres")
