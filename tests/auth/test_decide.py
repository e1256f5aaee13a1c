"""The decision service's questions beyond the endpoint's: ``trust`` (every AssumeRole variant's one call),
``decide`` over several resources, and the request's global keys built once for every check of a request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rolegate.authz import Caller, SessionClaims, TrustedResource, authorizer
from rolegate.authz.operations import Resource, assume_context
from rolegate.core.errors import AccessDenied

from .test_authorize import ACCT, World, allow, doc

OTHER = "999988887777"


@pytest.fixture
def world(tmp_path: Path, migrated_database: Path) -> Iterator[World]:
    w = World(tmp_path / "decide.db", migrated_database)
    yield w
    w.store.close()


def _trust(*principals: str, actions: tuple[str, ...] = ("sts:AssumeRole",)) -> str:
    return doc({"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": list(actions)})


def _role(account: str, trust: str) -> TrustedResource:
    return TrustedResource(f"arn:aws:iam::{account}:role/target", account, trust)


def test_trust_allows_a_principal_the_same_accounts_trust_policy_names(world: World) -> None:
    alice = world.user()
    world.authz.trust(world.authz.request(alice, "r"), _role(ACCT, _trust(alice.arn)), ["sts:AssumeRole"],
                      assume_context("s", ()))


def test_trust_refuses_with_the_aws_message_when_the_trust_policy_does_not_name_the_caller(world: World) -> None:
    alice = world.user()
    role = _role(ACCT, _trust(f"arn:aws:iam::{ACCT}:user/bob"))
    with pytest.raises(AccessDenied) as exc:
        world.authz.trust(world.authz.request(alice, "r"), role, ["sts:AssumeRole"], assume_context("s", ()))
    assert str(exc.value).startswith(f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on "
                                     f"resource: {role.arn}")


def test_trust_across_accounts_needs_the_callers_own_identity_policy_too(world: World) -> None:
    alice = world.user()
    role = _role(OTHER, _trust(f"arn:aws:iam::{ACCT}:root"))
    with pytest.raises(AccessDenied):
        world.authz.trust(world.authz.request(alice, "r"), role, ["sts:AssumeRole"], assume_context("s", ()))
    world.users.put_user_policy(world.req(ACCT), "alice", "p", doc(allow("sts:AssumeRole", role.arn)))
    world.authz.trust(world.authz.request(alice, "r"), role, ["sts:AssumeRole"], assume_context("s", ()))


def test_trust_checks_every_action_asked(world: World) -> None:
    alice = world.user()
    role = _role(ACCT, _trust(alice.arn))
    with pytest.raises(AccessDenied, match="sts:TagSession"):
        world.authz.trust(world.authz.request(alice, "r"), role, ["sts:AssumeRole", "sts:TagSession"],
                          assume_context("s", (), tags=[("k", "v")]))


def test_trust_sees_the_assume_keys(world: World) -> None:
    alice = world.user()
    trust = doc({"Effect": "Allow", "Principal": {"AWS": alice.arn}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"sts:ExternalId": "xyz", "aws:ResourceTag/env": "prod"}}})
    role = _role(ACCT, trust)
    with pytest.raises(AccessDenied):
        world.authz.trust(world.authz.request(alice, "r"), role, ["sts:AssumeRole"],
                          assume_context("s", [("env", "prod")], external_id="nope"))
    world.authz.trust(world.authz.request(alice, "r"), role, ["sts:AssumeRole"],
                      assume_context("s", [("env", "prod")], external_id="xyz"))


def test_trust_refuses_federated_users_by_the_one_rule(world: World) -> None:
    alice = world.user()
    now = world.clock.now()
    claims = SessionClaims(kind="FederatedUser", account_id=ACCT, access_key_id="ASIAEXAMPLE", issued_at=now,
                           expires_at=now + dt.timedelta(hours=1), principal_id=alice.user_id,
                           principal_arn=alice.arn, principal_name="fed", session_name="fed")
    fed = Caller(account_id=ACCT, arn=claims.arn, user_id=claims.user_id, principal_type="FederatedUser",
                 session=claims)
    with pytest.raises(AccessDenied, match="federated users cannot call this API"):
        world.authz.trust(world.authz.request(fed, "r"), _role(ACCT, _trust("*")), ["sts:AssumeRole"],
                          assume_context("s", ()))


def test_decide_is_decided_by_the_first_resource_not_allowed(world: World) -> None:
    alice = world.user("alice", allow("iam:GetRole", f"arn:aws:iam::{ACCT}:role/a"))
    resources = [Resource(f"arn:aws:iam::{ACCT}:role/{n}", ACCT, None) for n in ("a", "b")]
    request = world.authz.request(alice, "r")
    assert world.authz.decide(alice, "iam:GetRole", resources[:1], {}, request=request).is_allowed
    decision = world.authz.decide(alice, "iam:GetRole", resources, {}, request=request)
    assert not decision.is_allowed


def test_the_global_keys_are_built_once_for_every_check_of_a_request(world: World,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    alice = world.user("alice", allow(["iam:ListRoles", "iam:PassRole"]))
    built: list[Any] = []
    real = authorizer.global_context

    def counting(*args: Any) -> Any:
        built.append(args)
        return real(*args)

    monkeypatch.setattr(authorizer, "global_context", counting)
    request = world.authz.request(alice, "r")
    world.authz.authorize(alice, "iam", "ListRoles", {}, request)
    world.authz.trust(request, _role(ACCT, _trust(alice.arn)), ["sts:AssumeRole"], assume_context("s", ()))
    world.authz.check_pass_role(request, f"arn:aws:iam::{ACCT}:role/target", "ec2.amazonaws.com")
    assert len(built) == 1


def test_the_request_time_is_the_clocks(world: World) -> None:
    world.clock.set(dt.datetime(2030, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc))
    assert world.authz.request(world.user(), "r").now == world.clock.now()
