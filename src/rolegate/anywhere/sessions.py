"""CreateSession: a certificate that chains to a trust anchor becomes a role session (IAM Roles Anywhere User
Guide, "Authenticating with IAM Roles Anywhere" and "Trust model"; every check in order, with the test that
pins it, is in docs/spec/roles-anywhere.md).

The request's signature has already been checked against the leaf's key (``rolegate.auth.x509``); this module
decides whether that leaf is trusted and what it may become, in this order:

1. the trust anchor named exists (in the ARN's account, in the signing region);
2. the leaf chains to a CA certificate of that anchor through the intermediates sent, under RFC 5280 as
   ``cryptography``'s X.509 verifier applies it (validity of every certificate, CA basic constraints and key
   usage, signatures SHA-256 or stronger: MD5 and SHA-1 fail), and the leaf itself is an end entity
   (CA:false) with the digitalSignature key usage;
3. no certificate of the path is revoked by the anchor's CRL, when that CRL is enabled;
4. the anchor is enabled; the profile exists and is enabled; the role is one of the profile's roles;
5. ``roleSessionName`` only when the profile accepts it; instance properties when the profile requires them;
6. the role's trust policy allows ``rolesanywhere.amazonaws.com`` sts:AssumeRole, sts:TagSession and
   sts:SetSourceIdentity with aws:SourceArn = the trust anchor, aws:SourceAccount, and the certificate's
   attributes as ``aws:PrincipalTag/x509Subject/…``, ``x509Issuer/…``, ``x509SAN/…`` (the profile's
   attribute mappings), which become the session's tags; the source identity is ``CN=`` the subject's CN.

The subject is recorded as bookkeeping (``rolegate.core.bookkeeping``: queued, written in batches, at most
once a minute per certificate per process): AWS documents subjects' last-seen data as what was seen, not a
transaction of the call, and a write per session would serialize every issuance on the store's fsync.

The session lasts the requested duration (the profile's when none is asked), at most the profile's and the
role's MaxSessionDuration; its session policies are the profile's ``managedPolicyArns`` and
``sessionPolicy``; its name is the leaf's serial in hex unless a ``roleSessionName`` is accepted. The subject
is then recorded (ListSubjects/GetSubject). A refused request changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import threading
import uuid
from collections.abc import Mapping, Sequence

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from rolegate.authz import RequestContext
from rolegate.core.bookkeeping import Bookkeeping
from rolegate.core.stamped_cache import StampedCache
from rolegate.store.invalidation import Stamp
from rolegate.core.arns import parse_arn
from rolegate.core.errors import ClientError
from rolegate.sts.sessions import IssuedSession, StsService

from .certificates import read_ca_bundle
from .crls import read_crl
from .documents import Documents
from .entities import (PROFILE, SUBJECT, TRUST_ANCHOR, AttributeMappings, CrlRecord, ProfileRecord, SeenCredential,
                       SubjectRecord, TrustAnchorRecord)
from .errors import ResourceNotFound, ValidationException
from .ports import AnywhereStore, AnywhereUnitOfWork
from .profiles import SERVICE_PRINCIPAL

__all__ = ["CertificateSession", "SessionRequest", "SessionService", "certificate_tags"]

#: The RDNs Roles Anywhere maps from a subject or issuer (User Guide, "Certificate attribute mapping").
_RDNS = {"CN": NameOID.COMMON_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME, "O": NameOID.ORGANIZATION_NAME,
         "C": NameOID.COUNTRY_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME, "L": NameOID.LOCALITY_NAME}
#: How many certificates and instance-property sets a subject keeps (rolegate's choice: the newest).
_HISTORY = 10
#: A certificate seen again within this long is not written again (the reasoning of RoleLastUsed's interval).
_SEEN_INTERVAL = dt.timedelta(minutes=1)
_SEEN_MAX = 100_000
_SUBJECTS = uuid.UUID("6f0c3c1e-52a4-4f0f-9a43-2a6a0f0d9a51")  # namespace of subject ids


class AccessDeniedException(ClientError):
    code = "AccessDeniedException"
    status = 403


@dataclasses.dataclass(frozen=True, slots=True)
class SessionRequest:
    trust_anchor_arn: str
    profile_arn: str
    role_arn: str
    duration_seconds: int | None = None
    role_session_name: str | None = None
    instance_properties: Mapping[str, str] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class CertificateSession:
    issued: IssuedSession
    role_arn: str
    source_identity: str
    subject_arn: str


@dataclasses.dataclass(frozen=True, slots=True)
class _TrustMaterial:
    anchor: TrustAnchorRecord | None
    store: Store | None  # the anchor's CA certificates, as the verifier takes them
    crls: tuple[x509.CertificateRevocationList, ...]  # the anchor's enabled CRLs
    profile: ProfileRecord | None


class SessionService:
    def __init__(self, store: AnywhereStore, sts: StsService,
                 bookkeeping: Bookkeeping[AnywhereUnitOfWork] | None = None) -> None:
        self._store = store
        self._sts = sts
        self._bookkeeping = bookkeeping
        self._seen: dict[tuple[str, str, int], dt.datetime] = {}
        self._seen_lock = threading.Lock()
        self._material: StampedCache[tuple[str, str, str | None], Stamp, _TrustMaterial] = StampedCache(10_000)
        self._paths: StampedCache[tuple[str, str, x509.Certificate, tuple[x509.Certificate, ...]], Stamp,
                                  tuple[list[x509.Certificate], dt.datetime, dt.datetime]] = StampedCache(50_000)

    def create_session(self, request: RequestContext, leaf: x509.Certificate, chain: Sequence[x509.Certificate],
                       region: str, ask: SessionRequest) -> CertificateSession:
        anchor_account, anchor_id = _named(ask.trust_anchor_arn, TRUST_ANCHOR, region)
        profile_account, profile_id = _named(ask.profile_arn, PROFILE, region)
        material = self._trust_material(request, anchor_account, anchor_id,
                                        profile_id if profile_account == anchor_account else None)
        anchor, profile = material.anchor, material.profile
        # 1. the anchor, 2. the path to it, 3. revocation.
        if anchor is None or anchor.arn != ask.trust_anchor_arn:
            raise ResourceNotFound("Trust anchor not found.")
        assert material.store is not None
        path = self._path(request, anchor_account, anchor_id, material.store, leaf, chain)
        _check_revocation(path, material.crls)
        # 4. enabled resources and the role.
        if not anchor.enabled:
            raise AccessDeniedException("The trust anchor is disabled.")
        if profile is None or profile.arn != ask.profile_arn:
            raise ResourceNotFound("Profile not found.")
        if not profile.enabled:
            raise AccessDeniedException("The profile is disabled.")
        if ask.role_arn not in profile.role_arns:
            raise AccessDeniedException(f"The role {ask.role_arn} is not one of the profile's roles.")
        # 5. what the profile accepts.
        if ask.role_session_name is not None and not profile.accept_role_session_name:
            raise ValidationException("roleSessionName is not accepted by this profile (acceptRoleSessionName).")
        if profile.require_instance_properties and not ask.instance_properties:
            raise ValidationException("This profile requires instance properties.")
        # 6. the role's trust, and the session.
        tags = certificate_tags(leaf, profile.attribute_mappings)
        source_identity = _source_identity(leaf)
        context: dict[str, str | list[str]] = {f"aws:PrincipalTag/{k}": v for k, v in tags}
        context.update({"aws:SourceArn": anchor.arn, "aws:SourceAccount": anchor.account_id})
        duration = min(ask.duration_seconds or profile.duration_seconds, profile.duration_seconds)
        session_name = ask.role_session_name or format(leaf.serial_number, "x")
        issued = self._sts.assume_role_for_certificate(
            request, ask.role_arn, session_name, service_principal=SERVICE_PRINCIPAL, duration_seconds=duration,
            tags=tags, source_identity=source_identity, context=context, policy=profile.session_policy,
            policy_arns=profile.managed_policy_arns)
        subject_arn = self._note_subject(anchor.arn.split(":")[1], anchor.account_id, region, leaf, request.now,
                                         ask.instance_properties or {})
        return CertificateSession(issued, ask.role_arn, source_identity, subject_arn)

    def _trust_material(self, request: RequestContext, account_id: str, anchor_id: str,
                        profile_id: str | None) -> _TrustMaterial:
        """The anchor (its CA certificates parsed), its enabled CRLs (parsed) and the profile, read once and
        kept while the account's invalidation stamp stays the same (every write to them moves it)."""
        def read() -> _TrustMaterial:
            with self._store.read() as tx:
                anchor = tx.trust_anchors.get(account_id, anchor_id)
                docs = Documents(tx.anywhere_documents)
                crls = [read_crl(c.crl_data) for c in docs.by_parent(CrlRecord, account_id, anchor_id) if c.enabled]
                profile = docs.find(ProfileRecord, account_id, profile_id) if profile_id is not None else None
            store = Store(read_ca_bundle(anchor.certificate_data)) if anchor is not None else None
            return _TrustMaterial(anchor, store, tuple(crls), profile)

        return self._material.get_or_build((account_id, anchor_id, profile_id), request.snapshot.stamp(account_id),
                                           read)

    def _path(self, request: RequestContext, account_id: str, anchor_id: str, anchors: Store,
              leaf: x509.Certificate, chain: Sequence[x509.Certificate]) -> list[x509.Certificate]:
        """The verified path of ``leaf``, remembered while the anchor's account stamp holds and now is inside
        every certificate's validity: path validation is a function of the certificates, the anchors and the
        time, so a path once valid stays valid until its earliest notAfter (revocation is checked anew)."""
        # Keyed by the certificates themselves (equal when their DER is: what a fingerprint stands for, without
        # hashing the DER on every call).
        key = (account_id, anchor_id, leaf, tuple(chain))
        stamp = request.snapshot.stamp(account_id)
        found, hit = self._paths.get(key, stamp)
        now = request.now
        if found and hit is not None and hit[1] <= now <= hit[2]:
            return hit[0]
        path = _verified_path(leaf, chain, anchors, now)
        self._paths.put(key, stamp, (path, max(c.not_valid_before_utc for c in path),
                                     min(c.not_valid_after_utc for c in path)))
        return path

    def catch_up(self) -> None:
        """Let queued subject records land before a read shows them (ListSubjects, GetSubject)."""
        if self._bookkeeping is not None:
            self._bookkeeping.catch_up()

    def _note_subject(self, partition: str, account_id: str, region: str, leaf: x509.Certificate,
                      now: dt.datetime, properties: Mapping[str, str]) -> str:
        """The subject's ARN; its record is written now or queued, at most once a minute per certificate
        unless instance properties came with the call."""
        name, subject_id, arn = _subject(partition, account_id, region, leaf)
        key = (account_id, name, leaf.serial_number)
        with self._seen_lock:
            last = self._seen.get(key)
            if last is not None and now - last < _SEEN_INTERVAL and not properties:
                return arn
            if len(self._seen) > _SEEN_MAX:
                self._seen.clear()
            self._seen[key] = now
        seen = SeenCredential(str(leaf.serial_number), leaf.issuer.rfc4514_string(), _pem(leaf), now, False)
        props = dict(properties)

        def record(tx: AnywhereUnitOfWork) -> None:
            _record_subject(tx, account_id, subject_id, arn, name, seen, now, props)

        if self._bookkeeping is not None:
            self._bookkeeping.submit(record)
        else:
            with self._store.write() as tx:
                record(tx)
        return arn


