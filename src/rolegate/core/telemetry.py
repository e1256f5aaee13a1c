"""What the layers below the server measure — cache lookups, store latency, credentials issued, the audit
trail's writes — as calls into one installed sink; nothing is recorded until the server installs one.

The metrics themselves (names, labels, buckets, the Prometheus registry) belong to ``rolegate.obs.metrics``,
which the domains, the policy engine and the store may not import (pyproject ``[tool.importlinter]``): they
call the functions here instead, and the composition root installs ``obs.metrics``'s sink when metrics are
on (``metrics_address``). While none is installed every call is a no-op method call (~0.1 µs).

Label values are fixed here, never taken from a request, so no caller can grow the number of series:
a cache is one of the names below, a channel one of ``CHANNELS``, a store phase one of ``STORE_PHASES``.

The audit trail records with one line each::

    telemetry.audit_write_seconds(seconds)   # one durable write (fsync included) of one or more events
    telemetry.audit_backlog(events)          # events accepted but not yet durable, now (this worker)

Stdlib only: every layer may record.
"""

from __future__ import annotations

from typing import Protocol

__all__ = [
    "CACHES", "CHANNELS", "RESERVED_CHANNELS", "STORE_PHASES", "Sink", "audit_backlog", "audit_write_seconds",
    "cache_lookup", "credentials_issued", "install", "store_seconds", "uninstall",
]

# --- caches (rolegate_cache_lookups_total{cache}) ----------------------------------------------------------
EFFECTIVE_POLICIES = "effective_policies"  # iam.effective_policies: policies, facts, keys with owners, roles
AUTHORIZATION_REQUESTS = "authorization_requests"  # authz: the request template of (caller, operation)
AUTHORIZATION_DECISIONS = "authorization_decisions"  # authz: recent decisions
COMPILED_POLICIES = "compiled_policies"  # policy.compiled: documents parsed and compiled, by content
SIGNING_KEYS = "signing_keys"  # auth.sigv4: derived SigV4 signing keys
ASSUMED_ROLES = "assumed_roles"  # sts: roles AssumeRole and its variants read
FEDERATION_PROVIDERS = "federation_providers"  # sts: OIDC and SAML providers the federation variants read
CACHES = (EFFECTIVE_POLICIES, AUTHORIZATION_REQUESTS, AUTHORIZATION_DECISIONS, COMPILED_POLICIES, SIGNING_KEYS,
          ASSUMED_ROLES, FEDERATION_PROVIDERS)

# --- credential channels (rolegate_credentials_issued_total{channel}) --------------------------------------
# The STS operation that issued a session, by its AWS name. Channels that are not STS operations use the
# names after them: Roles Anywhere's CreateSession is "RolesAnywhere", the instance-metadata and container
# credential endpoints (the node agent) are "InstanceMetadata" and "ContainerCredentials".
ASSUME_ROLE = "AssumeRole"
ASSUME_ROLE_WITH_WEB_IDENTITY = "AssumeRoleWithWebIdentity"
ASSUME_ROLE_WITH_SAML = "AssumeRoleWithSAML"
GET_SESSION_TOKEN = "GetSessionToken"
GET_FEDERATION_TOKEN = "GetFederationToken"
ROLES_ANYWHERE = "RolesAnywhere"
INSTANCE_METADATA = "InstanceMetadata"
CONTAINER_CREDENTIALS = "ContainerCredentials"
CHANNELS = (ASSUME_ROLE, ASSUME_ROLE_WITH_WEB_IDENTITY, ASSUME_ROLE_WITH_SAML, GET_SESSION_TOKEN,
            GET_FEDERATION_TOKEN, ROLES_ANYWHERE, INSTANCE_METADATA, CONTAINER_CREDENTIALS)
#: Reserved for the channels later issues build: no producer records them yet.
RESERVED_CHANNELS = (ROLES_ANYWHERE, CONTAINER_CREDENTIALS)

# --- store phases (rolegate_store_duration_seconds{phase}) -------------------------------------------------
READ = "read"  # a read transaction, begin to end
WRITE = "write"  # a unit of work, waiting for the write lock and the commit included
COMMIT = "commit"  # the commit alone (with group commit: one per group, the fsync)
STORE_PHASES = (READ, WRITE, COMMIT)


class Sink(Protocol):
    def cache_lookup(self, cache: str, hit: bool) -> None: ...

    def store_seconds(self, phase: str, seconds: float) -> None: ...

    def credentials_issued(self, channel: str) -> None: ...

    def audit_write_seconds(self, seconds: float) -> None: ...

    def audit_backlog(self, events: int) -> None: ...


class _Off:
    """Metrics off: every record is dropped."""

    def cache_lookup(self, cache: str, hit: bool) -> None:
        pass

    def store_seconds(self, phase: str, seconds: float) -> None:
        pass

    def credentials_issued(self, channel: str) -> None:
        pass

    def audit_write_seconds(self, seconds: float) -> None:
        pass

    def audit_backlog(self, events: int) -> None:
        pass


_OFF = _Off()
_sink: Sink = _OFF


def install(sink: Sink) -> None:
    """Record into ``sink`` from now on, in this process (the server, when metrics are on)."""
    global _sink
    _sink = sink


def uninstall() -> None:
    global _sink
    _sink = _OFF


def cache_lookup(cache: str, hit: bool) -> None:
    _sink.cache_lookup(cache, hit)


def store_seconds(phase: str, seconds: float) -> None:
    _sink.store_seconds(phase, seconds)


def credentials_issued(channel: str) -> None:
    _sink.credentials_issued(channel)


def audit_write_seconds(seconds: float) -> None:
    _sink.audit_write_seconds(seconds)


def audit_backlog(events: int) -> None:
    _sink.audit_backlog(events)
