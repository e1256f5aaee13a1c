"""Worker processes die with the process that started them (issue 10, item 7).

``serve --workers N`` runs a parent that spawns N uvicorn workers sharing the listening socket. If the parent
is killed outright (``kill -9``, the OOM killer) it cannot stop them, and orphans would keep the port: the
next start fails with "Address already in use". On Linux a worker asks the kernel for SIGTERM when its
parent dies (``prctl(PR_SET_PDEATHSIG)``, prctl(2)), which uvicorn answers by closing the socket and
finishing the requests in flight. A parent that died before the request took effect is caught by comparing
the parent's pid. A single-process server (``--workers 1``) has no parent of ours and is left alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

__all__ = ["die_with_parent"]


def die_with_parent() -> None:
    """In a worker spawned by the server's parent: be sent SIGTERM when that parent dies (Linux)."""
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent.pid:  # the parent died before the request above took effect
        os.kill(os.getpid(), signal.SIGTERM)
