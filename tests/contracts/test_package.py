"""The published package (contracts/src, package.json): a dapp's imports (interfaces/, lib/) stay inside it
and need nothing but solc; every contract a dapp calls implements its interface."""
from __future__ import annotations

import json
import re
from pathlib import Path

from contracts.build import SRC

IMPORT = re.compile(r'import\s+(?:\{[^}]*\}\s+from\s+)?"([^"]+)"', re.S)


def closure(start: Path) -> set[Path]:
    seen, todo = set(), [start]
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        for name in IMPORT.findall(f.read_text()):
            assert name.startswith("."), f"{f.relative_to(SRC)} imports {name}: a dapp would need another package"
            todo.append((f.parent / name).resolve())
    return seen


def test_package_dappImports_selfContained_andPublished():
    meta = json.loads((SRC / "package.json").read_text())
    assert meta["name"] == "@tribunal/contracts" and "**/*.sol" in meta["files"]
    entry = sorted((SRC / "interfaces").glob("*.sol")) + [SRC / "lib" / "OutputProof.sol"]
    files = set().union(*(closure(f.resolve()) for f in entry))
    assert all(SRC.resolve() in f.parents for f in files)


def test_package_contractsImplementTheirInterfaces():
    for source, iface in [("Brain.sol", "ITribunalBrain"), ("SinglePhaseBrain.sol", "ISinglePhaseBrain"),
                          ("opml/OpmlRequests.sol", "IOpmlRequests"), ("hybrid/HybridCourt.sol", "IHybridCourt"),
                          ("ResultDelivery.sol", "IResultDelivery")]:
        text = (SRC / source).read_text()
        assert re.search(rf"contract \w+ is [^{{]*\b{iface}\b", text), f"{source} does not declare `is {iface}`"
