"""IAM server certificate operations (IAM API reference: UploadServerCertificate … ListServerCertificateTags).
The private key goes in and never comes out."""

from __future__ import annotations

from typing import Any

from rolegate.iam.entities import ServerCertificateRecord

from .common import page_out, tags_in, tags_out
from .registry import HandlerContext, operation


def _metadata(cert: ServerCertificateRecord) -> dict[str, Any]:
    return {"Path": cert.path, "ServerCertificateName": cert.name, "ServerCertificateId": cert.certificate_id,
            "Arn": cert.arn, "UploadDate": cert.uploaded_at, "Expiration": cert.expires_at}


@operation("iam", "UploadServerCertificate")
def upload_server_certificate(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    cert = ctx.services.server_certificates.upload(
        ctx.request, p["ServerCertificateName"], p["CertificateBody"], p["PrivateKey"], path=p.get("Path", "/"),
        chain=p.get("CertificateChain"), tags=tags_in(p.get("Tags")))
    out: dict[str, Any] = {"ServerCertificateMetadata": _metadata(cert)}
    if cert.tags:
        out["Tags"] = tags_out(cert.tags)
    return out


@operation("iam", "GetServerCertificate")
def get_server_certificate(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    cert = ctx.services.server_certificates.get(ctx.request, p["ServerCertificateName"])
    out: dict[str, Any] = {"ServerCertificateMetadata": _metadata(cert), "CertificateBody": cert.body,
                           "Tags": tags_out(cert.tags)}
    if cert.chain:
        out["CertificateChain"] = cert.chain
    return {"ServerCertificate": out}


@operation("iam", "ListServerCertificates")
def list_server_certificates(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.server_certificates.list(ctx.request, path_prefix=p.get("PathPrefix", "/"),
                                                 marker=p.get("Marker"), max_items=p.get("MaxItems"))
    return page_out(page, "ServerCertificateMetadataList", [_metadata(c) for c in page.items])


@operation("iam", "UpdateServerCertificate")
def update_server_certificate(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.server_certificates.update(ctx.request, p["ServerCertificateName"], new_path=p.get("NewPath"),
                                            new_name=p.get("NewServerCertificateName"))


@operation("iam", "DeleteServerCertificate")
def delete_server_certificate(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.server_certificates.delete(ctx.request, p["ServerCertificateName"])


@operation("iam", "TagServerCertificate")
def tag_server_certificate(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.server_certificates.tag(ctx.request, p["ServerCertificateName"], tags_in(p["Tags"]))


@operation("iam", "UntagServerCertificate")
def untag_server_certificate(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.server_certificates.untag(ctx.request, p["ServerCertificateName"], p["TagKeys"])


@operation("iam", "ListServerCertificateTags")
def list_server_certificate_tags(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.server_certificates.list_tags(ctx.request, p["ServerCertificateName"],
                                                      marker=p.get("Marker"), max_items=p.get("MaxItems"))
    return page_out(page, "Tags", tags_out(tuple(page.items)))
