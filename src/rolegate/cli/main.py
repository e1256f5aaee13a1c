"""``rolegate`` commands: ``serve``, ``account create|list``, ``policy eval|validate``, ``keys rotate|list``,
``role revoke-sessions``, ``audit verify|tail``, ``version``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from rolegate import __version__
from rolegate.server.config import ENV_PREFIX, ConfigError, Settings, load_settings

app = typer.Typer(help="rolegate: a self-hosted IAM roles service that speaks AWS's own protocols.",
                  no_args_is_help=True, add_completion=False)
account_app = typer.Typer(help="Accounts and their root credentials.", no_args_is_help=True)
app.add_typer(account_app, name="account")
keys_app = typer.Typer(help="The STS session key ring (keys that seal session tokens).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
role_app = typer.Typer(help="Role operations an operator runs outside the API.", no_args_is_help=True)
app.add_typer(role_app, name="role")
audit_app = typer.Typer(help="The audit trail: verify its digests and log files, follow it live.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")
err = Console(stderr=True)
out = Console()

try:  # the policy commands arrive with the policy engine
    from .policy import policy_app

    app.add_typer(policy_app, name="policy")
except ImportError:  # pragma: no cover
    pass

from .credential_process import credential_process  # noqa: E402  (its own module: the agent's mode merges beside it)

app.command("credential-process")(credential_process)

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Where the database and keys live.")]
ConfigFile = Annotated[Optional[Path], typer.Option("--config", help="A TOML file of settings.")]


def _settings(config: Path | None = None, **flags: object) -> Settings:
    if config is not None:
        os.environ["ROLEGATE_CONFIG"] = str(config)
    try:
        settings = load_settings(**flags)
    except ConfigError as exc:
        err.print(f"[bold red]rolegate:[/] {exc}")
        raise typer.Exit(2) from None
    from rolegate.obs.logging import configure_logging

    # A command's own output is what it prints; its log (the redacting chain) speaks only of problems.
    # ``serve`` raises it to the configured level.
    configure_logging(settings.log_level if settings.log_level in ("warning", "error") else "warning")
    return settings


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"rolegate {__version__}")


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to listen on.")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port to listen on (0: any free port).")] = None,
    data_dir: DataDir = None,
    dev: Annotated[Optional[bool], typer.Option("--dev", help="Accept any credentials (local testing only).")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Worker processes.")] = None,
    tls_cert_file: Annotated[Optional[Path], typer.Option(
        help="PEM certificate (chain) to serve HTTPS with (needs --tls-key-file).")] = None,
    tls_key_file: Annotated[Optional[Path], typer.Option(help="PEM private key of --tls-cert-file.")] = None,
    config: ConfigFile = None,
) -> None:
    """Start the server (SQLite in the data directory unless a database URL is configured; HTTPS when given a
    certificate and key)."""
    from rolegate.obs.logging import configure_logging
    from rolegate.server.banner import print_banner
    from rolegate.server.runtime import prepare
    from rolegate.store.engine import resource_failure

    s = _settings(config, host=host, port=port, data_dir=data_dir, dev=dev, workers=workers,
                  tls_cert_file=tls_cert_file, tls_key_file=tls_key_file)
    configure_logging(s.log_level)
    try:
        boot = prepare(s)
    except Exception as exc:
        reason = resource_failure(exc)
        if reason is None:
            raise
        # One clear line, not a traceback through Alembic: the operator has a disk to clear, not a bug to file.
        err.print(f"[bold red]rolegate:[/] cannot start: {reason} ({s.data_dir})", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    # Workers re-read their settings from the environment: hand them exactly what the parent resolved.
    for name, value in s.model_dump(exclude_none=True).items():
        os.environ[ENV_PREFIX + name.upper()] = _env_value(value)
    os.environ.pop("ROLEGATE_CONFIG", None)
    print_banner(s, boot, err)
    with _metrics(s):
        _run_uvicorn(s)


@contextmanager
def _metrics(s: Settings) -> Iterator[None]:
    """The metrics listener while the server runs, when ``metrics_address`` is set (ADR 0033); with several
    workers, the directory they share their values through, made before they start and removed after."""
    address = s.metrics_host_port
    if address is None:
        yield
        return
    if s.workers == 1:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # one process: its own registry, no files
        from rolegate.obs.exposition import serve_metrics

        port = _metrics_listener(serve_metrics, address, None)
        err.print(f"metrics: http://{address[0]}:{port}/metrics", highlight=False)
        yield
        return
    from rolegate.obs.exposition import multiprocess_directory, serve_metrics

    with multiprocess_directory() as path:
        port = _metrics_listener(serve_metrics, address, path)
        err.print(f"metrics: http://{address[0]}:{port}/metrics ({s.workers} workers)", highlight=False)
        yield


def _metrics_listener(serve: Callable[[tuple[str, int], str | None], int], address: tuple[str, int],
                      path: str | None) -> int:
    try:
        return serve(address, path)
    except OSError as exc:  # one line, as for a full disk: the operator has an address to fix
        err.print(f"[bold red]rolegate:[/] cannot start: metrics_address {address[0]}:{address[1]}: "
                  f"{exc.strerror or exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _run_uvicorn(s: Settings) -> None:
    import uvicorn

    uvicorn.run("rolegate.server.app:app_from_environment", factory=True, host=s.host, port=s.port,
                workers=s.workers, log_level=s.log_level, access_log=False, server_header=False,
                # Every connection under the configured limits (rolegate.server.limits); the workers read them
                # from the environment set above.
                http="rolegate.server.limits:EnvironmentLimitedProtocol", timeout_keep_alive=int(s.keep_alive_seconds),
                # The standard library's loop, not uvloop: under a burst uvloop served established connections
                # first and left new ones waiting (bench/README.md, "Bursts and hostile connections").
                loop="asyncio",
                # TLS in the server itself (uvicorn's ssl options; the limits above apply inside the TLS layer):
                # IAM Roles Anywhere's clients always call https:// (docs/operations.md, "TLS").
                ssl_certfile=str(s.tls_cert_file) if s.tls_cert_file else None,
                ssl_keyfile=str(s.tls_key_file) if s.tls_key_file else None,
                log_config=None)  # logging is ours (rolegate.obs.logging): one redacting chain for all


@account_app.command("create")
def account_create(
    name: str,
    account_id: Annotated[Optional[str], typer.Option("--id", help="12-digit account id (default: random).")] = None,
    partition: Annotated[str, typer.Option(
        "--partition", help="AWS partition the account lives in: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, …; "
                            "its credentials work only for that partition's regions.")] = "aws",
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Create an account; prints its root access key once (the secret is not shown again)."""
    from rolegate.core.errors import AwsError
    from rolegate.server.runtime import CLI, open_runtime, prepare

    s = _settings(config, data_dir=data_dir)
    prepare(s)
    runtime = open_runtime(s)
    try:
        new = runtime.services.accounts.create_account(runtime.internal_request(CLI), name, account_id,
                                                       partition=partition)
    except AwsError as exc:
        err.print(f"[bold red]{exc.code}:[/] {exc.message}")
        raise typer.Exit(1) from None
    finally:
        runtime.store.close()
    out.print(f"account_id = {new.account.account_id}\nname = {new.account.name}\n"
              f"partition = {new.account.partition}\n"
              f"aws_access_key_id = {new.root_key.access_key_id}\n"
              f"aws_secret_access_key = {new.root_key.secret_access_key}", highlight=False)
    err.print("[yellow]Store the secret now: rolegate does not show it again.[/]")


