"""What the process tests share: `tribunal node` children that never outlive pytest, and their stop."""
from __future__ import annotations

import ctypes
import signal
import subprocess


def die_with_parent() -> None:
    """`preexec_fn` of a child: the kernel SIGKILLs it when pytest ends (PR_SET_PDEATHSIG)."""
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)


def stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to every child still running, then SIGKILL to any still running after 15 s."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
