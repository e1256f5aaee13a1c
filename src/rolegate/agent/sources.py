"""Where the agent's credentials come from: the ``CredentialSource`` the listeners read (``view``), its two kinds,
and the ``Refresher`` that polls it.

- ``InstanceSource``: a registered instance. On first start it trades the join token for an instance credential
  (``JoinInstance``), kept in ``STATE/instance-credential.json`` (0600, written atomically) and rotated at half
  its lifetime (``RotateInstanceCredential``); every poll asks for the instance's role credentials
  (``GetInstanceRoleCredentials``, signed with the instance credential), so an association replaced or removed is
  seen at the next poll. A refused instance credential (the instance was deregistered) means "serve none".
- ``CertificateSource``: IAM Roles Anywhere. CreateSession with the certificate whenever the credentials held are
  due for renewal (``rolegate.metadata.imds.refresh_at``).

Static stability (reference §1): a poll that fails — server unreachable, a 5xx — changes nothing: the agent keeps
serving what it holds until it expires, logs the failure and counts it. Only an answer from the server (no
association, instance credential refused) withdraws credentials.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import structlog

from rolegate.authz.context import iso
from rolegate.core.clock import Clock
from rolegate.core.redaction import remember
from rolegate.metadata.imds import MetadataView, RoleCredentials, refresh_at

from .metrics import AgentMetrics
from .roles_anywhere import CertificateIdentity, SessionRefused, create_session
from .state import INSTANCE_CREDENTIAL, StateDir

__all__ = ["AgentStartError", "CertificateSource", "CredentialSource", "InstanceSource", "Refresher"]

log = structlog.get_logger("rolegate.agent")

# The agent polls at least this often, so an association change is served within 60 s (issue 13, item 2).
MAX_POLL_SECONDS = 30.0


class AgentStartError(Exception):
    """The agent cannot start; the message is the one line the operator sees."""


class CredentialSource(Protocol):
    """What the listeners serve from. ``view`` is cheap (no I/O); ``refresh`` is one poll of the server."""

    def view(self) -> MetadataView: ...

    def start(self) -> None: ...

    def refresh(self) -> None: ...


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.timezone.utc)


def _parse_time(text: str) -> dt.datetime:
    return _aware(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))


def _same(a: RoleCredentials | None, b: RoleCredentials | None) -> bool:
    return (a is None) == (b is None) and (a is None or b is None or a.access_key_id == b.access_key_id)


class _Held:
    """The view the listeners read, swapped whole under a lock (a reader never sees half an update)."""

    def __init__(self, view: MetadataView) -> None:
        self._lock = threading.Lock()
        self._view = view

    def get(self) -> MetadataView:
        with self._lock:
            return self._view

    def set(self, view: MetadataView) -> None:
        with self._lock:
            self._view = view


class CertificateSource:
    """Role credentials from IAM Roles Anywhere's CreateSession, signed with the host's certificate."""

    def __init__(self, identity: CertificateIdentity, metrics: AgentMetrics, clock: Clock) -> None:
        self._identity = identity
        self._metrics = metrics
        self._clock = clock
        arn = identity.role_arn.split(":", 5)
        self._held = _Held(MetadataView(account_id=arn[4] if len(arn) == 6 else "", region=identity.region,
                                        role_name=identity.role_arn.rsplit("/", 1)[-1], role_arn=identity.role_arn))

    def view(self) -> MetadataView:
        return self._held.get()

    def start(self) -> None:
        try:
            self._fetch()
        except SessionRefused as exc:
            if exc.code is None or exc.code.startswith("5"):  # not an answer about the certificate: retry
                log.warning("roles anywhere unreachable at start; retrying at each poll", error=str(exc))
                return
            raise AgentStartError(f"IAM Roles Anywhere refused the certificate: {exc}") from None

    def refresh(self) -> None:
        creds = self._held.get().credentials
        if creds is None or self._clock.now() >= refresh_at(creds):
            self._fetch()

    def _fetch(self) -> None:
        now = self._clock.now()
        try:
            got = create_session(self._identity, now)
        except SessionRefused:
            self._metrics.call("CreateSession", ok=False)
            raise
        self._metrics.call("CreateSession", ok=True)
        c = got["credentials"]
        remember(c["secretAccessKey"])
        remember(c["sessionToken"])
        creds = RoleCredentials(c["accessKeyId"], c["secretAccessKey"], c["sessionToken"],
                                _parse_time(c["expiration"]), now)
        view = self._held.get()
        self._held.set(MetadataView(account_id=view.account_id, region=view.region, role_name=view.role_name,
                                    role_arn=view.role_arn, credentials=creds))
        log.info("credentials refreshed", source="certificate", role=view.role_name,
                 access_key_id=creds.access_key_id, expiration=iso(creds.expiration),
                 next_refresh=iso(refresh_at(creds)))


def instances_client(endpoint_url: str, region: str, ca_bundle: Path | None,
                     credential: dict[str, str] | None) -> Any:
    """A botocore client of rolegate's own ``rolegate-instances`` model (``rolegate.wire.models.MODEL_DIR``):
    signed with ``credential`` (the instance credential), or unsigned for JoinInstance."""
    import botocore.config
    import botocore.session
    from botocore import UNSIGNED

    from rolegate.wire.models import MODEL_DIR

    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.append(str(MODEL_DIR))
    config = botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5,
                                    read_timeout=10, signature_version=UNSIGNED if credential is None else None)
    keys: dict[str, str] = {}
    if credential is not None:
        keys = {"aws_access_key_id": credential["AccessKeyId"], "aws_secret_access_key": credential["SecretAccessKey"],
                "aws_session_token": credential["SessionToken"]}
    return session.create_client("rolegate-instances", endpoint_url=endpoint_url, region_name=region,
                                 verify=str(ca_bundle) if ca_bundle else None, config=config, **keys)


class InstanceSource:
    """Role credentials of a registered instance's profile, read with the instance credential."""

    def __init__(self, endpoint_url: str, state: StateDir, metrics: AgentMetrics, clock: Clock, *,
                 join_token_file: Path | None, region: str | None, ca_bundle: Path | None = None,
                 client_factory: Callable[..., Any] = instances_client) -> None:
        self._endpoint_url = endpoint_url
        self._state = state
        self._metrics = metrics
        self._clock = clock
        self._join_token_file = join_token_file
        self._region = region
        self._ca_bundle = ca_bundle
        self._client_factory = client_factory
        self._stored: dict[str, Any] = {}
        self._client: Any = None
        self._held = _Held(MetadataView(account_id="", region=region or ""))

    def view(self) -> MetadataView:
        return self._held.get()

    # --- joining -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Reuse the stored instance credential, or join with the token; AgentStartError when neither works."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            stored = self._state.read_json(INSTANCE_CREDENTIAL)
        except ValueError as exc:
            raise AgentStartError(f"cannot read the stored instance credential: {exc}") from None
        if stored is None:
            stored = self._join()
        self._stored = stored
        remember(stored["Credential"]["SecretAccessKey"])
        remember(stored["Credential"]["SessionToken"])
        if self._clock.now() >= _parse_time(stored["Credential"]["Expiration"]):
            raise AgentStartError(
                f"the instance credential in {self._state.path / INSTANCE_CREDENTIAL} expired at "
                f"{stored['Credential']['Expiration']}: register the instance again and start the agent with the "
                "new join token (after removing that file)")
        self._held.set(MetadataView(account_id=stored["AccountId"], region=stored["Region"],
                                    instance_id=stored["InstanceId"], joined_at=_parse_time(stored["JoinedAt"])))
        try:
            self.refresh()
        except (BotoCoreError, ClientError) as exc:
            log.warning("rolegate unreachable at start; retrying at each poll", error=str(exc))

    def _join(self) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        if self._join_token_file is None:
            raise AgentStartError(f"no instance credential in {self._state.path} and no --join-token-file to join with")
        try:
            token = self._join_token_file.read_text().strip()
        except OSError as exc:
            raise AgentStartError(f"cannot read the join token file: {exc.strerror or exc}") from None
        remember(token)
        client = self._client_factory(self._endpoint_url, self._region or "us-east-1", self._ca_bundle, None)
        try:
            out = client.join_instance(JoinToken=token)
        except ClientError as exc:
            self._metrics.call("JoinInstance", ok=False)
            error = exc.response.get("Error", {})
            raise AgentStartError(f"the join token was refused ({error.get('Code')}): {error.get('Message')}") from None
        except BotoCoreError as exc:
            self._metrics.call("JoinInstance", ok=False)
            raise AgentStartError(f"cannot reach rolegate at {self._endpoint_url} to join: {exc}") from None
        self._metrics.call("JoinInstance", ok=True)
        now = self._clock.now()
        stored = {"InstanceId": out["InstanceId"], "AccountId": out["AccountId"],
                  "Region": self._region or out["Region"], "EndpointUrl": self._endpoint_url,
                  "JoinedAt": now.isoformat(), "Credential": self._credential(out["InstanceCredential"], now)}
        self._state.write_json(INSTANCE_CREDENTIAL, stored)
        log.info("instance joined", instance_id=out["InstanceId"], account_id=out["AccountId"])
        return stored

    @staticmethod
    def _credential(got: dict[str, Any], now: dt.datetime) -> dict[str, str]:
        remember(got["SecretAccessKey"])
        remember(got["SessionToken"])
        return {"AccessKeyId": got["AccessKeyId"], "SecretAccessKey": got["SecretAccessKey"],
                "SessionToken": got["SessionToken"], "Expiration": _aware(got["Expiration"]).isoformat(),
                "ObtainedAt": now.isoformat()}

    # --- polling -----------------------------------------------------------------------------------

    def _signed(self) -> Any:
        if self._client is None:
            self._client = self._client_factory(self._endpoint_url, self._stored["Region"], self._ca_bundle,
                                                self._stored["Credential"])
        return self._client

    def refresh(self) -> None:
        """Rotate the instance credential when half its life is gone; then read the role credentials."""
        from botocore.exceptions import ClientError

        operation = "RotateInstanceCredential"
        try:
            self._rotate_if_due()
            operation = "GetInstanceRoleCredentials"
            out = self._signed().get_instance_role_credentials()
        except ClientError as exc:
            self._metrics.call(operation, ok=False)
            code = exc.response.get("Error", {}).get("Code")
            if code in ("InvalidClientTokenId", "ExpiredToken"):
                # The server says this instance's credential is no good (deregistered): nothing to serve.
                self._withdraw(f"instance credential refused ({code}): the instance is deregistered or its "
                               "credential revoked")
                return
            raise
        except Exception:
            self._metrics.call(operation, ok=False)
            raise
        self._metrics.call(operation, ok=True)
        self._serve(out)

    def _rotate_if_due(self) -> None:
        cred = self._stored["Credential"]
        obtained, expires = _parse_time(cred["ObtainedAt"]), _parse_time(cred["Expiration"])
        now = self._clock.now()
        if now < obtained + (expires - obtained) / 2:
            return
        out = self._signed().rotate_instance_credential()
        self._metrics.call("RotateInstanceCredential", ok=True)
        stored = {**self._stored, "Credential": self._credential(out["InstanceCredential"], now)}
        self._state.write_json(INSTANCE_CREDENTIAL, stored)  # on disk before it is used: a restart finds it
        self._stored, self._client = stored, None
        log.info("instance credential rotated", instance_id=stored["InstanceId"],
                 expiration=stored["Credential"]["Expiration"])

    def _serve(self, out: dict[str, Any]) -> None:
        old = self._held.get()
        got = out.get("Credentials")
        now = self._clock.now()
        creds = None
        if got is not None and out.get("RoleName"):
            remember(got["SecretAccessKey"])
            remember(got["SessionToken"])
            last = out.get("LastUpdated")
            creds = RoleCredentials(got["AccessKeyId"], got["SecretAccessKey"], got["SessionToken"],
                                    _aware(got["Expiration"]), _aware(last) if last else now)
        view = MetadataView(account_id=out.get("AccountId") or old.account_id, region=old.region,
                            instance_id=out.get("InstanceId") or old.instance_id, joined_at=old.joined_at,
                            role_name=out.get("RoleName") if creds else None,
                            role_arn=out.get("RoleArn") if creds else None,
                            instance_profile_arn=out.get("InstanceProfileArn"),
                            instance_profile_id=out.get("InstanceProfileId"), credentials=creds,
                            architecture=old.architecture)
        self._held.set(view)
        if not _same(old.credentials, creds) or old.role_name != view.role_name:
            if creds is None:
                log.info("no role credentials to serve", source="instance", instance_id=view.instance_id,
                         reason="the instance has no instance profile association")
            else:
                log.info("credentials refreshed", source="instance", instance_id=view.instance_id,
                         role=view.role_name, access_key_id=creds.access_key_id,
                         expiration=iso(creds.expiration))

    def _withdraw(self, reason: str) -> None:
        old = self._held.get()
        if old.credentials is not None or old.role_name is not None:
            log.warning("no role credentials to serve", source="instance", instance_id=old.instance_id, reason=reason)
        self._held.set(MetadataView(account_id=old.account_id, region=old.region, instance_id=old.instance_id,
                                    joined_at=old.joined_at, architecture=old.architecture))


class Refresher:
    """Polls ``source`` every ``interval`` seconds in a daemon thread until ``stop``. A failed poll is logged
    (one line, no secret) and retried at the next; what the source holds is kept (static stability)."""

    def __init__(self, source: CredentialSource, interval: float = MAX_POLL_SECONDS) -> None:
        self._source = source
        self._interval = min(interval, MAX_POLL_SECONDS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rolegate-agent-refresher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.poll_once()

    def poll_once(self) -> bool:
        """One poll; True when it succeeded."""
        try:
            self._source.refresh()
        except Exception as exc:  # any failure: keep serving what is held, say so once per poll
            view = self._source.view()
            creds = view.credentials
            log.warning("refresh failed; serving the credentials held until they expire",
                        error=f"{type(exc).__name__}: {exc}"[:300],
                        serving_until=iso(creds.expiration) if creds else None)
            return False
        return True
