"""SigV4 verification cost: rolegate's verifier (signing key cached / cold) next to botocore recomputing.

Run: ``.venv/bin/python bench/sigv4_bench.py [--iterations 20000] [--repeat 5]`` (or ``-m bench.sigv4_bench``).
The request is a typical signed IAM ``GetRole``: ``POST /`` with a form body, signed by botocore's own
``SigV4Auth`` with session credentials, as boto3 sends it with ``endpoint_url``. Each row is the best of
``--repeat`` runs of ``--iterations`` verifications, timed in process CPU time (best-of and CPU time filter
scheduler noise on a shared box).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

if __package__ in (None, ""):  # run as a script: make ``rolegate`` importable from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rolegate.auth.sigv4 import HttpRequest, SigV4Verifier, parse_sigv4  # noqa: E402
from rolegate.core.clock import FixedClock  # noqa: E402

WHEN = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
KEY_ID, SECRET, TOKEN = "ASIAQ3EGUWYZEXAMPLE1", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjE" * 20
BODY = b"Action=GetRole&RoleName=deploy-pipeline-role&Version=2010-05-08"
URL = "http://localhost:4566/"


def signed_request() -> tuple[AWSRequest, HttpRequest]:
    req = AWSRequest("POST", URL, data=BODY, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "User-Agent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux lang/python#3.11.7",
        "amz-sdk-invocation-id": "0c4bbd5e-8ed5-4c53-9a2b-0b1f0c7d1a9e",
        "amz-sdk-request": "attempt=1",
        "Content-Length": str(len(BODY)),
    })
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=WHEN):
        botocore.auth.SigV4Auth(Credentials(KEY_ID, SECRET, TOKEN), "iam", "us-east-1").add_auth(req)
    headers = [("host", "localhost:4566"), ("accept-encoding", "identity")]
    headers += [(k, v) for k, v in req.headers.items()]
    return req, HttpRequest("POST", "/", "", headers, BODY)


def best_us(fn: Callable[[], object], iterations: int, repeat: int) -> float:
    # CPU time of this process, not wall time: on a shared machine, time spent descheduled is not the
    # verifier's cost. Best of ``repeat`` runs, as timeit recommends.
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(iterations):
            fn()
        best = min(best, time.process_time() - t0)
    return best / iterations * 1e6


def run(iterations: int = 20000, repeat: int = 5) -> list[tuple[str, float]]:
    aws_req, req = signed_request()
    cred = parse_sigv4(req)
    assert cred is not None
    warm = SigV4Verifier(FixedClock(WHEN))
    cold = SigV4Verifier(FixedClock(WHEN), key_cache_size=0)
    warm.verify(req, cred, SECRET)
    cold.verify(req, cred, SECRET)

    def ours_warm() -> None:
        c = parse_sigv4(req)
        assert c is not None
        warm.verify(req, c, SECRET)

    def ours_cold() -> None:
        c = parse_sigv4(req)
        assert c is not None
        cold.verify(req, c, SECRET)

    # botocore as a server-side oracle would use it (the moto approach): rebuild an AWSRequest holding the
    # signed headers, recompute canonical request, string to sign and signature, compare.
    boto = botocore.auth.SigV4Auth(Credentials(KEY_ID, SECRET, TOKEN), "iam", "us-east-1")
    signed_names = set(cred.signed_headers)

    def botocore_recompute() -> None:
        r = AWSRequest("POST", URL, data=BODY,
                       headers={k: v for k, v in req.headers if k.lower() in signed_names})
        r.context["timestamp"] = cred.timestamp
        sig = boto.signature(boto.string_to_sign(r, boto.canonical_request(r)), r)
        assert sig == cred.signature

    # botocore signing the same request from scratch (add_auth), i.e. what a client pays per call.
    def botocore_add_auth() -> None:
        r = AWSRequest("POST", URL, data=BODY, headers={"Content-Type": aws_req.headers["Content-Type"]})
        boto.add_auth(r)

    return [
        ("rolegate parse + verify, signing key cached", best_us(ours_warm, iterations, repeat)),
        ("rolegate parse + verify, cold key (4 extra HMACs)", best_us(ours_cold, iterations, repeat)),
        ("botocore SigV4Auth recompute (AWSRequest rebuild + canonical + sign)",
         best_us(botocore_recompute, iterations, repeat)),
        ("botocore SigV4Auth.add_auth (client-side signing)", best_us(botocore_add_auth, iterations, repeat)),
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    rows = run(args.iterations, args.repeat)
    print(f"Python {platform.python_version()}, botocore {botocore.__version__}, {platform.machine()}, "
          f"best of {args.repeat} x {args.iterations} (process CPU time); "
          "typical IAM GetRole POST with a session token\n")
    print("| verifier | µs per verification |")
    print("|---|---:|")
    for name, us in rows:
        print(f"| {name} | {us:.1f} |")


if __name__ == "__main__":
    main()
