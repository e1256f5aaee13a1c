"""The session token codec: claims round-trip; anything not a genuine, live token of this key ring is refused."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from rolegate.core import ids
from rolegate.core.clock import FixedClock
from rolegate.core.errors import ExpiredToken, InvalidClientTokenId
from rolegate.store.sql import SqlStore
from rolegate.sts.keyring import KeyRing
from rolegate.sts.tokens import ASSUMED_ROLE, INSTANCE, SessionClaims, SessionCodec

from .conftest import ACCOUNT, START


def _claims(**changes: object) -> SessionClaims:
    base = dict(kind=ASSUMED_ROLE, account_id=ACCOUNT,
                access_key_id=ids.new_access_key_id(ACCOUNT, prefix=ids.SESSION_KEY), issued_at=START,
                expires_at=START + dt.timedelta(hours=1), principal_id="AROAEXAMPLEEXAMPLE123",
                principal_arn=f"arn:aws:iam::{ACCOUNT}:role/app/deployer", principal_name="deployer",
                session_name="ci-42", policy='{"Version":"2012-10-17","Statement":[]}',
                policy_arns=("arn:aws:iam::aws:policy/ReadOnlyAccess",), tags=(("team", "red"), ("env", "prod")),
                transitive_tag_keys=("team",), source_identity="alice", mfa_authenticated_at=START, chained=True,
                federated_provider=f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com",
                source_instance_arn=f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123456789abcdef0")
    base.update(changes)
    return SessionClaims(**base)  # type: ignore[arg-type]


def test_claims_survive_a_round_trip(codec: SessionCodec) -> None:
    claims = _claims()
    sealed = codec.seal(claims)
    opened, secret = codec.open(sealed.session_token, claims.access_key_id)
    assert opened == claims
    assert secret == sealed.secret_access_key


def test_an_instance_credential_keeps_its_kind_and_generation(codec: SessionCodec) -> None:
    arn = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-0123456789abcdef0"
    claims = _claims(kind=INSTANCE, principal_id="i-0123456789abcdef0", principal_arn=arn,
                     principal_name="i-0123456789abcdef0", session_name="", policy=None, policy_arns=(), tags=(),
                     transitive_tag_keys=(), source_identity=None, mfa_authenticated_at=None, chained=False,
                     federated_provider=None, source_instance_arn=None, generation=7)
    opened, _ = codec.open(codec.seal(claims).session_token, claims.access_key_id)
    assert opened == claims and opened.arn == arn and opened.generation == 7


def test_session_arn_and_user_id_are_the_assumed_role_forms(codec: SessionCodec) -> None:
    claims = _claims()
    assert claims.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci-42"  # no role path, as AWS
    assert claims.user_id == "AROAEXAMPLEEXAMPLE123:ci-42"


def test_secret_is_40_characters_derived_from_the_key_id(codec: SessionCodec) -> None:
    a = codec.seal(_claims())
    b = codec.seal(_claims(access_key_id=ids.new_access_key_id(ACCOUNT, prefix=ids.SESSION_KEY)))
    assert len(a.secret_access_key) == 40
    assert a.secret_access_key != b.secret_access_key
    again = codec.seal(_claims(access_key_id=a.claims.access_key_id))
    assert again.secret_access_key == a.secret_access_key  # nothing per session is stored: it is derived


def test_token_stays_small(codec: SessionCodec) -> None:
    assert len(codec.seal(_claims()).session_token) < 700
    assert len(codec.seal(_claims(policy=None, policy_arns=(), tags=(), transitive_tag_keys=(),
                                  source_identity=None)).session_token) < 350


def test_every_flipped_bit_is_rejected(codec: SessionCodec) -> None:
    claims = _claims()
    raw = bytearray(base64.b64decode(codec.seal(claims).session_token))
    for i in range(len(raw)):
        for bit in (0, 7):
            bad = bytearray(raw)
            bad[i] ^= 1 << bit
            with pytest.raises(InvalidClientTokenId, match="security token included in the request is invalid"):
                codec.open(base64.b64encode(bytes(bad)).decode(), claims.access_key_id)


@pytest.mark.parametrize("cut", [0, 1, 5, 17, 40])
def test_truncated_tokens_are_rejected(codec: SessionCodec, cut: int) -> None:
    claims = _claims()
    token = base64.b64decode(codec.seal(claims).session_token)
    with pytest.raises(InvalidClientTokenId):
        codec.open(base64.b64encode(token[:cut]).decode(), claims.access_key_id)


def test_garbage_is_rejected(codec: SessionCodec) -> None:
    for token in ("", "not base64 !!", "FQoGZXIvYXdzEJr//////////wEaDAAAAAAAAAAAAAAAAA==", "A" * 400):
        with pytest.raises(InvalidClientTokenId):
            codec.open(token, "ASIAAAAAAAAAAAAAAAAA")


def test_token_of_another_key_id_is_rejected(codec: SessionCodec) -> None:
    sealed = codec.seal(_claims())
    with pytest.raises(InvalidClientTokenId):
        codec.open(sealed.session_token, ids.new_access_key_id(ACCOUNT, prefix=ids.SESSION_KEY))


def test_token_of_a_foreign_key_ring_is_rejected(codec: SessionCodec, tmp_path, clock: FixedClock,
                                                 migrated_database) -> None:
    from rolegate.store.engine import create_store_engine
    from rolegate.store.sealing import Sealer
    from tests.migrated import copy_database

    engine = create_store_engine(copy_database(migrated_database, tmp_path / "other.db"))
    foreign = SessionCodec(KeyRing(SqlStore(engine, Sealer(b"x" * 32)), clock), clock)
    claims = _claims()
    with pytest.raises(InvalidClientTokenId):
        codec.open(foreign.seal(claims).session_token, claims.access_key_id)


def test_expiry_follows_the_clock(codec: SessionCodec, clock: FixedClock) -> None:
    claims = _claims()
    token = codec.seal(claims).session_token
    clock.advance(3599)
    codec.open(token, claims.access_key_id)
    clock.advance(1)
    with pytest.raises(ExpiredToken, match="The security token included in the request is expired"):
        codec.open(token, claims.access_key_id)
