"""Races across OS processes against a server with two workers: several clients create the same name at once,
and a DeleteRole races an AttachRolePolicy. Exactly one creator wins; a race never leaves a dangling row.

Each racer is its own process with its own boto3 client, released together by a barrier, so the requests
reach the two workers as truly concurrent calls (no shared client, no GIL between them).
"""

from __future__ import annotations

import json
import multiprocessing
import uuid
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from botocore.exceptions import ClientError

from tests.live import LiveServer

RACERS = 6
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                          "Resource": "*"}]})
_SPAWN = multiprocessing.get_context("spawn")


def _racer(port: int, barrier: Barrier, inbox: Any, results: Any, index: int) -> None:
    """One racing process: a client of its own; per round, wait for the others, make one call, report it."""
    server = LiveServer(Path("."))
    server.port = port
    iam = server.client("iam")
    iam.get_account_summary()  # connect before the first round, so connection set-up is not part of the race
    while (job := inbox.get()) is not None:
        action, kwargs = job
        barrier.wait(timeout=30)
        if action is None:  # sits this round out
            results.put((index, "idle"))
            continue
        try:
            getattr(iam, action)(**kwargs)
            results.put((index, "ok"))
        except ClientError as exc:
            results.put((index, exc.response["Error"]["Code"]))


class Racers:
    """``RACERS`` long-lived processes that make their calls of a round at the same moment."""

    def __init__(self, server: LiveServer) -> None:
        self._barrier = _SPAWN.Barrier(RACERS)
        self._results = _SPAWN.Queue()
        self._inboxes = [_SPAWN.Queue() for _ in range(RACERS)]
        self._procs = [_SPAWN.Process(target=_racer, args=(server.port, self._barrier, q, self._results, i))
                       for i, q in enumerate(self._inboxes)]
        for p in self._procs:
            p.start()

    def race(self, calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
        """Run ``calls`` (action, arguments) at the same moment, one process each; their outcomes, in order."""
        assert len(calls) <= RACERS
        jobs: list[tuple[str | None, dict[str, Any]]] = [*calls, *[(None, {})] * (RACERS - len(calls))]
        for inbox, job in zip(self._inboxes, jobs, strict=True):
            inbox.put(job)
        outcomes = dict(self._results.get(timeout=60) for _ in range(RACERS))
        return [outcomes[i] for i in range(len(calls))]

    def close(self) -> None:
        for inbox in self._inboxes:
            inbox.put(None)
        for p in self._procs:
            p.join(30)
            assert p.exitcode == 0


@pytest.fixture(scope="module")
def racers(two_workers: LiveServer) -> Iterator[Racers]:
    r = Racers(two_workers)
    yield r
    r.close()


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _exactly_one_winner(outcomes: list[str]) -> None:
    assert sorted(outcomes) == ["EntityAlreadyExists"] * (len(outcomes) - 1) + ["ok"], outcomes


def test_concurrent_create_role_of_one_name_has_exactly_one_winner(two_workers: LiveServer, racers: Racers) -> None:
    name = _name("race-role")
    # Names ignore case, so the racers may spell it differently and still collide.
    calls = [("create_role", {"RoleName": name.upper() if i % 2 else name, "AssumeRolePolicyDocument": TRUST})
             for i in range(RACERS)]
    _exactly_one_winner(racers.race(calls))
    listed = [r["RoleName"] for r in two_workers.client("iam").list_roles()["Roles"] if r["RoleName"].lower() == name]
    assert len(listed) == 1


def test_concurrent_create_user_of_one_name_has_exactly_one_winner(two_workers: LiveServer, racers: Racers) -> None:
    name = _name("race-user")
    _exactly_one_winner(racers.race([("create_user", {"UserName": name})] * RACERS))
    assert [u["UserName"] for u in two_workers.client("iam").list_users()["Users"]].count(name) == 1


def test_concurrent_create_policy_of_one_name_has_exactly_one_winner(two_workers: LiveServer, racers: Racers) -> None:
    name = _name("race-policy")
    _exactly_one_winner(racers.race([("create_policy", {"PolicyName": name, "PolicyDocument": DOC})] * RACERS))
    local = two_workers.client("iam").list_policies(Scope="Local")["Policies"]
    assert [p["PolicyName"] for p in local].count(name) == 1


def test_delete_role_racing_attach_role_policy_never_leaves_a_dangling_attachment(two_workers: LiveServer,
                                                                                  racers: Racers) -> None:
    iam = two_workers.client("iam")
    policy_arn = iam.create_policy(PolicyName=_name("race-target"), PolicyDocument=DOC)["Policy"]["Arn"]
    for _ in range(12):
        role = _name("race-victim")
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
        attach, delete = racers.race([("attach_role_policy", {"RoleName": role, "PolicyArn": policy_arn}),
                                      ("delete_role", {"RoleName": role})])
        if delete == "ok":
            # The delete came first: the attach found no role, and nothing refers to the role any more.
            assert attach == "NoSuchEntity"
            with pytest.raises(ClientError, match="NoSuchEntity"):
                iam.get_role(RoleName=role)
        else:
            # The attach came first: the delete was refused and the attachment stands.
            assert (attach, delete) == ("ok", "DeleteConflict")
            assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]] == [
                policy_arn]
            iam.detach_role_policy(RoleName=role, PolicyArn=policy_arn)
            iam.delete_role(RoleName=role)
        assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["AttachmentCount"] == 0
    # Which interleavings occur varies from run to run; each must be one of the two above, and no row may
    # outlive its role whichever came first.
    assert _dangling_attachment_rows(two_workers) == 0


def _dangling_attachment_rows(server: LiveServer) -> int:
    """Attachment rows whose role no longer exists, read straight from the server's database."""
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as db:
            return int(db.execute(text("SELECT count(*) FROM role_attached_policies a WHERE NOT EXISTS "
                                       "(SELECT 1 FROM roles r WHERE r.role_id = a.role_id)")).scalar_one())
    finally:
        engine.dispose()
