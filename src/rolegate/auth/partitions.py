"""AWS partitions: which partition a signing region belongs to, read from the pinned botocore's own data.

AWS groups Regions into partitions, each with its own, independent IAM: an account lives in exactly one, and
"You cannot use IAM credentials from one partition to interact with resources in a different partition"
(https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html). The table is
botocore's ``data/partitions.json`` (ids ``aws``, ``aws-cn``, ``aws-us-gov``, ``aws-iso``, ``aws-iso-b``, …,
each with its regions and its ``regionRegex``), never a copy kept here, so a botocore that
knows a new Region or partition teaches rolegate too.

A region is looked up as botocore's endpoint resolver does: a region a partition lists by name belongs to it,
else the first partition whose ``regionRegex`` matches, else ``aws`` — botocore's own fallback for a region it
does not know (so a made-up local region name keeps working as before partitions existed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rolegate.core.arns import DEFAULT_PARTITION


@dataclass(frozen=True, slots=True)
class Partition:
    id: str  # the ARN partition: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, …
    region_regex: re.Pattern[str]
    regions: frozenset[str]


@lru_cache(maxsize=1)
def partitions() -> tuple[Partition, ...]:
    """Every partition the pinned botocore knows, in its order."""
    text = resources.files("botocore").joinpath("data/partitions.json").read_text("utf-8")
    return tuple(
        Partition(id=p["id"], region_regex=re.compile(p["regionRegex"]), regions=frozenset(p["regions"]))
        for p in json.loads(text)["partitions"])


def partition_ids() -> frozenset[str]:
    return frozenset(p.id for p in partitions())


@lru_cache(maxsize=256)
def partition_of_region(region: str) -> str:
    """The id of the partition ``region`` belongs to (``aws`` for a region no partition claims)."""
    table = partitions()
    for p in table:
        if region in p.regions:
            return p.id
    for p in table:
        if p.region_regex.match(region):
            return p.id
    return DEFAULT_PARTITION
