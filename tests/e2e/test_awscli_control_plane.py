"""The AWS CLI (``awscli`` from PyPI) across the control plane beyond roles: one journey per area, each read
back through the CLI's own output parsing (URL-decoded policy documents, merged pages, NextToken)."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

from tests.e2e.test_awscli import INLINE, TRUST, aws  # noqa: F401  (aws: the CLI fixture)
from tests.federation.saml_fixtures import idp_metadata

ACCOUNT = "123456789012"
DOC_V2 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]})


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_the_aws_cli_drives_managed_policies_and_their_versions(aws: Any, iam: Any) -> None:  # noqa: F811
    name, role = _name("cli-pol"), _name("cli-pol-role")
    policy = aws("iam", "create-policy", "--policy-name", name, "--path", "/cli/", "--policy-document", INLINE,
                 "--description", "from the cli")["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/cli/{name}" and policy["DefaultVersionId"] == "v1"
    v2 = aws("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", DOC_V2,
             "--set-as-default")["PolicyVersion"]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", True)
    got = aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v2")["PolicyVersion"]
    assert got["Document"]["Statement"][0]["Action"] == "logs:PutLogEvents"  # decoded by the CLI
    versions = aws("iam", "list-policy-versions", "--policy-arn", arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v2", True), ("v1", False)]
    aws("iam", "set-default-policy-version", "--policy-arn", arn, "--version-id", "v1")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    aws("iam", "attach-role-policy", "--role-name", role, "--policy-arn", arn)
    got_policy = aws("iam", "get-policy", "--policy-arn", arn)["Policy"]
    assert (got_policy["DefaultVersionId"], got_policy["AttachmentCount"]) == ("v1", 1)
    entities = aws("iam", "list-entities-for-policy", "--policy-arn", arn)
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role]
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    iam.delete_role(RoleName=role)
    assert "DeleteConflict" in aws("iam", "delete-policy", "--policy-arn", arn, ok=False)  # v2 remains
    aws("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2")
    aws("iam", "delete-policy", "--policy-arn", arn)
    assert "NoSuchEntity" in aws("iam", "get-policy", "--policy-arn", arn, ok=False)


def test_the_aws_cli_drives_instance_profiles(aws: Any, iam: Any) -> None:  # noqa: F811
    profile, role = _name("cli-ip"), _name("cli-ip-role")
    created = aws("iam", "create-instance-profile", "--instance-profile-name", profile, "--path", "/cli/")
    assert created["InstanceProfile"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/cli/{profile}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    aws("iam", "add-role-to-instance-profile", "--instance-profile-name", profile, "--role-name", role)
    got = aws("iam", "get-instance-profile", "--instance-profile-name", profile)["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == [role]
    assert got["Roles"][0]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    for_role = aws("iam", "list-instance-profiles-for-role", "--role-name", role)["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in for_role] == [profile]
    assert "DeleteConflict" in aws("iam", "delete-instance-profile", "--instance-profile-name", profile, ok=False)
    aws("iam", "remove-role-from-instance-profile", "--instance-profile-name", profile, "--role-name", role)
    aws("iam", "delete-instance-profile", "--instance-profile-name", profile)
    iam.delete_role(RoleName=role)
    assert "NoSuchEntity" in aws("iam", "get-instance-profile", "--instance-profile-name", profile, ok=False)


def test_the_aws_cli_drives_users_their_keys_and_groups(aws: Any, iam: Any) -> None:  # noqa: F811
    user, group = _name("cli-user"), _name("cli-group")
    aws("iam", "create-user", "--user-name", user, "--tags", "Key=team,Value=core")
    key = aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    aws("iam", "update-access-key", "--user-name", user, "--access-key-id", key["AccessKeyId"], "--status", "Inactive")
    keys = aws("iam", "list-access-keys", "--user-name", user)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(key["AccessKeyId"], "Inactive")]
    aws("iam", "create-group", "--group-name", group)
    aws("iam", "add-user-to-group", "--group-name", group, "--user-name", user)
    assert [u["UserName"] for u in aws("iam", "get-group", "--group-name", group)["Users"]] == [user]
    assert [g["GroupName"] for g in aws("iam", "list-groups-for-user", "--user-name", user)["Groups"]] == [group]
    assert "DeleteConflict" in aws("iam", "delete-user", "--user-name", user, ok=False)
    aws("iam", "remove-user-from-group", "--group-name", group, "--user-name", user)
    aws("iam", "delete-access-key", "--user-name", user, "--access-key-id", key["AccessKeyId"])
    iam.delete_group(GroupName=group)
    aws("iam", "delete-user", "--user-name", user)
    assert "NoSuchEntity" in aws("iam", "get-user", "--user-name", user, ok=False)


def test_the_aws_cli_drives_an_oidc_provider(aws: Any) -> None:  # noqa: F811
    host = f"{_name('oidc')}.example.com"
    arn = aws("iam", "create-open-id-connect-provider", "--url", f"https://{host}", "--client-id-list", "app-1",
              "--thumbprint-list", "a" * 40)["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"
    aws("iam", "add-client-id-to-open-id-connect-provider", "--open-id-connect-provider-arn", arn, "--client-id",
        "app-2")
    got = aws("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert (got["Url"], sorted(got["ClientIDList"]), got["ThumbprintList"]) == (host, ["app-1", "app-2"], ["a" * 40])
    listed = [p["Arn"] for p in aws("iam", "list-open-id-connect-providers")["OpenIDConnectProviderList"]]
    assert arn in listed
    aws("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert "NoSuchEntity" in aws("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn,
                                 ok=False)


def test_the_aws_cli_drives_a_saml_provider_from_a_metadata_file(aws: Any, tmp_path: Path) -> None:  # noqa: F811
    name = _name("cli-saml")
    metadata = tmp_path / "idp.xml"
    metadata.write_text(idp_metadata(valid_until="2090-01-02T03:04:05Z"))
    arn = aws("iam", "create-saml-provider", "--name", name,
              "--saml-metadata-document", f"file://{metadata}")["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/{name}"
    got = aws("iam", "get-saml-provider", "--saml-provider-arn", arn)
    assert "IDPSSODescriptor" in got["SAMLMetadataDocument"] and got["ValidUntil"].startswith("2090-01-02")
    assert arn in [p["Arn"] for p in aws("iam", "list-saml-providers")["SAMLProviderList"]]
    aws("iam", "delete-saml-provider", "--saml-provider-arn", arn)
    assert "NoSuchEntity" in aws("iam", "get-saml-provider", "--saml-provider-arn", arn, ok=False)


def test_the_aws_cli_reads_the_account_summary(aws: Any, iam: Any) -> None:  # noqa: F811
    role = _name("cli-sum")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    try:
        summary = aws("iam", "get-account-summary")["SummaryMap"]
        assert summary["Roles"] == len(iam.list_roles(MaxItems=1000)["Roles"])
    finally:
        iam.delete_role(RoleName=role)
    assert (summary["RolesQuota"], summary["AssumeRolePolicySizeQuota"], summary["VersionsPerPolicyQuota"]) == (
        1000, 2048, 5)
    assert summary["AccountAccessKeysPresent"] == 1 and len(summary) == 34  # every key of summaryKeyType
    assert summary["AccountPasswordPresent"] == 0


def test_the_aws_cli_parses_get_account_authorization_details(aws: Any, iam: Any) -> None:  # noqa: F811
    role, policy, users = _name("cli-gaad-role"), _name("cli-gaad-pol"), [_name("cli-gaad-u") for _ in range(2)]
    arn = iam.create_policy(PolicyName=policy, PolicyDocument=INLINE)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC_V2, SetAsDefault=True)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "env", "Value": "prod"}])
    for user in users:
        iam.create_user(UserName=user)
    iam.put_role_policy(RoleName=role, PolicyName="logs", PolicyDocument=INLINE)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    try:
        # The CLI follows every Marker itself and merges the pages; a small page size makes it page.
        dump = aws("iam", "get-account-authorization-details", "--page-size", "7")
        roles = {r["RoleName"]: r for r in dump["RoleDetailList"]}
        detail = roles[role]
        assert detail["AssumeRolePolicyDocument"] == json.loads(TRUST)
        assert detail["RolePolicyList"] == [{"PolicyName": "logs", "PolicyDocument": json.loads(INLINE)}]
        assert detail["AttachedManagedPolicies"] == [{"PolicyName": policy, "PolicyArn": arn}]
        assert detail["Tags"] == [{"Key": "env", "Value": "prod"}] and detail["InstanceProfileList"] == []
        [managed] = [p for p in dump["Policies"] if p["Arn"] == arn]
        assert (managed["AttachmentCount"], managed["DefaultVersionId"]) == (1, "v2")
        assert [(v["VersionId"], v["IsDefaultVersion"], v["Document"]) for v in managed["PolicyVersionList"]] == [
            ("v2", True, json.loads(DOC_V2)), ("v1", False, json.loads(INLINE))]
        whole = iam.get_account_authorization_details(Filter=["Role"], MaxItems=1000)["RoleDetailList"]
        assert sorted(roles) == sorted(r["RoleName"] for r in whole)
        # --max-items stops early with a NextToken; --starting-token resumes where it stopped. (The CLI counts
        # --max-items on the first result list, UserDetailList, so this pages over users.)
        first = aws("iam", "get-account-authorization-details", "--filter", "User", "--max-items", "1")
        rest = aws("iam", "get-account-authorization-details", "--filter", "User", "--starting-token",
                   first["NextToken"])
        names = [u["UserName"] for u in first["UserDetailList"] + rest["UserDetailList"]]
        assert len(first["UserDetailList"]) == 1 and names == sorted(names, key=str.lower)
        assert set(users) <= set(names) and len(names) == len(set(names))
    finally:
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)
        iam.delete_role_policy(RoleName=role, PolicyName="logs")
        iam.delete_role(RoleName=role)
        for user in users:
            iam.delete_user(UserName=user)
        iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
        iam.delete_policy(PolicyArn=arn)


def test_the_aws_cli_reads_the_credential_report_as_base64_csv(aws: Any) -> None:  # noqa: F811
    # The first generation in a run answers STARTED, any later one within four hours COMPLETE.
    assert aws("iam", "generate-credential-report")["State"] in ("STARTED", "COMPLETE")
    assert aws("iam", "generate-credential-report")["State"] == "COMPLETE"
    report = aws("iam", "get-credential-report")
    assert report["ReportFormat"] == "text/csv" and report["GeneratedTime"].endswith("Z")
    # The CLI prints a blob as the base64 text IAM sent; decoding it gives the CSV.
    lines = base64.b64decode(report["Content"]).decode("utf-8").splitlines()
    assert lines[0].startswith("user,arn,user_creation_time,password_enabled,password_last_used,")
    assert lines[0].endswith(",cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated")
    assert lines[1].startswith(f"<root_account>,arn:aws:iam::{ACCOUNT}:root,")
