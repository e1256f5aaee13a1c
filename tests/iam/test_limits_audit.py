"""The quota audit (issue 10, item 5): every IAM quota AWS documents is a field of ``IamLimits`` with AWS's
default, and each one names the test that shows it enforced. A new quota, or a test renamed away, fails here
until it is given its source and its proof. The models' own constraints are audited by
``tests/wire/test_unbounded_inputs.py``; the session-policy and tag limits by ``tests/sts/test_packed_size.py``.

Source of the numbers: IAM User Guide, "IAM and AWS STS quotas"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from rolegate.iam.limits import DEFAULT_LIMITS, IamLimits

TESTS = Path(__file__).resolve().parents[1]

# field -> (AWS's default, the test that exercises it: file::function)
AUDIT: dict[str, tuple[int, str]] = {
    "trust_policy_chars": (2048, "iam/test_roles.py::test_the_trust_policy_quota_counts_non_whitespace_characters"),
    "role_inline_policy_chars": (10240, "e2e/test_roles_boto3.py::test_aggregate_inline_policy_size_is_capped_per_role"),
    "managed_policies_per_role": (10, "iam/test_policies.py::test_a_role_takes_at_most_its_quota_of_managed_policies"),
    "roles_per_account": (1000, "iam/test_roles.py::test_the_role_quota_per_account_is_enforced"),
    "tags_per_resource": (50, "iam/test_users.py::test_more_than_fifty_tags_is_limit_exceeded"),
    "users_per_account": (5000, "iam/test_users.py::test_the_user_quota_is_enforced"),
    "groups_per_account": (300, "iam/test_groups.py::test_the_group_quota_is_enforced"),
    "groups_per_user": (10, "iam/test_groups.py::test_a_user_may_be_in_at_most_ten_groups"),
    "access_keys_per_user": (2, "iam/test_access_keys.py::test_a_user_may_hold_at_most_two_keys"),
    "user_inline_policy_chars": (2048, "iam/test_users.py::test_user_inline_policies_share_a_2048_character_budget"),
    "group_inline_policy_chars": (5120,
                                  "iam/test_groups.py::test_group_inline_policies_share_a_5120_character_budget"),
    "instance_profiles_per_account": (1000,
                                      "iam/test_instance_profiles.py::test_the_account_quota_of_profiles_is_enforced"),
    "roles_per_instance_profile": (1, "iam/test_instance_profiles.py::test_a_second_role_exceeds_the_one_role_quota"),
    "oidc_providers_per_account": (100, "iam/test_providers.py::test_the_account_quota_of_oidc_providers_is_enforced"),
    "saml_providers_per_account": (100, "iam/test_providers.py::test_the_account_quota_of_saml_providers_is_enforced"),
    "client_ids_per_oidc_provider": (100, "wire/test_unbounded_inputs.py::"
                                          "test_every_input_the_models_leave_unbounded_has_a_documented_limit"),
    "thumbprints_per_oidc_provider": (5, "wire/test_unbounded_inputs.py::"
                                         "test_every_input_the_models_leave_unbounded_has_a_documented_limit"),
    "managed_policies_per_user": (10, "iam/test_policies.py::"
                                      "test_a_user_and_a_group_take_at_most_their_quota_of_managed_policies"),
    "managed_policies_per_group": (10, "iam/test_policies.py::"
                                       "test_a_user_and_a_group_take_at_most_their_quota_of_managed_policies"),
    "customer_managed_policies_per_account": (
        1500, "iam/test_policies.py::test_an_account_holds_at_most_its_quota_of_customer_managed_policies"),
    "managed_policy_chars": (6144, "iam/test_policies.py::"
                                   "test_a_document_over_6144_non_whitespace_characters_is_limit_exceeded"),
    "versions_per_managed_policy": (5, "iam/test_policies.py::"
                                       "test_a_policy_holds_at_most_five_versions_and_ids_are_never_reused"),
    "server_certificates_per_account": (20, "iam/test_server_certificates.py::"
                                            "test_names_are_unique_ignoring_case_and_the_account_quota_holds"),
    "signing_certificates_per_user": (2, "iam/test_user_credentials.py::"
                                         "test_a_user_may_hold_at_most_two_signing_certificates"),
    "ssh_public_keys_per_user": (5, "iam/test_user_credentials.py::test_a_user_may_hold_at_most_five_ssh_keys"),
    "service_credentials_per_user_per_service": (
        2, "iam/test_user_credentials.py::test_two_credentials_per_service_per_user_and_unsupported_services_refused"),
    # Reported, not enforced: GetAccountSummary's PolicyVersionsInUseQuota; AWS documents no error for it.
    "policy_attachments_per_account": (10000, "iam/test_account_views.py::test_the_summary_quotas_come_from_the_limits"),
}


def _test_names(path: Path) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)}


def test_every_quota_is_audited_with_aws_default() -> None:
    fields = {f.name for f in dataclasses.fields(IamLimits)}
    assert fields == set(AUDIT)
    assert {name: getattr(DEFAULT_LIMITS, name) for name in fields} == {name: d for name, (d, _) in AUDIT.items()}


def test_every_quota_names_a_test_that_exists() -> None:
    missing = []
    for name, (_, where) in AUDIT.items():
        file, _, function = where.partition("::")
        if function not in _test_names(TESTS / file):
            missing.append(f"{name}: {where}")
    assert missing == []
