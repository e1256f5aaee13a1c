"""The container credentials endpoint (ECS task roles, EKS Pod Identity) as botocore's ``ContainerProvider`` reads
it: who may ask, and the JSON it answers (issue 13, item 2; docs/reference/workload-credential-protocols.md §2;
AWS SDKs and Tools Reference Guide, "Container credential provider",
https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html).

A client sends ``GET`` with ``Authorization: <token>``, the token verbatim (no ``Bearer``), read from
``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE``. The answer carries ``AccessKeyId``, ``SecretAccessKey``, ``Token``,
``Expiration`` and, as ECS sends them, ``RoleArn`` and ``AccountId`` (botocore uses the account id). A request with
no token is 401, a wrong token 403 (rolegate choice, docs/adr/0040-rolegate-agent.md: botocore treats every
non-200 alike and raises CredentialRetrievalError after its three tries).
"""

from __future__ import annotations

import hmac
import json

from rolegate.authz.context import iso

from .imds import RoleCredentials

__all__ = ["authorization_status", "container_document", "valid_token_file_content"]


def authorization_status(presented: str | None, expected: str) -> int | None:
    """None when ``presented`` is the token; else the status to refuse with: 401 with none, 403 with another."""
    if not presented:
        return 401
    # Constant time: the comparison must not tell a guesser how many leading characters were right.
    if not hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8")):
        return 403
    return None


def valid_token_file_content(content: str) -> str | None:
    """Why ``content`` cannot be a container token, or None. botocore sends the file's content verbatim and
    refuses a value with CR or LF (reference §2), so a token file ending in a newline would break every client."""
    if not content:
        return "the container token file is empty"
    if "\r" in content or "\n" in content:
        return ("the container token file must hold the token alone, with no newline: botocore sends the file's "
                "content verbatim as the Authorization header and refuses a value with CR or LF")
    return None


def container_document(creds: RoleCredentials, account_id: str, role_arn: str | None) -> str:
    fields: dict[str, str] = {}
    if role_arn is not None:
        fields["RoleArn"] = role_arn
    fields.update({"AccessKeyId": creds.access_key_id, "SecretAccessKey": creds.secret_access_key,
                   "Token": creds.session_token, "Expiration": iso(creds.expiration), "AccountId": account_id})
    return json.dumps(fields)
