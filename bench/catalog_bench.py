"""The AWS managed-policy catalogue in a live server: start-up time and memory, and ListPolicies paging.

Run: ``.venv/bin/python -m bench.catalog_bench [--tree before=/path/to/old/checkout --tree after=.]
[--starts 5] [--requests 3000] [--concurrency 8] [--rounds 3]`` (``make bench`` runs this tree alone).

Per tree (its ``src`` first on ``PYTHONPATH``, as in ``bench.pipeline_bench``):
- start-up: wall time from spawning ``rolegate serve`` to its first ``/readyz`` 200, median of ``--starts``;
- memory: resident set size (VmRSS of the server and its children) when ready, after the first
  ``ListPolicies --scope AWS`` (the catalogue's index loaded), and after GetPolicyVersion of every AWS
  managed policy's default version (every default document read: the most start-up-time loading could do);
- ListPolicies ``Scope=AWS``: pre-signed requests for every page (MaxItems 100) replayed round robin, in
  alternation between the trees, median requests/s over the rounds, and the server's own CPU time per
  request (so "requests per server CPU second" is what one core sustains, whatever else the machine runs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import Result, run, sign_form
from tests.live import ROOT_KEY_ID, ROOT_SECRET, LiveServer

REPO = Path(__file__).resolve().parent.parent


def _env(tree: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(tree / "src"), str(REPO)])}


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its direct children (uvicorn may fork workers), in MB."""
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                pids.append(int(entry.name))
    total = 0
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (a measure the shared machine's other load barely moves)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_seconds(data_dir: Path, env: dict[str, str]) -> tuple[float, LiveServer]:
    srv = LiveServer(data_dir, env=env)
    t0 = time.perf_counter()
    srv.start()
    return time.perf_counter() - t0, srv


def _pages(srv: LiveServer) -> list[dict[str, Any]]:
    iam = srv.client("iam")
    pages, marker = [], None
    while True:
        page = iam.list_policies(Scope="AWS", MaxItems=100, **({"Marker": marker} if marker else {}))
        pages.append(page)
        if not page.get("IsTruncated"):
            return pages
        marker = page["Marker"]


def _signed_pages(srv: LiveServer) -> list[bytes]:
    markers: list[str | None] = [None] + [p["Marker"] for p in _pages(srv)[:-1]]
    out = []
    for marker in markers:
        params = {"Version": "2010-05-08", "Action": "ListPolicies", "Scope": "AWS", "MaxItems": "100"}
        if marker:
            params["Marker"] = marker
        out.append(sign_form("127.0.0.1", srv.port, str(httpx.QueryParams(params)), ROOT_KEY_ID, ROOT_SECRET))
    return out


def memory(srv: LiveServer) -> dict[str, float]:
    assert srv.proc is not None
    out = {"ready": rss_mb(srv.proc.pid)}
    policies = [p for page in _pages(srv) for p in page["Policies"]]
    out["index loaded"] = rss_mb(srv.proc.pid)
    iam = srv.client("iam")
    for p in policies:
        iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])
    out["all default documents read"] = rss_mb(srv.proc.pid)
    out["policies"] = float(len(policies))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", action="append", help="NAME=PATH of a checkout (default: this one, as 'after')")
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    trees = {name: Path(path).resolve() for name, path in (t.split("=", 1) for t in args.tree or ["after=."])}
    names = list(trees)

    with tempfile.TemporaryDirectory() as tmp:
        starts: dict[str, list[float]] = {n: [] for n in names}
        for i in range(args.starts):  # alternating, so machine drift falls on both
            for name, path in trees.items():
                data = Path(tmp) / f"{name}-start-{i}"
                data.mkdir()
                seconds, srv = start_seconds(data, _env(path))
                srv.stop()
                starts[name].append(seconds)

        servers = {}
        for name, path in trees.items():
            (Path(tmp) / name).mkdir()
            servers[name] = LiveServer(Path(tmp) / name, env=_env(path))
            servers[name].start()
        try:
            mem = {name: memory(srv) for name, srv in servers.items()}
            loads = {name: _signed_pages(srv) for name, srv in servers.items()}
            for name, srv in servers.items():
                run("127.0.0.1", srv.port, loads[name], concurrency=args.concurrency, total=300, name="warm")
            results: dict[str, list[Result]] = {n: [] for n in names}
            cpu: dict[str, list[float]] = {n: [] for n in names}
            for _ in range(args.rounds):
                for name, srv in servers.items():
                    assert srv.proc is not None
                    before = cpu_seconds(srv.proc.pid)
                    results[name].append(run("127.0.0.1", srv.port, loads[name], concurrency=args.concurrency,
                                             total=args.requests, name=name))
                    cpu[name].append((cpu_seconds(srv.proc.pid) - before) / args.requests)
        finally:
            for srv in servers.values():
                srv.stop()

    print(f"## Start-up and memory (median of {args.starts} starts; RSS in MB)\n")
    print("| tree | AWS policies | start s | RSS ready | RSS index loaded | RSS all default documents read |")
    print("|---|---:|---:|---:|---:|---:|")
    for n in names:
        m = mem[n]
        print(f"| {n} | {m['policies']:,.0f} | {statistics.median(starts[n]):.2f} | {m['ready']:.1f} | "
              f"{m['index loaded']:.1f} | {m['all default documents read']:.1f} |")
    print(f"\n## ListPolicies Scope=AWS, MaxItems=100, every page round robin ({args.concurrency} clients, "
          f"median of {args.rounds} rounds of {args.requests})\n")
    print("| tree | pages | req/s | p50 ms | p99 ms | server CPU ms/req | req per server CPU s | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in names:
        rs, per = results[n], statistics.median(cpu[n])
        print(f"| {n} | {len(loads[n])} | {statistics.median(r.rps for r in rs):,.0f} | "
              f"{statistics.median(r.percentile(0.5) for r in rs):.1f} | "
              f"{statistics.median(r.percentile(0.99) for r in rs):.1f} | {per * 1000:.2f} | {1 / per:,.0f} | "
              f"{sum(r.errors for r in rs)} |")


if __name__ == "__main__":
    main()
