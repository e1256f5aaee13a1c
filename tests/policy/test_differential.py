"""Differential testing: the fast evaluator decides every generated case exactly as the reference does.

Seeded (derandomized) so a run is reproducible; 16,000 diffed cases per run in total.
On a mismatch the failure message holds the whole case as JSON, ready to paste into
the corpus once the right decision is settled against the AWS documentation.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from case_strategies import cases
from hypothesis import HealthCheck, given, settings

from rolegate.policy.reference import evaluate_case as reference_evaluate_case

EXAMPLES_PER_TEST = 4000  # four diffing tests: 16,000 cases per run (at least 10,000 required)
DIFF_SETTINGS = settings(
    max_examples=EXAMPLES_PER_TEST,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_evaluators_agree(case: dict[str, Any]) -> None:
    from rolegate.policy.cases import evaluate_case as fast_evaluate_case

    expected = reference_evaluate_case(case)
    actual = fast_evaluate_case(case)
    assert actual["decision"] == expected["decision"], (
        f"fast evaluator said {actual!r}, reference said {expected!r} for case:\n{json.dumps(case, indent=2)}"
    )


@DIFF_SETTINGS
@given(cases(focus="conditions"))
def test_evaluators_agree_on_conditions(case: dict[str, Any]) -> None:
    assert_evaluators_agree(case)


@DIFF_SETTINGS
@given(cases(focus="combination"))
def test_evaluators_agree_on_policy_combinations(case: dict[str, Any]) -> None:
    assert_evaluators_agree(case)


@DIFF_SETTINGS
@given(cases(focus="trust"))
def test_evaluators_agree_on_trust_policies(case: dict[str, Any]) -> None:
    assert_evaluators_agree(case)


@DIFF_SETTINGS
@given(cases(focus="any"))
def test_evaluators_agree_on_any_case(case: dict[str, Any]) -> None:
    assert_evaluators_agree(case)


def test_generated_cases_reach_every_decision() -> None:
    """A diff is only meaningful if the generator exercises every outcome."""
    seen: Counter[str] = Counter()

    @settings(max_examples=400, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(cases(focus="any"))
    def record(case: dict[str, Any]) -> None:
        seen[reference_evaluate_case(case)["decision"]] += 1

    record()
    assert {decision for decision, count in seen.items() if count >= 10} == {"Allow", "ImplicitDeny", "ExplicitDeny", "Error"}, seen
