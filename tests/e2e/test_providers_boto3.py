"""OIDC and SAML provider entities through boto3 against a live server."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.federation.saml_fixtures import BILLION_LAUGHS, idp_metadata, self_signed_certificate_b64, xxe_document
from tests.live import ROOT_KEY_ID, ROOT_SECRET, LiveServer

PRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
ACCOUNT = "123456789012"


@pytest.fixture
def unchecked_iam(server: LiveServer):  # type: ignore[no-untyped-def]
    """A client that sends what it is given, so the server's own model checks are what answers."""
    return boto3.session.Session().client(
        "iam", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id=ROOT_KEY_ID,
        aws_secret_access_key=ROOT_SECRET,
        config=botocore.config.Config(retries={"max_attempts": 1}, parameter_validation=False))


def host() -> str:
    return f"idp-{uuid.uuid4().hex[:10]}.example.com"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"]), str(r["Error"]["Message"])


def missing_oidc_arn() -> str:
    return f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host()}"


def new_oidc(iam: Any, **kw: Any) -> tuple[str, str]:
    h = host()
    arn = iam.create_open_id_connect_provider(Url=f"https://{h}/tenant", **kw)["OpenIDConnectProviderArn"]
    return arn, h


# --- OpenID Connect ------------------------------------------------------------------------------


def test_create_and_get_oidc_provider(iam: Any) -> None:
    h = host()
    out = iam.create_open_id_connect_provider(Url=f"https://{h}/tenant", ClientIDList=["app-1", "app-2"],
                                              ThumbprintList=[PRINT], Tags=[{"Key": "k", "Value": "v"}])
    arn = out["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{h}/tenant"
    assert out["Tags"] == [{"Key": "k", "Value": "v"}]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == f"{h}/tenant" and got["ClientIDList"] == ["app-1", "app-2"]
    assert got["ThumbprintList"] == [PRINT] and got["Tags"] == [{"Key": "k", "Value": "v"}]
    assert got["CreateDate"].tzinfo is not None


def test_thumbprints_are_optional(iam: Any) -> None:
    arn, _ = new_oidc(iam)
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == []


@pytest.mark.parametrize("url", ["http://{h}", "https://{h}:8443", "https://{h}/?q=1", "{h}"])
def test_urls_outside_the_documented_form_are_invalid_input(iam: Any, url: str) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=url.format(h=host()))
    assert error(exc)[:2] == ("InvalidInput", 400)


def test_the_same_url_twice_is_entity_already_exists(iam: Any) -> None:
    h = host()
    iam.create_open_id_connect_provider(Url=f"https://{h}")
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=f"https://{h}")
    assert error(exc)[:2] == ("EntityAlreadyExists", 409)


def test_too_many_thumbprints_or_client_ids_are_limit_exceeded(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=f"https://{host()}", ThumbprintList=[f"{i}" * 40 for i in range(6)])
    assert error(exc)[:2] == ("LimitExceeded", 409)
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=f"https://{host()}", ClientIDList=[str(i) for i in range(101)])
    assert error(exc)[:2] == ("LimitExceeded", 409)


def test_a_thumbprint_that_is_not_hex_is_invalid_input(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=f"https://{host()}", ThumbprintList=["z" * 40])
    assert error(exc)[:2] == ("InvalidInput", 400)


def test_a_thumbprint_of_the_wrong_length_is_a_validation_error(unchecked_iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        unchecked_iam.create_open_id_connect_provider(Url=f"https://{host()}", ThumbprintList=["ab" * 10])
    assert error(exc)[0] == "ValidationError"


def test_list_oidc_providers_shows_the_arns(iam: Any) -> None:
    arn, _ = new_oidc(iam)
    arns = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert arn in arns


def test_client_ids_add_idempotently_and_remove(iam: Any) -> None:
    arn, _ = new_oidc(iam, ClientIDList=["a"])
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["a", "b"]
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="absent")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["b"]


def test_update_thumbprints_replaces_the_list(iam: Any) -> None:
    arn, _ = new_oidc(iam, ThumbprintList=[PRINT])
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["a" * 40])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == ["a" * 40]


def test_operations_on_a_missing_oidc_provider_are_no_such_entity(iam: Any) -> None:
    arn = missing_oidc_arn()
    calls = [
        lambda: iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn),
        lambda: iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a"),
        lambda: iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a"),
        lambda: iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                               ThumbprintList=[PRINT]),
        lambda: iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "a", "Value": "b"}]),
        lambda: iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["a"]),
        lambda: iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        code, status, message = error(exc)
        assert (code, status) == ("NoSuchEntity", 404)
        assert message == f"OpenIDConnect Provider not found for arn {arn}"


def test_a_malformed_provider_arn_is_invalid_input(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=f"arn:aws:iam::{ACCOUNT}:role/NotAProvider")
    assert error(exc)[:2] == ("InvalidInput", 400)


