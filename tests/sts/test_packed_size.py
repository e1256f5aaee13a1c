"""The packed size of session policies and tags (rolegate.sts.packed_size): what AWS documents, and the
calibration of what it does not."""

from __future__ import annotations

import json
import random

import pytest

from rolegate.sts.packed_size import PackedTooLarge, check_packed_size, packed_size

ALLOW = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                            "Resource": "*"}]}, indent=4)
# The six session tags EKS Pod Identity sets (EKS User Guide, "Define permissions for EKS Pod Identities to
# assume roles based on tags"), with typical values; all transitive.
POD_IDENTITY_TAGS = [("eks-cluster-arn", "arn:aws:eks:us-west-2:111122223333:cluster/my-cluster"),
                     ("eks-cluster-name", "my-cluster"), ("kubernetes-namespace", "default"),
                     ("kubernetes-service-account", "my-service-account"),
                     ("kubernetes-pod-name", "my-app-7d4b9c8f6-x2k9p"),
                     ("kubernetes-pod-uid", "0d4b5a1e-3c2f-4f8e-9a7b-1c2d3e4f5a6b")]


def test_no_session_policy_and_no_tag_has_no_packed_size() -> None:
    assert check_packed_size(None, (), ()) is None


def test_whitespace_does_not_count_in_the_packed_form() -> None:
    assert packed_size(ALLOW, (), ()) == packed_size(json.dumps(json.loads(ALLOW)), (), ())


def test_the_tag_allowance_is_calibrated_to_the_one_public_observation() -> None:
    """EKS Pod Identity's six transitive tags were reported at 74% (aws/containers-roadmap#2413)."""
    share = packed_size(None, (), POD_IDENTITY_TAGS, [k for k, _ in POD_IDENTITY_TAGS]).tag_percent
    assert 65 <= share <= 85


def test_policies_and_tags_are_judged_each_against_its_own_allowance() -> None:
    both = packed_size(ALLOW, ["arn:aws:iam::aws:policy/ReadOnlyAccess"], POD_IDENTITY_TAGS)
    assert both.policy_percent < both.tag_percent
    assert check_packed_size(ALLOW, ["arn:aws:iam::aws:policy/ReadOnlyAccess"], POD_IDENTITY_TAGS) == both.percent


def test_a_few_ordinary_tags_fit_with_room_and_fifty_random_ones_do_not() -> None:
    assert check_packed_size(None, (), [("Project", "alpha"), ("CostCenter", "12345")]) <= 40  # type: ignore[operator]
    rnd = random.Random(7)
    tags = [(f"key{i}", f"{rnd.getrandbits(512):x}") for i in range(50)]
    with pytest.raises(PackedTooLarge, match=r"^Packed size of session tags consumes \d+% of allotted space.$"):
        check_packed_size(None, (), tags)


def test_the_plaintext_of_inline_and_managed_policies_is_limited_together() -> None:
    arns = [f"arn:aws:iam::123456789012:policy/{'p' * 100}{i}" for i in range(10)]  # 10 × 133 characters
    inline = ALLOW + " " * (2048 - len(ALLOW) - sum(map(len, arns)))
    assert check_packed_size(inline, arns, ()) is not None
    with pytest.raises(PackedTooLarge, match=r"^Packed policy consumes 101% of allotted space, please use smaller "
                                             r"policy.$"):
        check_packed_size(inline + " ", arns, ())


def test_policies_are_judged_before_tags() -> None:
    rnd = random.Random(3)
    tags = [(f"key{i}", f"{rnd.getrandbits(512):x}") for i in range(50)]
    with pytest.raises(PackedTooLarge, match="^Packed policy"):
        check_packed_size(ALLOW + " " * 2048, (), tags)
