"""Building the running system from settings: the store, the domain services and the first account.

``prepare`` runs once per server (before any worker starts): it migrates the database and makes sure
the default account and its root credentials exist. ``open_runtime`` runs in every worker.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from rolegate.analysis.simulation import SimulationService
from rolegate.audit.lookup import EventHistory
from rolegate.auth.partitions import partition_ids
from rolegate.authz import Authorizer, RequestContext
from rolegate.core.arns import DEFAULT_PARTITION
from rolegate.core.clock import Clock, SystemClock
from rolegate.iam.accounts import AccountService
from rolegate.iam.aws_managed import aws_policy_arn
from rolegate.iam.instance_profiles import InstanceProfileService
from rolegate.federation.jwks import HttpsFetcher, KeyCache
from rolegate.iam.entities import OidcProviderRecord
from rolegate.iam.providers import ProviderService
from rolegate.iam.roles import RoleService
from rolegate.iam.service_linked_roles import ServiceLinkedRoleService
from rolegate.iam.access_keys import AccessKeyService
from rolegate.iam.groups import GroupService
from rolegate.iam.users import UserService
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.account_views import AccountViewService
from rolegate.iam.account_settings import AccountSettingsService
from rolegate.iam.credential_report import CredentialReportService
from rolegate.iam.login_profiles import LoginProfileService
from rolegate.iam.effective_policies import EffectivePolicies
from rolegate.iam.last_accessed import ServiceAccessRecorder, ServiceLastAccessedService
from rolegate.iam.server_certificates import ServerCertificateService
from rolegate.anywhere.crls import CrlService
from rolegate.anywhere.profiles import ProfileService
from rolegate.anywhere.sessions import SessionService
from rolegate.anywhere.subjects import SubjectService
from rolegate.anywhere.tagging import TaggingService
from rolegate.anywhere.trust_anchors import TrustAnchorService
from rolegate.iam.user_credentials import UserCredentialService
from rolegate.metadata.instances import InstanceService
from rolegate.iam.entities import UserRecord
from rolegate.iam.policy_lookup import find_managed_policy
from rolegate.sts.keyring import KeyRing
from rolegate.sts.messages import AuthorizationMessages
from rolegate.sts.mfa import MfaService
from rolegate.sts.saml import SamlChecks
from rolegate.sts.sessions import StsService, WebIdentity
from rolegate.sts.tokens import SessionCodec
from rolegate.core.bookkeeping import Bookkeeping
from sqlalchemy import Engine

from rolegate.store.engine import create_store_engine, migrate, startup_lock
from rolegate.store.sealing import Sealer, load_or_create_master_key
from rolegate.store.sql import SqlStore
from rolegate.wire.handlers import Services

from .config import Settings

CREDENTIALS_FILE = "root-credentials"
PROFILE = "rolegate"

#: The actors rolegate's own work is done as (``RequestContext.internal``): what audit records for it.
BOOTSTRAP = "rolegate-bootstrap"
CLI = "rolegate-cli"
DEV_RESET = "rolegate-dev-reset"
DEV_MODE = "rolegate-dev-mode"
# --dev: the IAM user unknown access keys act as, an administrator like a developer's own credentials.
DEV_USER_NAME = "rolegate-dev"
DEV_USER_PATH = "/rolegate/"
ADMINISTRATOR_ACCESS = "AdministratorAccess"  # AWS managed, in the default account's partition


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    store: SqlStore
    services: Services
    clock: Clock
    effective: EffectivePolicies  # what authentication and authorization read, cached in this worker
    authorizer: Authorizer
    service_access: ServiceAccessRecorder  # this worker's batch of service last accessed data
    bookkeeping: Bookkeeping[Any]  # last-used writes, batched off the request path (closed before the store)

    def internal_request(self, actor: str, account_id: str | None = None) -> RequestContext:
        """A context for work ``actor`` does without an API caller, at the clock's time now, in the partition
        of ``account_id`` (read from the store, so what the work builds carries the account's ARNs)."""
        account = self.services.accounts.get_account(account_id) if account_id is not None else None
        return RequestContext.internal(actor, account_id, self.clock.now(), self.authorizer.snapshot(),
                                       partition=account.partition if account is not None else DEFAULT_PARTITION)


@dataclass(frozen=True, slots=True)
class Bootstrap:
    account_id: str
    access_key_id: str
    credentials_file: Path | None  # None when the root key came from the environment
    created: bool


def store_engine(settings: Settings) -> Engine:
    """The engine of the configured store, with the pool and timeout settings that apply to it."""
    return create_store_engine(settings.sqlite_url, pool_size=settings.database_pool_size,
                               statement_timeout_ms=settings.database_statement_timeout_ms)


def open_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    make_data_dir(settings.data_dir)
    sealer = Sealer(load_or_create_master_key(settings.data_dir, settings.master_key))
    store = SqlStore(store_engine(settings), sealer)
    effective = EffectivePolicies(store)
    authorizer = Authorizer(effective, clock, store.invalidation)
    service_access = ServiceAccessRecorder(store, clock)
    # One background writer per process for last-used bookkeeping: no request waits for its writes.
    bookkeeping: Bookkeeping[Any] = Bookkeeping(store.write)
    sts = sts_services(store, clock, authorizer, settings, bookkeeping)
    anywhere_sessions = SessionService(store, sts["sts"], bookkeeping)
    services = Services(accounts=AccountService(store, partition_ids()), roles=RoleService(store, bookkeeping=bookkeeping),
                        users=UserService(store), groups=GroupService(store),
                        access_keys=AccessKeyService(store, clock, bookkeeping=bookkeeping),
                        instance_profiles=InstanceProfileService(store),
                        service_linked_roles=ServiceLinkedRoleService(store),
                        providers=ProviderService(store),
                        policies=ManagedPolicyService(store),
                        account_views=AccountViewService(store, bookkeeping=bookkeeping), simulation=SimulationService(store),
                        login_profiles=LoginProfileService(store),
                        account_settings=AccountSettingsService(store),
                        credential_reports=CredentialReportService(store, bookkeeping=bookkeeping),
                        user_credentials=UserCredentialService(store),
                        server_certificates=ServerCertificateService(store),
                        trust_anchors=TrustAnchorService(store), anywhere_profiles=ProfileService(store, authorizer),
                        crls=CrlService(store), subjects=SubjectService(store, anywhere_sessions.catch_up),
                        anywhere_tags=TaggingService(store),
                        last_accessed=ServiceLastAccessedService(store, service_access),
                        anywhere_sessions=anywhere_sessions,
                        instances=InstanceService(store, sts["sts"], authorizer, role_session=dt.timedelta(
                            seconds=settings.instance_role_session_seconds)),
                        event_history=EventHistory(store, clock, retention_days=settings.audit_retention_days), **sts)
    return Runtime(settings, store, services, clock, effective, authorizer, service_access, bookkeeping)


class StsServices(TypedDict):
    """The STS services ``Services`` takes, built together because they share the key ring."""

    sts: StsService
    mfa: MfaService
    authorization_messages: AuthorizationMessages


def web_identity(settings: Settings, store: SqlStore, clock: Clock) -> WebIdentity:
    """OIDC providers read from the store, their keys fetched with the federation trust settings."""

    def provider(arn: str) -> OidcProviderRecord | None:
        with store.read() as tx:
            return tx.oidc_providers.get(arn)

    bundle = str(settings.federation_ca_bundle) if settings.federation_ca_bundle else None
    fetch = HttpsFetcher(bundle, allow_http=settings.dev)
    refresh = dt.timedelta(seconds=settings.federation_jwks_refresh_seconds)
    return WebIdentity(provider, KeyCache(clock, fetch, refresh_interval=refresh))


def sts_services(store: SqlStore, clock: Clock, authorizer: Authorizer,
                 settings: Settings | None = None, bookkeeping: Bookkeeping[Any] | None = None) -> StsServices:
    """The STS side: one key ring per process (cached), the token codec over it, MFA, session issuance."""
    ring = KeyRing(store, clock)
    mfa = MfaService(store)

    def policy_exists(account_id: str, arn: str) -> bool:
        with store.read() as tx:
            account = tx.accounts.get(account_id)
            return find_managed_policy(tx, account_id, arn,
                                       account.partition if account else DEFAULT_PARTITION) is not None

    saml = SamlChecks(settings.saml_recipients, settings.saml_audiences) if settings is not None else None
    federation = web_identity(settings, store, clock) if settings is not None else None
    return {"sts": StsService(store, clock, SessionCodec(ring, clock), mfa, policy_exists=policy_exists,
                              authorizer=authorizer, saml=saml, web_identity=federation,
                              bookkeeping=bookkeeping),
            "mfa": mfa, "authorization_messages": AuthorizationMessages(ring)}


def prepare(settings: Settings, clock: Clock | None = None) -> Bootstrap:
    """Migrate the store and make sure the default account exists with a root access key."""
    make_data_dir(settings.data_dir)
    engine = store_engine(settings)
    try:
        migrate(engine)
        # Nodes of one PostgreSQL starting together would each find no default account and create it: the
        # bootstrap runs one node at a time, and each after the first finds what the first made.
        with startup_lock(engine):
            runtime = open_runtime(settings, clock)
            try:
                boot = ensure_default_account(runtime)
                ensure_session_key(runtime)
                if settings.dev:
                    ensure_dev_user(runtime)
                return boot
            finally:
                runtime.store.close()
    finally:
        engine.dispose()


def ensure_session_key(runtime: Runtime) -> None:
    """The session key ring's first key, created before any request needs it: else the first AssumeRole would
    write it, on the event loop, waiting for the write lock (issue 10, item 4)."""
    KeyRing(runtime.store, runtime.clock).primary()


def ensure_default_account(runtime: Runtime) -> Bootstrap:
    s = runtime.settings
    accounts = runtime.services.accounts
    creds_path = s.data_dir.resolve() / CREDENTIALS_FILE
    existing = accounts.get_account(s.default_account_id)
    if existing is not None:
        if existing.partition != s.default_account_partition:
            # An account cannot move between partitions (docs/adr/0022-partitions.md): say so, change nothing.
            raise SystemExit(f"The default account {existing.account_id} lives in partition {existing.partition}; "
                             f"ROLEGATE_DEFAULT_ACCOUNT_PARTITION says {s.default_account_partition}.")
        if s.root_access_key_id:
            if accounts.access_key(s.root_access_key_id) is None:
                raise SystemExit("ROLEGATE_ROOT_ACCESS_KEY_ID names a key this data directory does not hold; "
                                 "the default account already has other root credentials.")
            return Bootstrap(existing.account_id, s.root_access_key_id, None, False)
        keys = accounts.root_keys(existing.account_id)
        return Bootstrap(existing.account_id, keys[0].access_key_id if keys else "",
                         creds_path if creds_path.exists() else None, False)
    new = accounts.create_account(runtime.internal_request(BOOTSTRAP), s.default_account_name,
                                  s.default_account_id, root_access_key_id=s.root_access_key_id,
                                  root_secret_access_key=s.root_secret_access_key,
                                  partition=s.default_account_partition)
    if s.root_access_key_id:
        return Bootstrap(new.account.account_id, new.root_key.access_key_id, None, True)
    write_credentials_file(creds_path, new.root_key.access_key_id, new.root_key.secret_access_key)
    return Bootstrap(new.account.account_id, new.root_key.access_key_id, creds_path, True)


def ensure_dev_user(runtime: Runtime) -> None:
    """``--dev``: the default account's administrator IAM user that unknown access keys act as.

    Created if missing, with AWS's ``AdministratorAccess`` attached (again, if someone detached it), at every
    start and after every ``/_rolegate/reset``; ``Authenticator`` reads it per request (``find_dev_user``).
    """
    s = runtime.settings
    request = runtime.internal_request(DEV_MODE, s.default_account_id)
    if find_dev_user(runtime) is None:
        runtime.services.users.create_user(request, DEV_USER_NAME, path=DEV_USER_PATH)
    runtime.services.policies.attach(request, "User", DEV_USER_NAME,
                                     aws_policy_arn(ADMINISTRATOR_ACCESS, s.default_account_partition))


def find_dev_user(runtime: Runtime) -> UserRecord | None:
    with runtime.store.read() as tx:
        return tx.users.get_by_name(runtime.settings.default_account_id, DEV_USER_NAME)


def make_data_dir(path: Path) -> None:
    """The data directory, created readable by its owner only (0700): it holds the store, the master key and
    the root credentials. An existing directory is left as the operator set it."""
    if not path.exists():
        path.mkdir(mode=0o700, parents=True)
        path.chmod(0o700)  # mkdir's mode is masked by the umask


def write_credentials_file(path: Path, key_id: str, secret: str) -> None:
    """Write the root credentials once, readable by the owner only, in the AWS shared-credentials format."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"[{PROFILE}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
