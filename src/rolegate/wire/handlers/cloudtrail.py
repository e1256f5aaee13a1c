"""CloudTrail operation handlers: LookupEvents only, over the caller's own account's audit records.

The rest of CloudTrail (trails, event data stores, Lake queries, Insights) is not hosted; its operations answer
as every unserved operation does (``coverage_notes.json``).
"""

from __future__ import annotations

from typing import Any

from .registry import HandlerContext, operation


@operation("cloudtrail", "LookupEvents")
def lookup_events(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    assert ctx.caller is not None
    # A caller sees its own account's records: the copy CloudTrail keeps for that account (recipientAccountId).
    return ctx.services.event_history.lookup(ctx.caller.account_id, p)
