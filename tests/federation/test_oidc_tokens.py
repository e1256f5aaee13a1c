"""Web identity token verification (rolegate.federation.oidc) and the key cache (rolegate.federation.jwks), each
rule on its own. Keys are made here with joserfc; the fetch is a function returning the documents a provider
would serve, so time, refresh counts and outages can be set exactly. The same rules against a real provider
are pinned by tests/e2e/test_web_identity_boto3.py."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, KeySet, RSAKey

from rolegate.core.clock import FixedClock
from rolegate.core.errors import ExpiredTokenException, InvalidIdentityToken
from rolegate.federation import oidc
from rolegate.federation.jwks import MAX_TTL, MIN_TTL, FetchError, IdpCommunicationError, KeyCache

URL = "idp.example.com/tenant"
ISSUER = f"https://{URL}"
START = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


class Provider:
    """The documents an OpenID provider serves, and how often they were asked for."""

    def __init__(self) -> None:
        self.keys: list[Any] = [RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}),
                                ECKey.generate_key("P-256", parameters={"kid": "ec-1"})]
        self.reachable = True
        self.jwks_fetches = 0
        self.max_age: dt.timedelta | None = None

    def __call__(self, url: str, thumbprints: Sequence[str] = ()) -> tuple[Mapping[str, Any], dt.timedelta | None]:
        if not self.reachable:
            raise FetchError("connection refused")
        if url == f"{ISSUER}/.well-known/openid-configuration":
            return {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"}, None
        assert url == f"{ISSUER}/jwks"
        self.jwks_fetches += 1
        return KeySet(self.keys).as_dict(private=False), self.max_age

    def sign(self, claims: dict[str, Any], *, kid: str = "rsa-1", alg: str = "RS256") -> str:
        key = next(k for k in self.keys if k.kid == kid)
        return jws.serialize_compact({"alg": alg, "kid": kid}, json.dumps(claims).encode(), key, algorithms=[alg])


def claims(**override: Any) -> dict[str, Any]:
    now = int(START.timestamp())
    return {"iss": ISSUER, "sub": "user-1", "aud": "client-a", "iat": now, "exp": now + 300, **override}


@pytest.fixture
def idp() -> Provider:
    return Provider()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def verify(token: str, idp: Provider, clock: FixedClock, cache: KeyCache | None = None) -> oidc.VerifiedToken:
    return oidc.verify(token, provider_url=URL, client_ids=("client-a",),
                       keys=cache or KeyCache(clock, idp), now=clock.now())


def code(token: str, idp: Provider, clock: FixedClock) -> str:
    with pytest.raises(Exception) as exc:
        verify(token, idp, clock)
    return str(getattr(exc.value, "code", type(exc.value).__name__))


# --- the token ----------------------------------------------------------------------------------------


def test_a_well_formed_token_verifies_with_rs256_and_es256(idp: Provider, clock: FixedClock) -> None:
    assert verify(idp.sign(claims()), idp, clock).subject == "user-1"
    assert verify(idp.sign(claims(), kid="ec-1", alg="ES256"), idp, clock).audience == "client-a"


def test_a_key_whose_type_does_not_fit_the_alg_is_never_used(idp: Provider, clock: FixedClock) -> None:
    # An ES256 header naming the RSA key: no key of the right type, so nothing is tried.
    token = idp.sign(claims(), kid="ec-1", alg="ES256")
    _, p, s = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"alg": "ES256", "kid": "rsa-1"}).encode()).rstrip(b"=").decode()
    assert code(f"{forged}.{p}.{s}", idp, clock) == "InvalidIdentityToken"


@pytest.mark.parametrize("alg", ["none", "HS256", "HS512", "EdDSA", None])
def test_only_asymmetric_rsa_and_ec_algorithms_are_accepted(idp: Provider, clock: FixedClock, alg: Any) -> None:
    token = idp.sign(claims())
    _, p, s = token.split(".")
    header = base64.urlsafe_b64encode(json.dumps({"alg": alg, "kid": "rsa-1"}).encode()).rstrip(b"=").decode()
    assert code(f"{header}.{p}.{s}", idp, clock) == "InvalidIdentityToken"


def test_expired_is_expired_token_exception(idp: Provider, clock: FixedClock) -> None:
    token = idp.sign(claims())
    clock.advance(301)
    assert code(token, idp, clock) == "ExpiredTokenException"


def test_exp_is_required(idp: Provider, clock: FixedClock) -> None:
    body = claims()
    del body["exp"]
    assert code(idp.sign(body), idp, clock) == "InvalidIdentityToken"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_not_yet_valid_beyond_the_clock_skew(idp: Provider, clock: FixedClock, claim: str) -> None:
    future = int(START.timestamp()) + int(oidc.CLOCK_SKEW.total_seconds()) + 60
    assert code(idp.sign(claims(**{claim: future, "exp": future + 300})), idp, clock) == "InvalidIdentityToken"
    within = int(START.timestamp()) + 60
    assert verify(idp.sign(claims(**{claim: within})), idp, clock).subject == "user-1"


def test_the_issuer_must_equal_the_provider_url_exactly(idp: Provider, clock: FixedClock) -> None:
    assert code(idp.sign(claims(iss=ISSUER + "/")), idp, clock) == "InvalidIdentityToken"
    assert code(idp.sign(claims(iss=f"http://{URL}")), idp, clock) == "InvalidIdentityToken"


def test_azp_is_the_audience_when_present(idp: Provider, clock: FixedClock) -> None:
    token = verify(idp.sign(claims(aud=["api", "other"], azp="client-a")), idp, clock)
    assert token.audience == "client-a" and token.audiences == ("api", "other")
    assert code(idp.sign(claims(aud="client-a", azp="not-listed")), idp, clock) == "InvalidIdentityToken"


def test_an_audience_not_in_the_client_id_list_is_refused(idp: Provider, clock: FixedClock) -> None:
    assert code(idp.sign(claims(aud="client-b")), idp, clock) == "InvalidIdentityToken"
    body = claims()
    del body["aud"]
    assert code(idp.sign(body), idp, clock) == "InvalidIdentityToken"


def test_tags_and_source_identity_claims_are_read_as_documented() -> None:
    body = {oidc.TAGS_CLAIM: {"principal_tags": {"team": ["ci"]}, "transitive_tag_keys": ["team"]},
            oidc.SOURCE_IDENTITY_CLAIM: "alice"}
    assert oidc.session_tags(body) == ([("team", "ci")], ["team"])
    assert oidc.source_identity(body) == "alice"
    with pytest.raises(InvalidIdentityToken):
        oidc.session_tags({oidc.TAGS_CLAIM: {"principal_tags": {"team": ["a", "b"]}}})


# --- the key cache --------------------------------------------------------------------------------------


def test_a_storm_of_unknown_kids_refreshes_at_most_once_a_minute(idp: Provider, clock: FixedClock) -> None:
    cache = KeyCache(clock, idp)
    verify(idp.sign(claims()), idp, clock, cache)
    assert idp.jwks_fetches == 1
    for i in range(10_000):
        cache.keys(ISSUER, f"unknown-{i}")
        if i % 1000 == 0:
            clock.advance(1)  # ten seconds in all
    assert idp.jwks_fetches == 1  # the keys were fetched less than a minute ago: no request at all
    clock.advance(60)
    for i in range(10_000):
        cache.keys(ISSUER, f"unknown-again-{i}")
    assert idp.jwks_fetches == 2  # a minute later: one refresh for the whole storm


def test_a_new_kid_is_picked_up_by_one_refresh(idp: Provider, clock: FixedClock) -> None:
    cache = KeyCache(clock, idp)
    verify(idp.sign(claims()), idp, clock, cache)
    idp.keys.insert(0, RSAKey.generate_key(2048, parameters={"kid": "rsa-2"}))
    clock.advance(61)
    assert verify(idp.sign(claims(), kid="rsa-2"), idp, clock, cache).subject == "user-1"


def test_cached_keys_outlive_an_outage_until_they_expire(idp: Provider, clock: FixedClock) -> None:
    cache = KeyCache(clock, idp)
    verify(idp.sign(claims()), idp, clock, cache)
    idp.reachable = False
    clock.advance(3000)
    assert verify(idp.sign(claims(iat=int(clock.now().timestamp()),
                                  exp=int(clock.now().timestamp()) + 300)), idp, clock, cache)
    with pytest.raises(IdpCommunicationError):
        cache.keys(ISSUER, "rsa-new")  # an unknown kid while the IdP is down
    clock.advance(700)  # past the default hour
    with pytest.raises(IdpCommunicationError):
        cache.keys(ISSUER, "rsa-1")


def test_the_cache_lifetime_follows_max_age_within_bounds(idp: Provider, clock: FixedClock) -> None:
    idp.max_age = dt.timedelta(seconds=10)  # below the floor: kept MIN_TTL
    cache = KeyCache(clock, idp)
    cache.keys(ISSUER, "rsa-1")
    clock.advance(MIN_TTL.total_seconds() - 1)
    cache.keys(ISSUER, "rsa-1")
    assert idp.jwks_fetches == 1
    clock.advance(2)
    cache.keys(ISSUER, "rsa-1")
    assert idp.jwks_fetches == 2
    idp.max_age = dt.timedelta(days=30)  # above the ceiling: kept MAX_TTL
    clock.advance(MIN_TTL.total_seconds() + 1)
    cache.keys(ISSUER, "rsa-1")
    fetched = idp.jwks_fetches
    clock.advance(MAX_TTL.total_seconds() - 1)
    cache.keys(ISSUER, "rsa-1")
    assert idp.jwks_fetches == fetched


def test_an_unreachable_idp_with_nothing_cached_is_idp_communication_error(idp: Provider, clock: FixedClock) -> None:
    idp.reachable = False
    assert code(idp.sign(claims()), idp, clock) == "IDPCommunicationError"


def test_a_remembered_signature_counts_only_for_the_key_set_that_verified_it(idp: Provider, clock: FixedClock) -> None:
    cache, memo = KeyCache(clock, idp), oidc.SignatureMemo()
    token = idp.sign(claims())
    assert oidc.verify(token, provider_url=URL, client_ids=("client-a",), keys=cache, now=clock.now(), memo=memo)
    # The claims are checked again on every call: the same token, later, is expired.
    later = clock.now() + dt.timedelta(seconds=301)
    with pytest.raises(ExpiredTokenException):
        oidc.verify(token, provider_url=URL, client_ids=("client-a",), keys=cache, now=later, memo=memo)
    # The IdP removes the key; once the cache has refreshed, the remembered signature no longer counts.
    idp.keys = [RSAKey.generate_key(2048, parameters={"kid": "rsa-2"})]
    clock.advance(61)
    cache.keys(ISSUER, "rsa-2")
    with pytest.raises(InvalidIdentityToken):
        oidc.verify(token, provider_url=URL, client_ids=("client-a",), keys=cache, now=clock.now(), memo=memo)


# --- whether a call waits on the IdP (it runs on the event loop when it cannot) ---------------------------


def test_would_fetch_is_true_exactly_when_keys_would_go_to_the_idp(idp: Provider, clock: FixedClock) -> None:
    cache = KeyCache(clock, idp)
    assert cache.would_fetch(ISSUER, "rsa-1")  # nothing cached yet
    verify(idp.sign(claims()), idp, clock, cache)
    fetched = idp.jwks_fetches
    assert not cache.would_fetch(ISSUER, "rsa-1") and not cache.would_fetch(ISSUER, None)
    # An unknown kid inside the refresh interval is refused from memory: no fetch, so no wait.
    assert not cache.would_fetch(ISSUER, "never-issued")
    cache.keys(ISSUER, "never-issued")
    assert idp.jwks_fetches == fetched
    clock.advance(61)
    assert cache.would_fetch(ISSUER, "never-issued")  # a refresh is due: this one would wait
    assert not cache.would_fetch(ISSUER, "rsa-1")
    clock.advance(int(MAX_TTL.total_seconds()))
    assert cache.would_fetch(ISSUER, "rsa-1")  # expired keys are fetched again


def test_the_issuer_and_kid_are_read_unverified_only_from_a_compact_jws(idp: Provider) -> None:
    assert oidc.unverified_issuer_and_kid(idp.sign(claims())) == (ISSUER, "rsa-1")
    assert oidc.unverified_issuer_and_kid("a.b") is None
    assert oidc.unverified_issuer_and_kid("e30.e30.sig") is None  # no iss: refused before any key is needed
