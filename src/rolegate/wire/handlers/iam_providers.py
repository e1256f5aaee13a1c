"""Identity-provider entity operations (IAM API reference: the OpenIDConnectProvider and SAMLProvider
operations)."""

from __future__ import annotations

from typing import Any

from rolegate.iam.entities import SamlProviderRecord

from .common import tags_in, tags_out, tags_page_out
from .registry import HandlerContext, operation

# --- OpenID Connect ------------------------------------------------------------------------------


@operation("iam", "CreateOpenIDConnectProvider")
def create_open_id_connect_provider(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    provider = ctx.services.providers.create_oidc_provider(
        ctx.request, p["Url"], client_ids=p.get("ClientIDList") or (),
        thumbprints=p.get("ThumbprintList") or (), tags=tags_in(p.get("Tags")))
    out: dict[str, Any] = {"OpenIDConnectProviderArn": provider.arn}
    if provider.tags:
        out["Tags"] = tags_out(provider.tags)
    return out


@operation("iam", "GetOpenIDConnectProvider")
def get_open_id_connect_provider(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    provider = ctx.services.providers.get_oidc_provider(ctx.request, p["OpenIDConnectProviderArn"])
    out: dict[str, Any] = {"Url": provider.url, "ClientIDList": list(provider.client_ids),
                           "ThumbprintList": list(provider.thumbprints), "CreateDate": provider.created_at}
    if provider.tags:
        out["Tags"] = tags_out(provider.tags)
    return out


@operation("iam", "DeleteOpenIDConnectProvider")
def delete_open_id_connect_provider(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.providers.delete_oidc_provider(ctx.request, p["OpenIDConnectProviderArn"])


@operation("iam", "ListOpenIDConnectProviders")
def list_open_id_connect_providers(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    providers = ctx.services.providers.list_oidc_providers(ctx.request)
    return {"OpenIDConnectProviderList": [{"Arn": x.arn} for x in providers]}


@operation("iam", "AddClientIDToOpenIDConnectProvider")
def add_client_id_to_open_id_connect_provider(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.providers.add_client_id(ctx.request, p["OpenIDConnectProviderArn"], p["ClientID"])


@operation("iam", "RemoveClientIDFromOpenIDConnectProvider")
def remove_client_id_from_open_id_connect_provider(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.providers.remove_client_id(ctx.request, p["OpenIDConnectProviderArn"], p["ClientID"])


@operation("iam", "UpdateOpenIDConnectProviderThumbprint")
def update_open_id_connect_provider_thumbprint(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.providers.update_thumbprints(ctx.request, p["OpenIDConnectProviderArn"], p["ThumbprintList"])


@operation("iam", "TagOpenIDConnectProvider")
def tag_open_id_connect_provider(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.providers.tag_oidc_provider(ctx.request, p["OpenIDConnectProviderArn"], tags_in(p["Tags"]))


@operation("iam", "UntagOpenIDConnectProvider")
def untag_open_id_connect_provider(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.providers.untag_oidc_provider(ctx.request, p["OpenIDConnectProviderArn"], p["TagKeys"])


@operation("iam", "ListOpenIDConnectProviderTags")
def list_open_id_connect_provider_tags(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    provider = ctx.services.providers.get_oidc_provider(ctx.request, p["OpenIDConnectProviderArn"])
    return tags_page_out(provider.tags, p)


# --- SAML ----------------------------------------------------------------------------------------


def _valid_until(provider: SamlProviderRecord) -> dict[str, Any]:
    return {"ValidUntil": provider.valid_until} if provider.valid_until else {}


@operation("iam", "CreateSAMLProvider")
def create_saml_provider(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    provider = ctx.services.providers.create_saml_provider(
        ctx.request, p["Name"], p["SAMLMetadataDocument"], tags=tags_in(p.get("Tags")),
        encryption_mode=p.get("AssertionEncryptionMode"), add_private_key=p.get("AddPrivateKey"))
    out: dict[str, Any] = {"SAMLProviderArn": provider.arn}
    if provider.tags:
        out["Tags"] = tags_out(provider.tags)
    return out


@operation("iam", "GetSAMLProvider")
def get_saml_provider(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    provider = ctx.services.providers.get_saml_provider(ctx.request, p["SAMLProviderArn"])
    out: dict[str, Any] = {"SAMLMetadataDocument": provider.metadata_document,
                           "CreateDate": provider.created_at, **_valid_until(provider)}
    if provider.assertion_encryption_mode is not None:
        out["AssertionEncryptionMode"] = provider.assertion_encryption_mode
    if provider.private_keys:
        # KeyId and Timestamp only: the key itself is never returned.
        out["PrivateKeyList"] = [{"KeyId": k.key_id, "Timestamp": k.created_at} for k in provider.private_keys]
    if provider.tags:
        out["Tags"] = tags_out(provider.tags)
    return out


@operation("iam", "UpdateSAMLProvider")
def update_saml_provider(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    provider = ctx.services.providers.update_saml_provider(
        ctx.request, p["SAMLProviderArn"], p.get("SAMLMetadataDocument"),
        encryption_mode=p.get("AssertionEncryptionMode"), add_private_key=p.get("AddPrivateKey"),
        remove_private_key=p.get("RemovePrivateKey"))
    return {"SAMLProviderArn": provider.arn}


@operation("iam", "DeleteSAMLProvider")
def delete_saml_provider(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.providers.delete_saml_provider(ctx.request, p["SAMLProviderArn"])


@operation("iam", "ListSAMLProviders")
def list_saml_providers(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    providers = ctx.services.providers.list_saml_providers(ctx.request)
    return {"SAMLProviderList": [{"Arn": x.arn, "CreateDate": x.created_at, **_valid_until(x)}
                                 for x in providers]}


@operation("iam", "TagSAMLProvider")
def tag_saml_provider(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.providers.tag_saml_provider(ctx.request, p["SAMLProviderArn"], tags_in(p["Tags"]))


@operation("iam", "UntagSAMLProvider")
def untag_saml_provider(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.providers.untag_saml_provider(ctx.request, p["SAMLProviderArn"], p["TagKeys"])


@operation("iam", "ListSAMLProviderTags")
def list_saml_provider_tags(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    provider = ctx.services.providers.get_saml_provider(ctx.request, p["SAMLProviderArn"])
    return tags_page_out(provider.tags, p)
