"""Trust policies bind a principal ARN to the principal's unique id, as AWS binds them.

IAM User Guide, "IAM JSON policy elements: Principal" → IAM role principals / IAM user principals: "If your
Principal element in a role trust policy contains an ARN that points to a specific IAM role [or user], then
that ARN transforms to the role's unique principal ID when you save the policy. ... If you delete the role
[or user] ... the role's unique ID appears in the Principal element" and a re-created principal of the same
name does not match. rolegate evaluates ARNs as written, so the binding shows at deletion: every trust
policy naming the deleted principal's ARN is rewritten to name its (now orphaned) unique id, which GetRole
then shows and which no new principal can ever match.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .ports import TrustBindingTransaction

def unbind_deleted_principal(tx: TrustBindingTransaction, arn: str, unique_id: str) -> int:
    """Replace ``arn`` by ``unique_id`` in the ``AWS`` principals of every trust policy; how many changed.

    The store narrows the search to trust policies whose text contains the ARN (any account: trust crosses
    accounts), so deleting a principal costs what its mentions cost, not a read of every role there is.
    """
    changed = 0
    for role in tx.roles.list_trust_policies_containing(arn):
        rewritten = _rewrite(role.trust_policy, arn, unique_id)
        if rewritten is not None:
            tx.roles.update(dataclasses.replace(role, trust_policy=rewritten))
            changed += 1
    return changed


def _rewrite(document: str, arn: str, unique_id: str) -> str | None:
    try:
        doc = json.loads(document)
    except ValueError:
        return None
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return None
    hit = False
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        for element in ("Principal", "NotPrincipal"):
            principal = statement.get(element)
            if isinstance(principal, dict) and "AWS" in principal:
                new, found = _replace(principal["AWS"], arn, unique_id)
                if found:
                    principal["AWS"] = new
                    hit = True
    return json.dumps(doc) if hit else None


def _replace(value: Any, arn: str, unique_id: str) -> tuple[Any, bool]:
    if value == arn:
        return unique_id, True
    if isinstance(value, list) and arn in value:
        return [unique_id if v == arn else v for v in value], True
    return value, False