@functools.lru_cache(maxsize=4096)
def _subject(partition: str, account_id: str, region: str, leaf: x509.Certificate) -> tuple[str, str, str]:
    """The subject name, id and ARN of ``leaf`` (pure functions of their arguments, so computed once each).
    The subject's id is derived from what names it, so a queued first record and the ARN returned now agree
    without a read (a rolegate choice: AWS's subject ids are opaque UUIDs too)."""
    name = leaf.subject.rfc4514_string()
    subject_id = str(uuid.uuid5(_SUBJECTS, f"{account_id}/{name}"))
    return name, subject_id, f"arn:{partition}:rolesanywhere:{region}:{account_id}:{SUBJECT}/{subject_id}"


def _record_subject(tx: AnywhereUnitOfWork, account_id: str, subject_id: str, arn: str, name: str,
                    seen: SeenCredential, now: dt.datetime, properties: Mapping[str, str]) -> None:
    docs = Documents(tx.anywhere_documents)
    subject = docs.find(SubjectRecord, account_id, subject_id)
    if subject is None:
        docs.create(SubjectRecord(account_id, subject_id, arn, name, True, now, now, now, (seen,),
                                  ((now, tuple(properties.items()), False),) if properties else ()))
        return
    credentials = [c for c in subject.credentials if c.serial_number != seen.serial_number] + [seen]
    instance = list(subject.instance_properties)
    if properties:
        instance.append((now, tuple(properties.items()), False))
    docs.update(dataclasses.replace(subject, last_seen_at=now, updated_at=now,
                                    credentials=tuple(credentials[-_HISTORY:]),
                                    instance_properties=tuple(instance[-_HISTORY:])))