def test_delete_oidc_provider_is_idempotent(iam: Any) -> None:
    arn, _ = new_oidc(iam)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)  # documented: no error
    with pytest.raises(ClientError) as exc:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_oidc_tags_tag_untag_and_list_with_paging(iam: Any) -> None:
    arn, _ = new_oidc(iam, Tags=[{"Key": "A", "Value": "1"}])
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "a", "Value": "2"},
                                                                        {"Key": "b", "Value": "3"}])
    first = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, MaxItems=1)
    assert first["Tags"] == [{"Key": "a", "Value": "2"}] and first["IsTruncated"] is True
    rest = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, Marker=first["Marker"])
    assert rest["Tags"] == [{"Key": "b", "Value": "3"}]
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["B"])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "a", "Value": "2"}]


def test_oidc_reserved_tag_key_is_invalid_input(iam: Any) -> None:
    arn, _ = new_oidc(iam)
    with pytest.raises(ClientError) as exc:
        iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert error(exc)[:2] == ("InvalidInput", 400)


# --- SAML ----------------------------------------------------------------------------------------


def saml_name() -> str:
    return f"idp-{uuid.uuid4().hex[:10]}"


def test_create_and_get_saml_provider(iam: Any) -> None:
    name, doc = saml_name(), idp_metadata(self_signed_certificate_b64(), valid_until="2090-01-02T03:04:05Z")
    out = iam.create_saml_provider(Name=name, SAMLMetadataDocument=doc, Tags=[{"Key": "k", "Value": "v"}])
    arn = out["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/{name}" and out["Tags"] == [{"Key": "k", "Value": "v"}]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == doc and got["Tags"] == [{"Key": "k", "Value": "v"}]
    assert got["ValidUntil"].isoformat() == "2090-01-02T03:04:05+00:00"
    assert got["CreateDate"].tzinfo is not None


@pytest.mark.parametrize("document", [BILLION_LAUGHS, xxe_document(), "not xml at all " * 80,
                                      idp_metadata(use="encryption"), idp_metadata("QUJDRA==")],
                         ids=["billion-laughs", "xxe", "not-xml", "no-signing-key", "not-a-certificate"])
def test_bad_saml_metadata_is_invalid_input(iam: Any, document: str) -> None:
    name = saml_name()
    with pytest.raises(ClientError) as exc:
        iam.create_saml_provider(Name=name, SAMLMetadataDocument=document)
    code, status, message = error(exc)
    assert (code, status) == ("InvalidInput", 400) and message.startswith("Invalid SAML metadata document")
    arns = [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
    assert f"arn:aws:iam::{ACCOUNT}:saml-provider/{name}" not in arns


def test_metadata_shorter_than_1000_characters_is_a_validation_error(unchecked_iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        unchecked_iam.create_saml_provider(Name=saml_name(), SAMLMetadataDocument="<x/>")
    assert error(exc)[0] == "ValidationError"


def test_the_same_saml_name_twice_is_entity_already_exists(iam: Any) -> None:
    name = saml_name()
    iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp_metadata())
    with pytest.raises(ClientError) as exc:
        iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp_metadata())
    assert error(exc)[:2] == ("EntityAlreadyExists", 409)


def test_list_saml_providers_shows_arn_dates(iam: Any) -> None:
    name = saml_name()
    arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp_metadata())["SAMLProviderArn"]
    [entry] = [p for p in iam.list_saml_providers()["SAMLProviderList"] if p["Arn"] == arn]
    assert entry["ValidUntil"].year == 2099 and entry["CreateDate"].tzinfo is not None


def test_update_saml_provider_replaces_the_metadata_and_refuses_bad_metadata(iam: Any) -> None:
    arn = iam.create_saml_provider(Name=saml_name(), SAMLMetadataDocument=idp_metadata())["SAMLProviderArn"]
    new_doc = idp_metadata(self_signed_certificate_b64("rotated"), valid_until="2095-05-05T00:00:00Z")
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=new_doc)["SAMLProviderArn"] == arn
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == new_doc
    with pytest.raises(ClientError) as exc:
        iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=BILLION_LAUGHS)
    assert error(exc)[:2] == ("InvalidInput", 400)
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == new_doc


def test_delete_saml_provider_then_operations_are_no_such_entity(iam: Any) -> None:
    arn = iam.create_saml_provider(Name=saml_name(), SAMLMetadataDocument=idp_metadata())["SAMLProviderArn"]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    calls = [
        lambda: iam.get_saml_provider(SAMLProviderArn=arn),
        lambda: iam.delete_saml_provider(SAMLProviderArn=arn),
        lambda: iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=idp_metadata()),
        lambda: iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "a", "Value": "b"}]),
        lambda: iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["a"]),
        lambda: iam.list_saml_provider_tags(SAMLProviderArn=arn),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_saml_tags_tag_untag_and_list(iam: Any) -> None:
    arn = iam.create_saml_provider(Name=saml_name(), SAMLMetadataDocument=idp_metadata())["SAMLProviderArn"]
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["a"])
    out = iam.list_saml_provider_tags(SAMLProviderArn=arn)
    assert out["Tags"] == [{"Key": "b", "Value": "2"}] and out["IsTruncated"] is False
    with pytest.raises(ClientError) as exc:
        iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error(exc)[:2] == ("LimitExceeded", 409)
