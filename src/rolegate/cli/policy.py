"""``rolegate policy``: decide neutral-format cases (``eval``) and check a policy document (``validate``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from rolegate.policy import POLICY_KINDS, validate_policy
from rolegate.policy.cases import evaluate_case

policy_app = typer.Typer(
    help="The IAM policy engine: evaluate cases in the neutral format, validate policy documents.",
    no_args_is_help=True,
)


@policy_app.command("eval")
def eval_cases(
    cases: Annotated[Path, typer.Option("--cases", help="A JSON Lines file of cases ('-' for stdin).")],
    explain: Annotated[bool, typer.Option("--explain", help="Add which statements decided, and why.")] = False,
) -> None:
    """Decide every case; print one {"id", "decision"} JSON line per case, in order."""
    source = sys.stdin if str(cases) == "-" else cases.open(encoding="utf-8")
    write = sys.stdout.write
    dumps = json.JSONEncoder(separators=(", ", ": ")).encode
    with source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
            except ValueError as exc:
                result = {"id": None, "decision": "Error", "error": f"line {number}: not JSON: {exc}"}
            else:
                result = evaluate_case(case, explain=explain)
            write(dumps(result) + "\n")


@policy_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="The policy document (JSON); '-' for stdin.")],
    kind: Annotated[str, typer.Option("--kind", help=f"One of: {', '.join(POLICY_KINDS)}.")] = "identity",
    as_json: Annotated[bool, typer.Option("--json", help="Print findings as a JSON list.")] = False,
) -> None:
    """Report Access Analyzer-style findings; exit 1 when any finding is an ERROR."""
    if kind not in POLICY_KINDS:
        typer.echo(f"rolegate: --kind must be one of {', '.join(POLICY_KINDS)}", err=True)
        raise typer.Exit(2)
    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    findings = validate_policy(text, kind)
    if as_json:
        typer.echo(json.dumps([f.to_json() for f in findings], indent=2))
    elif not findings:
        typer.echo("No findings.")
    else:
        for finding in findings:
            where = f" (statement {finding.statement_index})" if finding.statement_index is not None else ""
            typer.echo(f"{finding.finding_type} {finding.issue_code}{where}: {finding.message}")
    if any(f.finding_type == "ERROR" for f in findings):
        raise typer.Exit(1)
