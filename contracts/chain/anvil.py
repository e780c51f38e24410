"""The anvil chain: the `anvil` binary from the npm package `@foundry-rs/anvil`, started on a free
loopback port, waited for, and always stopped: by `close()`, at interpreter exit (atexit), and by
the kernel when the Python process that started it dies (Linux PR_SET_PDEATHSIG)."""
from __future__ import annotations

import atexit
import ctypes
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from pathlib import Path

from web3 import Web3
from web3.providers import HTTPProvider

from contracts.chain.base import DEV_BALANCE, Chain, dev_accounts
from contracts.errors import ChainUnavailableError

ROOT = Path(__file__).resolve().parents[2]
_LIVE: "weakref.WeakSet[AnvilProcess]" = weakref.WeakSet()


def anvil_binary() -> Path:
    """The anvil executable: $TRIBUNAL_ANVIL, else the platform package under node_modules."""
    if os.environ.get("TRIBUNAL_ANVIL"):
        return Path(os.environ["TRIBUNAL_ANVIL"])
    system = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower())
    exe = "anvil.exe" if system == "win32" else "anvil"
    return ROOT / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / exe


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class AnvilProcess:
    """One anvil child process listening on 127.0.0.1 at a port the OS picked."""

    def __init__(self, *, block_time: float | None = None, extra_args: tuple[str, ...] = (),
                 start_timeout: float = 30.0):
        binary = anvil_binary()
        if not binary.exists():
            raise ChainUnavailableError(f"anvil not found at {binary}; run `npm ci` at the repository root")
        args = [str(binary), "--host", "127.0.0.1", "--port", "0", "--accounts", "1"]
        if block_time is not None:
            args += ["--block-time", str(block_time)]
        args += list(extra_args)
        self.log: deque[str] = deque(maxlen=200)
        self._port: int | None = None
        self._ready = threading.Event()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     stdin=subprocess.DEVNULL,
                                     preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        _LIVE.add(self)
        threading.Thread(target=self._drain, name=f"anvil-{self.proc.pid}-log", daemon=True).start()
        if not self._ready.wait(start_timeout) or self._port is None:
            self.stop()
            raise ChainUnavailableError("anvil did not start listening: " + " | ".join(list(self.log)[-5:]))
        self.url = f"http://127.0.0.1:{self._port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # keep reading so the pipe never fills and blocks anvil
            self.log.append(line.rstrip())
            if self._port is None:
                m = re.search(r"Listening on 127\.0\.0\.1:(\d+)", line)
                if m:
                    self._port = int(m.group(1))
                    self._ready.set()
        self._ready.set()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        _LIVE.discard(self)


@atexit.register
def _stop_all() -> None:
    for p in list(_LIVE):
        p.stop()


class AnvilChain(Chain):
    kind = "anvil"

    def __init__(self, accounts: int = 32, *, block_time: float | None = None, extra_args: tuple[str, ...] = ()):
        self.process = AnvilProcess(block_time=block_time, extra_args=extra_args)
        try:
            w3 = Web3(HTTPProvider(self.process.url, request_kwargs={"timeout": 60}))
            deadline = time.monotonic() + 15
            while not w3.is_connected():
                if time.monotonic() > deadline or not self.process.alive():
                    raise ChainUnavailableError(f"anvil at {self.process.url} does not answer")
                time.sleep(0.05)
            local = dev_accounts(accounts)
            super().__init__(w3, local, on_close=self.process.stop, poll_latency=0.02)
            for a in local:
                self._rpc("anvil_setBalance", [a.address, hex(DEV_BALANCE)])
        except BaseException:
            self.process.stop()
            raise

    def mine(self, blocks: int = 1) -> None:
        if blocks > 0:
            self._rpc("anvil_mine", [hex(blocks)])
