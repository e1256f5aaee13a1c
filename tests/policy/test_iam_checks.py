"""IAM's write-time checks (rolegate.policy.iam_checks) and fail-closed evaluation of stored documents, pinned by
the validation corpus (tests/corpus/validation/) against docs/spec/policy-validation.md."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolegate.core.errors import MalformedPolicyDocument
from rolegate.policy import PolicySet, Request, check_iam_document, compile_policy, compile_stored_policy, evaluate
from rolegate.policy import iam_checks

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO_ROOT / "tests" / "corpus" / "validation"
SPEC_PATH = REPO_ROOT / "docs" / "spec" / "policy-validation.md"
ALICE = "arn:aws:iam::111122223333:user/alice"


def _lines(name: str) -> list[dict[str, Any]]:
    text = (CORPUS_DIR / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


CHECKS = _lines("iam-checks.jsonl")
FAIL_CLOSED = _lines("fail-closed.jsonl")


def spec_rule_ids() -> list[str]:
    return re.findall(r"^\*\*(V\d+) — ", SPEC_PATH.read_text(encoding="utf-8"), re.MULTILINE)


def refusal(document: str, kind: str) -> str | None:
    """IAM's message for ``document`` as a ``kind`` policy, or None when it would be stored."""
    try:
        check_iam_document(document, kind)
    except MalformedPolicyDocument as exc:
        return exc.message
    return None


# --- the corpus itself ---------------------------------------------------------------------------


def test_spec_rules_are_numbered_in_order_without_gaps() -> None:
    assert spec_rule_ids() == [f"V{n}" for n in range(1, len(spec_rule_ids()) + 1)]


def test_every_spec_rule_is_pinned_by_a_case() -> None:
    cited = {case["rule"] for case in CHECKS + FAIL_CLOSED}
    assert [rule for rule in spec_rule_ids() if rule not in cited] == []


def test_every_cited_rule_exists_in_the_spec() -> None:
    assert sorted({case["rule"] for case in CHECKS + FAIL_CLOSED} - set(spec_rule_ids())) == []


def test_case_ids_are_unique() -> None:
    counts = Counter(case["id"] for case in CHECKS + FAIL_CLOSED)
    assert [case_id for case_id, n in counts.items() if n > 1] == []


def test_every_check_case_has_the_format() -> None:
    fields = {"id", "rule", "kind", "document", "error", "note"}
    bad = [c["id"] for c in CHECKS if set(c) != fields or c["kind"] not in iam_checks.IAM_KINDS
           or not isinstance(c["document"], str) or not (c["error"] is None or isinstance(c["error"], str))]
    assert bad == []


def test_every_fixed_message_of_the_validator_is_pinned_by_a_case() -> None:
    pinned = {c["error"] for c in CHECKS}
    assert [message for message in iam_checks.MESSAGES if message not in pinned] == []


@pytest.mark.parametrize("template", [
    'Resource {} must be in ARN format or "*".', 'Partition "{}" is not valid for resource "{}".',
    "IAM resource {} cannot contain region information.", "Resource {} can not contain region information.",
    "Vendor {} is not valid", "Has prohibited field {}", 'Invalid principal in policy: "{}"',
])
def test_every_templated_message_is_pinned_by_a_case(template: str) -> None:
    pattern = re.compile(".+".join(re.escape(part) for part in template.split("{}")) + "$")
    assert any(c["error"] and pattern.match(c["error"]) for c in CHECKS)


# --- V1–V14 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CHECKS, ids=[c["id"] for c in CHECKS])
def test_the_validator_gives_iams_answer(case: dict[str, Any]) -> None:
    assert refusal(case["document"], case["kind"]) == case["error"], case["note"]


@pytest.mark.parametrize("case", [c for c in CHECKS if c["error"] is None], ids=lambda c: c["id"])
def test_whatever_is_stored_the_engine_can_compile(case: dict[str, Any]) -> None:
    kind = {"managed": "identity", "inline": "identity"}.get(case["kind"], case["kind"])
    assert compile_policy(case["document"], kind=kind).problems == ()


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check_iam_document('{"Version": "2012-10-17", "Statement": []}', "identity")


def test_the_stage_decides_not_the_statement_order() -> None:
    # Statement 0 lacks actions (V7) but statement 1 fails legacy parsing (V4): the earlier stage answers.
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Resource": "*"},
        {"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}]})
    assert refusal(document, "inline") == iam_checks.LEGACY_ERROR


def test_a_misspelt_condition_operator_cannot_be_stored_in_any_kind() -> None:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "111122223333"},
                 "Condition": {"StringEqualz": {"aws:username": "alice"}}}
    trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    identity = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": statement["Condition"]}]})
    assert refusal(trust, "trust") == "Invalid Condition type : StringEqualz"
    assert [refusal(identity, kind) for kind in ("managed", "inline", "session")] == ["Syntax errors in policy."] * 3


