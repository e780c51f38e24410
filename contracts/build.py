"""Compiles `contracts/src/**/*.sol` (subfolders included) and the example dapps `contracts/examples/*.sol` with the pinned npm solc and writes `contracts/artifacts/` and the Python types generated from them (`contracts/abi_types.py`).

    python -m contracts.build           compile and (re)write the artifacts and contracts/abi_types.py
    python -m contracts.build --check   compile and fail (exit 1) if the committed artifacts or types differ

One artifact per contract: `{name, source, abi, userdoc, devdoc, bytecode, deployedBytecode, compiler}`,
where `compiler` names the exact solc version and settings that made it. `contracts/abigen.py` renders
the error, event and struct types from the artifacts (errors' messages from their NatSpec). Compilation runs the npm package
`solc` (soljson, through node: `contracts/solc.cjs`); OpenZeppelin imports resolve under
`node_modules/`; `@tribunal/contracts/...` (how a dapp imports the published package, contracts/src)
resolves to `src/`, so the examples compile exactly as a dapp's own sources would. Run `npm ci` first.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from contracts import abigen
from contracts.abi import GENERATED, BuildError

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
SRC = PACKAGE / "src"
EXAMPLES = PACKAGE / "examples"
ARTIFACTS = PACKAGE / "artifacts"
SETTINGS = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "remappings": ["@tribunal/contracts/=src/"],
    "outputSelection": {"*": {"*": ["abi", "userdoc", "devdoc", "evm.bytecode.object",
                                            "evm.deployedBytecode.object"]}},
}


def standard_input() -> dict:
    # Source names keep their path under src/ (e.g. "src/onestep/OneStep.sol") so that relative
    # imports between subfolders resolve the way solc normalises them.
    sources = {p.relative_to(PACKAGE).as_posix(): {"content": p.read_text()}
               for p in sorted(SRC.rglob("*.sol")) + sorted(EXAMPLES.rglob("*.sol"))}
    return {"language": "Solidity", "sources": sources, "settings": SETTINGS}


def run_solc(standard: dict) -> dict:
    """The pinned npm solc on a standard-JSON input: {"version", "output"}; compile errors raise BuildError.
    (Also compiles sources from outside the package, such as a zkML peer's generated verifier.)"""
    node = shutil.which("node")
    if node is None:
        raise BuildError("node is not on PATH; it runs the npm solc")
    if not (ROOT / "node_modules" / "solc").is_dir():
        raise BuildError("node_modules/solc is missing; run `npm ci` at the repository root")
    proc = subprocess.run([node, str(PACKAGE / "solc.cjs")], input=json.dumps(standard),
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise BuildError(f"solc failed: {proc.stderr.strip()}")
    result = json.loads(proc.stdout)
    errors = [e for e in result["output"].get("errors", []) if e["severity"] == "error"]
    if errors:
        raise BuildError("compilation failed:\n" + "\n".join(e["formattedMessage"] for e in errors))
    return result


def compile_sources() -> dict[str, dict]:
    """Compiles every source; returns artifacts by contract name (interfaces and libraries included)."""
    result = run_solc(standard_input())
    compiler = {"name": "solc", "package": "npm:solc", "version": result["version"], "settings": SETTINGS}
    artifacts = {}
    for source, contracts in sorted(result["output"]["contracts"].items()):
        for name, data in sorted(contracts.items()):
            if not source.startswith(("src/", "examples/")):
                continue
            artifacts[name] = {
                "name": name,
                "source": f"contracts/{source}",
                "abi": data["abi"],
                "userdoc": data["userdoc"],
                "devdoc": data["devdoc"],
                "bytecode": "0x" + data["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
                "compiler": compiler,
            }
    return artifacts


def render(artifact: dict) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def differences(artifacts: dict[str, dict]) -> list[str]:
    """Names of the artifacts whose committed file differs from `artifacts` (or is missing/extra), and
    the generated types' file when it is not what `artifacts` render to."""
    have = {p.stem: p.read_text() for p in ARTIFACTS.glob("*.json")}
    diff = [n for n, a in artifacts.items() if have.get(n) != render(a)]
    types = GENERATED.read_text() if GENERATED.exists() else None
    stale_types = [GENERATED.name] if types != abigen.render(artifacts) else []
    return sorted(diff + [n for n in have if n not in artifacts]) + stale_types


def write(artifacts: dict[str, dict]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for stale in ARTIFACTS.glob("*.json"):
        if stale.stem not in artifacts:
            stale.unlink()
    for name, artifact in artifacts.items():
        (ARTIFACTS / f"{name}.json").write_text(render(artifact))
    GENERATED.write_text(abigen.render(artifacts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.build", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed artifacts or types are stale")
    args = parser.parse_args(argv)
    artifacts = compile_sources()
    if args.check:
        diff = differences(artifacts)
        if diff:
            print("stale artifacts or types (run `python -m contracts.build`): " + ", ".join(diff), file=sys.stderr)
            return 1
        print(f"{len(artifacts)} artifacts and {GENERATED.name} match the sources")
        return 0
    write(artifacts)
    print(f"wrote {len(artifacts)} artifacts to {ARTIFACTS.relative_to(ROOT)} and {GENERATED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
