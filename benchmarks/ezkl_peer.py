"""EZKL, the zkML peer of `tribunal bench peers`: its stages on one ONNX model, each in a child process so
that its peak memory is its own, under a time and memory budget.

    python -m benchmarks.ezkl_peer STAGE FOLDER    one stage (what the parent runs; writes FOLDER/stage-STAGE.json)

FOLDER holds model.onnx, input.json (EZKL's {"input_data": [...]}) and args.json (the symbolic dimensions'
values). Stages, in order: settings (gen_settings, calibrate_settings for resources, compile_circuit),
srs (gen_srs: generated here, since the ceremony's file cannot be downloaded on this machine), setup
(proving and verifying keys), witness (the circuit's forward pass: its outputs), prove, verify (off chain;
then a copy of the proof with one byte flipped, which must fail), evm (the Solidity verifier and the
proof's calldata; the verifier is compiled by `benchmarks.evm_verifier` with the project's solc).

The parent (`run`) starts one child per stage, samples its resident memory from /proc, and stops it
when the budget's memory or the model's remaining time is spent: that stage is then the result.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

STAGES = ("settings", "srs", "setup", "witness", "prove", "verify", "evm")


@dataclass(frozen=True)
class Budget:
    seconds: float  # all stages of one model together but the SRS generation (a download in a deployment)
    memory_mib: float  # peak resident memory of any one stage

    def describe(self) -> str:
        return (f"{self.seconds:.0f} s per model (every stage but the SRS generation, which stands in for a download), "
                f"{self.memory_mib / 1024:g} GiB peak per stage")


# ---------------------------------------------------------------- the child: one stage


def _settings(d: Path) -> dict:
    import ezkl

    args = ezkl.PyRunArgs()
    args.variables = [tuple(v) for v in json.loads((d / "args.json").read_text())["variables"]]
    ok = ezkl.gen_settings(str(d / "model.onnx"), str(d / "settings.json"), py_run_args=args)
    ok = ok and ezkl.calibrate_settings(str(d / "input.json"), str(d / "model.onnx"), str(d / "settings.json"),
                                        "resources")
    ok = ok and ezkl.compile_circuit(str(d / "model.onnx"), str(d / "model.compiled"), str(d / "settings.json"))
    if not ok:
        raise RuntimeError("EZKL's settings, calibration or compilation reported failure")
    s = json.loads((d / "settings.json").read_text())
    ra = s["run_args"]
    return {"logrows": ra["logrows"], "input_scale": ra["input_scale"], "param_scale": ra["param_scale"],
            "rows": s.get("num_rows"), "visibility": {k: ra[f"{k}_visibility"] for k in ("input", "output", "param")}}


def _logrows(d: Path) -> int:
    return json.loads((d / "settings.json").read_text())["run_args"]["logrows"]


def _srs(d: Path) -> dict:
    import ezkl

    ezkl.gen_srs(str(d / "kzg.srs"), _logrows(d))
    return {"bytes": (d / "kzg.srs").stat().st_size}


def _setup(d: Path) -> dict:
    import ezkl

    if not ezkl.setup(str(d / "model.compiled"), str(d / "vk.key"), str(d / "pk.key"), srs_path=str(d / "kzg.srs")):
        raise RuntimeError("EZKL's setup reported failure")
    return {"pk_bytes": (d / "pk.key").stat().st_size, "vk_bytes": (d / "vk.key").stat().st_size}


def _witness(d: Path) -> dict:
    import ezkl

    ezkl.gen_witness(str(d / "input.json"), str(d / "model.compiled"), str(d / "witness.json"))
    w = json.loads((d / "witness.json").read_text())
    return {"outputs": [[float(v) for v in o] for o in w["pretty_elements"]["rescaled_outputs"]]}


def _prove(d: Path) -> dict:
    import ezkl

    ezkl.prove(str(d / "witness.json"), str(d / "model.compiled"), str(d / "pk.key"), str(d / "proof.json"),
               srs_path=str(d / "kzg.srs"))
    p = json.loads((d / "proof.json").read_text())
    return {"proof_bytes": len(p["proof"]), "instances": sum(len(i) for i in p["instances"])}


def tamper(proof: dict) -> dict:
    """The proof with one byte of its middle flipped (both encodings EZKL stores)."""
    raw = bytearray(proof["proof"])
    raw[len(raw) // 2] ^= 0x01
    return {**proof, "proof": list(raw), "hex_proof": "0x" + bytes(raw).hex()}


def _verify(d: Path) -> dict:
    import ezkl

    def check(path: Path) -> tuple[bool, str]:
        try:
            return bool(ezkl.verify(str(path), str(d / "settings.json"), str(d / "vk.key"),
                                    srs_path=str(d / "kzg.srs"))), ""
        except Exception as e:  # noqa: BLE001 - EZKL raises on a proof that does not verify
            return False, f"{type(e).__name__}: {str(e)[:200]}"

    t = time.perf_counter()
    ok, why = check(d / "proof.json")
    seconds = time.perf_counter() - t
    bad = d / "proof-tampered.json"
    bad.write_text(json.dumps(tamper(json.loads((d / "proof.json").read_text()))))
    tampered, tampered_why = check(bad)
    return {"verified": ok, "why": why, "seconds_verify": seconds, "tampered_verified": tampered,
            "tampered_why": tampered_why}


def _evm(d: Path) -> dict:
    import asyncio

    import ezkl

    async def verifier():
        return await ezkl.create_evm_verifier(str(d / "vk.key"), str(d / "settings.json"), str(d / "Verifier.sol"),
                                              str(d / "Verifier.abi.json"), srs_path=str(d / "kzg.srs"))
    note = ""
    try:
        asyncio.run(verifier())
    except RuntimeError as e:
        # EZKL writes the Solidity source, then fetches a solc of its own to produce the ABI; that download
        # fails offline. The source is what we need: the project's pinned solc compiles it.
        if not (d / "Verifier.sol").exists():
            raise
        note = f"EZKL's own solc step failed ({str(e)[:120]}); compiled with the project's solc instead"
    calldata = ezkl.encode_evm_calldata(str(d / "proof.json"), str(d / "calldata.bin"))
    return {"solidity_bytes": (d / "Verifier.sol").stat().st_size, "calldata_bytes": len(calldata), "note": note}


def child(stage: str, d: Path) -> None:
    t = time.perf_counter()
    out: dict = {"stage": stage}
    try:
        out["result"] = globals()[f"_{stage}"](d)
    except Exception as e:  # noqa: BLE001 - the parent reports the failure as this stage's result
        out["error"] = f"{type(e).__name__}: {str(e)[:400]}"
    out["seconds"] = time.perf_counter() - t
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    (d / f"stage-{stage}.json").write_text(json.dumps(out))


# ---------------------------------------------------------------- the parent: every stage, watched


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def stage(name: str, d: Path, seconds: float, memory_mib: float) -> dict:
    """Runs one stage in a child; returns its JSON, or {"exceeded": "time" | "memory", ...} when stopped."""
    (d / f"stage-{name}.json").unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                         os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    with open(d / f"stage-{name}.log", "w") as log:
        p = subprocess.Popen([sys.executable, "-m", "benchmarks.ezkl_peer", name, str(d)], stdout=log,
                             stderr=subprocess.STDOUT, env=env, start_new_session=True)
        t0, peak, exceeded = time.perf_counter(), 0.0, None
        try:
            while p.poll() is None:
                peak = max(peak, _rss_mib(p.pid))
                if peak > memory_mib:
                    exceeded = "memory"
                elif time.perf_counter() - t0 > seconds:
                    exceeded = "time"
                if exceeded:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                    break
                time.sleep(0.05)
        except BaseException:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise
    wall = time.perf_counter() - t0
    path = d / f"stage-{name}.json"
    if not exceeded and path.exists():
        # a stage quicker than the sampling above: its own peak (ru_maxrss) still counts against the budget
        peak = max(peak, float(json.loads(path.read_text()).get("peak_mib", 0.0)))
        if peak > memory_mib:
            exceeded = "memory"
            path.unlink()
    if exceeded:
        return {"stage": name, "exceeded": exceeded, "seconds": wall, "peak_mib": peak}
    if not path.exists():
        tail = (d / f"stage-{name}.log").read_text(errors="replace")[-300:]
        return {"stage": name, "error": f"the stage's process ended with status {p.returncode}: {tail}",
                "seconds": wall, "peak_mib": peak}
    out = json.loads(path.read_text())
    out["peak_mib"] = max(out["peak_mib"], peak)
    return out


def prepare(d: Path, model_onnx: Path, x, variables: dict[str, int]) -> None:
    """FOLDER for `run`: the model, its input (a batch of one) and the symbolic dimensions' values."""
    import shutil

    d.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model_onnx, d / "model.onnx")
    (d / "input.json").write_text(json.dumps({"input_data": [[float(v) for v in x.reshape(-1)]]}))
    (d / "args.json").write_text(json.dumps({"variables": [[k, v] for k, v in variables.items()]}))


def run(d: Path, budget: Budget, on_stage=None) -> dict:
    """Every stage in order until one fails or exceeds the budget; returns {"stages": {...}, "stopped": ...}."""
    stages, left = {}, budget.seconds
    for name in STAGES:
        # The SRS stands in for the ceremony's file, which a deployment downloads: its generation is timed and
        # held to the memory budget, but it does not spend the model's time.
        r = stage(name, d, budget.seconds if name == "srs" else left, budget.memory_mib)
        stages[name] = r
        if name != "srs":
            left -= r["seconds"]
        if on_stage:
            on_stage(name, r)
        if "exceeded" in r:
            what = (f"{r['peak_mib'] / 1024:.1f} GiB > {budget.memory_mib / 1024:g} GiB" if r["exceeded"] == "memory"
                    else f"{budget.seconds:.0f} s spent")
            return {"stages": stages, "stopped": f"budget exceeded at {name} ({what})"}
        if "error" in r:
            return {"stages": stages, "stopped": f"{name} failed: {r['error']}"}
    return {"stages": stages, "stopped": None}


if __name__ == "__main__":
    child(sys.argv[1], Path(sys.argv[2]))
