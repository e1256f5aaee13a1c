"""The AWS CLI (``awscli`` from PyPI, unmodified) manages the instance profile associations of registered
instances with EC2's own commands, against a real server: instances registered with ``rolegate instance
register`` (which associates the profile it is given), then ``aws ec2 describe-iam-instance-profile-associations``
with filters and pagination, ``disassociate-iam-instance-profile``, ``associate-iam-instance-profile
--instance-id i-… --iam-instance-profile Name=web``, ``replace-iam-instance-profile-association``, and EC2's
errors as the CLI reports them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.e2e.test_awscli import aws  # noqa: F401  (aws: the CLI fixture)
from tests.live import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET, LiveServer

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _env(server: LiveServer, home: Path, key_id: str = ROOT_KEY_ID, secret: str = ROOT_SECRET) -> dict[str, str]:
    """A throwaway environment whose AWS credential chain finds exactly these keys, and the server's endpoint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("ROLEGATE_")}
    env.update({"HOME": str(home), "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": server.url, "AWS_PAGER": "",
                "AWS_CONFIG_FILE": str(home / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials")})
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).with_name("aws")), *args], env=env, capture_output=True,
                          text=True, timeout=60)


def _register(server: LiveServer, home: Path, profile: str) -> str:
    """``rolegate instance register``, as an operator runs it: the AWS credential chain and AWS_ENDPOINT_URL."""
    proc = subprocess.run([sys.executable, "-m", "rolegate", "instance", "register", "--instance-profile", profile],
                          env=_env(server, home), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    instance_id = json.loads(proc.stdout)["InstanceId"]
    assert isinstance(instance_id, str) and instance_id.startswith("i-")
    return instance_id


def _profiles(aws: Any) -> tuple[str, str]:  # noqa: F811
    """Two new instance profiles holding one role that trusts EC2."""
    run = uuid.uuid4().hex[:8]
    role = f"ec2-cli-{run}"
    aws("iam", "create-role", "--role-name", role, "--assume-role-policy-document", TRUST)
    names = (f"web-{run}", f"batch-{run}")
    for name in names:
        aws("iam", "create-instance-profile", "--instance-profile-name", name)
        aws("iam", "add-role-to-instance-profile", "--instance-profile-name", name, "--role-name", role)
    return names


def _associations(aws: Any, *args: str) -> list[dict[str, Any]]:  # noqa: F811
    found: list[dict[str, Any]] = aws("ec2", "describe-iam-instance-profile-associations", *args)[
        "IamInstanceProfileAssociations"]
    return found


def test_the_aws_cli_manages_a_registered_instances_profile_association(
        aws: Any, server: LiveServer, tmp_path: Path) -> None:  # noqa: F811
    web, batch = _profiles(aws)
    web_arn = f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{web}"
    batch_arn = f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{batch}"
    instance = _register(server, tmp_path, web)

    # Registered with a profile, the instance is associated with it at once.
    [registered] = _associations(aws, "--filters", f"Name=instance-id,Values={instance}")
    assert (registered["InstanceId"], registered["State"], registered["IamInstanceProfile"]["Arn"]) == (
        instance, "associated", web_arn)
    assert registered["AssociationId"].startswith("iip-assoc-")
    assert registered["IamInstanceProfile"]["Id"].startswith("AIPA")

    gone = aws("ec2", "disassociate-iam-instance-profile", "--association-id", registered["AssociationId"])[
        "IamInstanceProfileAssociation"]
    assert (gone["AssociationId"], gone["State"]) == (registered["AssociationId"], "disassociated")
    assert _associations(aws, "--filters", f"Name=instance-id,Values={instance}") == []

    associated = aws("ec2", "associate-iam-instance-profile", "--instance-id", instance,
                     "--iam-instance-profile", f"Name={web}")["IamInstanceProfileAssociation"]
    assert (associated["InstanceId"], associated["State"], associated["IamInstanceProfile"]["Arn"]) == (
        instance, "associated", web_arn)
    assert "IncorrectState" in aws("ec2", "associate-iam-instance-profile", "--instance-id", instance,
                                   "--iam-instance-profile", f"Name={batch}", ok=False)

    replaced = aws("ec2", "replace-iam-instance-profile-association", "--association-id",
                   associated["AssociationId"], "--iam-instance-profile", f"Arn={batch_arn}")[
        "IamInstanceProfileAssociation"]
    assert (replaced["InstanceId"], replaced["IamInstanceProfile"]["Arn"]) == (instance, batch_arn)
    [now] = _associations(aws, "--association-ids", replaced["AssociationId"])
    assert now["IamInstanceProfile"]["Arn"] == batch_arn and now["State"] == "associated"


def test_describe_filters_and_pages_through_the_cli(aws: Any, server: LiveServer,
                                                    tmp_path: Path) -> None:  # noqa: F811
    web, _ = _profiles(aws)
    instances = [_register(server, tmp_path, web) for _ in range(7)]
    mine = f"Name=instance-id,Values={','.join(instances)}"
    # --page-size makes the CLI fetch 5 at a time with MaxResults and follow NextToken itself.
    paged = _associations(aws, "--filters", mine, "--page-size", "5")
    assert sorted(a["InstanceId"] for a in paged) == sorted(instances)
    first = aws("ec2", "describe-iam-instance-profile-associations", "--filters", mine, "--max-items", "5")
    assert len(first["IamInstanceProfileAssociations"]) == 5 and first["NextToken"]
    rest = aws("ec2", "describe-iam-instance-profile-associations", "--filters", mine, "--max-items", "5",
               "--starting-token", first["NextToken"])
    assert sorted(a["InstanceId"] for a in first["IamInstanceProfileAssociations"] +
                  rest["IamInstanceProfileAssociations"]) == sorted(instances)
    assert _associations(aws, "--filters", mine, "Name=state,Values=disassociating") == []
    assert len(_associations(aws, "--filters", mine, "Name=state,Values=associated")) == 7


def test_ec2s_errors_reach_the_cli_in_ec2s_words(aws: Any) -> None:  # noqa: F811
    assert "InvalidAssociationID.NotFound" in aws("ec2", "disassociate-iam-instance-profile", "--association-id",
                                                  "iip-assoc-0123456789abcdef0", ok=False)
    assert "InvalidInstanceID.NotFound" in aws("ec2", "associate-iam-instance-profile", "--instance-id",
                                               "i-0123456789abcdef0", "--iam-instance-profile", "Name=web", ok=False)


def test_an_ec2_command_rolegate_does_not_serve_is_invalid_action(aws: Any) -> None:  # noqa: F811
    unserved = aws("ec2", "describe-instances", ok=False)
    assert "(InvalidAction) when calling the DescribeInstances operation: " \
           "The action DescribeInstances is not valid for this web service." in unserved


def test_iam_and_sts_answer_beside_ec2_on_the_one_port(aws: Any) -> None:  # noqa: F811
    assert aws("sts", "get-caller-identity")["Account"] == ACCOUNT_ID
    assert isinstance(aws("iam", "list-roles")["Roles"], list)


def test_bad_credentials_are_ec2s_auth_failure(server: LiveServer, tmp_path: Path) -> None:
    proc = _cli(_env(server, tmp_path, secret="not-the-secret"), "ec2", "describe-iam-instance-profile-associations")
    assert proc.returncode != 0
    assert "(AuthFailure) when calling the DescribeIamInstanceProfileAssociations operation: " \
           "AWS was not able to validate the provided access credentials" in proc.stderr, proc.stderr


def test_a_user_without_permission_is_unauthorized_and_sts_decodes_why(aws: Any, server: LiveServer,
                                                                       tmp_path: Path) -> None:  # noqa: F811
    web, _ = _profiles(aws)
    instance = _register(server, tmp_path, web)
    [association] = _associations(aws, "--filters", f"Name=instance-id,Values={instance}")
    user = f"ec2-nobody-{uuid.uuid4().hex[:8]}"
    aws("iam", "create-user", "--user-name", user)
    key = aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
    proc = _cli(_env(server, tmp_path, key["AccessKeyId"], key["SecretAccessKey"]),
                "ec2", "disassociate-iam-instance-profile", "--association-id", association["AssociationId"])
    assert proc.returncode != 0 and "UnauthorizedOperation" in proc.stderr, proc.stderr
    assert "You are not authorized to perform this operation." in proc.stderr
    marker = "Encoded authorization failure message: "
    encoded = proc.stderr.split(marker, 1)[1].split()[0]
    decoded = json.loads(aws("sts", "decode-authorization-message", "--encoded-message", encoded)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["action"] == "ec2:DisassociateIamInstanceProfile"
    assert f"user/{user}" in decoded["message"]
    # Refused, so nothing changed.
    assert _associations(aws, "--filters", f"Name=instance-id,Values={instance}") == [association]