@account_app.command("list")
def account_list(data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """List accounts."""
    from rich.table import Table

    from rolegate.server.runtime import open_runtime, prepare

    s = _settings(config, data_dir=data_dir)
    prepare(s)
    runtime = open_runtime(s)
    try:
        accounts = runtime.services.accounts.list_accounts()
    finally:
        runtime.store.close()
    table = Table("Account id", "Name", "Partition", "Created")
    for a in accounts:
        table.add_row(a.account_id, a.name, a.partition, a.created_at.isoformat())
    out.print(table)


@keys_app.command("rotate")
def keys_rotate(data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """Make a new primary session key. Older keys keep verifying until their last session has expired."""
    from rolegate.server.runtime import open_runtime, prepare
    from rolegate.sts.keyring import KeyRing

    s = _settings(config, data_dir=data_dir)
    prepare(s)
    runtime = open_runtime(s)
    try:
        new = KeyRing(runtime.store, runtime.clock).rotate()
    finally:
        runtime.store.close()
    out.print(f"new primary session key: {new.key_id}", highlight=False)


@keys_app.command("list")
def keys_list(data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """List the session keys (ids and dates only; key material is never shown)."""
    from rich.table import Table

    from rolegate.server.runtime import open_runtime, prepare
    from rolegate.sts.keyring import KeyRing

    s = _settings(config, data_dir=data_dir)
    prepare(s)
    runtime = open_runtime(s)
    try:
        records = KeyRing(runtime.store, runtime.clock).records()
    finally:
        runtime.store.close()
    table = Table("Key id", "Created", "Superseded")
    for r in records:
        table.add_row(r.key_id, r.created_at.isoformat(), r.superseded_at.isoformat() if r.superseded_at else "primary")
    out.print(table)


@role_app.command("revoke-sessions")
def role_revoke_sessions(
    role_name: str,
    account_id: Annotated[Optional[str], typer.Option("--account", help="Account id (default: the default account).")] = None,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Revoke the role's active sessions, as the console's "Revoke active sessions" does: the inline policy
    AWSRevokeOlderSessions denies everything to sessions issued before now; new sessions work."""
    from rolegate.core.errors import AwsError
    from rolegate.server.runtime import CLI, open_runtime, prepare

    s = _settings(config, data_dir=data_dir)
    prepare(s)
    runtime = open_runtime(s)
    try:
        runtime.services.sts.revoke_sessions(runtime.internal_request(CLI, account_id or s.default_account_id),
                                             role_name)
    except AwsError as exc:
        err.print(f"[bold red]{exc.code}:[/] {exc.message}")
        raise typer.Exit(1) from None
    finally:
        runtime.store.close()
    out.print(f"sessions of role {role_name} issued before now are revoked (inline policy AWSRevokeOlderSessions)",
              highlight=False)


@audit_app.command("verify")
def audit_verify(
    directory: Annotated[Path, typer.Argument(help="The trail's root (`DATA_DIR/audit`), holding `AWSLogs/`.")],
    start_time: Annotated[Optional[str], typer.Option(
        "--start-time", help="Validate digests delivered at or after this UTC time (ISO 8601; default: all).")] = None,
    end_time: Annotated[Optional[str], typer.Option(
        "--end-time", help="…and at or before this one (default: now).")] = None,
    public_keys: Annotated[Optional[Path], typer.Option(
        "--public-keys", help="The exported public keys to trust (default: DIRECTORY/public-keys.json; keep a "
                              "copy where whoever can write the trail cannot).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Name every valid file too.")] = False,
) -> None:
    """Check the trail's digest chains, signatures and log file hashes, as `aws cloudtrail validate-logs` does;
    exit 1 if anything is missing, changed or out of order."""
    import datetime as dt
    import sys

    from rolegate.audit.digests import PUBLIC_KEYS_FILE, load_public_keys
    from rolegate.audit.verify import verify_trail

    def when(text: str | None, default: dt.datetime) -> dt.datetime:
        if text is None:
            return default
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            err.print(f"[bold red]rolegate:[/] not an ISO 8601 time: {text}", highlight=False)
            raise typer.Exit(2) from None
        return parsed.replace(tzinfo=parsed.tzinfo or dt.timezone.utc).astimezone(dt.timezone.utc)

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    start = when(start_time, dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
    end = when(end_time, now)
    if start > end:
        err.print("[bold red]rolegate:[/] invalid time range: --start-time must be before --end-time")
        raise typer.Exit(2)
    if not (directory / "AWSLogs").is_dir():
        err.print(f"[bold red]rolegate:[/] no trail under {directory} (no AWSLogs directory)", highlight=False)
        raise typer.Exit(2)
    keys = load_public_keys(public_keys or directory / PUBLIC_KEYS_FILE)
    report = verify_trail(directory, keys, start, end)
    display = "%Y-%m-%dT%H:%M:%SZ"
    # The AWS CLI's wording and streams: progress and results on stdout, each INVALID file on stderr.
    sys.stdout.write(f"Validating log files for trail {directory} between {start.strftime(display)} and "
                     f"{end.strftime(display)}\n\n")
    if verbose:
        sys.stdout.write("".join(line + "\n" for line in report.valid))
    for problem in report.problems:
        sys.stderr.write(f"{problem}\n\n")
    sys.stdout.write("\n" + report.summary())
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("tail")
def audit_tail(
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing records as they are written.")] = False,
    everything: Annotated[bool, typer.Option("--all", help="Start with the delivered (closed) files too.")] = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Print the audit trail's newest records (those not yet rotated) as JSON lines; with --follow, every record
    as it is written, across rotations."""
    import sys

    from rolegate.audit.files import follow_trail, read_trail

    s = _settings(config, data_dir=data_dir)
    root = s.data_dir / "audit"

    def emit(record: object) -> None:
        sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    try:
        if everything:
            for record in read_trail(root, include_open=False):
                emit(record)
        for record in follow_trail(root, stop=lambda: not follow):
            emit(record)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        sys.stderr.close()


def _env_value(value: object) -> str:
    """A setting as the environment carries it: booleans lower-case, lists as JSON (pydantic-settings' form)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)
