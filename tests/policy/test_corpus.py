"""The policy conformance corpus: every hand-written case gets its documented decision from both evaluators."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from rolegate.policy.reference import evaluate_case as reference_evaluate_case

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO_ROOT / "tests" / "corpus" / "policy"
SPEC_PATH = REPO_ROOT / "docs" / "spec" / "policy-evaluation.md"

DECISIONS = {"Allow", "ImplicitDeny", "ExplicitDeny", "Error"}
CASE_FIELDS = {"id", "rule", "tags", "note", "request", "identityPolicies", "resourcePolicy", "permissionBoundaries",
               "sessionPolicies", "scps", "rcps", "expected"}
REQUEST_FIELDS = {"principal", "action", "resource", "resourceAccount", "context"}


def spec_rule_ids() -> list[str]:
    """Rule ids in the order the spec defines them (``**R17 — Title.**`` headings)."""
    return re.findall(r"^\*\*(R\d+) — ", SPEC_PATH.read_text(encoding="utf-8"), re.MULTILINE)


def load_corpus() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                cases.append((path.name, json.loads(line)))
    return cases


CORPUS = load_corpus()
CASES = [case for _, case in CORPUS]
CASE_IDS = [case["id"] for case in CASES]


def format_problems(case: dict[str, Any]) -> list[str]:
    """What is wrong with a corpus case's shape (empty when it has the neutral format plus corpus fields)."""
    problems = []
    unknown = set(case) - CASE_FIELDS
    if unknown:
        problems.append(f"unknown fields {sorted(unknown)}")
    if not isinstance(case.get("id"), str) or not case["id"]:
        problems.append("id must be a non-empty string")
    if not isinstance(case.get("rule"), str) or not re.fullmatch(r"R\d+", case["rule"]):
        problems.append("rule must look like R17")
    if not isinstance(case.get("tags"), list) or not all(isinstance(t, str) for t in case["tags"]):
        problems.append("tags must be a list of strings")
    if "note" in case and not isinstance(case["note"], str):
        problems.append("note must be a string")
    if case.get("expected") not in DECISIONS:
        problems.append(f"expected must be one of {sorted(DECISIONS)}")
    request = case.get("request")
    if not isinstance(request, dict) or set(request) != REQUEST_FIELDS:
        problems.append(f"request must have exactly {sorted(REQUEST_FIELDS)}")
    elif not isinstance(request["context"], dict):
        problems.append("request.context must be an object")
    for field in ("identityPolicies", "permissionBoundaries", "sessionPolicies"):
        if not isinstance(case.get(field), list) or not all(isinstance(d, dict) for d in case[field]):
            problems.append(f"{field} must be a list of documents")
    if "resourcePolicy" not in case or not (case["resourcePolicy"] is None or isinstance(case["resourcePolicy"], dict)):
        problems.append("resourcePolicy must be null or a document")
    for field in ("scps", "rcps"):
        levels = case.get(field)
        if not isinstance(levels, list) or not all(isinstance(level, list) and all(isinstance(d, dict) for d in level) for level in levels):
            problems.append(f"{field} must be a list of levels, each a list of documents")
    return problems


def test_the_corpus_has_at_least_300_cases() -> None:
    assert len(CASES) >= 300


def test_case_ids_are_unique_across_the_corpus() -> None:
    duplicates = [case_id for case_id, count in Counter(CASE_IDS).items() if count > 1]
    assert duplicates == []


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_case_has_the_neutral_format(case: dict[str, Any]) -> None:
    assert format_problems(case) == []


def test_every_spec_rule_is_pinned_by_a_case() -> None:
    cited = {case["rule"] for case in CASES}
    uncited = [rule for rule in spec_rule_ids() if rule not in cited]
    assert uncited == []


def test_every_cited_rule_exists_in_the_spec() -> None:
    defined = set(spec_rule_ids())
    unknown = sorted({case["rule"] for case in CASES} - defined)
    assert unknown == []


def test_spec_rule_ids_are_numbered_in_order_without_gaps() -> None:
    assert spec_rule_ids() == [f"R{n}" for n in range(1, len(spec_rule_ids()) + 1)]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_reference_evaluator_gives_the_expected_decision(case: dict[str, Any]) -> None:
    result = reference_evaluate_case(case)
    assert result["id"] == case["id"]
    assert result["decision"] == case["expected"], json.dumps(case, indent=2)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_fast_evaluator_gives_the_expected_decision(case: dict[str, Any]) -> None:
    from rolegate.policy.cases import evaluate_case as fast_evaluate_case

    result = fast_evaluate_case(case)
    assert result["id"] == case["id"]
    assert result["decision"] == case["expected"], json.dumps(case, indent=2)
