"""The instance metadata rules: IMDSv2 session tokens, the TTL a token PUT may ask for, which paths exist and what
they answer, the documents' exact form, and when the agent renews what it serves
(docs/reference/workload-credential-protocols.md §1)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from rolegate.metadata.imds import (BadTokenRequest, MetadataView, RoleCredentials, SessionTokens, answer,
                                    credential_document, host_architecture, identity_document, parse_ttl, refresh_at)

NOW = dt.datetime(2026, 11, 28, 0, 57, 58, tzinfo=dt.timezone.utc)
CREDS = RoleCredentials("ASIAEXAMPLEKEY000001", "secret/value+example", "session-token-value",
                        NOW + dt.timedelta(hours=6), NOW)
INSTANCE = MetadataView(account_id="123456789012", region="eu-west-1", instance_id="i-0123456789abcdef0",
                        joined_at=NOW - dt.timedelta(days=1), role_name="web", role_arn="arn:aws:iam::123456789012:role/web",
                        instance_profile_arn="arn:aws:iam::123456789012:instance-profile/web",
                        instance_profile_id="AIPAEXAMPLEPROFILEID", credentials=CREDS, architecture="x86_64")


# --- session tokens --------------------------------------------------------------------------------

def test_a_token_is_valid_until_its_ttl_has_passed() -> None:
    tokens = SessionTokens()
    token = tokens.issue(NOW, 60)
    assert tokens.valid(token, NOW + dt.timedelta(seconds=59))
    assert not tokens.valid(token, NOW + dt.timedelta(seconds=60))


def test_a_token_from_another_key_or_altered_is_refused() -> None:
    token = SessionTokens().issue(NOW, 600)
    assert not SessionTokens().valid(token, NOW)
    mine = SessionTokens(b"k" * 32)
    good = mine.issue(NOW, 600)
    flipped = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    assert mine.valid(good, NOW) and not mine.valid(flipped, NOW)


@pytest.mark.parametrize("garbage", ["", "x", "!!!!", "A" * 200, "a.b.c"])
def test_garbage_is_not_a_token(garbage: str) -> None:
    assert not SessionTokens().valid(garbage, NOW)


def test_tokens_are_opaque_and_unique() -> None:
    tokens = SessionTokens()
    assert tokens.issue(NOW, 60) != tokens.issue(NOW, 60)


@pytest.mark.parametrize("value,ttl", [("1", 1), ("21600", 21600), (" 300 ", 300)])
def test_the_ttl_may_be_one_second_to_six_hours(value: str, ttl: int) -> None:
    assert parse_ttl(value) == ttl


@pytest.mark.parametrize("value", [None, "", "0", "21601", "-5", "1.5", "sixty"])
def test_a_missing_or_out_of_range_ttl_is_a_bad_request(value: str | None) -> None:
    with pytest.raises(BadTokenRequest):
        parse_ttl(value)


# --- paths -----------------------------------------------------------------------------------------

def test_the_role_name_is_the_whole_body_without_a_newline() -> None:
    for path in ("/latest/meta-data/iam/security-credentials/", "/latest/meta-data/iam/security-credentials"):
        got = answer(path, INSTANCE, NOW)
        assert (got.status, got.body, got.content_type) == (200, "web", "text/plain")


def test_the_credential_document_is_imds_own_format() -> None:
    got = answer("/latest/meta-data/iam/security-credentials/web", INSTANCE, NOW)
    assert got.status == 200
    assert got.body == (
        '{\n  "Code" : "Success",\n  "LastUpdated" : "2026-11-28T00:57:58Z",\n  "Type" : "AWS-HMAC",\n'
        '  "AccessKeyId" : "ASIAEXAMPLEKEY000001",\n  "SecretAccessKey" : "secret/value+example",\n'
        '  "Token" : "session-token-value",\n  "Expiration" : "2026-11-28T06:57:58Z"\n}')


def test_the_extended_document_adds_the_account_id_and_the_legacy_one_does_not() -> None:
    extended = json.loads(answer("/latest/meta-data/iam/security-credentials-extended/web/", INSTANCE, NOW).body)
    legacy = json.loads(answer("/latest/meta-data/iam/security-credentials/web/", INSTANCE, NOW).body)
    assert extended["AccountId"] == "123456789012" and "AccountId" not in legacy
    assert {k: v for k, v in extended.items() if k != "AccountId"} == legacy


def test_timestamps_have_exactly_the_form_botocore_parses() -> None:
    doc = json.loads(credential_document(CREDS))
    for field in ("LastUpdated", "Expiration"):
        dt.datetime.strptime(doc[field], "%Y-%m-%dT%H:%M:%SZ")


def test_another_role_name_is_not_found() -> None:
    assert answer("/latest/meta-data/iam/security-credentials/other", INSTANCE, NOW).status == 404


def test_without_an_association_the_credential_paths_are_not_found() -> None:
    bare = MetadataView(account_id="123456789012", region="eu-west-1", instance_id="i-0123456789abcdef0")
    for path in ("/latest/meta-data/iam/security-credentials/", "/latest/meta-data/iam/security-credentials/web",
                 "/latest/meta-data/iam/security-credentials-extended/", "/latest/meta-data/iam/info"):
        assert answer(path, bare, NOW).status == 404, path
    assert answer("/latest/meta-data/instance-id", bare, NOW).body == "i-0123456789abcdef0"


def test_expired_credentials_are_never_served() -> None:
    later = CREDS.expiration
    assert answer("/latest/meta-data/iam/security-credentials/web", INSTANCE, later).status == 404
    assert answer("/latest/meta-data/iam/security-credentials/", INSTANCE, later).status == 404


def test_iam_info_names_the_instance_profile() -> None:
    info = json.loads(answer("/latest/meta-data/iam/info", INSTANCE, NOW).body)
    assert info == {"Code": "Success", "LastUpdated": "2026-11-28T00:57:58Z",
                    "InstanceProfileArn": "arn:aws:iam::123456789012:instance-profile/web",
                    "InstanceProfileId": "AIPAEXAMPLEPROFILEID"}


def test_placement_gives_the_region_and_a_zone_the_region_is_derived_from() -> None:
    assert answer("/latest/meta-data/placement/region", INSTANCE, NOW).body == "eu-west-1"
    zone = answer("/latest/meta-data/placement/availability-zone/", INSTANCE, NOW).body
    assert zone[:-1] == "eu-west-1"  # botocore's IMDSRegionProvider strips the last character


def test_the_identity_document_has_ec2s_fields() -> None:
    doc = json.loads(answer("/latest/dynamic/instance-identity/document", INSTANCE, NOW).body)
    assert set(doc) == {"accountId", "architecture", "availabilityZone", "billingProducts", "devpayProductCodes",
                        "marketplaceProductCodes", "imageId", "instanceId", "instanceType", "kernelId",
                        "pendingTime", "privateIp", "ramdiskId", "region", "version"}
    assert (doc["accountId"], doc["instanceId"], doc["region"], doc["version"]) == (
        "123456789012", "i-0123456789abcdef0", "eu-west-1", "2017-09-30")
    assert doc["pendingTime"] == "2026-11-27T00:57:58Z"


def test_the_signature_is_of_the_document_served() -> None:
    seen: list[str] = []

    def sign(document: str) -> str:
        seen.append(document)
        return "c2lnbmVk"

    got = answer("/latest/dynamic/instance-identity/signature", INSTANCE, NOW, sign)
    assert got.body == "c2lnbmVk" and seen == [identity_document(INSTANCE)]
    assert answer("/latest/dynamic/instance-identity/signature", INSTANCE, NOW).status == 404  # no signer


def test_a_host_outside_the_platform_has_credentials_but_no_instance() -> None:
    host = MetadataView(account_id="123456789012", region="us-east-1", role_name="ra", credentials=CREDS)
    assert answer("/latest/meta-data/iam/security-credentials/ra", host, NOW).status == 200
    for path in ("/latest/meta-data/instance-id", "/latest/dynamic/instance-identity/document",
                 "/latest/meta-data/placement/region", "/latest/meta-data/iam/info"):
        assert answer(path, host, NOW).status == 404, path


@pytest.mark.parametrize("path", ["/latest/user-data", "/latest/meta-data/ami-id", "/2009-04-04/meta-data/",
                                  "/latest/meta-data/iam/other", "/latest/dynamic/fws/instance-monitoring"])
def test_unknown_paths_are_not_found(path: str) -> None:
    assert answer(path, INSTANCE, NOW).status == 404


def test_listings_name_one_entry_per_line_with_directories_ending_in_a_slash() -> None:
    assert answer("/latest/meta-data/", INSTANCE, NOW).body == "iam/\ninstance-id\nplacement/"
    assert answer("/latest/meta-data/iam/", INSTANCE, NOW).body == "info\nsecurity-credentials/"
    assert answer("/latest/dynamic/instance-identity/", INSTANCE, NOW, lambda d: "s").body == "document\nsignature"


def test_architectures_use_ec2s_names() -> None:
    assert [host_architecture(m) for m in ("x86_64", "AMD64", "aarch64", "i686")] == ["x86_64", "x86_64", "arm64",
                                                                                      "i386"]


# --- renewal ---------------------------------------------------------------------------------------

def _creds(lifetime: dt.timedelta) -> RoleCredentials:
    return RoleCredentials("ASIA", "s", "t", NOW + lifetime, NOW)


def test_hours_long_credentials_are_renewed_at_half_their_life() -> None:
    assert refresh_at(_creds(dt.timedelta(hours=6))) == NOW + dt.timedelta(hours=3)
    assert refresh_at(_creds(dt.timedelta(hours=1))) == NOW + dt.timedelta(minutes=30)


def test_credentials_under_40_minutes_are_renewed_20_minutes_before_expiry() -> None:
    assert refresh_at(_creds(dt.timedelta(minutes=35))) == NOW + dt.timedelta(minutes=15)


def test_short_sessions_are_renewed_after_a_quarter_of_their_life_not_in_a_loop() -> None:
    assert refresh_at(_creds(dt.timedelta(minutes=15))) == NOW + dt.timedelta(seconds=225)
