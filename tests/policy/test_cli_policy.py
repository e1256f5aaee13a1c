"""``rolegate policy eval`` and ``rolegate policy validate`` (rolegate.cli.policy)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rolegate.cli.policy import policy_app

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
