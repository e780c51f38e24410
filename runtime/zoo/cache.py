"""The zoo's build cache: each model is built once per machine, safely under concurrent builders.

A build writes into a fresh temporary folder beside the cache entry and renames it into place; a
file lock serializes builders of the same entry, so a second process waits and then finds it built.
Location: $TRIBUNAL_CACHE, else ~/.cache/tribunal.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from filelock import FileLock


def cache_root() -> Path:
    root = Path(os.environ.get("TRIBUNAL_CACHE") or Path.home() / ".cache" / "tribunal") / "zoo"
    root.mkdir(parents=True, exist_ok=True)
    return root


def built(key: str, build: Callable[[Path], None]) -> Path:
    """The folder for `key`, calling build(tmpdir) first if it does not exist yet."""
    root = cache_root()
    final = root / key
    if (final / "DONE").exists():
        return final
    with FileLock(str(root / f"{key}.lock")):
        if (final / "DONE").exists():  # another process built it while we waited
            return final
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
        try:
            build(tmp)
            (tmp / "DONE").write_text("ok\n")
            if final.exists():  # a half-built leftover from a crash before DONE
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return final
