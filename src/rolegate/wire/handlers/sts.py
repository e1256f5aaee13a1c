"""STS operations that need no session machinery (STS API reference)."""

from __future__ import annotations

from typing import Any

from .registry import HandlerContext, operation


@operation("GetCallerIdentity")
def get_caller_identity(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    # Always allowed, even under an explicit deny (STS API reference, GetCallerIdentity).
    assert ctx.caller is not None
    return {"UserId": ctx.caller.user_id, "Account": ctx.caller.account_id, "Arn": ctx.caller.arn}
