"""Which partition a signing region belongs to, from the pinned botocore's data: every region botocore names
is in the partition botocore's own endpoint resolver puts it in, a new region of a known pattern is placed by the
partition's ``regionRegex``, and a region no partition claims is in ``aws`` (botocore's fallback)."""

from __future__ import annotations

import pytest
from botocore.loaders import create_loader
from botocore.regions import EndpointResolver

from rolegate.auth.partitions import partition_ids, partition_of_region, partitions
from rolegate.core.arns import PARTITIONS


def _botocore_resolver() -> EndpointResolver:
    return EndpointResolver(create_loader().load_data("endpoints"))


@pytest.mark.parametrize(("region", "partition"), [
    ("us-east-1", "aws"), ("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"),
    ("us-gov-west-1", "aws-us-gov"), ("us-gov-east-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"),
    ("us-isob-east-1", "aws-iso-b"),
])
def test_the_regions_of_the_issue_are_in_their_partitions(region: str, partition: str) -> None:
    assert partition_of_region(region) == partition


def test_every_region_botocore_lists_is_where_botocore_s_resolver_puts_it() -> None:
    resolver = _botocore_resolver()
    for p in partitions():
        for region in p.regions:
            if region.endswith("-global"):
                continue  # pseudo-regions of global endpoints; botocore's endpoints.json has no entry for some
            assert partition_of_region(region) == p.id == resolver.get_partition_for_region(region), region


def test_a_region_botocore_does_not_list_yet_is_placed_by_its_partition_s_pattern() -> None:
    assert partition_of_region("cn-south-9") == "aws-cn"
    assert partition_of_region("us-gov-central-3") == "aws-us-gov"
    assert partition_of_region("us-isob-south-4") == "aws-iso-b"
    assert partition_of_region("ap-nowhere-7") == "aws"


def test_a_region_no_partition_claims_is_in_aws() -> None:
    assert partition_of_region("local") == "aws"
    assert partition_of_region("") == "aws"


def test_the_partition_table_is_botocore_s() -> None:
    assert {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"} <= partition_ids()
    assert partition_ids() == {p["partition"] for p in create_loader().load_data("endpoints")["partitions"]}


def test_the_policy_grammar_knows_exactly_botocore_s_partitions() -> None:
    # rolegate.policy may import only core, so core keeps its own list of partition names; it must not drift.
    assert PARTITIONS == partition_ids()
