"""CloudTrail's LookupEvents over the store copy of the audit trail: one lookup attribute at most, a time range,
pages of at most 50 records, newest first, and only the caller's own account's records.

Rules from the API reference (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html):
"the list can contain only one item" (more is ``InvalidLookupAttributesException``); "If the specified start time
is after the specified end time, an error is returned" (``InvalidTimeRangeException``); "The default is 50";
the NextToken "must be passed in with the same parameters that were specified in the original call"
(else ``InvalidNextTokenException``); "The most recent event is listed first". Without a StartTime, the last
``retention_days`` (CloudTrail's event history keeps 90 days). MaxResults' bounds (1–50) are the model's and the
shared validator answers them before this runs. rolegate records no Insights events, so a lookup of
``EventCategory=insight`` finds none.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from rolegate.core.clock import Clock
from rolegate.core.errors import InvalidLookupAttributes, InvalidNextToken, InvalidTimeRange

from .ports import AuditStore

__all__ = ["DEFAULT_MAX_RESULTS", "EventHistory"]

DEFAULT_MAX_RESULTS = 50
# Longer than any token rolegate issues (a time, a sequence number, a digest): refused before it is decoded.
MAX_TOKEN_CHARS = 512


class EventHistory:
    def __init__(self, store: AuditStore, clock: Clock, *, retention_days: int) -> None:
        self._store = store
        self._clock = clock
        self._retention = dt.timedelta(days=retention_days)

    def lookup(self, account_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """LookupEvents' output for ``params`` (its input members), over ``account_id``'s records."""
        attributes = params.get("LookupAttributes") or []
        if len(attributes) > 1:
            raise InvalidLookupAttributes("Only one lookup attribute is allowed.")
        key = value = None
        if attributes:
            key, value = attributes[0]["AttributeKey"], attributes[0]["AttributeValue"]
            if key == "ReadOnly":
                if value.lower() not in ("true", "false"):
                    raise InvalidLookupAttributes("ReadOnly must be true or false.")
                value = value.lower() == "true"
        start, end = params.get("StartTime"), params.get("EndTime")
        if start is not None and end is not None and start > end:
            raise InvalidTimeRange("Start time must be before end time.")
        if params.get("EventCategory") == "insight":
            return {"Events": []}  # rolegate records management events only
        query = _query_digest(key, value, start, end)
        before = _read_token(params.get("NextToken"), query)
        now = self._clock.now()
        limit = params.get("MaxResults") or DEFAULT_MAX_RESULTS
        with self._store.read() as tx:
            found = tx.audit_events.lookup(account_id, key=key, value=value, start=start or now - self._retention,
                                           end=end or now, before=before, limit=limit + 1)
        page = found[:limit]
        out: dict[str, Any] = {"Events": [_event(e) for _, e in page]}
        if len(found) > limit:
            seq, last = page[-1]
            out["NextToken"] = _token(last.event_time, seq, query)
        return out


def _event(e: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"EventId": e.event_id, "EventName": e.event_name,
                             "ReadOnly": "true" if e.read_only else "false", "EventTime": e.event_time,
                             "EventSource": e.event_source,
                             "Resources": [{"ResourceType": k, "ResourceName": n} for k, n in e.resources],
                             "CloudTrailEvent": e.record}
    if e.access_key_id:
        event["AccessKeyId"] = e.access_key_id
    if e.username:
        event["Username"] = e.username
    return event


def _query_digest(key: str | None, value: Any, start: dt.datetime | None, end: dt.datetime | None) -> str:
    text = json.dumps([key, value, start.isoformat() if start else None, end.isoformat() if end else None])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _token(when: dt.datetime, seq: int, query: str) -> str:
    raw = json.dumps({"t": when.isoformat(), "s": seq, "q": query}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii")


def _read_token(token: str | None, query: str) -> tuple[dt.datetime, int] | None:
    if token is None:
        return None
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidNextToken("Invalid NextToken.")
    try:
        found = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        when, seq, made_for = dt.datetime.fromisoformat(found["t"]), int(found["s"]), found["q"]
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise InvalidNextToken("Invalid NextToken.") from None
    if made_for != query:
        raise InvalidNextToken("The NextToken was issued for a request with different parameters.")
    return when, seq
