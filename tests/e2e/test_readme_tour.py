"""README's first screen, tried as a new user would: start the server, paste the exports it prints into a
fresh shell, then paste the tour line by line, with the AWS CLI from PyPI (v1). Every command works but the
two the tour shows failing, and those fail as it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]


def readme_tour() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## A short tour with the AWS CLI", 1)[1]
    return section.split("```sh\n", 1)[1].split("\n```", 1)[0]


@pytest.fixture(scope="module")
def banner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server started as `make run` starts it (generated root credentials), and what it printed."""
    data = tmp_path_factory.mktemp("tour")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLEGATE_", "AWS_"))}
    proc = subprocess.Popen([sys.executable, "-m", "rolegate", "serve", "--port", str(free_port()),
                             "--data-dir", str(data)], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        banner = ""
        while "AWS_DEFAULT_REGION" not in banner:
            line = proc.stderr.readline().decode()  # type: ignore[union-attr]
            assert line, f"server exited before printing its banner:\n{banner}"
            banner += line
        yield banner
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()  # type: ignore[union-attr]


@pytest.fixture
def banner_exports(banner: str) -> list[str]:
    return [line.strip() for line in banner.splitlines() if line.strip().startswith("export ")]


def test_the_banner_names_the_profile_and_prints_each_path_on_one_line(banner: str, tmp_path: Path) -> None:
    assert "(mode 0600, profile [rolegate])" in banner  # text, not console markup
    creds = next(line for line in banner.splitlines() if line.startswith("Root credentials: "))
    assert Path(creds.split(": ", 1)[1].split(" (mode", 1)[0]).is_file()


def test_the_banner_exports_both_region_variables(banner_exports: list[str]) -> None:
    names = [line.split("=", 1)[0].removeprefix("export ") for line in banner_exports]
    assert names == ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
                     "AWS_DEFAULT_REGION"]


def test_the_readme_tour_works_to_its_end_in_a_fresh_shell(banner_exports: list[str], tmp_path: Path) -> None:
    # Each failing command is reported by the ERR trap; the shell goes on, as it would for a person.
    script = "\n".join(["trap 'echo \"FAILED: $BASH_COMMAND\" >&2' ERR", *banner_exports, readme_tour()])
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
           "LANG": "C.UTF-8"}
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    failed = re.findall(r"^FAILED: (.*)$", done.stderr, flags=re.M)
    assert [f.split()[:3] for f in failed] == [["aws", "iam", "create-role"], ["aws", "iam", "delete-role"]], \
        done.stderr
    assert "Value 'bad name' at 'roleName' failed to satisfy constraint" in done.stderr
    assert "assumed-role/reader/tour is not authorized to perform: iam:DeleteRole" in done.stderr
    assert "arn:aws:sts::123456789012:assumed-role/reader/tour" in done.stdout
    assert '"RoleName": "web"' in done.stdout  # list-roles as the assumed role
