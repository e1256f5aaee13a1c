"""``rolegate credential-process``: credentials for a ``credential_process`` profile line, printed as the JSON
botocore's ``ProcessProvider`` reads: ``{"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken",
"Expiration"[, "AccountId"]}`` (AWS CLI User Guide, "Sourcing credentials with an external process",
https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-sourcing-external.html;
docs/reference/workload-credential-protocols.md §3).

Two modes:
- certificate mode — IAM Roles Anywhere, with the flags and output of AWS's ``aws_signing_helper
  credential-process`` (``rolegate.agent.roles_anywhere`` signs and calls CreateSession);
- ``--imds-address HOST:PORT`` — from the local ``rolegate agent``, as an SDK would: an IMDSv2 token, the role
  name, then the role's credentials (the ``-extended`` document first, for its AccountId; the legacy one when the
  extended path is not served, as the JS and Java SDKs fall back).

Errors go to stderr with exit status 1, so botocore shows them.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from rolegate.agent.roles_anywhere import (CertificateIdentity, SessionRefused, create_session,
                                           signed_session_request)

__all__ = ["credential_process", "signed_session_request"]

# A token only long enough for the three requests that follow it.
_IMDS_TOKEN_TTL = "60"


def credential_process(
    certificate: Annotated[Optional[Path], typer.Option(
        "--certificate", help="Path to the end-entity certificate (PEM or DER).")] = None,
    private_key: Annotated[Optional[Path], typer.Option("--private-key", help="Path to its private key (PEM or DER).")] = None,
    trust_anchor_arn: Annotated[Optional[str], typer.Option(
        "--trust-anchor-arn", help="Trust anchor to authenticate with.")] = None,
    profile_arn: Annotated[Optional[str], typer.Option("--profile-arn", help="Profile to pull policies from.")] = None,
    role_arn: Annotated[Optional[str], typer.Option("--role-arn", help="Role to assume.")] = None,
    intermediates: Annotated[Optional[Path], typer.Option(
        "--intermediates", help="Path to the intermediate certificates (PEM bundle).")] = None,
    session_duration: Annotated[int, typer.Option(
        "--session-duration", help="Session duration in seconds (900 to 43200).")] = 3600,
    role_session_name: Annotated[Optional[str], typer.Option(
        "--role-session-name", help="A session name (the profile must accept it).")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="Signing region (default: the trust "
                                                                    "anchor ARN's).")] = None,
    endpoint: Annotated[Optional[str], typer.Option("--endpoint", help="Endpoint URL (default: "
                                                                        "https://rolesanywhere.REGION.amazonaws.com).")] = None,
    ca_bundle: Annotated[Optional[Path], typer.Option("--ca-bundle", help="CA bundle to verify the endpoint's "
                                                                          "TLS certificate with.")] = None,
    imds_address: Annotated[Optional[str], typer.Option(
        "--imds-address", help="HOST:PORT of a local `rolegate agent`'s IMDS listener: read the credentials from "
                               "it instead of signing with a certificate.")] = None,
) -> None:
    """Print credentials as a credential_process JSON document: from IAM Roles Anywhere with a certificate
    (aws_signing_helper's flags), or from the local agent with --imds-address."""
    if imds_address is not None:
        if any(v is not None for v in (certificate, private_key, trust_anchor_arn, profile_arn, role_arn)):
            _fail("--imds-address reads from the local agent: give it without the certificate options")
        _print(_from_imds(imds_address))
        return
    missing = [flag for flag, value in (("--certificate", certificate), ("--private-key", private_key),
                                        ("--trust-anchor-arn", trust_anchor_arn), ("--profile-arn", profile_arn),
                                        ("--role-arn", role_arn)) if value is None]
    if missing:
        _fail(f"missing {', '.join(missing)} (or give --imds-address to read from the local agent)")
    assert certificate and private_key and trust_anchor_arn and profile_arn and role_arn
    try:
        identity = CertificateIdentity.from_files(
            certificate, private_key, intermediates, trust_anchor_arn=trust_anchor_arn, profile_arn=profile_arn,
            role_arn=role_arn, region=region, endpoint=endpoint, session_duration=session_duration,
            role_session_name=role_session_name, ca_bundle=ca_bundle)
    except (OSError, ValueError) as exc:
        _fail(f"cannot read the certificate or key: {exc}")
    try:
        creds = create_session(identity, dt.datetime.now(dt.timezone.utc))["credentials"]
    except SessionRefused as exc:
        _fail(str(exc))
    _print({"Version": 1, "AccessKeyId": creds["accessKeyId"], "SecretAccessKey": creds["secretAccessKey"],
            "SessionToken": creds["sessionToken"], "Expiration": creds["expiration"]})


def _from_imds(address: str) -> dict[str, Any]:
    """The agent's credentials, fetched as an SDK fetches them (IMDSv2: token, role name, document)."""
    import httpx

    from rolegate.metadata.imds import TOKEN_HEADER, TOKEN_TTL_HEADER

    base = f"http://{address}/latest"
    # No proxy: the agent is local, and HTTP(S)_PROXY must not carry credentials elsewhere.
    with httpx.Client(timeout=5, trust_env=False) as client:
        try:
            token = client.put(f"{base}/api/token", headers={TOKEN_TTL_HEADER: _IMDS_TOKEN_TTL})
            if token.status_code != 200:
                _fail(f"the agent at {address} refused a session token: HTTP {token.status_code}")
            headers = {TOKEN_HEADER: token.text}
            document: dict[str, Any] | None = None
            for listing in ("security-credentials-extended", "security-credentials"):
                role = client.get(f"{base}/meta-data/iam/{listing}/", headers=headers)
                if role.status_code == 404:
                    continue
                if role.status_code != 200:
                    _fail(f"the agent at {address} answered HTTP {role.status_code} for the role name")
                got = client.get(f"{base}/meta-data/iam/{listing}/{role.text}", headers=headers)
                if got.status_code == 200:
                    document = got.json()
                    break
            if document is None:
                _fail(f"the agent at {address} serves no role credentials (the instance has no role)")
        except httpx.HTTPError as exc:
            _fail(f"cannot reach the agent at {address}: {exc}")
        except ValueError:
            _fail(f"the agent at {address} answered a credential document that is not JSON")
    assert document is not None
    out: dict[str, Any] = {"Version": 1, "AccessKeyId": document["AccessKeyId"],
                           "SecretAccessKey": document["SecretAccessKey"], "SessionToken": document["Token"],
                           "Expiration": document["Expiration"]}
    if document.get("AccountId"):
        out["AccountId"] = document["AccountId"]
    return out


def _print(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document) + "\n")


def _fail(message: str) -> Any:
    sys.stderr.write(f"rolegate credential-process: {message}\n")
    raise typer.Exit(1)
