"""The dispatch table: every served operation by (service, operation), with its handler and auth type.

Built once from the service catalog and the handler registry. Whether an operation needs a signature
comes from its model, as botocore reads it: ``"authtype": "none"`` or ``"auth": ["smithy.api#noAuth"]``
marks an operation AWS serves unsigned (STS ``AssumeRoleWithWebIdentity``, ``AssumeRoleWithSAML``);
``"auth": ["rolegate#x509"]`` (rolegate's own models) one signed with a certificate's key instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from botocore.model import OperationModel

from .handlers import HANDLERS, Handler, OperationKey
from .models import OperationRef, ServiceCatalog

__all__ = ["X509_AUTH", "DispatchTable", "Operation", "is_unsigned", "is_x509_signed"]

_NO_AUTH = "smithy.api#noAuth"
#: rolegate's own auth trait (wire/data models): the request is signed with an X.509 certificate's key
#: (IAM Roles Anywhere CreateSession; ``rolegate.auth.x509``), not with an access key.
X509_AUTH = "rolegate#x509"
# Reads that run in a thread so they don't hold up the event loop: those that walk a whole account, and those
# that show last use, which first wait for its queued writes (``rolegate.core.bookkeeping``).
_HEAVY_READS = frozenset({("iam", "GetAccountAuthorizationDetails"), ("iam", "GetRole"),
                          ("iam", "GetAccessKeyLastUsed"), ("iam", "GetCredentialReport"),
                          ("rolesanywhere", "ListSubjects"), ("rolesanywhere", "GetSubject")})


# Operations AWS serves unsigned although the pinned model lists SigV4 for them: STS accepts either (an
# identity provider's token is the proof), and botocore's own web-identity credential provider calls
# unsigned (STS API reference, AssumeRoleWithWebIdentity: "Calling AssumeRoleWithWebIdentity does not
# require the use of AWS security credentials").
_SERVED_UNSIGNED = frozenset({("sts", "AssumeRoleWithWebIdentity")})


def is_x509_signed(op: OperationModel) -> bool:
    return X509_AUTH in (op.auth or ())


def is_unsigned(op: OperationModel) -> bool:
    """True when the model says the operation takes no signature, or AWS serves it unsigned regardless."""
    service = op.service_model.endpoint_prefix
    return op.auth_type == "none" or _NO_AUTH in (op.auth or ()) or (service, op.name) in _SERVED_UNSIGNED


@dataclass(frozen=True, slots=True)
class Operation:
    """One entry of the table: what the endpoint needs to serve an operation."""

    ref: OperationRef
    handler: Handler
    signature_required: bool
    #: Run on the event loop rather than a worker thread (see ``Endpoint.runs_inline``).
    runs_inline: bool
    #: Signed with a certificate's key instead of an access key (``rolegate.auth.x509``).
    x509_signed: bool = False

    @property
    def service(self) -> str:
        return self.ref.service_name

    @property
    def name(self) -> str:
        return self.ref.name


# STS operations that wait for more than CPU, and so run in a thread: AssumeRoleWithWebIdentity may fetch an
# identity provider's keys (seconds, at worst, against an unreachable IdP), which must not stall the loop;
# AssumeRoleWithSAML writes its replay record and waits for the disk (in a thread, such writers share a commit).
_STS_IN_THREAD = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})


def _runs_inline(ref: OperationRef) -> bool:
    # Reads (Get…, List…, EC2's Describe…) take tens of microseconds of CPU: a thread costs more than they do.
    # Other STS calls write only bookkeeping (queued, not waited for) and MFA replay state (``Endpoint.runs_inline``
    # sends those to a thread).
    # CreateSession likewise: its subject record is queued bookkeeping, and it reads only cached trust material.
    return (ref.service_name == "sts" and ref.name not in _STS_IN_THREAD) or \
        (ref.service_name, ref.name) == ("rolesanywhere-sessions", "CreateSession") or (
        ref.name.startswith(("Get", "List", "Describe")) and (ref.service_name, ref.name) not in _HEAVY_READS)


class DispatchTable:
    """The operations a catalog models and the registry implements, by (service, operation).

    Handlers of services the catalog does not serve are left out (a test's catalog may serve one toy
    service); a handler naming an operation its service's model lacks is a programming error.
    """

    def __init__(self, catalog: ServiceCatalog, handlers: Mapping[OperationKey, Handler] = HANDLERS) -> None:
        self._ops: dict[OperationKey, Operation] = {}
        for (service, name), handler in handlers.items():
            if service not in catalog.services:
                continue
            ref = catalog.lookup(service, name)
            if ref is None:
                raise ValueError(f"handler for {service}:{name}, which the {service} model does not have")
            x509_signed = is_x509_signed(ref.operation)
            self._ops[(service, name)] = Operation(ref, handler, not is_unsigned(ref.operation) and not x509_signed,
                                                   _runs_inline(ref), x509_signed)

    def get(self, ref: OperationRef) -> Operation | None:
        """The entry of a resolved operation, or ``None`` when it is modelled but not implemented."""
        return self._ops.get((ref.service_name, ref.name))

    def __contains__(self, key: object) -> bool:
        return key in self._ops

    def keys(self) -> list[OperationKey]:
        return list(self._ops)
