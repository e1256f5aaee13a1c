"""Instance ids and join tokens: EC2's id form; a token shown once, stored hashed, single-use, expiring."""

from __future__ import annotations

import datetime as dt

import pytest

from rolegate.core.errors import ClientError
from rolegate.core.redaction import known_secrets, request_scope
from rolegate.metadata.join_tokens import (
    DEFAULT_JOIN_TOKEN_TTL,
    InvalidJoinToken,
    hash_join_token,
    is_instance_id,
    issue_join_token,
    new_instance_id,
    redeem,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def test_instance_ids_are_i_dash_17_hex_and_distinct() -> None:
    ids = {new_instance_id() for _ in range(50)}
    assert len(ids) == 50 and all(is_instance_id(i) and len(i) == 19 for i in ids)
    assert not is_instance_id("i-ABCDEF0123456789a") and not is_instance_id("i-0123")


def test_the_stored_state_holds_only_the_hash_and_a_15_minute_expiry() -> None:
    token, state = issue_join_token(T0)
    assert token not in repr(state) and state.token_hash == hash_join_token(token)
    assert state.expires_at == T0 + DEFAULT_JOIN_TOKEN_TTL == T0 + dt.timedelta(minutes=15)
    assert not state.redeemed


def test_a_token_redeems_once() -> None:
    token, state = issue_join_token(T0)
    used = redeem(state, token, T0 + dt.timedelta(minutes=1))
    assert used.redeemed
    with pytest.raises(InvalidJoinToken):
        redeem(used, token, T0 + dt.timedelta(minutes=2))


@pytest.mark.parametrize("presented, at", [("rgjt-wrong", 1), (None, 15), (None, 16)])
def test_a_wrong_or_expired_token_is_refused_with_one_answer(presented: str | None, at: int) -> None:
    token, state = issue_join_token(T0)
    with pytest.raises(InvalidJoinToken) as e:
        redeem(state, presented or token, T0 + dt.timedelta(minutes=at))
    assert e.value.status == 403 and token not in str(e.value)


def test_an_unknown_token_is_refused() -> None:
    with pytest.raises(InvalidJoinToken):
        redeem(None, "rgjt-anything", T0)


@pytest.mark.parametrize("ttl", [dt.timedelta(seconds=59), dt.timedelta(days=8)])
def test_ttl_out_of_range_is_refused(ttl: dt.timedelta) -> None:
    with pytest.raises(ClientError):
        issue_join_token(T0, ttl)


def test_an_issued_token_can_never_reach_a_log_line() -> None:
    with request_scope(set()):
        token, _ = issue_join_token(T0)
        assert token in known_secrets()
