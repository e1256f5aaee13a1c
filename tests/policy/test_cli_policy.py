"""``rolegate policy eval`` and ``rolegate policy validate`` (rolegate.cli.policy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rolegate.cli.policy import policy_app

CORPUS_FILES = sorted((Path(__file__).resolve().parents[1] / "corpus" / "policy").glob("*.jsonl"))
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

CASE = {
    "request": {"principal": "arn:aws:iam::111122223333:user/bob", "action": "s3:GetObject",
                "resource": "arn:aws:s3:::bkt/k", "resourceAccount": "111122223333", "context": {}},
    "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}],
}


def test_eval_prints_one_decision_line_per_case_in_order(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps({**CASE, "id": f"c{i}"}) for i in range(3)) + "\n")
    result = CliRunner().invoke(policy_app, ["eval", "--cases", str(cases)])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [{"id": f"c{i}", "decision": "Allow"} for i in range(3)]


def test_eval_explain_adds_the_explanation(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({**CASE, "id": "x"}) + "\n")
    result = CliRunner().invoke(policy_app, ["eval", "--cases", str(cases), "--explain"])
    assert "explanation" in json.loads(result.stdout)


@pytest.mark.parametrize("corpus_file", CORPUS_FILES, ids=[path.name for path in CORPUS_FILES])
def test_eval_agrees_with_the_corpus(corpus_file: Path) -> None:
    lines = [line for line in corpus_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = [(case["id"], case["expected"]) for case in map(json.loads, lines)]
    result = CliRunner().invoke(policy_app, ["eval", "--cases", str(corpus_file)])
    assert result.exit_code == 0
    assert [(line["id"], line["decision"]) for line in map(json.loads, result.stdout.splitlines())] == expected


def test_eval_explain_blames_the_key_policy_when_identity_policies_alone_allow(tmp_path: Path) -> None:
    case = {"id": "k", "request": {**CASE["request"], "action": "kms:Decrypt", "resource": KEY},
            "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}]}
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps(case) + "\n")
    result = CliRunner().invoke(policy_app, ["eval", "--cases", str(cases), "--explain"])
    line = json.loads(result.stdout)
    assert line["decision"] == "ImplicitDeny"
    assert line["explanation"]["noAllowIn"] == "resource"
    assert line["explanation"]["notes"] == ["the key policy does not allow the request"]


def test_eval_explain_names_the_rcp_level_that_denies(tmp_path: Path) -> None:
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({**CASE, "id": "r", "rcps": [[], [deny]]}) + "\n")
    result = CliRunner().invoke(policy_app, ["eval", "--cases", str(cases), "--explain"])
    line = json.loads(result.stdout)
    assert line["decision"] == "ExplicitDeny" and line["explanation"]["deniedBy"] == "rcp"
    assert {"policyType": "rcp", "policyIndex": 0, "statement": 0, "effect": "Deny", "level": 1} in line["explanation"]["matched"]


def test_validate_exits_1_when_there_is_an_error(tmp_path: Path) -> None:
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "nosuch:Thing", "Resource": "*"}]}))
    result = CliRunner().invoke(policy_app, ["validate", str(policy)])
    assert result.exit_code == 1 and "INVALID_SERVICE" in result.stdout


def test_validate_json_output_lists_findings(tmp_path: Path) -> None:
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    result = CliRunner().invoke(policy_app, ["validate", str(policy), "--json"])
    assert result.exit_code == 0
    assert [f["issueCode"] for f in json.loads(result.stdout)] == ["MISSING_VERSION"]


def test_simulate_prints_aws_results_with_the_explanation_beside_them(tmp_path: Path) -> None:
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}))
    result = CliRunner().invoke(policy_app, ["simulate", "--policy", str(policy), "--action", "s3:GetObject",
                                             "--action", "s3:DeleteBucket"])
    assert result.exit_code == 0, result.output
    get, delete = json.loads(result.stdout)["EvaluationResults"]
    assert (get["EvalDecision"], delete["EvalDecision"]) == ("allowed", "explicitDeny")
    assert delete["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    assert delete["Explanation"]["deniedBy"] == "identity"
    assert [m["statement"] for m in delete["Explanation"]["matched"]] == [0, "NoDelete"]


def test_simulate_reads_context_and_reports_bad_input_as_aws_would(tmp_path: Path) -> None:
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                  "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}}}]}))
    base = ["simulate", "--policy", str(policy), "--action", "s3:GetObject", "--no-explain"]
    given = CliRunner().invoke(policy_app, [*base, "--context", "aws:PrincipalTag/team=x"])
    assert json.loads(given.stdout)["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert "Explanation" not in json.loads(given.stdout)["EvaluationResults"][0]
    refused = CliRunner().invoke(policy_app, [*base, "--caller", "arn:aws:sts::111122223333:assumed-role/r/s"])
    assert refused.exit_code == 1 and "InvalidInput" in refused.output