def _named(arn: str, kind: str, region: str) -> tuple[str, str]:
    """(account, id) of a Roles Anywhere ARN of ``kind`` in ``region``; ResourceNotFound for any other ARN."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "rolesanywhere" or not parsed.resource.startswith(f"{kind}/"):
        raise ValidationException(f"Invalid {kind} ARN: {arn}")
    if parsed.region != region:
        raise ResourceNotFound(f"The {kind} {arn} is not in the region the request is signed for ({region}).")
    return parsed.account, parsed.resource.split("/", 1)[1]


def _verified_path(leaf: x509.Certificate, chain: Sequence[x509.Certificate], anchors: Store,
                   now: dt.datetime) -> list[x509.Certificate]:
    """The path leaf → … → anchor CA, as RFC 5280 path validation finds it; AccessDenied otherwise."""
    verifier = (PolicyBuilder().store(anchors).time(now)
                # CA certificates under the Web PKI profile's rules (CA:true, keyCertSign, strong signatures);
                # the end entity's SAN and EKU rules are the Web's, not Roles Anywhere's: checked below instead.
                .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                                    ee_policy=ExtensionPolicy.permit_all())
                .build_client_verifier())
    try:
        verified = verifier.verify(leaf, list(chain))
    except VerificationError as exc:
        raise AccessDeniedException(f"Untrusted signing certificate: {exc}") from None
    try:
        basic = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        basic = None
    if basic is not None and basic.ca:
        raise AccessDeniedException("Untrusted signing certificate: the signing certificate is a CA certificate.")
    try:
        usage: x509.KeyUsage | None = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not usage.digital_signature:
        raise AccessDeniedException("Untrusted signing certificate: the digitalSignature key usage is required.")
    return list(verified.chain)


def _check_revocation(path: Sequence[x509.Certificate], crls: Sequence[x509.CertificateRevocationList]) -> None:
    for crl in crls:
        for cert in path:
            if cert.issuer == crl.issuer and crl.get_revoked_certificate_by_serial_number(cert.serial_number):
                raise AccessDeniedException("Untrusted signing certificate: the certificate is revoked.")


def _rdn_values(name: x509.Name, specifiers: Sequence[str]) -> list[tuple[str, str]]:
    wanted = list(_RDNS) if "*" in specifiers else [s for s in specifiers if s in _RDNS]
    out = []
    for short in wanted:
        attrs = name.get_attributes_for_oid(_RDNS[short])
        if attrs:
            out.append((short, str(attrs[0].value)))  # the first value of a repeated RDN
    return out


def certificate_tags(leaf: x509.Certificate, mappings: Sequence[tuple[str, tuple[str, ...]]]) -> list[tuple[str, str]]:
    """The session tags a leaf yields under a profile's attribute mappings, as ``(x509Subject/CN, value)``."""
    return list(_certificate_tags(leaf, tuple(mappings)))


