"""AWS managed policies: the ``arn:PARTITION:iam::aws:policy/…`` namespace every account sees, read-only.

Each partition has its own copy under its own ARNs: an account in ``aws-cn`` sees
``arn:aws-cn:iam::aws:policy/ReadOnlyAccess`` (docs/adr/0022-partitions.md). The shipped catalogue is the
``aws`` partition's; another partition's is the same policies with the partition of their ARNs replaced.

The whole catalogue ships as ``data/aws_managed_policies.zip``, generated from a pinned public data package
by ``scripts/regenerate_aws_managed_policies.py`` (docs/adr/0021-aws-managed-policy-catalogue.md). Nothing is
read at import; the first use reads only the zip's index (names, paths, ids, dates, version lists). A
policy's default document is read when it is first needed (GetPolicyVersion, evaluation of an attachment)
and kept; older versions' documents are read per policy on GetPolicyVersion / ListPolicyVersions and
only a few policies' histories are kept.
"""

from __future__ import annotations

import atexit
import bisect
import dataclasses
import datetime as dt
import itertools
import json
import os
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rolegate.core.arns import DEFAULT_PARTITION, parse_arn

from .entities import ManagedPolicyRecord, PolicyVersionRecord

AWS_ACCOUNT = "aws"  # the account field of an AWS managed policy's ARN
AWS_POLICY_ARN_PREFIX = "arn:aws:iam::aws:policy/"  # in the default partition; see ``aws_policy_arn``
DATA_FILE = "data/aws_managed_policies.zip"


@dataclass(frozen=True, slots=True)
class AwsManagedPolicy:
    policy: ManagedPolicyRecord
    version_dates: tuple[tuple[str, dt.datetime], ...]  # every version AWS serves, newest first

    @property
    def default_version(self) -> PolicyVersionRecord:
        """The version GetPolicy names, with its document (read from the data file once, then kept)."""
        p = self.policy
        return PolicyVersionRecord(p.policy_id, p.default_version_id, _default_document(p.name), p.updated_at)

    def versions(self) -> list[PolicyVersionRecord]:
        """Every version with its document, newest first, as ListPolicyVersions orders them."""
        older = _older_documents(self.policy.name)
        default = self.policy.default_version_id
        return [self.default_version if vid == default else PolicyVersionRecord(self.policy.policy_id, vid,
                                                                                older[vid], created)
                for vid, created in self.version_dates if vid == default or vid in older]

    def version(self, version_id: str) -> PolicyVersionRecord | None:
        if version_id == self.policy.default_version_id:
            return self.default_version
        return next((v for v in self.versions() if v.version_id == version_id), None)


