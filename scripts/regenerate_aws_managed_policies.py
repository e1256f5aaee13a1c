"""Regenerate ``src/rolegate/iam/data/aws_managed_policies.json``: the AWS managed policies rolegate ships.

Sources (public, fetched at regeneration time; never in tests):
- documents, default version ids and version dates: the MAMIP archive of AWS managed policies,
  https://github.com/zoph-io/MAMIP (``policies/<Name>``: the ``GetPolicyVersion`` output of the default version);
- policy ids, paths and creation dates: https://github.com/tenchi-security/camp
  (``policies/<Name>/metadata.json``: the ``ListPolicies`` entry).
Descriptions are not in either archive; they are AWS's own texts, kept below.

    python scripts/regenerate_aws_managed_policies.py              # fetch from GitHub
    python scripts/regenerate_aws_managed_policies.py --source-dir D  # D/mamip/<Name>, D/camp/<Name>/metadata.json
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path

MAMIP = "https://raw.githubusercontent.com/zoph-io/MAMIP/main/policies/{name}"
CAMP = "https://raw.githubusercontent.com/tenchi-security/camp/main/policies/{name}/metadata.json"
OUT = Path(__file__).resolve().parent.parent / "src/rolegate/iam/data/aws_managed_policies.json"

# The policies shipped: the ones the five journeys and the IAM User Guide's examples use, by name.
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


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - fixed https URLs
        return resp.read().decode("utf-8")


def _read(source_dir: Path | None, name: str) -> tuple[dict, dict]:
    if source_dir is None:
        return json.loads(_fetch(MAMIP.format(name=name))), json.loads(_fetch(CAMP.format(name=name)))
    version = json.loads((source_dir / "mamip" / name).read_text())
    meta = json.loads((source_dir / "camp" / name / "metadata.json").read_text())
    return version, meta


def _iso(date: str) -> str:
    """Dates as ``YYYY-MM-DDTHH:MM:SSZ`` whatever form the archive wrote them in."""
    return date.replace("+00:00", "Z")


def entry(name: str, version: dict, meta: dict) -> dict:
    v = version["PolicyVersion"]
    if meta["PolicyName"] != name or not v.get("IsDefaultVersion", True):
        raise SystemExit(f"{name}: the archives disagree about this policy")
    path = meta["Path"]
    return {
        "name": name,
        "path": path,
        "arn": f"arn:aws:iam::aws:policy{path}{name}",
        "policy_id": meta["PolicyId"],
        "default_version_id": v["VersionId"],
        "create_date": _iso(meta["CreateDate"]),
        # A managed policy's UpdateDate is the creation time of its current default version.
        "update_date": _iso(v["CreateDate"]),
        "description": DESCRIPTIONS[name],
        # Stored as AWS returns it: the JSON text, indented as AWS indents managed policy documents.
        "document": json.dumps(v["Document"], indent=4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-dir", type=Path, help="read the archives from a local copy instead of GitHub")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    policies = [entry(name, *_read(args.source_dir, name)) for name in sorted(DESCRIPTIONS, key=str.lower)]
    data = {
        "source": "https://github.com/zoph-io/MAMIP (documents), https://github.com/tenchi-security/camp (ids)",
        "policies": policies,
    }
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(policies)} policies to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
