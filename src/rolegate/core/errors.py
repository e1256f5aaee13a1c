"""AWS errors as domain values: each carries the wire ``Code``, the HTTP status and the fault side.

Domain code raises these; only the wire layer turns them into XML or JSON. Codes and statuses follow
the IAM and STS API references ("Common Errors", and each operation's "Errors" section).
"""

from __future__ import annotations


class AwsError(Exception):
    """An error AWS would answer with: ``code`` is the wire ``<Code>``, ``status`` the HTTP status."""

    code: str = "InternalFailure"
    status: int = 500
    sender_fault: bool = False

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status}, message={self.message!r})"


class ClientError(AwsError):
    """A 4xx caused by the request (``<Type>Sender</Type>``)."""

    code = "InvalidInput"
    status = 400
    sender_fault = True


# --- Common errors (all AWS query APIs) -------------------------------------------------------


class ValidationError(ClientError):
    code = "ValidationError"


class InvalidAction(ClientError):
    code = "InvalidAction"


class InvalidParameterValue(ClientError):
    code = "InvalidParameterValue"


class MissingAction(ClientError):
    code = "MissingAction"


class MalformedQueryString(ClientError):
    code = "MalformedQueryString"
    status = 404


class RequestEntityTooLarge(ClientError):
    code = "RequestEntityTooLarge"
    status = 413


class MissingAuthenticationToken(ClientError):
    code = "MissingAuthenticationToken"
    status = 403


class IncompleteSignature(ClientError):
    code = "IncompleteSignature"


class InvalidClientTokenId(ClientError):
    code = "InvalidClientTokenId"
    status = 403


class SignatureDoesNotMatch(ClientError):
    code = "SignatureDoesNotMatch"
    status = 403


class RequestExpired(ClientError):
    code = "RequestExpired"


class ExpiredToken(ClientError):
    code = "ExpiredToken"
    status = 403


class InvalidIdentityToken(ClientError):
    """A web identity token or SAML assertion STS will not accept (STS API reference, AssumeRoleWithSAML and
    AssumeRoleWithWebIdentity, Errors)."""

    code = "InvalidIdentityToken"


class ExpiredTokenException(ClientError):
    """A web identity token or SAML assertion past its expiry (STS API reference, Errors)."""

    code = "ExpiredTokenException"


class IdpRejectedClaim(ClientError):
    """The identity provider's claim is refused (STS API reference, AssumeRoleWithWebIdentity, Errors)."""

    code = "IDPRejectedClaim"
    status = 403


class AccessDenied(ClientError):
    code = "AccessDenied"
    status = 403


class ServiceUnavailable(AwsError):
    code = "ServiceUnavailable"
    status = 503


# AWS's wording ("Common Errors": ServiceUnavailable, https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html);
# SDKs retry a 503 with this code.
SERVICE_UNAVAILABLE = "The request has failed due to a temporary failure of the server."


class StoreUnavailable(ServiceUnavailable):
    """The store cannot take the request now (its disk is full, its lock is held): retryable, nothing changed.

    ``reason`` is for the operator's log line, not for the client, who hears AWS's words only.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(SERVICE_UNAVAILABLE)
        self.reason = reason


class AuditUnavailable(ServiceUnavailable):
    """The audit record could not be kept: the request is refused rather than answered without its record, and
    what it would have changed is rolled back with the record
    (docs/adr/0041-audit-record-commits-with-its-change.md)."""

    def __init__(self, reason: str) -> None:
        super().__init__(SERVICE_UNAVAILABLE)
        self.reason = reason


class StoreConflict(StoreUnavailable):
    """A concurrent write on another connection conflicted with this one (PostgreSQL's serialization failure
    or deadlock): nothing of this transaction was kept, and running the request again is safe and expected.
    The endpoint does so a few times before answering the client 503 (docs/adr/0035)."""


# --- IAM --------------------------------------------------------------------------------------


class NoSuchEntity(ClientError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(ClientError):
    code = "EntityAlreadyExists"
    status = 409


class DeleteConflict(ClientError):
    code = "DeleteConflict"
    status = 409


class LimitExceeded(ClientError):
    code = "LimitExceeded"
    status = 409


class ConcurrentModification(ClientError):
    code = "ConcurrentModification"
    status = 409


class InvalidInput(ClientError):
    code = "InvalidInput"


class MalformedPolicyDocument(ClientError):
    code = "MalformedPolicyDocument"


class PolicyEvaluation(AwsError):
    """The simulator could not evaluate a policy (IAM API reference, SimulatePrincipalPolicy: HTTP 500)."""

    code = "PolicyEvaluation"
    status = 500


class PolicyNotAttachable(ClientError):
    code = "PolicyNotAttachable"


class UnmodifiableEntity(ClientError):
    code = "UnmodifiableEntity"


class PasswordPolicyViolation(ClientError):
    code = "PasswordPolicyViolation"


class EntityTemporarilyUnmodifiable(ClientError):
    code = "EntityTemporarilyUnmodifiable"
    status = 409


class InvalidUserType(ClientError):
    code = "InvalidUserType"


class CredentialReportNotPresent(ClientError):
    code = "ReportNotPresent"
    status = 410


class CredentialReportExpired(ClientError):
    code = "ReportExpired"
    status = 410


class ServiceFailure(AwsError):
    code = "ServiceFailure"
    status = 500


# --- IAM: SSH public keys, certificates, service-specific credentials -------------------------------------
# Codes and statuses from the IAM API reference's error shapes (UploadSSHPublicKey, UploadServerCertificate,
# UploadSigningCertificate, CreateServiceSpecificCredential).


class DuplicateSSHPublicKey(ClientError):
    code = "DuplicateSSHPublicKey"


class InvalidPublicKey(ClientError):
    code = "InvalidPublicKey"


class UnrecognizedPublicKeyEncoding(ClientError):
    code = "UnrecognizedPublicKeyEncoding"


class MalformedCertificate(ClientError):
    code = "MalformedCertificate"


class InvalidCertificate(ClientError):
    code = "InvalidCertificate"


class DuplicateCertificate(ClientError):
    code = "DuplicateCertificate"
    status = 409


class KeyPairMismatch(ClientError):
    code = "KeyPairMismatch"


class ServiceNotSupported(ClientError):
    code = "NotSupportedService"
    status = 404


# --- IAM: features rolegate does not host (answered as for an account that does not use them) ------------


class OrganizationNotFound(ClientError):
    # The model's error shape has no code of its own, so the wire code is the shape's name.
    code = "OrganizationNotFoundException"


class FeatureDisabled(ClientError):
    code = "FeatureDisabled"
    status = 404


# --- CloudTrail (LookupEvents) ----------------------------------------------------------------------------
# The error shapes of LookupEvents in botocore's cloudtrail model and the API reference
# (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html#API_LookupEvents_Errors):
# each is a 400 whose code is the shape's name.


class InvalidLookupAttributes(ClientError):
    code = "InvalidLookupAttributesException"


class InvalidTimeRange(ClientError):
    code = "InvalidTimeRangeException"


class InvalidNextToken(ClientError):
    code = "InvalidNextTokenException"
