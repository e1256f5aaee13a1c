"""Every implemented IAM, STS, Roles Anywhere, registered-instance, EC2 and CloudTrail operation, authorized twice
against a live server through boto3.

Once as a user whose only policy allows exactly that operation's action on that operation's resource (the
ARN written out here by hand, from the Service Authorization Reference — not computed by rolegate), and once
as a user with no policy at all. The first must not be ``AccessDenied`` (it may well fail otherwise:
NoSuchEntity for a missing target is fine — the point is it got past authorization); the second must be
``AccessDenied`` with AWS's message — except the operations AWS lets anyone call.

AssumeRole is decided by the role's trust policy instead (same account: the trust policy suffices), so its
"allowed" user is the one the trust policy names. AssumeRoleWithSAML/WebIdentity are unsigned: not here.
EC2's association operations act on a registered instance, so they have a test of their own, on one registered
for it; EC2 answers a denial as UnauthorizedOperation, with the denial after "You are not authorized to perform
this operation." and, for a change, an encoded authorization failure message.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from rolegate.wire.handlers import HANDLERS
from tests.live import LiveServer

ACCT = "123456789012"
RUN = uuid.uuid4().hex[:8]
ROLE, USER, GROUP, PROFILE = f"mx-role-{RUN}", f"mx-user-{RUN}", f"mx-group-{RUN}", f"mx-ip-{RUN}"
ROLE_ARN = f"arn:aws:iam::{ACCT}:role/{ROLE}"
USER_ARN = f"arn:aws:iam::{ACCT}:user/{USER}"
GROUP_ARN = f"arn:aws:iam::{ACCT}:group/{GROUP}"
PROFILE_ARN = f"arn:aws:iam::{ACCT}:instance-profile/{PROFILE}"
POLICY_ARN = f"arn:aws:iam::{ACCT}:policy/mx-policy-{RUN}"
OIDC_ARN = f"arn:aws:iam::{ACCT}:oidc-provider/mx-{RUN}.example.com"
SAML_ARN = f"arn:aws:iam::{ACCT}:saml-provider/mx-saml-{RUN}"
MFA_ARN = f"arn:aws:iam::{ACCT}:mfa/mx-mfa-{RUN}"
CERT = f"mx-cert-{RUN}"
CERT_ARN = f"arn:aws:iam::{ACCT}:server-certificate/{CERT}"
SSH_KEY_ID, SIGNING_ID, SERVICE_CRED_ID = "APKA" + "A" * 16, "A" * 32, "ACCA" + "A" * 17
JOB_ID, DELEGATION_ID = str(uuid.UUID(int=0)), "mx-delegation-" + RUN
DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                          "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
SAML_METADATA = "x" * 1000
THUMB = "a" * 40
TAGS = [{"Key": "k", "Value": "v"}]
ANCHOR_ID = str(uuid.uuid4())
ANCHOR_ARN = f"arn:aws:rolesanywhere:us-east-1:{ACCT}:trust-anchor/{ANCHOR_ID}"
PROFILE_ID, CRL_ID, SUBJECT_ID = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
RA_PROFILE_ARN = f"arn:aws:rolesanywhere:us-east-1:{ACCT}:profile/{PROFILE_ID}"
CRL_ARN = f"arn:aws:rolesanywhere:us-east-1:{ACCT}:crl/{CRL_ID}"
ANCHOR_SOURCE = {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": "not a certificate"}}

# operation -> (input, the resource AWS authorizes it on). Ops needing no permission are in ALWAYS_ALLOWED.
MATRIX: dict[str, tuple[dict[str, Any], str]] = {
    # roles
    "CreateRole": ({"RoleName": f"mx-new-{RUN}", "Path": "/mx/", "AssumeRolePolicyDocument": TRUST},
                   f"arn:aws:iam::{ACCT}:role/mx/mx-new-{RUN}"),
    "GetRole": ({"RoleName": ROLE}, ROLE_ARN),
    "ListRoles": ({}, "*"),
    "UpdateRole": ({"RoleName": ROLE, "Description": "d"}, ROLE_ARN),
    "UpdateRoleDescription": ({"RoleName": ROLE, "Description": "d"}, ROLE_ARN),
    "UpdateAssumeRolePolicy": ({"RoleName": ROLE, "PolicyDocument": TRUST}, ROLE_ARN),
    "DeleteRole": ({"RoleName": f"mx-gone-{RUN}"}, f"arn:aws:iam::{ACCT}:role/mx-gone-{RUN}"),
    "PutRolePermissionsBoundary": ({"RoleName": ROLE, "PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                                   ROLE_ARN),
    "DeleteRolePermissionsBoundary": ({"RoleName": ROLE}, ROLE_ARN),
    "PutRolePolicy": ({"RoleName": ROLE, "PolicyName": "p", "PolicyDocument": DOC}, ROLE_ARN),
    "GetRolePolicy": ({"RoleName": ROLE, "PolicyName": "p"}, ROLE_ARN),
    "DeleteRolePolicy": ({"RoleName": ROLE, "PolicyName": "nope"}, ROLE_ARN),
    "ListRolePolicies": ({"RoleName": ROLE}, ROLE_ARN),
    "AttachRolePolicy": ({"RoleName": ROLE, "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, ROLE_ARN),
    "DetachRolePolicy": ({"RoleName": ROLE, "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, ROLE_ARN),
    "ListAttachedRolePolicies": ({"RoleName": ROLE}, ROLE_ARN),
    "TagRole": ({"RoleName": ROLE, "Tags": TAGS}, ROLE_ARN),
    "UntagRole": ({"RoleName": ROLE, "TagKeys": ["k"]}, ROLE_ARN),
    "ListRoleTags": ({"RoleName": ROLE}, ROLE_ARN),
    "ListInstanceProfilesForRole": ({"RoleName": ROLE}, ROLE_ARN),
    "CreateServiceLinkedRole": ({"AWSServiceName": "elasticbeanstalk.amazonaws.com"},
                                f"arn:aws:iam::{ACCT}:role/aws-service-role/elasticbeanstalk.amazonaws.com/*"),
    "DeleteServiceLinkedRole": ({"RoleName": f"mx-slr-{RUN}"}, f"arn:aws:iam::{ACCT}:role/mx-slr-{RUN}"),
    "GetServiceLinkedRoleDeletionStatus": (
        {"DeletionTaskId": f"task/aws-service-role/elasticbeanstalk.amazonaws.com/mx-slr-{RUN}/"
                           "0a1b2c3d-0000-0000-0000-000000000000"},
        f"arn:aws:iam::{ACCT}:role/aws-service-role/elasticbeanstalk.amazonaws.com/mx-slr-{RUN}"),
    # users
    "CreateUser": ({"UserName": f"mx-newu-{RUN}"}, f"arn:aws:iam::{ACCT}:user/mx-newu-{RUN}"),
    "GetUser": ({"UserName": USER}, USER_ARN),
    "ListUsers": ({}, "*"),
    "UpdateUser": ({"UserName": USER}, USER_ARN),
    "DeleteUser": ({"UserName": f"mx-goneu-{RUN}"}, f"arn:aws:iam::{ACCT}:user/mx-goneu-{RUN}"),
    "PutUserPermissionsBoundary": ({"UserName": USER, "PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                                   USER_ARN),
    "DeleteUserPermissionsBoundary": ({"UserName": USER}, USER_ARN),
    "PutUserPolicy": ({"UserName": USER, "PolicyName": "p", "PolicyDocument": DOC}, USER_ARN),
    "GetUserPolicy": ({"UserName": USER, "PolicyName": "p"}, USER_ARN),
    "DeleteUserPolicy": ({"UserName": USER, "PolicyName": "nope"}, USER_ARN),
    "ListUserPolicies": ({"UserName": USER}, USER_ARN),
    "AttachUserPolicy": ({"UserName": USER, "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, USER_ARN),
    "DetachUserPolicy": ({"UserName": USER, "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, USER_ARN),
    "ListAttachedUserPolicies": ({"UserName": USER}, USER_ARN),
    "TagUser": ({"UserName": USER, "Tags": TAGS}, USER_ARN),
    "UntagUser": ({"UserName": USER, "TagKeys": ["k"]}, USER_ARN),
    "ListUserTags": ({"UserName": USER}, USER_ARN),
    "ListGroupsForUser": ({"UserName": USER}, USER_ARN),
    "CreateAccessKey": ({"UserName": USER}, USER_ARN),
    "ListAccessKeys": ({"UserName": USER}, USER_ARN),
    "UpdateAccessKey": ({"UserName": USER, "AccessKeyId": "AKIAIOSFODNN7NOTREAL", "Status": "Inactive"}, USER_ARN),
    "DeleteAccessKey": ({"UserName": USER, "AccessKeyId": "AKIAIOSFODNN7NOTREAL"}, USER_ARN),
    # groups
    "CreateGroup": ({"GroupName": f"mx-newg-{RUN}", "Path": "/mx/"}, f"arn:aws:iam::{ACCT}:group/mx/mx-newg-{RUN}"),
    "GetGroup": ({"GroupName": GROUP}, GROUP_ARN),
    "ListGroups": ({}, "*"),
    "UpdateGroup": ({"GroupName": GROUP}, GROUP_ARN),
    "DeleteGroup": ({"GroupName": f"mx-goneg-{RUN}"}, f"arn:aws:iam::{ACCT}:group/mx-goneg-{RUN}"),
    "AddUserToGroup": ({"GroupName": GROUP, "UserName": USER}, GROUP_ARN),
    "RemoveUserFromGroup": ({"GroupName": GROUP, "UserName": USER}, GROUP_ARN),
    "PutGroupPolicy": ({"GroupName": GROUP, "PolicyName": "p", "PolicyDocument": DOC}, GROUP_ARN),
    "GetGroupPolicy": ({"GroupName": GROUP, "PolicyName": "p"}, GROUP_ARN),
    "DeleteGroupPolicy": ({"GroupName": GROUP, "PolicyName": "nope"}, GROUP_ARN),
    "ListGroupPolicies": ({"GroupName": GROUP}, GROUP_ARN),
    "AttachGroupPolicy": ({"GroupName": GROUP, "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, GROUP_ARN),
    "DetachGroupPolicy": ({"GroupName": GROUP, "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, GROUP_ARN),
    "ListAttachedGroupPolicies": ({"GroupName": GROUP}, GROUP_ARN),
    # managed policies
    "CreatePolicy": ({"PolicyName": f"mx-newp-{RUN}", "PolicyDocument": DOC},
                     f"arn:aws:iam::{ACCT}:policy/mx-newp-{RUN}"),
    "GetPolicy": ({"PolicyArn": POLICY_ARN}, POLICY_ARN),
    "ListPolicies": ({}, "*"),
    "DeletePolicy": ({"PolicyArn": POLICY_ARN + "-gone"}, POLICY_ARN + "-gone"),
    "CreatePolicyVersion": ({"PolicyArn": POLICY_ARN, "PolicyDocument": DOC}, POLICY_ARN),
    "GetPolicyVersion": ({"PolicyArn": POLICY_ARN, "VersionId": "v1"}, POLICY_ARN),
    "ListPolicyVersions": ({"PolicyArn": POLICY_ARN}, POLICY_ARN),
    "DeletePolicyVersion": ({"PolicyArn": POLICY_ARN, "VersionId": "v9"}, POLICY_ARN),
    "SetDefaultPolicyVersion": ({"PolicyArn": POLICY_ARN, "VersionId": "v1"}, POLICY_ARN),
    "ListEntitiesForPolicy": ({"PolicyArn": POLICY_ARN}, POLICY_ARN),
    "TagPolicy": ({"PolicyArn": POLICY_ARN, "Tags": TAGS}, POLICY_ARN),
    "UntagPolicy": ({"PolicyArn": POLICY_ARN, "TagKeys": ["k"]}, POLICY_ARN),
    "ListPolicyTags": ({"PolicyArn": POLICY_ARN}, POLICY_ARN),
    # instance profiles
    "CreateInstanceProfile": ({"InstanceProfileName": f"mx-newip-{RUN}"},
                              f"arn:aws:iam::{ACCT}:instance-profile/mx-newip-{RUN}"),
    "GetInstanceProfile": ({"InstanceProfileName": PROFILE}, PROFILE_ARN),
    "ListInstanceProfiles": ({}, "*"),
    "DeleteInstanceProfile": ({"InstanceProfileName": f"mx-goneip-{RUN}"},
                              f"arn:aws:iam::{ACCT}:instance-profile/mx-goneip-{RUN}"),
    "AddRoleToInstanceProfile": ({"InstanceProfileName": PROFILE, "RoleName": ROLE}, PROFILE_ARN),
    "RemoveRoleFromInstanceProfile": ({"InstanceProfileName": PROFILE, "RoleName": ROLE}, PROFILE_ARN),
    "TagInstanceProfile": ({"InstanceProfileName": PROFILE, "Tags": TAGS}, PROFILE_ARN),
    "UntagInstanceProfile": ({"InstanceProfileName": PROFILE, "TagKeys": ["k"]}, PROFILE_ARN),
    "ListInstanceProfileTags": ({"InstanceProfileName": PROFILE}, PROFILE_ARN),
    # OIDC providers
    "CreateOpenIDConnectProvider": ({"Url": f"https://mx-new-{RUN}.example.com", "ThumbprintList": [THUMB]},
                                    f"arn:aws:iam::{ACCT}:oidc-provider/mx-new-{RUN}.example.com"),
    "GetOpenIDConnectProvider": ({"OpenIDConnectProviderArn": OIDC_ARN}, OIDC_ARN),
    "ListOpenIDConnectProviders": ({}, "*"),
    "DeleteOpenIDConnectProvider": ({"OpenIDConnectProviderArn": OIDC_ARN + "x"}, OIDC_ARN + "x"),
    "AddClientIDToOpenIDConnectProvider": ({"OpenIDConnectProviderArn": OIDC_ARN, "ClientID": "c"}, OIDC_ARN),
    "RemoveClientIDFromOpenIDConnectProvider": ({"OpenIDConnectProviderArn": OIDC_ARN, "ClientID": "c"}, OIDC_ARN),
    "UpdateOpenIDConnectProviderThumbprint": ({"OpenIDConnectProviderArn": OIDC_ARN, "ThumbprintList": [THUMB]},
                                              OIDC_ARN),
    "TagOpenIDConnectProvider": ({"OpenIDConnectProviderArn": OIDC_ARN, "Tags": TAGS}, OIDC_ARN),
    "UntagOpenIDConnectProvider": ({"OpenIDConnectProviderArn": OIDC_ARN, "TagKeys": ["k"]}, OIDC_ARN),
    "ListOpenIDConnectProviderTags": ({"OpenIDConnectProviderArn": OIDC_ARN}, OIDC_ARN),
    # SAML providers
    "CreateSAMLProvider": ({"Name": f"mx-newsaml-{RUN}", "SAMLMetadataDocument": SAML_METADATA},
                           f"arn:aws:iam::{ACCT}:saml-provider/mx-newsaml-{RUN}"),
    "GetSAMLProvider": ({"SAMLProviderArn": SAML_ARN}, SAML_ARN),
    "ListSAMLProviders": ({}, "*"),
    "UpdateSAMLProvider": ({"SAMLProviderArn": SAML_ARN, "SAMLMetadataDocument": SAML_METADATA}, SAML_ARN),
    "DeleteSAMLProvider": ({"SAMLProviderArn": SAML_ARN}, SAML_ARN),
    "TagSAMLProvider": ({"SAMLProviderArn": SAML_ARN, "Tags": TAGS}, SAML_ARN),
    "UntagSAMLProvider": ({"SAMLProviderArn": SAML_ARN, "TagKeys": ["k"]}, SAML_ARN),
    "ListSAMLProviderTags": ({"SAMLProviderArn": SAML_ARN}, SAML_ARN),
    # MFA devices
    "CreateVirtualMFADevice": ({"VirtualMFADeviceName": f"mx-newmfa-{RUN}"},
                               f"arn:aws:iam::{ACCT}:mfa/mx-newmfa-{RUN}"),
    "EnableMFADevice": ({"UserName": USER, "SerialNumber": MFA_ARN, "AuthenticationCode1": "123456",
                         "AuthenticationCode2": "654321"}, USER_ARN),
    "DeactivateMFADevice": ({"UserName": USER, "SerialNumber": MFA_ARN}, USER_ARN),
    "ListMFADevices": ({"UserName": USER}, USER_ARN),
    "DeleteVirtualMFADevice": ({"SerialNumber": MFA_ARN}, MFA_ARN),
    "ListVirtualMFADevices": ({}, "*"),
    "ResyncMFADevice": ({"UserName": USER, "SerialNumber": MFA_ARN, "AuthenticationCode1": "123456",
                         "AuthenticationCode2": "654321"}, USER_ARN),
    "GetMFADevice": ({"UserName": USER, "SerialNumber": MFA_ARN}, USER_ARN),
    "TagMFADevice": ({"SerialNumber": MFA_ARN, "Tags": [{"Key": "k", "Value": "v"}]}, MFA_ARN),
    "UntagMFADevice": ({"SerialNumber": MFA_ARN, "TagKeys": ["k"]}, MFA_ARN),
    "ListMFADeviceTags": ({"SerialNumber": MFA_ARN}, MFA_ARN),
    # login profiles (ChangePassword acts on the caller: a test of its own below)
    "CreateLoginProfile": ({"UserName": USER, "Password": "Matrix-Pass-1"}, USER_ARN),
    "GetLoginProfile": ({"UserName": USER}, USER_ARN),
    "UpdateLoginProfile": ({"UserName": USER, "PasswordResetRequired": True}, USER_ARN),
    "DeleteLoginProfile": ({"UserName": USER}, USER_ARN),
    # SSH public keys, signing certificates, service-specific credentials: the owning user
    "UploadSSHPublicKey": ({"UserName": USER, "SSHPublicKeyBody": "ssh-rsa AAAA"}, USER_ARN),
    "GetSSHPublicKey": ({"UserName": USER, "SSHPublicKeyId": SSH_KEY_ID, "Encoding": "SSH"}, USER_ARN),
    "ListSSHPublicKeys": ({"UserName": USER}, USER_ARN),
    "UpdateSSHPublicKey": ({"UserName": USER, "SSHPublicKeyId": SSH_KEY_ID, "Status": "Inactive"}, USER_ARN),
    "DeleteSSHPublicKey": ({"UserName": USER, "SSHPublicKeyId": SSH_KEY_ID}, USER_ARN),
    "UploadSigningCertificate": ({"UserName": USER, "CertificateBody": "not a certificate"}, USER_ARN),
    "ListSigningCertificates": ({"UserName": USER}, USER_ARN),
    "UpdateSigningCertificate": ({"UserName": USER, "CertificateId": SIGNING_ID, "Status": "Inactive"}, USER_ARN),
    "DeleteSigningCertificate": ({"UserName": USER, "CertificateId": SIGNING_ID}, USER_ARN),
    "CreateServiceSpecificCredential": ({"UserName": USER, "ServiceName": "codecommit.amazonaws.com"}, USER_ARN),
    "ListServiceSpecificCredentials": ({"UserName": USER}, USER_ARN),
    "ResetServiceSpecificCredential": ({"UserName": USER, "ServiceSpecificCredentialId": SERVICE_CRED_ID}, USER_ARN),
    "UpdateServiceSpecificCredential": ({"UserName": USER, "ServiceSpecificCredentialId": SERVICE_CRED_ID,
                                         "Status": "Inactive"}, USER_ARN),
    "DeleteServiceSpecificCredential": ({"UserName": USER, "ServiceSpecificCredentialId": SERVICE_CRED_ID},
                                        USER_ARN),
    # server certificates
    "UploadServerCertificate": ({"ServerCertificateName": f"mx-newcert-{RUN}", "Path": "/mx/",
                                 "CertificateBody": "x", "PrivateKey": "x"},
                                f"arn:aws:iam::{ACCT}:server-certificate/mx/mx-newcert-{RUN}"),
    "GetServerCertificate": ({"ServerCertificateName": CERT}, CERT_ARN),
    "ListServerCertificates": ({}, "*"),
    "UpdateServerCertificate": ({"ServerCertificateName": CERT}, CERT_ARN),
    "DeleteServerCertificate": ({"ServerCertificateName": CERT}, CERT_ARN),
    "TagServerCertificate": ({"ServerCertificateName": CERT, "Tags": TAGS}, CERT_ARN),
    "UntagServerCertificate": ({"ServerCertificateName": CERT, "TagKeys": ["k"]}, CERT_ARN),
    "ListServerCertificateTags": ({"ServerCertificateName": CERT}, CERT_ARN),
    # service last accessed
    "GenerateServiceLastAccessedDetails": ({"Arn": USER_ARN}, USER_ARN),
    "GetServiceLastAccessedDetails": ({"JobId": JOB_ID}, "*"),
    "GetServiceLastAccessedDetailsWithEntities": ({"JobId": JOB_ID, "ServiceNamespace": "iam"}, "*"),
    "ListPoliciesGrantingServiceAccess": ({"Arn": USER_ARN, "ServiceNamespaces": ["iam"]}, USER_ARN),
    # features rolegate does not host
    "ListOrganizationsFeatures": ({}, "*"),
    "EnableOrganizationsRootCredentialsManagement": ({}, "*"),
    "DisableOrganizationsRootCredentialsManagement": ({}, "*"),
    "EnableOrganizationsRootSessions": ({}, "*"),
    "DisableOrganizationsRootSessions": ({}, "*"),
    "ListDelegationRequests": ({}, "*"),
    "GetDelegationRequest": ({"DelegationRequestId": DELEGATION_ID},
                             f"arn:aws:iam::{ACCT}:delegation-request/{DELEGATION_ID}"),
    "GetOrganizationsAccessReport": ({"JobId": JOB_ID}, "*"),
    "GetOutboundWebIdentityFederationInfo": ({}, "*"),
    # account-wide
    "GetAccountAuthorizationDetails": ({}, "*"),
    "GetAccountSummary": ({}, "*"),
    # the policy simulator: the principal whose policies are read, by ARN; custom policies on "*"
    "SimulatePrincipalPolicy": ({"PolicySourceArn": USER_ARN, "ActionNames": ["s3:GetObject"]}, USER_ARN),
    "GetContextKeysForPrincipalPolicy": ({"PolicySourceArn": USER_ARN}, USER_ARN),
    "SimulateCustomPolicy": ({"PolicyInputList": [DOC], "ActionNames": ["s3:GetObject"]}, "*"),
    "GetContextKeysForCustomPolicy": ({"PolicyInputList": [DOC]}, "*"),
    "GetAccountPasswordPolicy": ({}, "*"),
    "UpdateAccountPasswordPolicy": ({"MinimumPasswordLength": 8}, "*"),
    "DeleteAccountPasswordPolicy": ({}, "*"),
    "CreateAccountAlias": ({"AccountAlias": f"mx-{RUN}"}, "*"),
    "ListAccountAliases": ({}, "*"),
    "DeleteAccountAlias": ({"AccountAlias": f"mx-{RUN}"}, "*"),
    "GenerateCredentialReport": ({}, "*"),
    "GetCredentialReport": ({}, "*"),
    # STS
    "GetFederationToken": ({"Name": "mxfed"}, f"arn:aws:sts::{ACCT}:federated-user/mxfed"),
    "GetAccessKeyInfo": ({"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}, "*"),
    "DecodeAuthorizationMessage": ({"EncodedMessage": "bm90LWEtbWVzc2FnZQ"}, "*"),
    # Roles Anywhere ("Actions, resources, and condition keys for AWS Identity and Access Management Roles
    # Anywhere": trust-anchor/ID in the request's region; creates and lists on "*")
    "CreateTrustAnchor": ({"name": f"mx-{RUN}", "source": ANCHOR_SOURCE}, "*"),
    "ListTrustAnchors": ({}, "*"),
    "GetTrustAnchor": ({"trustAnchorId": ANCHOR_ID}, ANCHOR_ARN),
    "UpdateTrustAnchor": ({"trustAnchorId": ANCHOR_ID, "name": "n"}, ANCHOR_ARN),
    "DeleteTrustAnchor": ({"trustAnchorId": ANCHOR_ID}, ANCHOR_ARN),
    "EnableTrustAnchor": ({"trustAnchorId": ANCHOR_ID}, ANCHOR_ARN),
    "DisableTrustAnchor": ({"trustAnchorId": ANCHOR_ID}, ANCHOR_ARN),
    "PutNotificationSettings": ({"trustAnchorId": ANCHOR_ID, "notificationSettings": [
        {"enabled": True, "event": "CA_CERTIFICATE_EXPIRY"}]}, ANCHOR_ARN),
    "ResetNotificationSettings": ({"trustAnchorId": ANCHOR_ID, "notificationSettingKeys": [
        {"event": "CA_CERTIFICATE_EXPIRY"}]}, ANCHOR_ARN),
    "TagResource": ({"resourceArn": ANCHOR_ARN, "tags": [{"key": "k", "value": "v"}]}, ANCHOR_ARN),
    "UntagResource": ({"resourceArn": ANCHOR_ARN, "tagKeys": ["k"]}, ANCHOR_ARN),
    "ListTagsForResource": ({"resourceArn": ANCHOR_ARN}, ANCHOR_ARN),
    "CreateProfile": ({"name": f"mx-{RUN}", "roleArns": [ROLE_ARN]}, "*"),
    "ListProfiles": ({}, "*"),
    "GetProfile": ({"profileId": PROFILE_ID}, RA_PROFILE_ARN),
    "UpdateProfile": ({"profileId": PROFILE_ID, "name": "n"}, RA_PROFILE_ARN),
    "DeleteProfile": ({"profileId": PROFILE_ID}, RA_PROFILE_ARN),
    "EnableProfile": ({"profileId": PROFILE_ID}, RA_PROFILE_ARN),
    "DisableProfile": ({"profileId": PROFILE_ID}, RA_PROFILE_ARN),
    "PutAttributeMapping": ({"profileId": PROFILE_ID, "certificateField": "x509Subject",
                             "mappingRules": [{"specifier": "CN"}]}, RA_PROFILE_ARN),
    "DeleteAttributeMapping": ({"profileId": PROFILE_ID, "certificateField": "x509Subject"}, RA_PROFILE_ARN),
    "ImportCrl": ({"name": f"mx-{RUN}", "crlData": b"not a crl", "trustAnchorArn": ANCHOR_ARN}, "*"),
    "ListCrls": ({}, "*"),
    "GetCrl": ({"crlId": CRL_ID}, CRL_ARN),
    "UpdateCrl": ({"crlId": CRL_ID, "name": "n"}, CRL_ARN),
    "DeleteCrl": ({"crlId": CRL_ID}, CRL_ARN),
    "EnableCrl": ({"crlId": CRL_ID}, CRL_ARN),
    "DisableCrl": ({"crlId": CRL_ID}, CRL_ARN),
    "ListSubjects": ({}, "*"),
    "GetSubject": ({"subjectId": SUBJECT_ID}, f"arn:aws:rolesanywhere:us-east-1:{ACCT}:subject/{SUBJECT_ID}"),
    # rolegate's registered instances (docs/adr/0038-registered-instances.md): a namespace of rolegate's own,
    # regional like EC2's; registering acts on every instance (instance/*), as RunInstances does, and passes the
    # profile's role (AddRoleToInstanceProfile above put ROLE in it) to EC2.
    "RegisterInstance": ({"InstanceProfileName": PROFILE}, f"arn:aws:rolegate-instances:us-east-1:{ACCT}:instance/*"),
    "ListInstances": ({}, "*"),
    "DeregisterInstance": ({"InstanceId": "i-0000000000000000a"},
                           f"arn:aws:rolegate-instances:us-east-1:{ACCT}:instance/i-0000000000000000a"),
    # CloudTrail: LookupEvents names no resource type (Service Authorization Reference, AWS CloudTrail).
    "LookupEvents": ({"MaxResults": 1}, "*"),
}
# Operations AWS lets any authenticated caller perform (STS API reference; IAM User Guide).
ALWAYS_ALLOWED: dict[str, dict[str, Any]] = {"GetCallerIdentity": {}, "GetSessionToken": {}}
# Extra actions AWS requires for the operation besides its own (Service Authorization Reference).
ALSO_NEEDS = {"AddRoleToInstanceProfile": [("iam:PassRole", ROLE_ARN)],
              # Naming a role in a profile hands it to Roles Anywhere (dependent action iam:PassRole).
              "CreateProfile": [("iam:PassRole", ROLE_ARN)],
              "RegisterInstance": [("iam:PassRole", ROLE_ARN)]}
TRUST_DECIDED = {"AssumeRole"}
# Signed without an access key (AssumeRoleWithSAML/WebIdentity) or with a certificate's key (CreateSession).
UNSIGNED = {"AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "CreateSession", "JoinInstance"}
# Signed with an instance credential, which no policy decides: a test of their own below.
INSTANCE_SIGNED = {"RotateInstanceCredential", "GetInstanceRoleCredentials"}
# Their resource depends on the call (the key's owner; the caller itself; a registered instance): tests of their
# own below.
EC2_OPS = {name for service, name in HANDLERS if service == "ec2"}
OWN_TEST = {"GetAccessKeyLastUsed", "ChangePassword", *EC2_OPS}
STS_OPS = {"GetCallerIdentity", "GetSessionToken", "GetFederationToken", "GetAccessKeyInfo",
           "DecodeAuthorizationMessage", "AssumeRole"}
ROLES_ANYWHERE_OPS = {name for service, name in HANDLERS if service == "rolesanywhere"}
INSTANCE_OPS = {name for service, name in HANDLERS if service == "rolegate-instances"}
CLOUDTRAIL_OPS = {name for service, name in HANDLERS if service == "cloudtrail"}
# rest-json services spell the denial with the Exception suffix (their models' AccessDeniedException).
DENIED = ("AccessDenied", "AccessDeniedException")


def _service(op: str) -> str:
    if op in INSTANCE_OPS:
        return "rolegate-instances"
    return "sts" if op in STS_OPS else "rolesanywhere" if op in ROLES_ANYWHERE_OPS else \
        "ec2" if op in EC2_OPS else "cloudtrail" if op in CLOUDTRAIL_OPS else "iam"


class Principal:
    def __init__(self, server: LiveServer, iam: Any, name: str) -> None:
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        self.name = name
        self.arn = f"arn:aws:iam::{ACCT}:user/{name}"
        self.clients = {svc: server.client(svc, key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
                        for svc in ("iam", "sts", "rolesanywhere", "rolegate-instances", "ec2", "cloudtrail")}

    def call(self, op: str, params: dict[str, Any]) -> ClientError | None:
        client = self.clients[_service(op)]
        try:
            getattr(client, xform_name(op))(**params)
        except ClientError as err:
            return err
        return None


@pytest.fixture(scope="module")
def principals(server: LiveServer) -> Iterator[tuple[Any, Principal, Principal]]:
    iam = server.client("iam")
    # Existing targets, so that allowed calls reach the handler's real work where they can.
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=TRUST)
    iam.create_user(UserName=USER)
    iam.create_group(GroupName=GROUP)
    iam.create_instance_profile(InstanceProfileName=PROFILE)
    iam.create_policy(PolicyName=f"mx-policy-{RUN}", PolicyDocument=DOC)
    yield iam, Principal(server, iam, f"mx-allowed-{RUN}"), Principal(server, iam, f"mx-denied-{RUN}")
    # The matrix's allowed UpdateAccountPasswordPolicy sets the shared account's policy: put it back.
    try:
        iam.delete_account_password_policy()
    except ClientError:
        pass


def _code(err: ClientError | None) -> str | None:
    return None if err is None else str(err.response["Error"]["Code"])


def test_every_implemented_operation_is_in_the_matrix() -> None:
    covered = set(MATRIX) | set(ALWAYS_ALLOWED) | TRUST_DECIDED | UNSIGNED | OWN_TEST | INSTANCE_SIGNED
    assert sorted({name for _, name in HANDLERS} - covered) == []


def test_each_operation_is_allowed_exactly_by_its_action_on_its_resource_and_denied_without(
        principals: tuple[Any, Principal, Principal]) -> None:
    iam, allowed, denied = principals
    failures: list[str] = []
    for op in sorted(set(MATRIX) & {name for _, name in HANDLERS}):
        params, resource = MATRIX[op]
        action = f"{_service(op)}:{op}"
        statements = [{"Effect": "Allow", "Action": action, "Resource": resource}]
        statements += [{"Effect": "Allow", "Action": a, "Resource": r} for a, r in ALSO_NEEDS.get(op, [])]
        iam.put_user_policy(UserName=allowed.name, PolicyName="only",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
        got = allowed.call(op, params)
        if _code(got) in DENIED:
            failures.append(f"{op}: allowed caller denied: {got}")
        refused = denied.call(op, params)
        expected = (f"User: {denied.arn} is not authorized to perform: {action} on resource: {resource} "
                    f"because no identity-based policy allows the {action} action")
        if _code(refused) not in DENIED or refused is None or \
                refused.response["Error"]["Message"] != expected:
            failures.append(f"{op}: caller without policy got {_code(refused)}: "
                            f"{refused.response['Error']['Message'] if refused else 'success'}")
    assert failures == []


def test_operations_anyone_may_call_are_allowed_without_a_policy(
        principals: tuple[Any, Principal, Principal]) -> None:
    _, _, denied = principals
    for op in sorted(set(ALWAYS_ALLOWED) & {name for _, name in HANDLERS}):
        assert _code(denied.call(op, ALWAYS_ALLOWED[op])) != "AccessDenied", op


def test_assume_role_is_decided_by_the_trust_policy(principals: tuple[Any, Principal, Principal]) -> None:
    iam, allowed, denied = principals
    name = f"mx-trusting-{RUN}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": allowed.arn}, "Action": "sts:AssumeRole"}]}))
    params = {"RoleArn": f"arn:aws:iam::{ACCT}:role/{name}", "RoleSessionName": "mx-session"}
    assert _code(allowed.call("AssumeRole", params)) != "AccessDenied"
    assert _code(denied.call("AssumeRole", params)) == "AccessDenied"


def test_get_access_key_last_used_is_authorized_on_the_keys_owner(
        principals: tuple[Any, Principal, Principal]) -> None:
    iam, allowed, denied = principals
    key_id = iam.create_access_key(UserName=USER)["AccessKey"]["AccessKeyId"]
    iam.put_user_policy(UserName=allowed.name, PolicyName="only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetAccessKeyLastUsed", "Resource": USER_ARN}]}))
    assert allowed.call("GetAccessKeyLastUsed", {"AccessKeyId": key_id}) is None
    refused = denied.call("GetAccessKeyLastUsed", {"AccessKeyId": key_id})
    assert refused is not None and refused.response["Error"]["Message"] == (
        f"User: {denied.arn} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: {USER_ARN} "
        "because no identity-based policy allows the iam:GetAccessKeyLastUsed action")


def test_change_password_is_authorized_on_the_calling_user(principals: tuple[Any, Principal, Principal]) -> None:
    iam, allowed, denied = principals
    iam.put_user_policy(UserName=allowed.name, PolicyName="only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": allowed.arn}]}))
    params = {"OldPassword": "Matrix-Pass-1", "NewPassword": "Matrix-Pass-2"}
    assert _code(allowed.call("ChangePassword", params)) == "NoSuchEntity"  # authorized; it has no password
    refused = denied.call("ChangePassword", params)
    assert refused is not None and refused.response["Error"]["Message"] == (
        f"User: {denied.arn} is not authorized to perform: iam:ChangePassword on resource: {denied.arn} "
        "because no identity-based policy allows the iam:ChangePassword action")


def test_instance_credential_operations_refuse_every_other_caller(principals: tuple[Any, Principal, Principal]) -> None:
    iam, allowed, _ = principals
    iam.put_user_policy(UserName=allowed.name, PolicyName="only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    for op in sorted(INSTANCE_SIGNED & {name for _, name in HANDLERS}):
        refused = allowed.call(op, {})
        assert refused is not None and refused.response["Error"]["Message"] == (
            f"User: {allowed.arn} is not authorized to perform: rolegate-instances:{op} because only an instance "
            "credential can call this API"), op


def _registered_instance(server: LiveServer, profile: str) -> str:
    """An instance registered (and so associated) with ``profile`` through rolegate's own instance API."""
    return str(server.client("rolegate-instances").register_instance(InstanceProfileName=profile)["InstanceId"])


