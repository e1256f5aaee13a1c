"""``RequestContext``: the account a request acts in, and the context of rolegate's own work."""

from __future__ import annotations

import datetime as dt

import pytest

from rolegate.authz import RequestContext, root_caller
from rolegate.core.clock import FixedClock
from rolegate.store.invalidation import Snapshot, Stamp

NOW = dt.datetime(2026, 5, 4, 3, 2, 1, 500_000, tzinfo=dt.timezone.utc)


class _NoReads:
    def stamp(self, account_id: str) -> Stamp:
        raise AssertionError("building a context reads no generation")


def _snapshot() -> Snapshot:
    return Snapshot(_NoReads())


def test_a_callers_request_acts_in_the_callers_account() -> None:
    request = RequestContext(caller=root_caller("111122223333", None, "us-east-1"), request_id="r", now=NOW,
                             snapshot=_snapshot())
    assert (request.account_id, request.actor) == ("111122223333", None)


def test_an_internal_context_names_its_actor_and_has_no_caller() -> None:
    request = RequestContext.internal("rolegate-cli", "444455556666", NOW, _snapshot())
    assert (request.caller, request.actor, request.account_id) == (None, "rolegate-cli", "444455556666")
    assert request.request_id.startswith("internal-") and request.now == NOW
    assert request.timestamp == NOW.replace(microsecond=0)
    with pytest.raises(ValueError):
        request.signed_caller()  # nothing can take it for a signed caller


def test_a_context_without_a_caller_or_an_account_acts_in_no_account() -> None:
    for request in (RequestContext.internal("rolegate-bootstrap", None, FixedClock().now(), _snapshot()),
                    RequestContext(caller=None, request_id="r", now=NOW, snapshot=_snapshot())):
        with pytest.raises(ValueError, match="acts in no account"):
            request.account_id
