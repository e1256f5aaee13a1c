"""Differential testing: the fast evaluator decides every generated case exactly as the reference does.

Seeded (derandomized) so a run is reproducible. Each Hypothesis example is a batch of
CASES_PER_EXAMPLE cases (Hypothesis's per-example overhead was larger than deciding a
case with both evaluators); 4 tests x 300 examples x 10 cases = 12,000 diffed cases
per run (at least 10,000 required). On a mismatch the failure message holds the
offending case as JSON, ready to paste into the corpus once the right decision is
settled against the AWS documentation.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from unittest import mock

import pytest

from case_strategies import case_batches
from hypothesis import HealthCheck, given, settings

from rolegate.policy.cases import evaluate_case as fast_evaluate_case
from rolegate.policy.reference import evaluate_case as reference_evaluate_case

CASES_PER_EXAMPLE = 10
EXAMPLES_PER_TEST = 300
DIFFING_TESTS = 4
assert DIFFING_TESTS * EXAMPLES_PER_TEST * CASES_PER_EXAMPLE >= 10_000

DIFF_SETTINGS = settings(
    max_examples=EXAMPLES_PER_TEST,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_evaluators_agree(batch: list[dict[str, Any]]) -> None:
    """Every case of the batch gets the same decision; the first disagreement is reported with its case."""
    for case in batch:
        expected = reference_evaluate_case(case)
        actual = fast_evaluate_case(case, explain=False)
        assert actual["decision"] == expected["decision"], (
            f"fast evaluator said {actual!r}, reference said {expected!r} for case:\n{json.dumps(case, indent=2)}"
        )


@DIFF_SETTINGS
@given(case_batches(focus="conditions", size=CASES_PER_EXAMPLE))
def test_evaluators_agree_on_conditions(batch: list[dict[str, Any]]) -> None:
    assert_evaluators_agree(batch)


@DIFF_SETTINGS
@given(case_batches(focus="combination", size=CASES_PER_EXAMPLE))
def test_evaluators_agree_on_policy_combinations(batch: list[dict[str, Any]]) -> None:
    assert_evaluators_agree(batch)


@DIFF_SETTINGS
@given(case_batches(focus="trust", size=CASES_PER_EXAMPLE))
def test_evaluators_agree_on_trust_policies(batch: list[dict[str, Any]]) -> None:
    assert_evaluators_agree(batch)


@DIFF_SETTINGS
@given(case_batches(focus="any", size=CASES_PER_EXAMPLE))
def test_evaluators_agree_on_any_case(batch: list[dict[str, Any]]) -> None:
    assert_evaluators_agree(batch)


def test_a_disagreement_is_reported_with_the_offending_case_as_json() -> None:
    case = {"id": "generated", "request": {"principal": "anonymous", "action": "s3:GetObject", "resource": "*",
                                           "resourceAccount": "111122223333", "context": {}}}
    # The reference is patched to a decision the fast evaluator does not give for this case.
    with mock.patch(f"{__name__}.reference_evaluate_case", return_value={"id": "generated", "decision": "Allow"}):
        with pytest.raises(AssertionError) as failure:
            assert_evaluators_agree([case])
    printed, _ = json.JSONDecoder().raw_decode(str(failure.value).split("for case:\n", 1)[1].lstrip())
    assert printed == case


def test_generated_cases_reach_every_decision() -> None:
    """A diff is only meaningful if the generator exercises every outcome."""
    seen: Counter[str] = Counter()

    @settings(max_examples=40, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case_batches(focus="any", size=CASES_PER_EXAMPLE))
    def record(batch: list[dict[str, Any]]) -> None:
        for case in batch:
            seen[reference_evaluate_case(case)["decision"]] += 1

    record()
    assert {decision for decision, count in seen.items() if count >= 10} == {"Allow", "ImplicitDeny", "ExplicitDeny", "Error"}, seen


def test_generated_trust_cases_reach_every_decision() -> None:
    """Trust cases (R65–R70) must not collapse into Error now that trust-policy actions are checked (R69)."""
    from case_strategies import case_batch

    seen = Counter(reference_evaluate_case(case)["decision"] for case in case_batch(7, "trust", 400))
    assert {decision for decision, count in seen.items() if count >= 10} == {"Allow", "ImplicitDeny", "ExplicitDeny", "Error"}, seen
    assert seen["Error"] < 0.25 * sum(seen.values()), seen
