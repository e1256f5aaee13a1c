"""Files of the trail written so that a crash leaves either the old file or the whole new one, on disk.

A temporary file beside the target, fsync'd, renamed over it, then the directory fsync'd so the rename itself
survives a power loss (rename(2) is atomic; only the directory's fsync makes it durable).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_dir", "make_private_dir", "write_atomically"]


def write_atomically(path: Path, data: bytes) -> None:
    """``path`` holds ``data``, whole, on disk; on an error (a full disk) it holds what it held before."""
    make_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_private_dir(path: Path) -> None:
    """``path`` and every parent it lacks, each 0700 (``mkdir(parents=True)`` gives the parents the umask's mode:
    the trail's directory names say which accounts called, and when)."""
    if path.is_dir():
        return
    make_private_dir(path.parent)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass  # another worker made it meanwhile
