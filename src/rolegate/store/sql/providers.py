"""The SQL repositories of identity-provider entities: OIDC providers and SAML providers.

Their tags live in ``resource_tags`` keyed by the provider's ARN (providers have no unique id).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, Select, delete, select, update

from rolegate.iam.entities import OidcProviderRecord, SamlPrivateKey, SamlProviderRecord
from rolegate.store import schema as t
from rolegate.store.sealing import Sealer

from .rows import add_tags, count_rows, insert_row, tags_for, utc, utc_or_none, write_tags


class SqlOidcProviders:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, provider: OidcProviderRecord) -> None:
        insert_row(self._c, t.oidc_providers, arn=provider.arn, account_id=provider.account_id, url=provider.url,
                created_at=provider.created_at, **_oidc_values(provider))
        add_tags(self._c, provider.arn, provider.tags)

    def get(self, arn: str) -> OidcProviderRecord | None:
        rows = self._rows(select(t.oidc_providers).where(t.oidc_providers.c.arn == arn))
        return rows[0] if rows else None

    def list_for_account(self, account_id: str) -> list[OidcProviderRecord]:
        c = t.oidc_providers.c
        return self._rows(select(t.oidc_providers).where(c.account_id == account_id).order_by(c.arn))

    def update(self, provider: OidcProviderRecord) -> None:
        self._c.execute(update(t.oidc_providers).where(t.oidc_providers.c.arn == provider.arn)
                        .values(**_oidc_values(provider)))
        write_tags(self._c, provider.arn, provider.tags)

    def delete(self, arn: str) -> None:
        write_tags(self._c, arn, ())
        self._c.execute(delete(t.oidc_providers).where(t.oidc_providers.c.arn == arn))

    def count(self, account_id: str) -> int:
        return count_rows(self._c, t.oidc_providers, "account_id", account_id)

    def _rows(self, query: Select[Any]) -> list[OidcProviderRecord]:
        rows = self._c.execute(query).all()
        tags = tags_for(self._c, [r.arn for r in rows])
        return [OidcProviderRecord(
            account_id=r.account_id, arn=r.arn, url=r.url, created_at=utc(r.created_at),
            client_ids=tuple(json.loads(r.client_ids)), thumbprints=tuple(json.loads(r.thumbprints)),
            tags=tags.get(r.arn, ())) for r in rows]


class SqlSamlProviders:
    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self._c = conn
        self._sealer = sealer

    def create(self, provider: SamlProviderRecord) -> None:
        insert_row(self._c, t.saml_providers, arn=provider.arn, account_id=provider.account_id, name=provider.name,
                created_at=provider.created_at, **self._values(provider))
        add_tags(self._c, provider.arn, provider.tags)

    def get(self, arn: str) -> SamlProviderRecord | None:
        rows = self._rows(select(t.saml_providers).where(t.saml_providers.c.arn == arn))
        return rows[0] if rows else None

    def list_for_account(self, account_id: str) -> list[SamlProviderRecord]:
        c = t.saml_providers.c
        return self._rows(select(t.saml_providers).where(c.account_id == account_id).order_by(c.arn))

    def update(self, provider: SamlProviderRecord) -> None:
        self._c.execute(update(t.saml_providers).where(t.saml_providers.c.arn == provider.arn)
                        .values(**self._values(provider)))
        write_tags(self._c, provider.arn, provider.tags)

    def delete(self, arn: str) -> None:
        write_tags(self._c, arn, ())
        self._c.execute(delete(t.saml_providers).where(t.saml_providers.c.arn == arn))

    def count(self, account_id: str) -> int:
        return count_rows(self._c, t.saml_providers, "account_id", account_id)

    def _rows(self, query: Select[Any]) -> list[SamlProviderRecord]:
        rows = self._c.execute(query).all()
        tags = tags_for(self._c, [r.arn for r in rows])
        return [SamlProviderRecord(
            account_id=r.account_id, arn=r.arn, name=r.name, metadata_document=r.metadata_document,
            created_at=utc(r.created_at), valid_until=utc_or_none(r.valid_until),
            signing_certificates=tuple(json.loads(r.signing_certificates)), tags=tags.get(r.arn, ()),
            assertion_encryption_mode=r.assertion_encryption_mode,
            private_keys=tuple(SamlPrivateKey(k["id"], self._sealer.open(k["sealed"], _KEY_CONTEXT + k["id"]),
                                              utc(dt.datetime.fromisoformat(k["created"])))
                               for k in json.loads(r.private_keys)))
            for r in rows]

    def _values(self, p: SamlProviderRecord) -> dict[str, Any]:
        keys = [{"id": k.key_id, "created": k.created_at.isoformat(),
                 "sealed": self._sealer.seal(k.pem, _KEY_CONTEXT + k.key_id)} for k in p.private_keys]
        return {"metadata_document": p.metadata_document, "valid_until": p.valid_until,
                "signing_certificates": json.dumps(list(p.signing_certificates)),
                "assertion_encryption_mode": p.assertion_encryption_mode, "private_keys": json.dumps(keys)}


def _oidc_values(p: OidcProviderRecord) -> dict[str, Any]:
    return {"client_ids": json.dumps(list(p.client_ids)), "thumbprints": json.dumps(list(p.thumbprints))}


_KEY_CONTEXT = "saml-private-key:"  # binds each sealed key to its id, so rows cannot be swapped
