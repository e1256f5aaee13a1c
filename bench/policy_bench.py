"""Policy engine benchmark: warm decisions/s, p50/p99 latency and compile time, fast vs reference.

Two fixed, deterministic workloads:
- "typical role": 10 policies, 60 statements, 10 conditions;
- "large": 50 policies, 500 statements, heavy wildcards.

Run: ``python bench/policy_bench.py`` (prints a Markdown table). Single-threaded, so it measures one core.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rolegate.policy import PolicySet, Request, compile_policy, evaluate  # noqa: E402
from rolegate.policy.cases import evaluate_case  # noqa: E402
from rolegate.policy.compiled import clear_cache  # noqa: E402

ACCOUNT = "111122223333"
SERVICES = ["s3", "ec2", "iam", "sqs", "sns", "dynamodb", "lambda", "kms", "logs", "cloudwatch"]
VERBS = ["Get", "Put", "List", "Describe", "Create", "Delete", "Update", "Tag"]
NOUNS = ["Object", "Bucket", "Instance", "Role", "Queue", "Topic", "Table", "Function", "Key", "Stream"]
CONDITIONS: list[tuple[str, str, Any]] = [
    ("StringEquals", "aws:PrincipalTag/team", "${aws:PrincipalTag/team}"),
    ("IpAddress", "aws:SourceIp", ["203.0.113.0/24", "198.51.100.0/24"]),
    ("Bool", "aws:SecureTransport", "true"),
    ("StringLike", "s3:prefix", ["home/${aws:username}/*", "shared/*"]),
    ("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z"),
    ("NumericLessThan", "aws:MultiFactorAuthAge", "3600"),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team", "owner"]),
    ("StringNotEquals", "aws:RequestedRegion", "ap-east-1"),
    ("ArnLike", "aws:SourceArn", "arn:aws:sns:*:111122223333:*"),
    ("Null", "aws:TokenIssueTime", "false"),
]


def _action(rng: random.Random, wildcard: bool) -> str:
    service = rng.choice(SERVICES)
    if wildcard and rng.random() < 0.5:
        return f"{service}:{rng.choice(VERBS)}*"
    if wildcard and rng.random() < 0.2:
        return f"{service}:*{rng.choice(NOUNS)}"
    return f"{service}:{rng.choice(VERBS)}{rng.choice(NOUNS)}"


def _resource(rng: random.Random, wildcard: bool) -> str:
    if wildcard and rng.random() < 0.3:
        return "*"
    service = rng.choice(SERVICES)
    name = f"res-{rng.randrange(50)}"
    if wildcard:
        return f"arn:aws:{service}:*:{ACCOUNT}:{name}/*"
    return f"arn:aws:{service}:us-east-1:{ACCOUNT}:{name}/item"


def build_workload(name: str, policies: int, statements: int, conditions: int, wildcard: bool, seed: int) -> dict[str, Any]:
    """A fixed workload: identity policies (one made a boundary) plus a stream of requests."""
    rng = random.Random(seed)
    per_policy = statements // policies
    docs = []
    placed_conditions = 0
    for p in range(policies):
        stmts = []
        for s in range(per_policy):
            stmt: dict[str, Any] = {
                "Sid": f"P{p}S{s}",
                "Effect": "Deny" if rng.random() < 0.05 else "Allow",
                "Action": [_action(rng, wildcard) for _ in range(rng.randint(1, 4))],
                "Resource": [_resource(rng, wildcard) for _ in range(rng.randint(1, 3))],
            }
            if stmt["Effect"] == "Deny":
                stmt["Condition"] = {"StringEquals": {"aws:RequestedRegion": "cn-north-1"}}
            if placed_conditions < conditions and s % max(1, per_policy // 2) == 0:
                operator, key, value = CONDITIONS[placed_conditions % len(CONDITIONS)]
                stmt.setdefault("Condition", {})[operator] = {key: value}
                placed_conditions += 1
            stmts.append(stmt)
        docs.append({"Version": "2012-10-17", "Statement": stmts})
    # Make sure typical requests can be allowed at all.
    docs[0]["Statement"].append({"Effect": "Allow", "Action": "s3:Get*", "Resource": f"arn:aws:s3:::data-{ACCOUNT}/*"})
    requests = []
    for _ in range(2000):
        service = rng.choice(SERVICES)
        requests.append(
            {
                "principal": f"arn:aws:sts::{ACCOUNT}:assumed-role/Deploy/alice",
                "action": f"{service}:{rng.choice(VERBS)}{rng.choice(NOUNS)}",
                "resource": rng.choice(
                    [f"arn:aws:{service}:us-east-1:{ACCOUNT}:res-{rng.randrange(50)}/item", f"arn:aws:s3:::data-{ACCOUNT}/k"]
                ),
                "resourceAccount": ACCOUNT,
                "context": {
                    "aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Deploy",
                    "aws:username": "alice",
                    "aws:PrincipalTag/team": "red",
                    "aws:SourceIp": "203.0.113.7",
                    "aws:SecureTransport": "true",
                    "aws:CurrentTime": "2026-01-01T00:00:00Z",
                    "aws:MultiFactorAuthAge": "60",
                    "aws:TagKeys": ["env", "team"],
                    "aws:RequestedRegion": "us-east-1",
                    "aws:TokenIssueTime": "2026-01-01T00:00:00Z",
                },
            }
        )
    total = sum(len(d["Statement"]) for d in docs)
    return {"name": name, "docs": docs, "requests": requests, "statements": total, "conditions": placed_conditions}


def _case(workload: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    docs = workload["docs"]
    return {
        "id": "bench",
        "request": request,
        "identityPolicies": docs[1:],
        "resourcePolicy": None,
        "permissionBoundaries": [docs[0]],
        "sessionPolicies": [],
        "scps": [],
        "rcps": [],
    }


def _latencies(decide: Callable[[int], Any], count: int, rounds: int) -> list[float]:
    out = []
    clock = time.perf_counter_ns
    for r in range(rounds):
        for i in range(count):
            start = clock()
            decide(i)
            out.append((clock() - start) / 1000.0)
    return out


def _summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "per_s": len(latencies) / elapsed,
        "p50": statistics.median(ordered),
        "p99": ordered[int(len(ordered) * 0.99) - 1],
    }


def measure(workload: dict[str, Any]) -> list[dict[str, Any]]:
    docs = workload["docs"]
    clear_cache()
    start = time.perf_counter()
    compiled = [compile_policy(doc, kind="identity") for doc in docs[1:]]
    boundary = compile_policy(docs[0], kind="boundary")
    compile_ms = (time.perf_counter() - start) * 1000
    policies = PolicySet(identity=compiled, boundary=boundary)
    requests = [Request.of(principal=r["principal"], action=r["action"], resource=r["resource"],
                           resource_account=r["resourceAccount"], context=r["context"]) for r in workload["requests"]]
    n = len(requests)
    rows = []

    def engine(i: int) -> Any:
        return evaluate(requests[i], policies)

    _latencies(engine, n, 1)  # warm: per-action candidate memos, regex caches
    gc.collect()
    start = time.perf_counter()
    lat = _latencies(engine, n, 5)
    rows.append({"evaluator": "fast: evaluate(Request, PolicySet)", "compile_ms": compile_ms, **_summary(lat, time.perf_counter() - start)})

    cases = [_case(workload, r) for r in workload["requests"]]

    def end_to_end(i: int) -> Any:
        return evaluate_case(cases[i], explain=False)

    _latencies(end_to_end, n, 1)
    start = time.perf_counter()
    lat = _latencies(end_to_end, n, 2)
    rows.append({"evaluator": "fast: evaluate_case (JSON case in)", "compile_ms": None, **_summary(lat, time.perf_counter() - start)})

    try:
        from rolegate.policy.reference import evaluate_case as reference_case
    except ImportError:
        rows.append({"evaluator": "reference: not present (skipped)", "compile_ms": None, "per_s": None, "p50": None, "p99": None})
        return rows
    sample = min(n, 300)

    def reference(i: int) -> Any:
        return reference_case(cases[i])

    start = time.perf_counter()
    lat = _latencies(reference, sample, 1)
    rows.append({"evaluator": "reference: evaluate_case", "compile_ms": None, **_summary(lat, time.perf_counter() - start)})
    mismatches = sum(1 for c in cases[:sample] if reference_case(c)["decision"] != evaluate_case(c)["decision"])
    rows.append({"evaluator": f"(decisions agree on {sample - mismatches}/{sample} sampled requests)", "compile_ms": None,
                 "per_s": None, "p50": None, "p99": None})
    return rows


def _fmt(value: float | None, pattern: str) -> str:
    return "—" if value is None else format(value, pattern)


def main() -> str:
    workloads = [
        build_workload("typical role", policies=10, statements=60, conditions=10, wildcard=False, seed=7),
        build_workload("large", policies=50, statements=500, conditions=25, wildcard=True, seed=11),
    ]
    lines = [
        f"Python {sys.version.split()[0]}, one thread.",
        "",
        "| workload | evaluator | decisions/s | p50 µs | p99 µs | compile ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for workload in workloads:
        label = f"{workload['name']} ({len(workload['docs'])} policies, {workload['statements']} statements, {workload['conditions']} conditions)"
        for row in measure(workload):
            lines.append(
                f"| {label} | {row['evaluator']} | {_fmt(row['per_s'], ',.0f')} | {_fmt(row['p50'], '.1f')} | "
                f"{_fmt(row['p99'], '.1f')} | {_fmt(row['compile_ms'], '.1f')} |"
            )
    table = "\n".join(lines)
    print(table)
    return table


if __name__ == "__main__":
    main()