@functools.lru_cache(maxsize=4096)
def _certificate_tags(leaf: x509.Certificate, mappings: AttributeMappings) -> tuple[tuple[str, str], ...]:
    """``certificate_tags``, computed once per certificate and mappings (a pure function of both: the names and
    SANs read out of the DER cost ~20 µs a request)."""
    tags: list[tuple[str, str]] = []
    for field, specifiers in mappings:
        if field == "x509Subject":
            tags += [(f"x509Subject/{k}", v) for k, v in _rdn_values(leaf.subject, specifiers)]
        elif field == "x509Issuer":
            tags += [(f"x509Issuer/{k}", v) for k, v in _rdn_values(leaf.issuer, specifiers)]
        elif field == "x509SAN":
            tags += _san_tags(leaf, specifiers)
    return tuple(tags)


def _san_tags(leaf: x509.Certificate, specifiers: Sequence[str]) -> list[tuple[str, str]]:
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    out: list[tuple[str, str]] = []
    every = "*" in specifiers
    dns = san.get_values_for_type(x509.DNSName)
    if (every or "DNS" in specifiers) and dns:
        out.append(("x509SAN/DNS", dns[0]))  # only the first of each type (User Guide)
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    if (every or "URI" in specifiers) and uris:
        out.append(("x509SAN/URI", uris[0]))
    names = san.get_values_for_type(x509.DirectoryName)
    if names:
        rdns = [s.split("/", 1)[1] for s in specifiers if s.startswith("Name/")]
        if every:
            rdns = ["*"]
        out += [(f"x509SAN/Name/{k}", v) for k, v in _rdn_values(names[0], rdns)]
    return out


def _source_identity(leaf: x509.Certificate) -> str:
    cns = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return "CN=" + str(cns[0].value) if cns else leaf.subject.rfc4514_string()


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(Encoding.PEM).decode("ascii")
