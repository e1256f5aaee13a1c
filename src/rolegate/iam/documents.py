"""Checking policy documents handed to IAM: character set, size quotas and the policy grammar.

The grammar itself lives in ``rolegate.policy``; this module adds IAM's storage rules around it. Sizes
count characters other than white space, as the IAM quotas page specifies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rolegate.core.errors import LimitExceeded, MalformedPolicyDocument
from rolegate.policy import check_iam_document

# The model's pattern for policy documents: tab, LF, CR and U+0020..U+00FF (IAM API reference, policyDocumentType).
_ALLOWED = re.compile(r"[\t\n\r\u0020-\u00FF]*")
_SPACE = re.compile(r"\s+")


def non_whitespace_length(document: str) -> int:
    return len(_SPACE.sub("", document))


def check_document(document: str, kind: str) -> None:
    """Raise ``MalformedPolicyDocument`` unless IAM would store ``document`` as a ``kind`` policy.

    ``kind`` is ``managed``, ``inline`` or ``trust``; the checks and their order are IAM's
    (docs/spec/policy-validation.md).
    """
    if not _ALLOWED.fullmatch(document):
        raise MalformedPolicyDocument("The policy document contains characters outside the allowed set.")
    check_iam_document(document, kind)


def check_trust_policy(document: str, limit: int) -> None:
    check_document(document, "trust")
    size = non_whitespace_length(document)
    if size > limit:
        raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {limit}")


def check_inline_aggregate(documents: Iterable[str], limit: int, entity: str, name: str) -> None:
    total = sum(non_whitespace_length(d) for d in documents)
    if total > limit:
        raise LimitExceeded(f"Maximum policy size of {limit} bytes exceeded for {entity} {name}")
