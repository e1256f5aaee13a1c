"""The instance source's rules on the agent's side of the contract, on an injected clock: joining once and
keeping the instance credential 0600, reusing it on restart without the token, rotating it at half its life
(written before it is used), withdrawing credentials when the server refuses the instance, and keeping them when
the server cannot be reached. The server's answers here are canned botocore results in the contract's shapes;
tests/agent/test_instance_agent.py runs the same against the real server."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from rolegate.agent.metrics import AgentMetrics
from rolegate.agent.sources import AgentStartError, InstanceSource, Refresher
from rolegate.agent.state import INSTANCE_CREDENTIAL, StateDir
from rolegate.core.clock import FixedClock

T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)


def _credential(n: int, hours: float = 12) -> dict[str, Any]:
    return {"AccessKeyId": f"ASIAINSTANCE{n:08d}", "SecretAccessKey": f"instance-secret-{n:04d}",
            "SessionToken": f"instance-session-token-{n:04d}", "Expiration": T0 + dt.timedelta(hours=hours * n)}


class Server:
    """The answers of the contract's three operations, and the calls received (op, access key id)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.rotations = 0
        self.role: str | None = "web"
        self.failure: Exception | None = None
        self.join_refused = False

    def client(self, endpoint_url: str, region: str, ca_bundle: Path | None, credential: dict[str, str] | None) -> Any:
        server = self
        key = credential["AccessKeyId"] if credential else None

        class Client:
            def join_instance(self, JoinToken: str) -> dict[str, Any]:  # noqa: N803  (botocore's member name)
                server.calls.append(("JoinInstance", key))
                if server.join_refused:
                    raise ClientError({"Error": {"Code": "InvalidJoinToken", "Message": "The join token is not valid."}},
                                      "JoinInstance")
                return {"InstanceId": "i-0123456789abcdef0", "AccountId": "123456789012", "Region": "eu-west-1",
                        "InstanceCredential": _credential(1)}

            def rotate_instance_credential(self) -> dict[str, Any]:
                server.calls.append(("RotateInstanceCredential", key))
                server.rotations += 1
                return {"InstanceCredential": _credential(1 + server.rotations)}

            def get_instance_role_credentials(self) -> dict[str, Any]:
                server.calls.append(("GetInstanceRoleCredentials", key))
                if server.failure is not None:
                    raise server.failure
                out: dict[str, Any] = {"InstanceId": "i-0123456789abcdef0", "AccountId": "123456789012",
                                       "LastUpdated": T0}
                if server.role is not None:
                    out.update({"RoleName": server.role, "RoleArn": f"arn:aws:iam::123456789012:role/{server.role}",
                                "InstanceProfileArn": f"arn:aws:iam::123456789012:instance-profile/{server.role}",
                                "InstanceProfileId": "AIPAEXAMPLE", "Credentials": {
                                    "AccessKeyId": f"ASIAROLE{server.role.upper()}", "SecretAccessKey": "role-secret",
                                    "SessionToken": "role-token", "Expiration": T0 + dt.timedelta(hours=6)}})
                return out

        return Client()


def _source(tmp_path: Path, server: Server, clock: FixedClock, token: str | None = "rgjt-token") -> InstanceSource:
    token_file = None
    if token is not None:
        token_file = tmp_path / "join-token"
        token_file.write_text(token + "\n")
    return InstanceSource("http://127.0.0.1:1", StateDir(tmp_path / "state"), AgentMetrics(), clock,
                          join_token_file=token_file, region=None, client_factory=server.client)


def test_joining_stores_the_instance_credential_0600_and_serves_the_role(tmp_path: Path) -> None:
    server, clock = Server(), FixedClock(T0)
    source = _source(tmp_path, server, clock)
    source.start()
    stored = tmp_path / "state" / INSTANCE_CREDENTIAL
    assert stored.stat().st_mode & 0o777 == 0o600
    assert json.loads(stored.read_text())["Credential"]["AccessKeyId"] == "ASIAINSTANCE00000001"
    view = source.view()
    assert (view.instance_id, view.account_id, view.region, view.role_name) == (
        "i-0123456789abcdef0", "123456789012", "eu-west-1", "web")
    assert server.calls == [("JoinInstance", None), ("GetInstanceRoleCredentials", "ASIAINSTANCE00000001")]


