"""IAM SSH public key, signing certificate and service-specific credential operations (IAM API reference:
UploadSSHPublicKey … DeleteServiceSpecificCredential).

Signing certificate and service-specific credential operations whose UserName is optional act on the calling
user. A service password is returned only by Create and Reset; listings never carry it.
"""

from __future__ import annotations

from typing import Any

from rolegate.iam.entities import SigningCertificateRecord, SshPublicKeyRecord, UserRecord
from rolegate.iam.user_credentials import OwnedCredential

from .common import implicit_user_name, page_out
from .registry import HandlerContext, operation


def _ssh_metadata(key: SshPublicKeyRecord, user: UserRecord) -> dict[str, Any]:
    return {"UserName": user.name, "SSHPublicKeyId": key.key_id, "Status": key.status,
            "UploadDate": key.uploaded_at}


def _ssh_key_out(key: SshPublicKeyRecord, user: UserRecord, body: str) -> dict[str, Any]:
    return {**_ssh_metadata(key, user), "Fingerprint": key.fingerprint, "SSHPublicKeyBody": body}


@operation("iam", "UploadSSHPublicKey")
def upload_ssh_public_key(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    owned = ctx.services.user_credentials.upload_ssh_public_key(ctx.request, p["UserName"], p["SSHPublicKeyBody"])
    return {"SSHPublicKey": _ssh_key_out(owned.key, owned.user, owned.key.body)}


@operation("iam", "GetSSHPublicKey")
def get_ssh_public_key(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    owned, body = ctx.services.user_credentials.get_ssh_public_key(ctx.request, p["UserName"], p["SSHPublicKeyId"],
                                                                   p["Encoding"])
    return {"SSHPublicKey": _ssh_key_out(owned.key, owned.user, body)}


@operation("iam", "ListSSHPublicKeys")
def list_ssh_public_keys(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    name = implicit_user_name(ctx, p.get("UserName"))
    if name is None:  # the root user holds no SSH keys
        return {"SSHPublicKeys": [], "IsTruncated": False}
    user, page = ctx.services.user_credentials.list_ssh_public_keys(ctx.request, name, marker=p.get("Marker"),
                                                                    max_items=p.get("MaxItems"))
    return page_out(page, "SSHPublicKeys", [_ssh_metadata(k, user) for k in page.items])


@operation("iam", "UpdateSSHPublicKey")
def update_ssh_public_key(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.user_credentials.update_ssh_public_key(ctx.request, p["UserName"], p["SSHPublicKeyId"], p["Status"])


@operation("iam", "DeleteSSHPublicKey")
def delete_ssh_public_key(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.user_credentials.delete_ssh_public_key(ctx.request, p["UserName"], p["SSHPublicKeyId"])


def _signing_out(cert: SigningCertificateRecord, user: UserRecord | None) -> dict[str, Any]:
    # A root user's certificate has no user name to show; the shape requires one, so it is the empty string.
    return {"UserName": user.name if user else "", "CertificateId": cert.certificate_id,
            "CertificateBody": cert.body, "Status": cert.status, "UploadDate": cert.uploaded_at}


@operation("iam", "UploadSigningCertificate")
def upload_signing_certificate(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    user, cert = ctx.services.user_credentials.upload_signing_certificate(
        ctx.request, implicit_user_name(ctx, p.get("UserName")), p["CertificateBody"])
    return {"Certificate": _signing_out(cert, user)}


@operation("iam", "ListSigningCertificates")
def list_signing_certificates(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    user, page = ctx.services.user_credentials.list_signing_certificates(
        ctx.request, implicit_user_name(ctx, p.get("UserName")), marker=p.get("Marker"), max_items=p.get("MaxItems"))
    return page_out(page, "Certificates", [_signing_out(c, user) for c in page.items])


@operation("iam", "UpdateSigningCertificate")
def update_signing_certificate(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.user_credentials.update_signing_certificate(
        ctx.request, implicit_user_name(ctx, p.get("UserName")), p["CertificateId"], p["Status"])


@operation("iam", "DeleteSigningCertificate")
def delete_signing_certificate(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.user_credentials.delete_signing_certificate(
        ctx.request, implicit_user_name(ctx, p.get("UserName")), p["CertificateId"])


def _credential_metadata(owned: OwnedCredential) -> dict[str, Any]:
    c = owned.credential
    return {"UserName": owned.user.name, "Status": c.status, "ServiceUserName": c.service_user_name,
            "CreateDate": c.created_at, "ServiceSpecificCredentialId": c.credential_id, "ServiceName": c.service_name}


def _credential_with_password(owned: OwnedCredential) -> dict[str, Any]:
    return {"ServiceSpecificCredential": {**_credential_metadata(owned),
                                          "ServicePassword": owned.credential.password}}


@operation("iam", "CreateServiceSpecificCredential")
def create_service_specific_credential(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _credential_with_password(ctx.services.user_credentials.create_service_specific_credential(
        ctx.request, p["UserName"], p["ServiceName"]))


@operation("iam", "ResetServiceSpecificCredential")
def reset_service_specific_credential(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _credential_with_password(ctx.services.user_credentials.reset_service_specific_credential(
        ctx.request, implicit_user_name(ctx, p.get("UserName")), p["ServiceSpecificCredentialId"]))


@operation("iam", "ListServiceSpecificCredentials")
def list_service_specific_credentials(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    all_users = bool(p.get("AllUsers"))
    name = None if all_users else implicit_user_name(ctx, p.get("UserName"))
    if name is None and not all_users:  # the root user holds none
        return {"ServiceSpecificCredentials": [], "IsTruncated": False}
    page = ctx.services.user_credentials.list_service_specific_credentials(
        ctx.request, name, service_name=p.get("ServiceName"), all_users=all_users, marker=p.get("Marker"),
        max_items=p.get("MaxItems"))
    return page_out(page, "ServiceSpecificCredentials", [_credential_metadata(o) for o in page.items])


@operation("iam", "UpdateServiceSpecificCredential")
def update_service_specific_credential(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.user_credentials.update_service_specific_credential(
        ctx.request, implicit_user_name(ctx, p.get("UserName")), p["ServiceSpecificCredentialId"], p["Status"])


@operation("iam", "DeleteServiceSpecificCredential")
def delete_service_specific_credential(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.user_credentials.delete_service_specific_credential(
        ctx.request, implicit_user_name(ctx, p.get("UserName")), p["ServiceSpecificCredentialId"])
