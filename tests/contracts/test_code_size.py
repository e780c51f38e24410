"""Every deployed contract keeps at least 2 KB of headroom under EIP-170's code-size limit.

A contract at the limit cannot take a fix or an invariant check without first being split; the
headroom keeps that a design decision, made early, not an emergency (OpmlGame was 74 bytes short of it
before its float-step path moved to FloatStep). Reads the committed artifacts; `test_build` checks that
they match the sources."""
from __future__ import annotations

import json

from contracts import build

EIP170_LIMIT = 24_576  # bytes of deployed code (EIP-170)
HEADROOM = 2_048


def deployed_sizes() -> dict[str, int]:
    sizes = {}
    for path in sorted(build.ARTIFACTS.glob("*.json")):
        code = json.loads(path.read_text())["deployedBytecode"]
        sizes[path.stem] = (len(code) - 2) // 2
    return sizes


def test_every_contract_keeps_2kb_under_eip170():
    sizes = deployed_sizes()
    assert sizes["OpmlGame"] > 0 and sizes["FloatStep"] > 0  # the artifacts are the real ones
    over = {name: size for name, size in sizes.items() if size > EIP170_LIMIT - HEADROOM}
    assert not over, f"deployed code within {HEADROOM} bytes of EIP-170's {EIP170_LIMIT}: {over}"
