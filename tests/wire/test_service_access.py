"""The service-access observer notes each authorized call of a user or role session for its entity, and
nothing else: not a denied call, not the root user, not a call that never reached authorization."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from rolegate.authz import Caller
from rolegate.authz.caller import root_caller
from rolegate.wire.call import Call
from rolegate.wire.codec import WireRequest
from rolegate.wire.observe import Outcome
from rolegate.wire.service_access import ServiceAccessObserver

ACCOUNT = "111122223333"
USER = Caller(account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:user/alice", user_id="AIDAEXAMPLE",
              principal_type="User", region="eu-west-1", user_name="alice")


class Recorder:
    """A stand-in for ``ServiceAccessRecorder`` that keeps what it is told."""

    def __init__(self, due: bool = False) -> None:
        self.notes: list[tuple[str, ...]] = []
        self.flushes = 0
        self._due = due

    def note(self, account_id: str, entity_arn: str, namespace: str, action: str, region: str) -> bool:
        self.notes.append((account_id, entity_arn, namespace, action, region))
        return self._due

    def flush(self) -> None:
        self.flushes += 1


def _call(caller: Caller | None, *, authorized: bool = True) -> Call:
    call = Call("req-1", WireRequest("POST", "/", "", (), b""))
    call.caller = caller
    call.operation = SimpleNamespace(service="iam", name="GetUser", runs_inline=False)  # type: ignore[assignment]
    call.context = object() if authorized else None  # type: ignore[assignment]
    return call


def _observer(recorder: Recorder) -> Any:
    return ServiceAccessObserver(recorder)  # type: ignore[arg-type]


def test_an_authorized_users_call_is_noted_for_the_user() -> None:
    recorder = Recorder()
    _observer(recorder).completed(_call(USER), Outcome(200))
    assert recorder.notes == [(ACCOUNT, USER.arn, "iam", "GetUser", "eu-west-1")]


def test_a_role_sessions_call_is_noted_for_its_role() -> None:
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/app"
    session = Caller(account_id=ACCOUNT, arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s", user_id="AROAX:s",
                     principal_type="AssumedRole",
                     session=SimpleNamespace(principal_arn=role_arn))  # type: ignore[arg-type]
    recorder = Recorder()
    _observer(recorder).completed(_call(session), Outcome(200))
    assert [n[1] for n in recorder.notes] == [role_arn]


def test_denied_unauthorized_and_root_calls_are_not_noted() -> None:
    recorder = Recorder()
    observer = _observer(recorder)
    observer.completed(_call(USER), Outcome(403, "AccessDenied"))
    observer.completed(_call(USER, authorized=False), Outcome(403, "InvalidClientTokenId"))
    observer.completed(_call(root_caller(ACCOUNT, None, "us-east-1")), Outcome(200))
    assert recorder.notes == []


def test_a_failed_handler_after_authorization_still_counts_and_a_due_batch_is_written() -> None:
    recorder = Recorder(due=True)
    _observer(recorder).completed(_call(USER), Outcome(404, "NoSuchEntity"))
    assert len(recorder.notes) == 1 and recorder.flushes == 1
