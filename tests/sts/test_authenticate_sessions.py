"""Request authentication with session credentials: no store read, the derived secret, AWS's error codes."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from rolegate.auth.authenticate import Authenticator
from rolegate.auth.sigv4 import HttpRequest, SigV4Verifier
from rolegate.store.invalidation import Snapshot, Stamp
from rolegate.core.clock import FixedClock, SystemClock
from rolegate.core.errors import ExpiredToken, InvalidClientTokenId, SignatureDoesNotMatch
from rolegate.iam.access_keys import AccessKeyService
from rolegate.iam.effective_policies import EffectivePolicies
from rolegate.iam.roles import RoleService
from rolegate.iam.users import UserService
from rolegate.store.sql import SqlStore
from rolegate.sts.keyring import KeyRing
from rolegate.sts.sessions import IssuedSession, StsService
from rolegate.sts.tokens import SessionCodec

from .conftest import ACCOUNT, Requests, trust, user_caller

BODY = "Action=GetCallerIdentity&Version=2011-06-15"


def _signed(key: str, secret: str, token: str | None) -> HttpRequest:
    req = AWSRequest("POST", "http://localhost/", data=BODY.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key, secret, token), "sts", "us-east-1").add_auth(req)
    p = req.prepare()
    return HttpRequest("POST", "/", "", [("Host", "localhost"), *p.headers.items()], p.body)


@pytest.fixture
def authenticator(store: SqlStore, clock: FixedClock, codec: SessionCodec) -> Authenticator:
    # Signatures are checked against real time (botocore signs now); token expiry against the test's clock.
    return Authenticator(AccessKeyService(store, clock), SigV4Verifier(SystemClock()), sessions=codec,
                         cache=EffectivePolicies(store), invalidation=store.invalidation)


@pytest.fixture
def issued(sts: StsService, roles: RoleService, users: UserService, req: Requests) -> IssuedSession:
    alice = user_caller(users.create_user(req(ACCOUNT), "alice"))
    arn = roles.create_role(req(ACCOUNT), "r", trust(alice.arn)).arn
    return sts.assume_role(req(alice), arn, "s1")


class _NoReads:
    """An invalidation port that fails the test when read: a session is verified without the store."""

    def stamp(self, account_id: str) -> Stamp:
        raise AssertionError("session authentication read the store's generations")


def _auth(a: Authenticator, req: HttpRequest):  # type: ignore[no-untyped-def]
    return a.authenticate(req, {"Action": "GetCallerIdentity"}, signature_required=True,
                          snapshot=Snapshot(_NoReads()))


def test_session_request_authenticates_as_the_role_session(authenticator: Authenticator,
                                                           issued: IssuedSession) -> None:
    caller = _auth(authenticator, _signed(issued.access_key_id, issued.secret_access_key, issued.session_token))
    assert caller.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s1"
    assert caller.principal_type == "AssumedRole" and caller.session == issued.claims


def test_session_verification_reads_nothing_from_the_store(authenticator: Authenticator, issued: IssuedSession,
                                                           ring: KeyRing, store: SqlStore,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ring.primary()  # the ring is loaded once per process, not per request

    def no_reads():  # type: ignore[no-untyped-def]
        raise AssertionError("session verification touched the store")

    monkeypatch.setattr(store, "read", no_reads)
    _auth(authenticator, _signed(issued.access_key_id, issued.secret_access_key, issued.session_token))


def test_expired_session_is_expired_token(authenticator: Authenticator, issued: IssuedSession,
                                          clock: FixedClock) -> None:
    clock.advance(3600)
    with pytest.raises(ExpiredToken):
        _auth(authenticator, _signed(issued.access_key_id, issued.secret_access_key, issued.session_token))


def test_one_flipped_bit_is_invalid_client_token_id(authenticator: Authenticator, issued: IssuedSession) -> None:
    raw = bytearray(base64.b64decode(issued.session_token))
    raw[len(raw) // 2] ^= 0x10
    with pytest.raises(InvalidClientTokenId, match="The security token included in the request is invalid."):
        _auth(authenticator, _signed(issued.access_key_id, issued.secret_access_key, base64.b64encode(raw).decode()))


def test_wrong_secret_is_signature_does_not_match(authenticator: Authenticator, issued: IssuedSession) -> None:
    with pytest.raises(SignatureDoesNotMatch):
        _auth(authenticator, _signed(issued.access_key_id, "x" * 40, issued.session_token))


def test_session_key_without_token_or_with_another_sessions_token_is_invalid(
        authenticator: Authenticator, issued: IssuedSession, sts: StsService, users: UserService, req: Requests) -> None:
    with pytest.raises(InvalidClientTokenId):
        _auth(authenticator, _signed(issued.access_key_id, issued.secret_access_key, None))
    other = sts.get_session_token(req(user_caller(users.create_user(req(ACCOUNT), "bob"))))
    with pytest.raises(InvalidClientTokenId):
        _auth(authenticator, _signed(issued.access_key_id, issued.secret_access_key, other.session_token))


def test_long_term_key_with_a_session_token_is_invalid(authenticator: Authenticator, issued: IssuedSession) -> None:
    with pytest.raises(InvalidClientTokenId):
        _auth(authenticator, _signed("AKIAIOSFODNN7EXAMPLE", "secret", issued.session_token))


def test_key_rotation_leaves_live_sessions_working(authenticator: Authenticator, issued: IssuedSession,
                                                   ring: KeyRing, sts: StsService, users: UserService, req: Requests) -> None:
    ring.rotate()
    newer = sts.get_session_token(req(user_caller(users.create_user(req(ACCOUNT), "carol"))))
    for s in (issued, newer):
        assert _auth(authenticator, _signed(s.access_key_id, s.secret_access_key, s.session_token)).session == s.claims


def test_get_session_token_session_authenticates_as_the_user(authenticator: Authenticator, sts: StsService,
                                                             users: UserService, req: Requests) -> None:
    user = users.create_user(req(ACCOUNT), "dave")
    s = sts.get_session_token(req(user_caller(user)))
    caller = _auth(authenticator, _signed(s.access_key_id, s.secret_access_key, s.session_token))
    assert (caller.arn, caller.user_id, caller.principal_type, caller.user_name) == (user.arn, user.user_id, "User",
                                                                                      "dave")
    assert caller.session is not None and caller.session.expires_at - caller.session.issued_at == dt.timedelta(hours=12)
