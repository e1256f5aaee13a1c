"""The AWS CLI (``awscli`` from PyPI), in a throwaway HOME, through every role operation."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import zxingcpp
from PIL import Image

from rolegate.sts.mfa import totp

from tests.live import LiveServer, aws_cli

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
INLINE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "*"}]})


@pytest.fixture
def aws(server: LiveServer, tmp_path: Path):  # type: ignore[no-untyped-def]
    return aws_cli(server, tmp_path, region="eu-west-1")


def test_the_aws_cli_drives_the_whole_role_lifecycle(aws: Any) -> None:
    role = aws("iam", "create-role", "--role-name", "cli-role", "--path", "/cli/",
               "--assume-role-policy-document", TRUST, "--description", "from the cli",
               "--tags", "Key=team,Value=core")["Role"]
    assert role["Arn"] == "arn:aws:iam::123456789012:role/cli/cli-role"
    assert aws("iam", "get-role", "--role-name", "cli-role")["Role"]["Description"] == "from the cli"
    assert [r["RoleName"] for r in aws("iam", "list-roles", "--path-prefix", "/cli/")["Roles"]] == ["cli-role"]
    aws("iam", "update-role", "--role-name", "cli-role", "--max-session-duration", "7200")
    aws("iam", "update-role-description", "--role-name", "cli-role", "--description", "changed")
    aws("iam", "update-assume-role-policy", "--role-name", "cli-role", "--policy-document", TRUST)
    aws("iam", "tag-role", "--role-name", "cli-role", "--tags", "Key=env,Value=prod")
    assert len(aws("iam", "list-role-tags", "--role-name", "cli-role")["Tags"]) == 2
    aws("iam", "untag-role", "--role-name", "cli-role", "--tag-keys", "env")
    aws("iam", "put-role-permissions-boundary", "--role-name", "cli-role", "--permissions-boundary",
        "arn:aws:iam::aws:policy/ReadOnlyAccess")
    aws("iam", "put-role-policy", "--role-name", "cli-role", "--policy-name", "logs", "--policy-document", INLINE)
    assert aws("iam", "get-role-policy", "--role-name", "cli-role", "--policy-name", "logs")["PolicyDocument"][
        "Statement"][0]["Action"] == "logs:CreateLogGroup"
    assert aws("iam", "list-role-policies", "--role-name", "cli-role")["PolicyNames"] == ["logs"]
    assert "DeleteConflict" in aws("iam", "delete-role", "--role-name", "cli-role", ok=False)
    aws("iam", "delete-role-policy", "--role-name", "cli-role", "--policy-name", "logs")
    aws("iam", "delete-role-permissions-boundary", "--role-name", "cli-role")
    aws("iam", "delete-role", "--role-name", "cli-role")
    assert "NoSuchEntity" in aws("iam", "get-role", "--role-name", "cli-role", ok=False)


def test_the_aws_cli_reports_caller_identity(aws: Any) -> None:
    assert aws("sts", "get-caller-identity")["Account"] == "123456789012"


def test_a_virtual_mfa_device_is_enrolled_from_its_qr_code_as_the_aws_docs_show(aws: Any, tmp_path: Path) -> None:
    # The AWS CLI reference for create-virtual-mfa-device: --bootstrap-method QRCodePNG writes the QR code to
    # --outfile; an authenticator app scans it; two consecutive codes enable the device (EnableMFADevice).
    name = f"qr-{uuid.uuid4().hex[:8]}"
    aws("iam", "create-user", "--user-name", name)
    png = tmp_path / "qr.png"
    device = aws("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", name,
                 "--outfile", str(png), "--bootstrap-method", "QRCodePNG")["VirtualMFADevice"]
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_mode & 0o777 == 0o600
    scanned = zxingcpp.read_barcodes(Image.open(png))
    assert len(scanned) == 1 and scanned[0].format == zxingcpp.BarcodeFormat.QRCode
    uri = urlsplit(scanned[0].text)
    assert (uri.scheme, uri.netloc, unquote(uri.path)) == ("otpauth", "totp", f"/{name}@123456789012")
    seed = parse_qs(uri.query)["secret"][0]
    step = int(time.time()) // 30
    aws("iam", "enable-mfa-device", "--user-name", name, "--serial-number", device["SerialNumber"],
        "--authentication-code1", totp(seed, step - 1), "--authentication-code2", totp(seed, step))
    assert [d["SerialNumber"] for d in aws("iam", "list-mfa-devices", "--user-name", name)["MFADevices"]] == [
        device["SerialNumber"]]