def test_a_restart_reuses_the_stored_credential_and_never_reads_the_token(tmp_path: Path) -> None:
    server, clock = Server(), FixedClock(T0)
    _source(tmp_path, server, clock).start()
    (tmp_path / "join-token").unlink()
    again = InstanceSource("http://127.0.0.1:1", StateDir(tmp_path / "state"), AgentMetrics(), clock,
                           join_token_file=tmp_path / "join-token", region=None, client_factory=server.client)
    again.start()
    assert [op for op, _ in server.calls].count("JoinInstance") == 1
    assert again.view().instance_id == "i-0123456789abcdef0"


def test_a_refused_join_token_is_a_start_error_and_stores_nothing(tmp_path: Path) -> None:
    server = Server()
    server.join_refused = True
    with pytest.raises(AgentStartError, match=r"the join token was refused \(InvalidJoinToken\)"):
        _source(tmp_path, server, FixedClock(T0)).start()
    assert not (tmp_path / "state" / INSTANCE_CREDENTIAL).exists()


def test_no_stored_credential_and_no_token_is_a_start_error(tmp_path: Path) -> None:
    with pytest.raises(AgentStartError, match="no --join-token-file"):
        _source(tmp_path, Server(), FixedClock(T0), token=None).start()


def test_an_expired_stored_credential_is_a_start_error_saying_what_to_do(tmp_path: Path) -> None:
    server, clock = Server(), FixedClock(T0)
    _source(tmp_path, server, clock).start()
    clock.advance(13 * 3600)
    with pytest.raises(AgentStartError, match="register the instance again"):
        _source(tmp_path, server, clock).start()


def test_the_instance_credential_rotates_at_half_its_life_and_is_stored_before_use(tmp_path: Path) -> None:
    server, clock = Server(), FixedClock(T0)
    source = _source(tmp_path, server, clock)
    source.start()
    clock.advance(6 * 3600 - 1)
    source.refresh()
    assert server.rotations == 0
    clock.advance(1)
    source.refresh()
    assert server.rotations == 1
    stored = json.loads((tmp_path / "state" / INSTANCE_CREDENTIAL).read_text())["Credential"]
    assert stored["AccessKeyId"] == "ASIAINSTANCE00000002"
    assert server.calls[-2:] == [("RotateInstanceCredential", "ASIAINSTANCE00000001"),
                                 ("GetInstanceRoleCredentials", "ASIAINSTANCE00000002")]
    assert [p.name for p in (tmp_path / "state").iterdir()] == [INSTANCE_CREDENTIAL]  # no temp file left


def test_a_removed_association_is_served_as_none_at_the_next_poll(tmp_path: Path) -> None:
    server, clock = Server(), FixedClock(T0)
    source = _source(tmp_path, server, clock)
    source.start()
    server.role = "api"
    source.refresh()
    assert source.view().role_name == "api"
    server.role = None
    source.refresh()
    assert source.view().role_name is None and source.view().credentials is None


def test_a_refused_instance_credential_withdraws_everything(tmp_path: Path) -> None:
    server, clock = Server(), FixedClock(T0)
    source = _source(tmp_path, server, clock)
    source.start()
    server.failure = ClientError({"Error": {"Code": "InvalidClientTokenId", "Message": "invalid"}},
                                 "GetInstanceRoleCredentials")
    assert Refresher(source).poll_once() is True  # an answer, not a failure
    assert source.view().credentials is None and source.view().instance_id == "i-0123456789abcdef0"


def test_an_unreachable_server_keeps_what_is_held(tmp_path: Path) -> None:
    server, clock = Server(), FixedClock(T0)
    source = _source(tmp_path, server, clock)
    source.start()
    held = source.view().credentials
    server.failure = EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")
    assert Refresher(source).poll_once() is False
    assert source.view().credentials == held
