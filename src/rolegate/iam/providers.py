"""Identity-provider entities: IAM OIDC providers and SAML providers — create, read, list, update, delete,
tag (IAM API reference, CreateOpenIDConnectProvider … ListSAMLProviderTags).

These are the entities a trust policy names as a ``Federated`` principal; verifying the tokens they issue
belongs to ``rolegate.federation`` and STS. SAML metadata is parsed here, once, at upload, so the signing
certificates are stored ready for assertion verification.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from rolegate.authz import RequestContext
from rolegate.core.arns import parse_arn
from rolegate.core.errors import EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity
from rolegate.core import ids
from rolegate.federation.saml_encryption import InvalidPrivateKey, load_private_key
from rolegate.federation.saml_metadata import MetadataError, parse_idp_metadata
from rolegate.store.ports import DuplicateKeyError

from .entities import OidcProviderRecord, SamlPrivateKey, SamlProviderRecord
from .limits import DEFAULT_LIMITS, IamLimits
from .ports import HasProviders, ProviderStore
from .tags import check_new_tags, merge_tags, remove_tags

_HEX40 = re.compile(r"[0-9A-Fa-f]{40}")


class ProviderService:
    def __init__(self, store: ProviderStore, limits: IamLimits = DEFAULT_LIMITS) -> None:
        self._store = store
        self._limits = limits

    # --- OpenID Connect ----------------------------------------------------------------------------

    def create_oidc_provider(self, request: RequestContext, url: str, *, client_ids: Sequence[str] = (),
                             thumbprints: Sequence[str] = (),
                             tags: Sequence[tuple[str, str]] = ()) -> OidcProviderRecord:
        stored_url = _oidc_url(url)
        clients = self._checked_client_ids(client_ids)
        prints = self._checked_thumbprints(thumbprints)
        self._check_new_tags(tags, "OpenIdConnectProvider")
        provider = OidcProviderRecord(
            account_id=request.account_id,
            arn=f"arn:{request.partition}:iam::{request.account_id}:oidc-provider/{stored_url}",
            url=stored_url, created_at=request.timestamp, client_ids=clients, thumbprints=prints, tags=tuple(tags))
        with self._store.write() as tx:
            if tx.oidc_providers.get(provider.arn) is not None:
                raise _oidc_exists(url)
            quota = self._limits.oidc_providers_per_account
            if tx.oidc_providers.count(request.account_id) >= quota:
                raise LimitExceeded(f"Cannot exceed quota for OpenIdConnectProvidersPerAccount: {quota}")
            try:
                tx.oidc_providers.create(provider)
            except DuplicateKeyError:
                raise _oidc_exists(url) from None
        return provider

    def get_oidc_provider(self, request: RequestContext, arn: str) -> OidcProviderRecord:
        with self._store.read() as tx:
            return _oidc(tx, request.account_id, arn)

    def list_oidc_providers(self, request: RequestContext) -> list[OidcProviderRecord]:
        with self._store.read() as tx:
            return tx.oidc_providers.list_for_account(request.account_id)

    def delete_oidc_provider(self, request: RequestContext, arn: str) -> None:
        # "This operation is idempotent; it does not fail or return an error if you call the operation for a
        # provider that does not exist." (IAM API reference, DeleteOpenIDConnectProvider)
        _check_arn(arn, "oidc-provider")
        with self._store.write() as tx:
            if tx.oidc_providers.get(arn) is not None:
                tx.oidc_providers.delete(arn)

    def add_client_id(self, request: RequestContext, arn: str, client_id: str) -> None:
        with self._store.write() as tx:
            provider = _oidc(tx, request.account_id, arn)
            if client_id in provider.client_ids:
                return  # AddClientIDToOpenIDConnectProvider is idempotent for an id already present
            clients = self._checked_client_ids([*provider.client_ids, client_id])
            tx.oidc_providers.update(dataclasses.replace(provider, client_ids=clients))

    def remove_client_id(self, request: RequestContext, arn: str, client_id: str) -> None:
        # Idempotent: removing an id that is not registered is not an error (IAM API reference).
        with self._store.write() as tx:
            provider = _oidc(tx, request.account_id, arn)
            clients = tuple(c for c in provider.client_ids if c != client_id)
            if clients != provider.client_ids:
                tx.oidc_providers.update(dataclasses.replace(provider, client_ids=clients))

    def update_thumbprints(self, request: RequestContext, arn: str, thumbprints: Sequence[str]) -> None:
        prints = self._checked_thumbprints(thumbprints)
        with self._store.write() as tx:
            provider = _oidc(tx, request.account_id, arn)
            tx.oidc_providers.update(dataclasses.replace(provider, thumbprints=prints))

    def tag_oidc_provider(self, request: RequestContext, arn: str, tags: Sequence[tuple[str, str]]) -> None:
        with self._store.write() as tx:
            provider = _oidc(tx, request.account_id, arn)
            merged = merge_tags(provider.tags, tags, self._limits.tags_per_resource, "OpenIdConnectProvider")
            tx.oidc_providers.update(dataclasses.replace(provider, tags=merged))

    def untag_oidc_provider(self, request: RequestContext, arn: str, keys: Sequence[str]) -> None:
        with self._store.write() as tx:
            provider = _oidc(tx, request.account_id, arn)
            tx.oidc_providers.update(dataclasses.replace(provider, tags=remove_tags(provider.tags, keys)))

    # --- SAML --------------------------------------------------------------------------------------

    def create_saml_provider(self, request: RequestContext, name: str, metadata_document: str, *,
                             tags: Sequence[tuple[str, str]] = (), encryption_mode: str | None = None,
                             add_private_key: str | None = None) -> SamlProviderRecord:
        self._check_new_tags(tags, "SamlProvider")
        certs, valid_until = self._parsed_metadata(metadata_document, request.now)
        keys = (_new_private_key(add_private_key, request.timestamp),) if add_private_key is not None else ()
        _check_encryption(encryption_mode, keys)
        provider = SamlProviderRecord(
            account_id=request.account_id,
            arn=f"arn:{request.partition}:iam::{request.account_id}:saml-provider/{name}", name=name,
            metadata_document=metadata_document, created_at=request.timestamp, valid_until=valid_until,
            signing_certificates=certs, tags=tuple(tags), assertion_encryption_mode=encryption_mode,
            private_keys=keys)
        with self._store.write() as tx:
            if tx.saml_providers.get(provider.arn) is not None:
                raise _saml_exists(name)
            quota = self._limits.saml_providers_per_account
            if tx.saml_providers.count(request.account_id) >= quota:
                raise LimitExceeded(f"Cannot exceed quota for SAMLProvidersPerAccount: {quota}")
            try:
                tx.saml_providers.create(provider)
            except DuplicateKeyError:
                raise _saml_exists(name) from None
        return provider

    def get_saml_provider(self, request: RequestContext, arn: str) -> SamlProviderRecord:
        with self._store.read() as tx:
            return _saml(tx, request.account_id, arn)

    def list_saml_providers(self, request: RequestContext) -> list[SamlProviderRecord]:
        with self._store.read() as tx:
            return tx.saml_providers.list_for_account(request.account_id)

    def update_saml_provider(self, request: RequestContext, arn: str, metadata_document: str | None, *,
                             encryption_mode: str | None = None, add_private_key: str | None = None,
                             remove_private_key: str | None = None) -> SamlProviderRecord:
        # Messages: IAM User Guide, "Troubleshoot SAML federation with IAM"
        # (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html).
        if metadata_document is None and encryption_mode is None and add_private_key is None \
                and remove_private_key is None:
            raise InvalidInput("Unable to update identity provider. No updates are defined for metadata or "
                               "encryption assertion.")
        if add_private_key is not None and remove_private_key is not None:
            raise InvalidInput("Unable to add and remove private keys in the same request. Set a value for only "
                               "one of the two parameters.")
        parsed = self._parsed_metadata(metadata_document, request.now) if metadata_document is not None else None
        added = _new_private_key(add_private_key, request.timestamp) if add_private_key is not None else None
        with self._store.write() as tx:
            provider = _saml(tx, request.account_id, arn)
            keys = provider.private_keys
            if added is not None:
                if len(keys) >= MAX_PRIVATE_KEYS:
                    raise LimitExceeded(f"Private key limit of {MAX_PRIVATE_KEYS} is reached.")
                keys = (*keys, added)
            if remove_private_key is not None:
                if all(k.key_id != remove_private_key for k in keys):
                    raise InvalidInput("Failed to remove private key because the Key ID does not match a "
                                       "private key.")
                keys = tuple(k for k in keys if k.key_id != remove_private_key)
            mode = encryption_mode if encryption_mode is not None else provider.assertion_encryption_mode
            if mode == "Required" and not keys and remove_private_key is not None:
                # Removing the last key of a provider that requires encryption would refuse every assertion.
                raise InvalidInput("Failed to remove private key.")
            _check_encryption(mode, keys)
            provider = dataclasses.replace(provider, assertion_encryption_mode=mode, private_keys=keys)
            if metadata_document is not None and parsed is not None:
                provider = dataclasses.replace(provider, metadata_document=metadata_document,
                                               signing_certificates=parsed[0], valid_until=parsed[1])
            tx.saml_providers.update(provider)
        return provider

    def delete_saml_provider(self, request: RequestContext, arn: str) -> None:
        with self._store.write() as tx:
            tx.saml_providers.delete(_saml(tx, request.account_id, arn).arn)

    def tag_saml_provider(self, request: RequestContext, arn: str, tags: Sequence[tuple[str, str]]) -> None:
        with self._store.write() as tx:
            provider = _saml(tx, request.account_id, arn)
            merged = merge_tags(provider.tags, tags, self._limits.tags_per_resource, "SamlProvider")
            tx.saml_providers.update(dataclasses.replace(provider, tags=merged))

    def untag_saml_provider(self, request: RequestContext, arn: str, keys: Sequence[str]) -> None:
        with self._store.write() as tx:
            provider = _saml(tx, request.account_id, arn)
            tx.saml_providers.update(dataclasses.replace(provider, tags=remove_tags(provider.tags, keys)))

    # --- shared checks -----------------------------------------------------------------------------

    def _checked_client_ids(self, client_ids: Sequence[str]) -> tuple[str, ...]:
        unique = tuple(dict.fromkeys(client_ids))  # a repeated id is registered once, order kept
        quota = self._limits.client_ids_per_oidc_provider
        # "You cannot register more than 100 client IDs with a single IAM OIDC provider." (CreateOpenIDConnectProvider)
        if len(unique) > quota:
            raise LimitExceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {quota}")
        return unique

    def _checked_thumbprints(self, thumbprints: Sequence[str]) -> tuple[str, ...]:
        # Thumbprints are optional since AWS secures well-known IdPs through its CA library; when given,
        # each is the hex SHA-1 of a certificate (40 characters), at most five (CreateOpenIDConnectProvider).
        quota = self._limits.thumbprints_per_oidc_provider
        if len(thumbprints) > quota:
            raise LimitExceeded(f"Thumbprint list must contain fewer than {quota + 1} entries.")
        for t in thumbprints:
            if not _HEX40.fullmatch(t):
                raise InvalidInput(f"Thumbprint {t} is not a 40-character hexadecimal string.")
        return tuple(dict.fromkeys(t.lower() for t in thumbprints))

    def _check_new_tags(self, tags: Sequence[tuple[str, str]], kind: str) -> None:
        check_new_tags(tags)
        if len(tags) > self._limits.tags_per_resource:
            raise LimitExceeded(f"Cannot exceed quota for TagsPer{kind}: {self._limits.tags_per_resource}.")

    def _parsed_metadata(self, document: str, now: dt.datetime) -> tuple[tuple[str, ...], dt.datetime | None]:
        try:
            meta = parse_idp_metadata(document)
        except MetadataError as exc:
            raise InvalidInput(str(exc)) from None
        if meta.valid_until is not None and meta.valid_until <= now:
            raise InvalidInput("Invalid SAML metadata document: its validUntil is in the past.")
        return meta.signing_certificates, meta.valid_until



MAX_PRIVATE_KEYS = 2  # "Private key limit of 2 is reached" (IAM User Guide, "Troubleshoot SAML federation")


def _new_private_key(pem: str, now: dt.datetime) -> SamlPrivateKey:
    try:
        load_private_key(pem)
    except InvalidPrivateKey:
        raise InvalidInput("Invalid private key.") from None
    return SamlPrivateKey(ids.new_saml_private_key_id(), pem, now)


def _check_encryption(mode: str | None, keys: Sequence[SamlPrivateKey]) -> None:
    if mode == "Required" and not keys:
        raise InvalidInput("Unable to set assertion encryption mode to Required because no private key is "
                           "provided.")


def _oidc_url(url: str) -> str:
    """The URL as IAM stores it (without ``https://``), after the documented rules: it must begin with
    https://, may have a path, but no query string and no port (CreateOpenIDConnectProvider, Url)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput(f"Invalid Open ID Connect Provider URL: {url}") from None
    if not url.startswith("https://") or not parts.hostname:
        raise InvalidInput(f"Invalid Open ID Connect Provider URL: {url}. The URL must begin with https://")
    if port is not None or parts.query or parts.fragment or "?" in url or "#" in url or "@" in parts.netloc:
        raise InvalidInput(f"Invalid Open ID Connect Provider URL: {url}. The URL must not contain a port, "
                           f"query string, fragment or user information.")
    return url[len("https://"):]


def _check_arn(arn: str, kind: str) -> None:
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "iam" or not parsed.resource.startswith(f"{kind}/") \
            or len(parsed.resource) == len(kind) + 1:
        raise InvalidInput(f"ARN {arn} is not valid.")


def _oidc(tx: HasProviders, account_id: str, arn: str) -> OidcProviderRecord:
    _check_arn(arn, "oidc-provider")
    provider = tx.oidc_providers.get(arn)
    if provider is None or provider.account_id != account_id:
        raise NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")
    return provider


def _saml(tx: HasProviders, account_id: str, arn: str) -> SamlProviderRecord:
    _check_arn(arn, "saml-provider")
    provider = tx.saml_providers.get(arn)
    if provider is None or provider.account_id != account_id:
        raise NoSuchEntity(f"SAMLProvider {arn} not found")
    return provider


def _oidc_exists(url: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"Provider with url {url} already exists.")


def _saml_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"SAMLProvider {name} already exists")
