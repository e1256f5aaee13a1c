"""Work rolegate does without an API caller — bootstrap, the command line, the ``--dev`` reset — runs in a
context of its own (``RequestContext.internal``) naming the actor, never in a faked caller's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from typer.testing import CliRunner

from rolegate.authz import RequestContext
from rolegate.cli.main import app as cli
from rolegate.iam.accounts import AccountService, NewAccount
from rolegate.server.app import build_app
from rolegate.server.config import Settings
from rolegate.server.runtime import open_runtime, prepare

# The app is built in process; its Starlette shutdown hook is not at issue.
pytestmark = pytest.mark.filterwarnings("ignore:The on_startup and on_shutdown:DeprecationWarning")


@pytest.fixture
def account_requests(monkeypatch: pytest.MonkeyPatch) -> list[RequestContext]:
    """The requests every ``AccountService.create_account`` of the test is called with, in order."""
    seen: list[RequestContext] = []
    real = AccountService.create_account

    def spy(self: AccountService, request: RequestContext, *args: Any, **kw: Any) -> NewAccount:
        seen.append(request)
        return real(self, request, *args, **kw)

    monkeypatch.setattr(AccountService, "create_account", spy)
    return seen


def test_bootstrap_creates_the_default_account_as_rolegate_bootstrap_at_the_requests_time(
        tmp_path: Path, account_requests: list[RequestContext]) -> None:
    settings = Settings(data_dir=tmp_path)
    prepare(settings)
    [request] = account_requests
    assert (request.caller, request.actor) == (None, "rolegate-bootstrap")
    assert request.request_id.startswith("internal-")
    runtime = open_runtime(settings)
    try:
        account = runtime.services.accounts.get_account(settings.default_account_id)
    finally:
        runtime.store.close()
    assert account is not None and account.created_at == request.timestamp


def test_the_cli_creates_an_account_as_rolegate_cli(tmp_path: Path,
                                                   account_requests: list[RequestContext]) -> None:
    result = CliRunner().invoke(cli, ["account", "create", "ops", "--id", "222233334444",
                                      "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert [(r.caller, r.actor) for r in account_requests] == [(None, "rolegate-bootstrap"), (None, "rolegate-cli")]


def test_the_dev_reset_recreates_the_default_account_as_rolegate_dev_reset(
        tmp_path: Path, account_requests: list[RequestContext]) -> None:
    settings = Settings(data_dir=tmp_path, dev=True)
    prepare(settings)
    app = build_app(settings)
    [reset] = [r for r in app.routes if getattr(r, "path", None) == "/_rolegate/reset"]
    try:
        response = anyio.run(reset.endpoint, None)  # type: ignore[attr-defined]  # the handler reads no request
        assert response.body == b"reset"
    finally:
        app.state.runtime.store.close()
    assert [r.actor for r in account_requests] == ["rolegate-bootstrap", "rolegate-dev-reset"]
    assert account_requests[-1].caller is None
