"""``rolegate policy``: decide neutral-format cases (``eval``), check a policy document (``validate``) and run
IAM's policy simulator offline with rolegate's explanation (``simulate``, docs/spec/simulation.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from rolegate.analysis.simulation import ContextEntry, custom_simulation, simulate as run_simulation
from rolegate.core.errors import AwsError
from rolegate.policy import POLICY_KINDS, validate_policy
from rolegate.policy.cases import evaluate_case
from rolegate.wire.handlers.iam_simulation import evaluation_result_out

policy_app = typer.Typer(
    help="The IAM policy engine: evaluate cases in the neutral format, validate policy documents, simulate.",
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


def _read(path: Path) -> str:
    return sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")


@policy_app.command("simulate")
def simulate(
    policies: Annotated[list[Path], typer.Option("--policy", help="An identity policy (JSON file); repeatable.")],
    actions: Annotated[list[str], typer.Option("--action", help="An action to simulate, e.g. s3:GetObject; repeatable.")],
    resources: Annotated[list[str] | None, typer.Option("--resource", help="A resource ARN; repeatable (default *).")] = None,
    boundary: Annotated[Path | None, typer.Option("--boundary", help="A permissions boundary (JSON file).")] = None,
    scps: Annotated[list[Path] | None, typer.Option("--scp", help="One SCP per level, organization root first; repeatable.")] = None,
    resource_policy: Annotated[Path | None, typer.Option("--resource-policy", help="A resource policy (JSON file).")] = None,
    caller: Annotated[str | None, typer.Option("--caller", help="The simulated caller's ARN (a user, group or role).")] = None,
    resource_owner: Annotated[str | None, typer.Option("--resource-owner", help="The account owning the resources.")] = None,
    context: Annotated[list[str] | None, typer.Option("--context", help="KEY=VALUE; a key given twice is a list.")] = None,
    account: Annotated[str, typer.Option("--account", help="The caller's account when --caller is not given.")] = "123456789012",
    explain: Annotated[bool, typer.Option("--explain/--no-explain", help="Add rolegate's explanation to each result.")] = True,
) -> None:
    """SimulateCustomPolicy without a server: AWS's EvaluationResults, each with an "Explanation" (beyond AWS)
    saying which statements of which policies matched and which policy type decided."""
    values: dict[str, list[str]] = {}
    for entry in context or ():
        key, sep, value = entry.partition("=")
        if not sep or not key:
            typer.echo(f"rolegate: --context must be KEY=VALUE, not {entry!r}", err=True)
            raise typer.Exit(2)
        values.setdefault(key, []).append(value)
    entries = [ContextEntry(k, tuple(v), "string" if len(v) == 1 else "stringList") for k, v in values.items()]
    try:
        simulation = custom_simulation(
            [_read(p) for p in policies], actions, account_id=account,
            permissions_boundary_policy_input_list=[_read(boundary)] if boundary else None,
            ordered_organization_policy_input_list=[[_read(p)] for p in scps or ()],
            resource_arns=resources, resource_policy=_read(resource_policy) if resource_policy else None,
            resource_owner=resource_owner, caller_arn=caller, context_entries=entries)
        results = run_simulation(simulation)
    except AwsError as exc:
        typer.echo(f"rolegate: {exc.code}: {exc.message}", err=True)
        raise typer.Exit(1) from None
    out = []
    for result in results:
        shaped = evaluation_result_out(result)
        if explain:
            shaped["Explanation"] = result.result.explanation(simulation)
        out.append(shaped)
    typer.echo(json.dumps({"EvaluationResults": out}, indent=2))
