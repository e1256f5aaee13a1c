"""The packed size of a session's policies and tags: ``PackedPolicySize`` and ``PackedPolicyTooLarge``.

What AWS documents (each rule below cites its page):

* "The plaintext that you use for both inline and managed session policies can't exceed 2,048 characters"
  (STS API reference, AssumeRole, ``Policy`` and ``PolicyArns``:
  https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). The inline document alone over
  2,048 is the model's length error (``rolegate.sts.sessions``); the inline document and the ARNs together over
  2,048 are checked here.
* "An AWS conversion compresses the passed inline session policy, managed policy ARNs, and session tags into a
  packed binary format that has a separate limit. ... The PackedPolicySize response element indicates by
  percentage how close the policies and tags for your request are to the upper size limit" (same page), and a
  request over 100 percent fails with ``PackedPolicyTooLarge``.
* The error names which part is too big, with one of two messages: "Packed size of session tags consumes n% of
  allotted space." and "Packed policy consumes n% of allotted space, please use smaller policy." (AWS
  Knowledge Center, https://repost.aws/knowledge-center/iam-role-aws-sts-error). Session tags carried into a
  chained session count: a role session of EKS Pod Identity, whose six transitive tags alone were reported at
  74% of the space, could not add a custom tag set that by itself was 37% (112%, "Packed size of session
  tags", https://github.com/aws/containers-roadmap/issues/2413).

What AWS does not document, and rolegate chooses:

* The binary format and the size of the allowance. rolegate packs each part as the deflated compact JSON of its
  inputs (the policy without insignificant whitespace, the ARNs, the tags and transitive keys) and measures
  policies and tags each against its own allowance, as the two messages suggest. The policy allowance is the
  2,048 of the plaintext rule (a document within the plaintext limit deflates below it, so the plaintext rule
  is what a user meets first, as AWS's own wording says). The tag allowance is calibrated to the one public
  observation above: the six EKS Pod Identity tags, as their documented keys and typical values pack here,
  come to ~74% (``tests/sts/test_packed_size.py`` holds that calibration).
* ``PackedPolicySize`` reports the fuller of the two shares; policies are checked before tags.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_PLAINTEXT_CHARS = 2048
POLICY_ALLOWANCE_BYTES = 2048
TAG_ALLOWANCE_BYTES = 260


class PackedTooLarge(Exception):
    """The packed policies or tags are over their allowance; ``message`` is AWS's wording for the part."""

    def __init__(self, message: str, percent: int) -> None:
        super().__init__(message)
        self.message = message
        self.percent = percent


@dataclass(frozen=True, slots=True)
class PackedSize:
    policy_percent: int
    tag_percent: int

    @property
    def percent(self) -> int:
        """``PackedPolicySize``: the fuller share."""
        return max(self.policy_percent, self.tag_percent)


def _percent(size: int, allowance: int) -> int:
    return -(-size * 100 // allowance)  # ceiling: 100% is the last size that fits


def _deflated(value: Any) -> int:
    return len(zlib.compress(json.dumps(value, separators=(",", ":")).encode("utf-8"), 9))


def _compact(policy: str) -> Any:
    try:
        return json.loads(policy)  # whitespace does not count
    except ValueError:
        return policy


def packed_size(policy: str | None, policy_arns: Sequence[str], tags: Sequence[tuple[str, str]],
                transitive_keys: Sequence[str] = ()) -> PackedSize:
    """The two shares, without judging them (``check_packed_size`` does)."""
    policies = _deflated([_compact(policy) if policy is not None else None, list(policy_arns)]) \
        if policy is not None or policy_arns else 0
    packed_tags = _deflated([[list(t) for t in tags], list(transitive_keys)]) if tags else 0
    return PackedSize(_percent(policies, POLICY_ALLOWANCE_BYTES), _percent(packed_tags, TAG_ALLOWANCE_BYTES))


def check_packed_size(policy: str | None, policy_arns: Sequence[str], tags: Sequence[tuple[str, str]],
                      transitive_keys: Sequence[str] = ()) -> int | None:
    """``PackedPolicySize`` of a session (None when it has no session policy and no tag), or
    ``PackedTooLarge``: the plaintext rule first, then the policies' share, then the tags'."""
    if policy is None and not policy_arns and not tags:
        return None
    plaintext = len(policy or "") + sum(len(arn) for arn in policy_arns)
    if plaintext > MAX_PLAINTEXT_CHARS:
        percent = _percent(plaintext, MAX_PLAINTEXT_CHARS)
        raise PackedTooLarge(f"Packed policy consumes {percent}% of allotted space, please use smaller policy.",
                             percent)
    size = packed_size(policy, policy_arns, tags, transitive_keys)
    if size.policy_percent > 100:
        raise PackedTooLarge(f"Packed policy consumes {size.policy_percent}% of allotted space, please use "
                             f"smaller policy.", size.policy_percent)
    if size.tag_percent > 100:
        raise PackedTooLarge(f"Packed size of session tags consumes {size.tag_percent}% of allotted space.",
                             size.tag_percent)
    return size.percent
