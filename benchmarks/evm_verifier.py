"""A zkML peer's generated Solidity verifier on a Tribunal chain: compiled with the project's pinned solc
(`contracts.build.run_solc`, the settings of contracts/artifacts), deployed and called through
`contracts.chain.Chain` like every contract here.

`measure(chain, folder)` reads FOLDER/Verifier.sol and FOLDER/calldata.bin (EZKL's encoded
`verifyProof(bytes proof, uint256[] instances)`), and returns the deployment's gas, the verifying
transaction's gas and whether a proof with one flipped byte, and one with a changed public output,
are refused on chain.
"""
from __future__ import annotations

import time
from pathlib import Path

from contracts.build import SETTINGS, run_solc

CONTRACT = "Halo2Verifier"  # what EZKL names the generated contract


def compile_verifier(source: str) -> dict:
    settings = {k: v for k, v in SETTINGS.items() if k != "remappings"}
    out = run_solc({"language": "Solidity", "sources": {"Verifier.sol": {"content": source}}, "settings": settings})
    c = out["output"]["contracts"]["Verifier.sol"][CONTRACT]
    return {"abi": c["abi"], "bytecode": "0x" + c["evm"]["bytecode"]["object"], "solc": out["version"],
            "runtime_bytes": len(c["evm"]["deployedBytecode"]["object"]) // 2}


def _accepts(chain, fn) -> tuple[bool, str]:
    """Whether the verifier accepts: the call returns true (a refusal reverts or returns false)."""
    try:
        return bool(chain.call(fn)), ""
    except Exception as e:  # noqa: BLE001 - the generated verifier reverts with empty data on a bad proof
        return False, f"{type(e).__name__}: {str(e)[:120]}"


def measure(chain, d: Path) -> dict:
    from benchmarks.ezkl_peer import tamper

    t = time.perf_counter()
    art = compile_verifier((d / "Verifier.sol").read_text())
    compile_s = time.perf_counter() - t
    factory = chain.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    t = time.perf_counter()
    deployed = chain.transact(factory.constructor())
    deploy_s = time.perf_counter() - t
    v = chain.w3.eth.contract(address=deployed.contract_address, abi=art["abi"])
    calldata = (d / "calldata.bin").read_bytes()
    fn, params = v.decode_function_input(calldata)
    proof, instances = bytes(params["proof"]), list(params["instances"])
    t = time.perf_counter()
    r = chain.transact(fn(proof, instances))  # reverts (raises) unless the proof verifies
    verify_s = time.perf_counter() - t
    bad_proof = bytes(tamper({"proof": list(proof)})["proof"])
    wrong_output = instances[:-1] + [(instances[-1] + 1)]  # the last public value: the model's output
    tampered_ok, tampered_why = _accepts(chain, fn(bad_proof, instances))
    output_ok, output_why = _accepts(chain, fn(proof, wrong_output))
    return {"deploy_gas": deployed.gas_used, "verify_gas": r.gas_used, "calldata_bytes": len(calldata),
            "runtime_bytes": art["runtime_bytes"], "solc": art["solc"], "compile_s": compile_s, "deploy_s": deploy_s,
            "verify_s": verify_s, "tampered_accepted": tampered_ok, "tampered_why": tampered_why,
            "wrong_output_accepted": output_ok, "wrong_output_why": output_why,
            "accepted": _accepts(chain, fn(proof, instances))[0]}