@pytest.mark.parametrize(("resource", "problem"), [
    ("*", None),
    ("arn:aws:s3:::bucket/key", None),
    ("arn:aws:iam::111122223333:role/app", None),
    ("arn:aws:iam::111122223333:*", None),
    ("arn:aws:iam::111122223333:thing/x", iam_checks.IAM_PATH),
    ("arn:aws:s3:eu-west-1::bucket", "Resource arn:aws:s3:eu-west-1::bucket can not contain region information."),
    ("arn:aws-iso:ec2:us-iso-east-1:111122223333:instance/i-1", None),
])
def test_resource_problem(resource: str, problem: str | None) -> None:
    assert iam_checks.resource_problem(resource) == problem


@pytest.mark.parametrize(("action", "problem"), [
    ("*", None), ("s3:Get*", None), ("*:Get*", None), ("s3", iam_checks.NO_VENDOR), (":Get", iam_checks.NO_VENDOR),
    ("s3:a:b", iam_checks.ONE_COLON), ("s 3:Get", "Vendor s 3 is not valid"),
])
def test_action_problem(action: str, problem: str | None) -> None:
    assert iam_checks.action_problem(action) == problem


# Documents near the grammar: the elements IAM knows, holding any JSON.
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
                     max_leaves=12)
_ELEMENT = st.sampled_from(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                            "NotResource", "Condition"])
_VALUE = _JSON | st.sampled_from(["Allow", "Deny", "*", "s3:GetObject", "arn:aws:s3:::b", "arn:aws:iam::1:role/r",
                                  {"StringEquals": {"k": "v"}}, {"DateLessThan": {"k": "x"}}, {"AWS": "*"}])
_DOCUMENTS = st.fixed_dictionaries({}, optional={
    "Version": st.sampled_from(["2012-10-17", "2008-10-17", "x"]) | _JSON,
    "Statement": st.lists(st.dictionaries(_ELEMENT, _VALUE, max_size=6), max_size=3) | _JSON,
})


@settings(max_examples=300, deadline=None)
@given(document=_DOCUMENTS, kind=st.sampled_from(iam_checks.IAM_KINDS))
def test_any_document_is_stored_or_refused_with_malformed_policy_document(document: dict[str, Any], kind: str) -> None:
    try:
        check_iam_document(json.dumps(document), kind)
    except MalformedPolicyDocument as exc:
        assert exc.message
    else:
        compile_policy(json.dumps(document), kind={"managed": "identity", "inline": "identity"}.get(kind, kind))


@settings(max_examples=300, deadline=None)
@given(document=_DOCUMENTS, kind=st.sampled_from(["identity", "trust", "resource", "session", "boundary"]))
def test_any_stored_document_compiles_and_decides_without_raising(document: dict[str, Any], kind: str) -> None:
    compiled = compile_stored_policy(json.dumps(document), kind=kind)
    request = Request.of(principal=ALICE, action="s3:GetObject", resource="arn:aws:s3:::b", resource_account="111122223333")
    policies = PolicySet(resource=compiled) if kind in ("trust", "resource") else PolicySet(identity=[compiled])
    assert evaluate(request, policies).outcome is not None


# --- V15: fail closed ------------------------------------------------------------------------------


def _decide(policies: list[str], action: str, resource: str) -> Any:
    compiled = [compile_stored_policy(p) for p in policies]
    request = Request.of(principal=ALICE, action=action, resource=resource, resource_account="111122223333")
    return evaluate(request, PolicySet(identity=compiled))


@pytest.mark.parametrize("case", FAIL_CLOSED, ids=[c["id"] for c in FAIL_CLOSED])
def test_a_stored_statement_that_cannot_be_evaluated_fails_closed(case: dict[str, Any]) -> None:
    decision = _decide(case["policies"], case["action"], case["resource"])
    assert decision.outcome.value == case["expected"], case["note"]
    notes = " | ".join(decision.notes)
    if case["explains"] is None:
        assert decision.notes == ()
    else:
        assert case["explains"] in notes


def test_the_explanation_names_the_policy_type_and_index() -> None:
    broken = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqualz": {"k": "v"}}}]})
    decision = _decide([json.dumps({"Version": "2012-10-17", "Statement": []}), broken], "s3:GetObject", "*")
    assert decision.explanation()["notes"] == [
        "identity-based policy 1: statement #0 cannot be evaluated (Invalid Condition type : StringEqualz): "
        "its Allow grants nothing"]


def test_a_valid_document_compiles_the_same_stored_or_not() -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    assert compile_stored_policy(document) is compile_policy(document)


def test_the_strict_compiler_still_refuses_what_it_cannot_evaluate() -> None:
    broken = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqualz": {"k": "v"}}}]})
    with pytest.raises(MalformedPolicyDocument):
        compile_policy(broken)
