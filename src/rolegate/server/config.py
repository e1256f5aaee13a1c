"""Settings: flags, ``ROLEGATE_*`` environment variables and an optional TOML file, via pydantic-settings.

Precedence, highest first: command-line flags, environment, TOML file (``--config`` or
``ROLEGATE_CONFIG``), defaults. A ``ROLEGATE_*`` variable that names no setting is an error: a typo in a
security setting must not pass silently.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from rolegate.auth.partitions import partition_ids

ENV_PREFIX = "ROLEGATE_"
# Read by the process but not settings of the server itself.
_NOT_SETTINGS = {"ROLEGATE_CONFIG"}
# The test suite's own variables (ROLEGATE_TEST_POSTGRES_URL, …: tests/postgres.py): never read by the server,
# and present in the environment of every test that loads settings when CI runs the PostgreSQL half.
_TEST_PREFIX = "ROLEGATE_TEST_"


class ConfigError(Exception):
    """The configuration cannot be used; the message says which setting and why."""


DEFAULT_SAML_RECIPIENTS = ("https://signin.aws.amazon.com/saml", "https://{region}.signin.aws.amazon.com/saml",
                           "https://signin.amazonaws.cn/saml", "https://{region}.signin.amazonaws.cn/saml",
                           "https://signin.amazonaws-us-gov.com/saml",
                           "https://{region}.signin.amazonaws-us-gov.com/saml")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", toml_file=None)

    # The descriptions are the README's settings table (scripts/generate_settings_table.py); "unset" says
    # what a setting without a default value means.
    host: str = Field(default="127.0.0.1", description="address to listen on")
    port: int = Field(default=4566, ge=0, le=65535, description="port")
    data_dir: Path = Field(default=Path(".rolegate"), description="SQLite database, master key and root credentials")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL of the store",
                                     json_schema_extra={"unset": "SQLite in `data_dir`"})
    # PostgreSQL only (docs/operations.md "Many nodes on PostgreSQL"): what one worker may hold of the database.
    database_pool_size: int = Field(default=10, ge=1, le=1000,
                                    description="PostgreSQL: connections one worker process keeps open at most; "
                                                "nodes x workers x this must stay below the server's "
                                                "`max_connections`")
    database_statement_timeout_ms: int = Field(default=5000, ge=100, le=600_000,
                                               description="PostgreSQL: a statement running longer is cancelled "
                                                           "and the request answered 503 (retryable)")
    dev: bool = Field(default=False, description="accept any unknown access key as the default account's "
                                                 "administrator IAM user `rolegate-dev`; enables "
                                                 "`POST /_rolegate/reset`. For local testing only")
    workers: int = Field(default=1, ge=1, le=64, description="server processes")
    default_account_id: str = Field(default="123456789012", pattern=r"^\d{12}$", description="the first account")
    default_account_name: str = Field(default="default", description="the first account's name")
    default_account_partition: str = Field(default="aws", description="the first account's AWS partition "
                                                                      "(`aws`, `aws-cn`, `aws-us-gov`, …); "
                                                                      "`--dev` serves only its regions")
    root_access_key_id: str | None = Field(default=None, pattern=r"^[A-Z0-9]{16,128}$",
                                           description="the first account's root access key id",
                                           json_schema_extra={"unset": "generated"})
    root_secret_access_key: str | None = Field(default=None, min_length=16, max_length=128,
                                               description="the first account's root secret access key",
                                               json_schema_extra={"unset": "generated"})
    master_key: str | None = Field(default=None, description="base64 of 32 bytes; seals secrets at rest",
                                   json_schema_extra={"unset": "`data_dir/master.key`"})
    max_clock_skew_seconds: int = Field(default=900, ge=1, le=86400,
                                        description="how far a request's signing time may be from ours")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="larger requests get `RequestEntityTooLarge`")
    # On by default now that a record commits with its change (docs/adr/0041-audit-record-commits-with-its-change.md).
    audit: bool = Field(default=True, description="keep the audit trail: CloudTrail records in the store "
                                                  "(`aws cloudtrail lookup-events`) and in files under "
                                                  "`data_dir/audit`; a change whose record cannot be kept "
                                                  "fails with 503 and changes nothing")
    # CloudTrail's event history keeps 90 days
    # (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html).
    audit_retention_days: int = Field(default=90, ge=1, le=36500,
                                      description="audit records older than this many days are deleted from "
                                                  "the store (the files are kept)")
    # CloudTrail's layout, rotation and digests (docs/adr/0042-audit-log-files-and-digests.md).
    audit_rotate_bytes: int = Field(default=16 * 1024 * 1024, ge=4096, le=1024 ** 3,
                                    description="an open audit log file is closed (gzip'd into CloudTrail's "
                                                "`{\"Records\": [...]}`) when it reaches this size")
    audit_rotate_seconds: float = Field(default=300.0, ge=0.5, le=86400,
                                        description="an open audit log file is closed when it is this old, "
                                                    "whatever its size")
    audit_digest_seconds: float = Field(default=3600.0, ge=1, le=86400,
                                        description="how often a signed digest file lists the audit log files "
                                                    "delivered since the previous one (CloudTrail: hourly)")
    log_level: str = Field(default="info", description="`debug`, `info`, `warning`, `error`")
    # An operator endpoint apart from the API port (docs/adr/0033-metrics-on-an-operator-listener.md).
    metrics_address: str | None = Field(
        default=None, description="`HOST:PORT` of the Prometheus listener (`GET /metrics`, docs/metrics.md); "
                                  "bind it to loopback or a monitoring network, never the API's clients",
        json_schema_extra={"unset": "no metrics are recorded or served"})
    federation_ca_bundle: Path | None = Field(
        default=None, description="PEM bundle trusted, besides the system CA store, for fetching OIDC "
                                  "identity providers' discovery documents and keys",
        json_schema_extra={"unset": "the system CA store only"})
    federation_jwks_refresh_seconds: int = Field(
        default=60, ge=1, le=3600, description="an OIDC token with an unknown key id refreshes its provider's "
                                               "keys at most once per this many seconds")
    # IAM User Guide, "Configure SAML assertions for the authentication response": the Recipient is the
    # sign-in endpoint, global or regional, per partition (signin.amazonaws.cn in China).
    saml_recipients: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SAML_RECIPIENTS),
        description="AssumeRoleWithSAML: accepted SubjectConfirmationData Recipients (a JSON list in the "
                    "environment; `{region}` stands for any region code)")
    saml_audiences: list[str] = Field(
        default_factory=lambda: ["urn:amazon:webservices", "urn:amazon:webservices:cn-north-1",
                                 *DEFAULT_SAML_RECIPIENTS],
        description="AssumeRoleWithSAML: accepted Audience values (AWS's SP entity IDs and the sign-in endpoints)")
    # Registered instances (docs/adr/0038-registered-instances.md): EC2 issues instance role credentials for
    # about six hours; shorter sessions let a test watch an agent refresh across an expiry.
    instance_role_session_seconds: int = Field(
        default=21_600, ge=60, le=43_200, description="GetInstanceRoleCredentials: how long an instance's role "
                                                      "session lasts (EC2 issues about 6 hours)")
    # What one connection may cost (rolegate.server.limits; docs/adr/0027-connection-limits.md), on every listener.
    max_connections: int = Field(default=1024, ge=1, description="connections one worker holds at once; more "
                                                                 "are answered 503 and closed at once")
    max_request_line_bytes: int = Field(default=8192, ge=256, description="longer request lines get 414")
    max_header_bytes: int = Field(default=32768, ge=1024, description="a larger request head (request line and "
                                                                      "headers) gets 431")
    max_headers: int = Field(default=100, ge=8, description="more headers get 431")
    header_timeout_seconds: float = Field(default=10.0, gt=0, description="a request head not complete this long "
                                                                          "after it began gets 408")
    body_timeout_seconds: float = Field(default=30.0, gt=0, description="a request body not complete this long "
                                                                        "after its head gets 408")
    keep_alive_seconds: float = Field(default=5.0, gt=0, description="an idle keep-alive connection is closed "
                                                                     "after this long")
    tls_cert_file: Path | None = Field(
        default=None, description="PEM certificate (chain) to serve HTTPS with; needs `tls_key_file`",
        json_schema_extra={"unset": "plain HTTP"})
    tls_key_file: Path | None = Field(
        default=None, description="PEM private key of `tls_cert_file`", json_schema_extra={"unset": "plain HTTP"})

    @model_validator(mode="after")
    def _tls_pair(self) -> Settings:
        # A certificate without its key (or the other way round) cannot serve TLS: refuse it at start, rather
        # than fall back to plain HTTP and send credentials in the clear.
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file must be set together")
        for path in (self.tls_cert_file, self.tls_key_file):
            if path is not None and not path.is_file():
                raise ValueError(f"TLS file {path} does not exist")
        return self

    @property
    def tls(self) -> bool:
        return self.tls_cert_file is not None

    @field_validator("default_account_partition")
    @classmethod
    def _partition(cls, v: str) -> str:
        known = partition_ids()
        if v not in known:
            raise ValueError(f"default_account_partition must be one of {', '.join(sorted(known))}")
        return v

    @field_validator("metrics_address")
    @classmethod
    def _metrics_address(cls, v: str | None) -> str | None:
        if v is not None:
            metrics_host_port(v)
        return v

    @property
    def metrics_host_port(self) -> tuple[str, int] | None:
        return metrics_host_port(self.metrics_address) if self.metrics_address is not None else None

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v.lower() not in {"debug", "info", "warning", "error"}:
            raise ValueError("log_level must be debug, info, warning or error")
        return v.lower()

    @model_validator(mode="after")
    def _shared_store_needs_one_master_key(self) -> Settings:
        # Every node of a shared store must open what another sealed (access key secrets, the session key
        # ring): a key generated per node in its own data_dir would make each node's secrets unreadable to
        # the others, so a server store requires the one master_key all nodes are given.
        if self.database_url and not self.database_url.startswith("sqlite") and not self.master_key:
            raise ValueError("master_key must be set when database_url names a server database: every node "
                             "needs the same key (docs/operations.md, \"Many nodes on PostgreSQL\")")
        return self

    @property
    def sqlite_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'rolegate.db').resolve()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = os.environ.get("ROLEGATE_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml)))
        return tuple(sources)


def metrics_host_port(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9464`` for IPv6) as a host and port; ValueError when it is not one."""
    host, sep, port = address.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("metrics_address must be HOST:PORT, e.g. 127.0.0.1:9464")
    return host, int(port)


def load_settings(**overrides: Any) -> Settings:
    """Settings from flags (``overrides``; None means not given), environment and TOML file."""
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields} | _NOT_SETTINGS
    unknown = sorted(k for k in os.environ
                     if k.startswith(ENV_PREFIX) and k not in known and not k.startswith(_TEST_PREFIX))
    if unknown:
        raise ConfigError(f"unknown setting(s) in the environment: {', '.join(unknown)}")
    toml = os.environ.get("ROLEGATE_CONFIG")
    if toml and not Path(toml).is_file():
        raise ConfigError(f"ROLEGATE_CONFIG names {toml}, which is not a file")
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid configuration: " + "; ".join(lines)) from None
