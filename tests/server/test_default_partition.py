"""``ROLEGATE_DEFAULT_ACCOUNT_PARTITION``: the first account, and ``--dev``'s administrator user in it, live in the
partition it names; an existing account never moves partition; an unknown partition is a configuration error
(docs/adr/0022-partitions.md)."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from rolegate.cli.main import app as cli
from rolegate.server.app import build_app
from rolegate.server.config import Settings
from rolegate.server.runtime import DEV_USER_NAME, find_dev_user, open_runtime, prepare

# The app is built in process; its Starlette shutdown hook is not at issue.
pytestmark = pytest.mark.filterwarnings("ignore:The on_startup and on_shutdown:DeprecationWarning")


def test_the_default_account_is_created_in_the_configured_partition_with_its_dev_user(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, dev=True, default_account_partition="aws-cn")
    prepare(settings)
    runtime = open_runtime(settings)
    try:
        account = runtime.services.accounts.get_account(settings.default_account_id)
        user = find_dev_user(runtime)
        with runtime.store.read() as tx:
            attached = tx.managed_policies.attached("User", user.user_id) if user else []
    finally:
        runtime.store.close()
    assert account is not None and account.partition == "aws-cn"
    assert user is not None and user.arn == f"arn:aws-cn:iam::{settings.default_account_id}:user/rolegate/{DEV_USER_NAME}"
    assert attached == ["arn:aws-cn:iam::aws:policy/AdministratorAccess"]


def test_the_default_account_does_not_move_to_another_partition(tmp_path: Path) -> None:
    prepare(Settings(data_dir=tmp_path))
    with pytest.raises(SystemExit, match="lives in partition aws"):
        prepare(Settings(data_dir=tmp_path, default_account_partition="aws-us-gov"))


def test_an_unknown_partition_is_refused_by_the_settings(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="default_account_partition must be one of"):
        Settings(data_dir=tmp_path, default_account_partition="aws-mars")


def test_the_dev_reset_recreates_the_default_account_in_its_partition(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, dev=True, default_account_partition="aws-us-gov")
    prepare(settings)
    app = build_app(settings)
    [reset] = [r for r in app.routes if getattr(r, "path", None) == "/_rolegate/reset"]
    runtime = app.state.runtime
    try:
        anyio.run(reset.endpoint, None)  # type: ignore[attr-defined]  # the handler reads no request
        account = runtime.services.accounts.get_account(settings.default_account_id)
        user = find_dev_user(runtime)
    finally:
        runtime.store.close()
    assert account is not None and account.partition == "aws-us-gov"
    assert user is not None and user.arn.startswith("arn:aws-us-gov:iam::")


def test_the_cli_creates_an_account_in_a_partition_and_lists_it(tmp_path: Path) -> None:
    created = CliRunner().invoke(cli, ["account", "create", "gov", "--id", "222233334444", "--partition",
                                       "aws-us-gov", "--data-dir", str(tmp_path)])
    assert created.exit_code == 0, created.output
    assert "partition = aws-us-gov" in created.output
    listed = CliRunner().invoke(cli, ["account", "list", "--data-dir", str(tmp_path)])
    assert "222233334444" in listed.output and "aws-us-gov" in listed.output


def test_the_cli_refuses_a_partition_aws_does_not_have(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["account", "create", "mars", "--partition", "aws-mars",
                                      "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "Unknown partition 'aws-mars'" in result.output
