"""Nothing acknowledged is lost: a role whose creation was answered survives ``kill -9`` and a restart."""

from __future__ import annotations

import json
from pathlib import Path

from tests.live import LiveServer

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def test_acknowledged_roles_survive_kill_dash_nine(tmp_path: Path) -> None:
    srv = LiveServer(tmp_path)
    srv.start()
    try:
        iam = srv.client()
        created = [iam.create_role(RoleName=f"durable-{i}", AssumeRolePolicyDocument=TRUST)["Role"]["RoleId"]
                   for i in range(20)]
        srv.kill()
        srv.start()
        iam = srv.client()
        assert [iam.get_role(RoleName=f"durable-{i}")["Role"]["RoleId"] for i in range(20)] == created
    finally:
        srv.stop()
