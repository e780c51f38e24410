"""The anvil process is started on a free loopback port, waited for, and never outlives its owner."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from contracts.chain import connect
from contracts.chain.anvil import anvil_binary

pytestmark = [pytest.mark.anvil, pytest.mark.slow,
              pytest.mark.skipif(not anvil_binary().exists(), reason="run `npm ci` for anvil")]


def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # reap it if it is our own zombie child
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


def test_close_stopsAnvil():
    chain = connect("anvil", accounts=2)
    pid = chain.process.pid
    assert chain.process.url.startswith("http://127.0.0.1:") and chain.block_number == 0
    chain.close()
    assert _gone(pid)


SCRIPT = """
import os, sys
from contracts.chain import connect
chain = connect("anvil", accounts=1)
print(chain.process.pid, flush=True)
if sys.argv[1] == "crash":
    os.kill(os.getpid(), 9)   # no atexit, no finally: only PR_SET_PDEATHSIG can stop anvil
sys.exit(0)                    # exits without close(): atexit stops anvil
"""


@pytest.mark.parametrize("how", ["exit", "crash"])
def test_anvil_diesWithItsParent(how):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, how], capture_output=True, text=True, timeout=60,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    pid = int(proc.stdout.split()[0])
    assert proc.returncode == (-signal.SIGKILL if how == "crash" else 0)
    assert _gone(pid), f"anvil {pid} outlived its parent ({how})"


def test_rpcUrl_sameApiOnAnyNode():
    from contracts.deploy import deploy
    with connect("anvil", accounts=2) as node:
        with connect(node.process.url, accounts=2) as chain:
            assert chain.kind == "rpc"
            system = deploy(chain)
            assert system.brain.queue_length() == 0


def test_rpcUrl_unreachable_raisesChainUnavailable():
    import socket

    from contracts.errors import ChainUnavailableError
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ChainUnavailableError):
        connect(f"http://127.0.0.1:{port}")
