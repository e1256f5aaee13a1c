"""Settings come from flags, ``ROLEGATE_*`` variables and a TOML file; unknown variables are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rolegate.server.config import ConfigError, load_settings


def test_defaults_listen_on_loopback_with_the_default_account(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(__import__("os").environ):
        if k.startswith("ROLEGATE_"):
            monkeypatch.delenv(k)
    s = load_settings()
    assert s.host == "127.0.0.1" and s.default_account_id == "123456789012" and s.dev is False


def test_an_unknown_rolegate_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLEGATE_DEVV", "true")
    with pytest.raises(ConfigError, match="ROLEGATE_DEVV"):
        load_settings()


def test_environment_overrides_the_toml_file_and_flags_override_both(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "rolegate.toml"
    toml.write_text('port = 7000\nhost = "0.0.0.0"\nworkers = 3\n')
    monkeypatch.setenv("ROLEGATE_CONFIG", str(toml))
    monkeypatch.setenv("ROLEGATE_PORT", "7001")
    s = load_settings(workers=2)
    assert (s.host, s.port, s.workers) == ("0.0.0.0", 7001, 2)


def test_an_unknown_key_in_the_toml_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "rolegate.toml"
    toml.write_text("prot = 7000\n")
    monkeypatch.setenv("ROLEGATE_CONFIG", str(toml))
    with pytest.raises(ConfigError, match="prot"):
        load_settings()


def test_an_invalid_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLEGATE_DEFAULT_ACCOUNT_ID", "12345")
    with pytest.raises(ConfigError, match="default_account_id"):
        load_settings()


def test_a_server_database_without_a_master_key_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nodes of one PostgreSQL must share the key that seals secrets: a per-node generated key is refused.
    monkeypatch.setenv("ROLEGATE_DATABASE_URL", "postgresql+psycopg://rolegate@127.0.0.1:5432/rolegate")
    with pytest.raises(ConfigError, match="master_key must be set"):
        load_settings()
    monkeypatch.setenv("ROLEGATE_MASTER_KEY", "cm9sZWdhdGUtdGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGU=")
    assert load_settings().database_pool_size == 10


def test_a_sqlite_database_url_needs_no_master_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ROLEGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert load_settings().master_key is None


def test_the_test_suites_own_variables_are_not_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLEGATE_TEST_POSTGRES_URL", "postgresql+psycopg://rolegate@127.0.0.1:1/postgres")
    assert load_settings().database_url is None


def test_metrics_are_off_unless_an_address_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(__import__("os").environ):
        if k.startswith("ROLEGATE_"):
            monkeypatch.delenv(k)
    assert load_settings().metrics_host_port is None
    monkeypatch.setenv("ROLEGATE_METRICS_ADDRESS", "[::1]:9464")
    assert load_settings().metrics_host_port == ("::1", 9464)


@pytest.mark.parametrize("address", ["9464", "localhost", ":9464", "host:port", "127.0.0.1:70000"])
def test_a_metrics_address_that_is_not_host_and_port_is_an_error(monkeypatch: pytest.MonkeyPatch,
                                                                 address: str) -> None:
    monkeypatch.setenv("ROLEGATE_METRICS_ADDRESS", address)
    with pytest.raises(ConfigError, match="metrics_address must be HOST:PORT"):
        load_settings()
