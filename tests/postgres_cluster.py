"""A PostgreSQL cluster of a test's own, for the tests that stop, restart or slow the database: started with
``scripts/postgres_cluster.sh`` (the script ``.ci/run`` uses) in a directory under /tmp the ``postgres`` user
can reach, and stopped and removed at the end."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.live import free_port

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres_cluster.sh"


@dataclass
class OwnCluster:
    root: Path
    port: int = 0
    url: str = ""

    @property
    def data(self) -> Path:
        return self.root / "data"

    def start(self) -> str:
        if not self.port:
            self.port = free_port()
        out = subprocess.run([str(SCRIPT), "start", str(self.data), str(self.port)], capture_output=True,
                             text=True, timeout=120, check=True)
        self.url = out.stdout.strip()
        return self.url

    def stop(self) -> None:
        subprocess.run([str(SCRIPT), "stop", str(self.data)], capture_output=True, timeout=120, check=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def own_cluster() -> OwnCluster:
    root = Path(tempfile.mkdtemp(prefix="rolegate-pg-", dir="/tmp"))
    os.chmod(root, 0o755)  # the cluster runs as the unprivileged postgres user when the tests run as root
    return OwnCluster(root)