def test_ec2_association_operations_are_authorized_on_the_instance(
        server: LiveServer, principals: tuple[Any, Principal, Principal]) -> None:
    iam, allowed, denied = principals
    profile = f"mx-ec2-ip-{RUN}"
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=ROLE)
    instance = _registered_instance(server, profile)
    instance_arn = f"arn:aws:ec2:us-east-1:{ACCT}:instance/{instance}"
    describe = {"Filters": [{"Name": "instance-id", "Values": [instance]}]}

    def association() -> str:
        found = allowed.clients["ec2"].describe_iam_instance_profile_associations(**describe)
        return str(found["IamInstanceProfileAssociations"][0]["AssociationId"])

    # In an order that keeps the instance's association there for the next call: each refused call changes
    # nothing, each allowed one leaves one association.
    steps: list[tuple[str, Any, str, bool]] = [
        ("DescribeIamInstanceProfileAssociations", lambda: describe, "*", False),
        ("DisassociateIamInstanceProfile", lambda: {"AssociationId": association()}, instance_arn, False),
        ("AssociateIamInstanceProfile", lambda: {"InstanceId": instance, "IamInstanceProfile": {"Name": profile}},
         instance_arn, True),
        ("ReplaceIamInstanceProfileAssociation",
         lambda: {"AssociationId": association(), "IamInstanceProfile": {"Name": profile}}, instance_arn, True),
    ]
    failures: list[str] = []
    for op, params, resource, passes_role in steps:
        action = f"ec2:{op}"
        statements = [{"Effect": "Allow", "Action": action, "Resource": resource},
                      # the allowed user finds the association ids it acts on
                      {"Effect": "Allow", "Action": "ec2:DescribeIamInstanceProfileAssociations", "Resource": "*"}]
        if passes_role:  # handing the profile's role to EC2 needs iam:PassRole (EC2 User Guide, "IAM roles")
            statements.append({"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE_ARN})
        iam.put_user_policy(UserName=allowed.name, PolicyName="only",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
        given = params()
        refused = denied.call(op, given)
        head = f"You are not authorized to perform this operation. User: {denied.arn} is not authorized to perform: "
        message = refused.response["Error"]["Message"] if refused is not None else "success"
        if _code(refused) != "UnauthorizedOperation" or not message.startswith(head + action):
            failures.append(f"{op}: caller without policy got {_code(refused)}: {message}")
        elif resource != "*" and not message.startswith(
                f"{head}{action} on resource: {resource} because no identity-based policy allows the {action} "
                "action. Encoded authorization failure message: "):
            failures.append(f"{op}: denial not in EC2's words: {message}")
        got = allowed.call(op, given)
        if got is not None:
            failures.append(f"{op}: allowed caller got {_code(got)}: {got.response['Error']['Message']}")
    assert failures == []
