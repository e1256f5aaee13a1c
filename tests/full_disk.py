"""A small file system that tests can fill: a tmpfs mounted for one test (needs root, as CI runs).

``small_disk`` mounts it and yields its path; ``fill`` writes a filler file until the disk is full and
returns it, so deleting it gives the space back.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NEEDS_ROOT = "mounting a small tmpfs to fill needs root (CI runs the suite as root)"


@contextmanager
def small_disk(path: Path, size: str = "8m") -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip(NEEDS_ROOT)
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    """Write a filler file on ``disk`` until nothing more fits; the file is returned to free the space."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh:
        chunk = b"\0" * 65536
        while True:
            try:
                fh.write(chunk)
            except OSError:
                break
        while True:  # the last partial block
            try:
                fh.write(b"\0" * 512)
            except OSError:
                break
    return filler
