"""The IAM policy language: parse, validate, compile and evaluate policies exactly as AWS does. Pure, no I/O.

Public API (everything else in this package is private implementation):

- ``parse_policy(text, kind=...)`` -> ``Policy``; ``policy_to_json(policy)`` prints it back;
- ``compile_policy(text_or_dict, kind=...)`` -> ``CompiledPolicy`` (cached by content);
- ``compile_stored_policy(text_or_dict, kind=...)``: the same, failing closed per statement instead of raising;
- ``Request.of(principal=..., action=..., resource=..., resource_account=..., context=...)``;
- ``evaluate(request, PolicySet(...))`` -> ``Decision`` (``Outcome``, matched statements, blamed ``PolicyType``);
- ``check_iam_document(text, kind)`` raises IAM's ``MalformedPolicyDocument`` for what IAM refuses to store;
- ``validate_policy(text, kind)`` -> ``list[Finding]`` (Access Analyzer-style findings);
- ``rolegate.policy.cases.evaluate_case(case)`` for the neutral case format.
"""

from typing import TYPE_CHECKING

from rolegate.policy.compiled import CompiledPolicy, compile_policy, compile_stored_policy
from rolegate.policy.decision import Decision, Outcome, PolicyType, StatementRef
from rolegate.policy.document import POLICY_KINDS, Policy, parse_policy, policy_to_dict, policy_to_json
from rolegate.policy.evaluate import PolicySet, evaluate
from rolegate.policy.iam_checks import check_iam_document
from rolegate.policy.request import Request

if TYPE_CHECKING:
    from rolegate.policy.validate import Finding


def validate_policy(text: str, kind: str = "identity") -> list["Finding"]:
    """Access Analyzer-style findings for a policy (loads the action catalogue on first use)."""
    from rolegate.policy.validate import validate_policy as _validate

    return _validate(text, kind)


def __getattr__(name: str) -> object:
    # Finding lives with the validator, which imports the action catalogue lazily.
    if name == "Finding":
        from rolegate.policy.validate import Finding

        return Finding
    raise AttributeError(name)


__all__ = [
    "POLICY_KINDS",
    "CompiledPolicy",
    "Decision",
    "Finding",
    "Outcome",
    "Policy",
    "PolicySet",
    "PolicyType",
    "Request",
    "StatementRef",
    "check_iam_document",
    "compile_policy",
    "compile_stored_policy",
    "evaluate",
    "parse_policy",
    "policy_to_dict",
    "policy_to_json",
    "validate_policy",
]
