"""The errors IAM Roles Anywhere answers with, as its model names them (ValidationException 400,
ResourceNotFoundException 404, AccessDeniedException 403, TooManyTagsException 400)."""

from __future__ import annotations

from rolegate.core.errors import ClientError

__all__ = ["Conflict", "ResourceNotFound", "TooManyTags", "ValidationException"]


class ValidationException(ClientError):
    code = "ValidationException"


class ResourceNotFound(ClientError):
    code = "ResourceNotFoundException"
    status = 404


class TooManyTags(ClientError):
    code = "TooManyTagsException"


class Conflict(ClientError):
    """A second CRL for a trust anchor (rolegate's choice of code: AWS's model lists no conflict error)."""

    code = "ConflictException"
    status = 409
