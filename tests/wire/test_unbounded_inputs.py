"""The size audit (issue 10, item 5): every input member of a served operation that its botocore model leaves
without a maximum is listed here with the limit AWS documents for it and where rolegate enforces it.

The validator enforces every limit a model states, on every input (tests/wire/test_validator.py); what a
model leaves open must be a decision, not an accident: a 540,000-character AssumeRole ``Policy`` once went
through because its newer model dropped the 2,048 limit. A new operation, or a new botocore, that adds an
unbounded member fails here until it is given its limit (or a reason it needs none).
"""

from __future__ import annotations

from botocore.model import Shape

from rolegate.wire.handlers import HANDLERS
from rolegate.wire.models import default_catalog

# (service, operation, member path) -> the documented limit and where it is enforced.
UNBOUNDED_BY_MODEL: dict[tuple[str, str, str], str] = {
    ("sts", "AssumeRole", "Policy"):
        "2,048 characters (STS API reference, AssumeRole: Policy) - sts.sessions.MAX_SESSION_POLICY_CHARS; "
        "with PolicyArns, 2,048 together and the packed size - sts.packed_size",
    ("sts", "AssumeRole", "PolicyArns"):
        "10 ARNs (STS API reference, AssumeRole: PolicyArns) - sts.sessions.MAX_SESSION_POLICY_ARNS",
    ("sts", "AssumeRoleWithWebIdentity", "PolicyArns"):
        "10 ARNs (STS API reference, AssumeRoleWithWebIdentity: PolicyArns) - sts.sessions.MAX_SESSION_POLICY_ARNS",
    ("sts", "AssumeRoleWithSAML", "PolicyArns"):
        "10 ARNs (STS API reference, AssumeRoleWithSAML: PolicyArns) - sts.sessions.MAX_SESSION_POLICY_ARNS",
    ("sts", "GetFederationToken", "PolicyArns"):
        "10 ARNs (STS API reference, GetFederationToken: PolicyArns) - sts.sessions.MAX_SESSION_POLICY_ARNS",
    ("iam", "CreateOpenIDConnectProvider", "ClientIDList"):
        "100 client ids (IAM API reference) - iam.limits.client_ids_per_oidc_provider",
    ("iam", "CreateOpenIDConnectProvider", "ThumbprintList"):
        "5 thumbprints (IAM API reference) - iam.limits.thumbprints_per_oidc_provider",
    ("iam", "UpdateOpenIDConnectProviderThumbprint", "ThumbprintList"):
        "5 thumbprints (IAM API reference) - iam.limits.thumbprints_per_oidc_provider",
    ("iam", "GetAccountAuthorizationDetails", "Filter"):
        "none documented: items are enum values (each checked), the request body limit bounds the list",
    ("iam", "CreateVirtualMFADevice", "VirtualMFADeviceName"):
        "none documented (minimum 1 and a pattern); the request body limit bounds it",
    ("iam", "GetPolicyVersion", "VersionId"): "none documented: pattern v[1-9][0-9]*…; the body limit bounds it",
    ("iam", "DeletePolicyVersion", "VersionId"): "none documented: pattern v[1-9][0-9]*…; the body limit bounds it",
    ("iam", "SetDefaultPolicyVersion", "VersionId"): "none documented: pattern v[1-9][0-9]*…; the body limit bounds it",
    ("iam", "CreateServiceSpecificCredential", "ServiceName"):
        "none documented: the two services AWS offers are checked by name (NotSupportedService otherwise)",
    ("iam", "ListServiceSpecificCredentials", "ServiceName"):
        "none documented: compared by name with the stored credentials; the body limit bounds it",
    ("iam", "SimulateCustomPolicy", "ActionNames"):
        "none documented; actions x resources at most 10,000 - analysis.simulation.MAX_SIMULATED_PAIRS",
    ("iam", "SimulateCustomPolicy", "ResourceArns"):
        "none documented; actions x resources at most 10,000 - analysis.simulation.MAX_SIMULATED_PAIRS",
    ("iam", "SimulateCustomPolicy", "ContextEntries"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "SimulateCustomPolicy", "ContextEntries.member.ContextKeyValues"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "SimulateCustomPolicy", "ContextEntries.member.ContextKeyValues.member"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "SimulateCustomPolicy", "PolicyInputList"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "SimulateCustomPolicy", "PermissionsBoundaryPolicyInputList"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "SimulatePrincipalPolicy", "ActionNames"):
        "none documented; actions x resources at most 10,000 - analysis.simulation.MAX_SIMULATED_PAIRS",
    ("iam", "SimulatePrincipalPolicy", "ResourceArns"):
        "none documented; actions x resources at most 10,000 - analysis.simulation.MAX_SIMULATED_PAIRS",
    ("iam", "SimulatePrincipalPolicy", "ContextEntries"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "SimulatePrincipalPolicy", "ContextEntries.member.ContextKeyValues"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "SimulatePrincipalPolicy", "ContextEntries.member.ContextKeyValues.member"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "SimulatePrincipalPolicy", "PolicyInputList"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "SimulatePrincipalPolicy", "PermissionsBoundaryPolicyInputList"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "SimulateCustomPolicy", "OrderedOrganizationPolicyInputList.member.ServiceControlPolicyInputList"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "GetContextKeysForCustomPolicy", "PolicyInputList"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("iam", "GetContextKeysForPrincipalPolicy", "PolicyInputList"):
        "none documented (each policy 131,072 characters by the model); the 1 MiB body limit bounds it",
    ("rolesanywhere", "CreateTrustAnchor", "source.sourceData.acmPcaArn"):
        "never stored: AWS_ACM_PCA sources are refused - anywhere.trust_anchors._read_source",
    ("rolesanywhere", "UpdateTrustAnchor", "source.sourceData.acmPcaArn"):
        "never stored: AWS_ACM_PCA sources are refused - anywhere.trust_anchors._read_source",
    ("rolesanywhere", "CreateProfile", "sessionPolicy"):
        "100,000 characters (UpdateProfile's model) - anywhere.profiles.MAX_SESSION_POLICY_CHARS",
    ("rolesanywhere", "PutAttributeMapping", "mappingRules"):
        "none documented; 50 per field (rolegate) - anywhere.profiles.MAX_MAPPING_RULES",
    ("rolesanywhere", "DeleteAttributeMapping", "specifiers"):
        "none documented; 50 per field (rolegate) - anywhere.profiles.MAX_MAPPING_RULES",
    ("rolesanywhere", "DeleteAttributeMapping", "specifiers.member"):
        "60 characters (MappingRule.specifier) - anywhere.profiles.MAX_SPECIFIER_CHARS",
    # EC2's model bounds none of its strings; the ids have fixed forms that the instance service checks.
    ("ec2", "AssociateIamInstanceProfile", "InstanceId"):
        "i- and 17 hex digits (EC2 User Guide, Resource IDs) - metadata.join_tokens' instance id form, "
        "InvalidInstanceID.Malformed from metadata.instances",
    ("ec2", "AssociateIamInstanceProfile", "IamInstanceProfile.Name"):
        "128 characters (IAM API reference, InstanceProfileName) - looked up by name in metadata.instances; "
        "no such profile is InvalidParameterValue",
    ("ec2", "AssociateIamInstanceProfile", "IamInstanceProfile.Arn"):
        "2,048 characters (IAM API reference, arnType) - looked up by ARN in metadata.instances; "
        "no such profile is InvalidParameterValue",
    ("ec2", "ReplaceIamInstanceProfileAssociation", "AssociationId"):
        "iip-assoc- and 17 hex digits - looked up in metadata.instances; anything else "
        "InvalidAssociationID.NotFound",
    ("ec2", "ReplaceIamInstanceProfileAssociation", "IamInstanceProfile.Name"):
        "128 characters (IAM API reference, InstanceProfileName) - looked up by name in metadata.instances; "
        "no such profile is InvalidParameterValue",
    ("ec2", "ReplaceIamInstanceProfileAssociation", "IamInstanceProfile.Arn"):
        "2,048 characters (IAM API reference, arnType) - looked up by ARN in metadata.instances; "
        "no such profile is InvalidParameterValue",
    ("ec2", "DisassociateIamInstanceProfile", "AssociationId"):
        "iip-assoc- and 17 hex digits - looked up in metadata.instances; anything else "
        "InvalidAssociationID.NotFound",
    ("ec2", "DescribeIamInstanceProfileAssociations", "AssociationIds"):
        "none documented: each id is compared with stored ones; the 1 MiB body limit bounds the list",
    ("ec2", "DescribeIamInstanceProfileAssociations", "AssociationIds.member"):
        "none documented: compared with stored ids (iip-assoc- and 17 hex digits); the body limit bounds it",
    ("ec2", "DescribeIamInstanceProfileAssociations", "Filters"):
        "2 filters, each name once - wire.handlers.ec2_associations._filters",
    ("ec2", "DescribeIamInstanceProfileAssociations", "Filters.member.Name"):
        "one of instance-id, state (EC2 API reference) - wire.handlers.ec2_associations._FILTERS",
    ("ec2", "DescribeIamInstanceProfileAssociations", "Filters.member.Values"):
        "none documented: each value is compared with stored ids or states; the 1 MiB body limit bounds it",
    ("ec2", "DescribeIamInstanceProfileAssociations", "Filters.member.Values.member"):
        "none documented: compared with stored ids or states; the body limit bounds it",
    ("ec2", "DescribeIamInstanceProfileAssociations", "NextToken"):
        "none documented: an opaque token metadata.instances issued; any other is refused there",
    ("cloudtrail", "LookupEvents", "LookupAttributes"):
        "1 attribute (CloudTrail API reference, LookupEvents: \"can contain only one item\") - audit.lookup",
    ("cloudtrail", "LookupEvents", "NextToken"):
        "none documented; a token rolegate did not issue is refused, longer ones unread - audit.lookup.MAX_TOKEN_CHARS",
}


def _unbounded(shape: Shape, path: str, seen: frozenset[str]) -> list[str]:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if shape.name in seen:
            return []
        return [p for name, member in shape.members.items()  # type: ignore[attr-defined]
                for p in _unbounded(member, f"{path}.{name}" if path else name, seen | {shape.name})]
    if kind == "list":
        own = [path] if meta.get("max") is None else []
        return own + _unbounded(shape.member, path + ".member", seen)  # type: ignore[attr-defined]
    if kind == "map":
        own = [path] if meta.get("max") is None else []
        return (own + _unbounded(shape.key, path + ".key", seen)  # type: ignore[attr-defined]
                + _unbounded(shape.value, path + ".value", seen))  # type: ignore[attr-defined]
    if kind in ("string", "blob") and meta.get("max") is None and not (getattr(shape, "enum", None) or meta.get("enum")):
        return [path]
    return []


def test_every_input_the_models_leave_unbounded_has_a_documented_limit() -> None:
    catalog = default_catalog()
    found = set()
    for service, operation in HANDLERS:
        ref = catalog.lookup(service, operation)
        assert ref is not None
        if ref.operation.input_shape is not None:
            found |= {(service, operation, p) for p in _unbounded(ref.operation.input_shape, "", frozenset())}
    assert found == set(UNBOUNDED_BY_MODEL)
