"""The decision service never fails a request because of a stored document it cannot evaluate: the statement
fails closed and the decision's notes say why (docs/spec/policy-validation.md, V15)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rolegate.authz import Caller
from rolegate.policy import Outcome

from .test_authorize import ACCT, World, allow, doc

BROKEN_ALLOW = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Typo", "Effect": "Allow", "Action": "iam:*", "Resource": "*",
     "Condition": {"StringEqualz": {"aws:username": "alice"}}}]})


@pytest.fixture
def world(tmp_path: Path, migrated_database: Path) -> Iterator[World]:
    w = World(tmp_path / "fail-closed.db", migrated_database)
    yield w
    w.store.close()


def _store_unchecked(world: World, user: Caller, name: str, document: str) -> None:
    """An inline policy written past the service's checks, as data stored before them."""
    assert user.user_id is not None
    with world.store.write() as tx:
        tx.users.put_inline_policy(user.user_id, name, document)


def test_a_stored_allow_that_cannot_be_evaluated_grants_nothing_and_says_why(world: World) -> None:
    alice = world.user("alice", allow("iam:GetUser"))
    _store_unchecked(world, alice, "old", BROKEN_ALLOW)
    decision = world.decide(alice, "iam:ListUsers", "*", ACCT, doc(), "resource")
    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert any("statement Typo cannot be evaluated (Invalid Condition type : StringEqualz): its Allow grants nothing"
               in note for note in decision.notes)


def test_the_principals_other_policies_still_decide(world: World) -> None:
    alice = world.user("alice", allow("iam:GetUser"))
    _store_unchecked(world, alice, "old", BROKEN_ALLOW)
    world.authorize(alice, "GetUser", {"UserName": "alice"})  # no exception: allowed by the other policy


def test_a_resource_policy_that_cannot_be_evaluated_is_a_denial_not_an_error(world: World) -> None:
    alice = world.user("alice")
    broken = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"DateLessThan": {"aws:CurrentTime": "tomorrow"}}}]})
    decision = world.decide(alice, "s3:GetObject", "arn:aws:s3:::b/k", ACCT, broken, "resource")
    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert decision.explanation()["notes"] == [
        'resource-based policy 0: statement #0 cannot be evaluated (Invalid Date condition value: "tomorrow"): '
        "its Allow grants nothing"]