class _Catalogue:
    """The open data file and its index; members are read under one lock (one shared file handle)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = -1
        self._zip = self._open()
        index = json.loads(self.read("index.json"))
        self.by_arn: dict[str, AwsManagedPolicy] = {}
        for p in index["policies"]:
            arn = f"{AWS_POLICY_ARN_PREFIX}{p['path'][1:]}{p['name']}"
            policy = ManagedPolicyRecord(
                account_id=AWS_ACCOUNT, policy_id=p["policy_id"], name=p["name"], path=p["path"], arn=arn,
                default_version_id=p["default_version_id"], next_version=p["next_version"],
                created_at=_date(p["create_date"]), updated_at=_date(p["update_date"]),
                description=p["description"])
            self.by_arn[arn] = AwsManagedPolicy(policy, tuple((v, _date(d)) for v, d in p["versions"]))
        self.ordered = sorted(self.by_arn.values(), key=lambda a: policy_sort_key(a.policy))
        self.keys = [policy_sort_key(a.policy) for a in self.ordered]

    def _open(self) -> zipfile.ZipFile:
        self._pid = os.getpid()
        handle = resources.files("rolegate.iam").joinpath(DATA_FILE).open("rb")
        atexit.register(handle.close)  # a zip made from an open file leaves that file to its opener
        return zipfile.ZipFile(handle)

    def read(self, member: str) -> str:
        with self._lock:
            if self._pid != os.getpid():
                # A forked worker must not share the parent's file offset: each process reads its own handle.
                self._zip = self._open()
            return self._zip.read(member).decode("utf-8")

    def has(self, member: str) -> bool:
        try:
            self._zip.getinfo(member)
        except KeyError:
            return False
        return True


@lru_cache(maxsize=1)
def _catalogue() -> _Catalogue:
    return _Catalogue()


@lru_cache(maxsize=None)
def _default_document(name: str) -> str:
    return _catalogue().read(f"default/{name}.json")


@lru_cache(maxsize=8)
def _older_documents(name: str) -> dict[str, str]:
    catalogue = _catalogue()
    member = f"versions/{name}.json"
    if not catalogue.has(member):
        return {}
    found: dict[str, str] = json.loads(catalogue.read(member))
    return found


@dataclass(frozen=True, slots=True)
class _PartitionView:
    """The catalogue as one partition sees it: its ARNs, in ListPolicies order, with their sort keys."""

    by_arn: dict[str, AwsManagedPolicy]
    ordered: list[AwsManagedPolicy]
    keys: list[str]


@lru_cache(maxsize=16)
def _view(partition: str) -> _PartitionView:
    catalogue = _catalogue()
    if partition == DEFAULT_PARTITION:
        return _PartitionView(catalogue.by_arn, catalogue.ordered, catalogue.keys)
    # Documents are read by policy name, so a copy with the partition's ARN serves the same versions.
    copies = [dataclasses.replace(a, policy=dataclasses.replace(
        a.policy, arn=aws_policy_arn(a.policy.arn[len(AWS_POLICY_ARN_PREFIX):], partition)))
        for a in catalogue.ordered]
    copies.sort(key=lambda a: policy_sort_key(a.policy))
    return _PartitionView({a.policy.arn: a for a in copies}, copies, [policy_sort_key(a.policy) for a in copies])


def aws_policy_arn(path_and_name: str, partition: str = DEFAULT_PARTITION) -> str:
    """The ARN of the AWS managed policy ``path_and_name`` (``AdministratorAccess``,
    ``aws-service-role/…``) in ``partition``."""
    return f"arn:{partition}:iam::aws:policy/{path_and_name}"


def is_aws_managed_arn(arn: str) -> bool:
    """Whether ``arn`` is in AWS's managed policy namespace, in any partition."""
    parsed = parse_arn(arn)
    return (parsed is not None and parsed.service == "iam" and parsed.account == AWS_ACCOUNT
            and parsed.resource.startswith("policy/"))


def aws_managed_policy(arn: str) -> AwsManagedPolicy | None:
    """The AWS managed policy ``arn`` names, in the partition the ARN names."""
    if arn.startswith(AWS_POLICY_ARN_PREFIX):
        return _catalogue().by_arn.get(arn)
    parsed = parse_arn(arn)
    return _view(parsed.partition).by_arn.get(arn) if parsed is not None else None


def aws_managed_policies(partition: str = DEFAULT_PARTITION) -> list[AwsManagedPolicy]:
    """All of them as ``partition`` sees them, in ListPolicies order (``policy_sort_key``)."""
    return list(_view(partition).ordered)


def aws_managed_policies_after(after: str | None, partition: str = DEFAULT_PARTITION
                               ) -> Iterator[ManagedPolicyRecord]:
    """The policies whose sort key follows ``after`` (all when None), in order: a page starts by bisection."""
    view = _view(partition)
    start = 0 if after is None else bisect.bisect_right(view.keys, after)
    return (a.policy for a in itertools.islice(view.ordered, start, None))


def policy_sort_key(policy: ManagedPolicyRecord) -> str:
    """ListPolicies' order: by lower-cased name (the ARN breaks ties between an account's and AWS's)."""
    return f"{policy.name.lower()} {policy.arn}"


def catalogue_source() -> str:
    """The pinned data package the shipped catalogue was generated from (``npm:<name>@<version>``)."""
    return str(json.loads(_catalogue().read("index.json"))["source"])


def _date(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
