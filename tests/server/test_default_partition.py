"""``ROLEGATE_DEFAULT_ACCOUNT_PARTITION``: the first account, and ``--dev``'s administrator user in it, live in the
partition it names; an existing account never moves partition; an unknown partition is a configuration error
(docs/adr/0022-partitions.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rolegate.server.config import Settings
from rolegate.server.runtime import DEV_USER_NAME, find_dev_user, open_runtime, prepare


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
