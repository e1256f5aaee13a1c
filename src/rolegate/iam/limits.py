"""IAM quotas, with AWS's defaults; adjustable quotas are fields an operator may raise.

Source: IAM User Guide, "IAM and AWS STS quotas" (character limits count non-whitespace characters).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IamLimits:
    trust_policy_chars: int = 2048  # "Role trust policy length", adjustable up to 4,096
    role_inline_policy_chars: int = 10240  # aggregate of a role's inline policies
    managed_policies_per_role: int = 10  # adjustable
    roles_per_account: int = 1000  # adjustable
    tags_per_resource: int = 50
    users_per_account: int = 5000  # adjustable
    groups_per_account: int = 300  # adjustable
    groups_per_user: int = 10  # "Groups an IAM user can be a member of", fixed
    access_keys_per_user: int = 2  # "Access keys assigned to an IAM user" (the root user too), fixed
    user_inline_policy_chars: int = 2048  # aggregate of a user's inline policies
    group_inline_policy_chars: int = 5120  # aggregate of a group's inline policies
    instance_profiles_per_account: int = 1000  # adjustable
    roles_per_instance_profile: int = 1  # "InstanceProfileRolesQuota", fixed
    oidc_providers_per_account: int = 100
    saml_providers_per_account: int = 100
    client_ids_per_oidc_provider: int = 100  # CreateOpenIDConnectProvider, ClientIDList
    thumbprints_per_oidc_provider: int = 5  # CreateOpenIDConnectProvider, ThumbprintList
    managed_policies_per_user: int = 10  # adjustable
    managed_policies_per_group: int = 10  # adjustable
    customer_managed_policies_per_account: int = 1500  # adjustable
    managed_policy_chars: int = 6144  # "Managed policy length", fixed
    versions_per_managed_policy: int = 5  # "Versions of a managed policy that can be stored", fixed
    server_certificates_per_account: int = 20  # "Server certificates stored in an AWS account", adjustable
    signing_certificates_per_user: int = 2  # "Signing certificates assigned to an IAM user", fixed
    ssh_public_keys_per_user: int = 5  # "SSH public keys assigned to an IAM user", fixed
    service_credentials_per_user_per_service: int = 2  # "Service-specific credentials … per service", fixed
    # GetAccountSummary's PolicyVersionsInUseQuota: managed-policy attachments across the account's users,
    # groups and roles (10,000 in the API reference's GetAccountSummary example).
    policy_attachments_per_account: int = 10000


DEFAULT_LIMITS = IamLimits()
