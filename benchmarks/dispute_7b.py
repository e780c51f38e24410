"""A dispute on anvil at real size: the LLaMA-7B-shaped int8 model (or TinyLlama-1.1B's shape).

Builds the seeded int8 model once (benchmarks.exact_real.llama_folder, under $TRIBUNAL_CACHE/zoo), loads
it with streaming calibration, lowers it for one sequence of --seq token ids, ranks every step by its
one-step proof's modeled cost (bisection.step_cost) and plays two games on a local anvil node: a
submitter that lies at the costliest step, and one that lies at the last step (the lm_head). Each
liar must lose by the honest challenger's one-step proof, every transaction inside 1M gas and 64 KiB.
Prints, per game: moves, total gas, largest transaction's gas and the step proof's bytes, seconds;
and the load, lower and trace seconds and the process's peak memory against the target (1.3 x the
program's constant bytes + 1 GiB). The lowered program comes from the program cache when an earlier run
made it (runtime.program_cache: the int8 weights memory-mapped, shared by the players and the arbiter).
Run: python -m benchmarks.dispute_7b [--model llama7b|llama1b] [--seq 4] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

STEP_ARGS_BYTES = 4 + 6 * 32 + 1024  # OpmlGame.step around the proof: selector, heads, lengths, the chunk


def peak_gib() -> float:
    from benchmarks.exact_real import peak_gib as own_peak

    return own_peak()


def game(chain_opml, program, x_q, step: int) -> dict:
    from bisection import dispute
    from contracts.arbiter import ChainArbiter
    from runtime.proof_cost import BYTES_BOUND, GAS_BOUND

    sizes: list[int] = []

    def prover(program, k, flat, inputs) -> bytes:
        proof = ChainArbiter.step_proof(program, k, flat, inputs)
        sizes.append(len(proof))
        return proof

    t = time.perf_counter()
    r = dispute.run(program, x_q, "wrong-output", step, "defender", arbiter=ChainArbiter(chain_opml, prover=prover))
    gas = [m.gas for m in r.transcript if m.gas is not None]
    row = {"step": step, "op": program.nodes[step - 1].op, "winner": r.winner.value if r.winner else None,
           "won_by_proof": bool(r.transcript) and r.transcript[-1].kind == "step", "disputed_step": r.disputed_step,
           "moves": r.moves, "max_moves": r.max_moves, "total_gas": sum(gas), "largest_tx_gas": max(gas),
           "step_tx_bytes": max(sizes) + STEP_ARGS_BYTES if sizes else None, "rejected": r.rejected,
           "seconds": round(time.perf_counter() - t, 1)}
    row["ok"] = (row["winner"] == "challenger" and row["won_by_proof"] and row["largest_tx_gas"] <= GAS_BOUND
                 and (row["step_tx_bytes"] or 0) <= BYTES_BOUND)
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.dispute_7b", description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=("llama7b", "llama1b"), default="llama7b")
    p.add_argument("--seq", type=int, default=4)
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    if a.seq < 1:
        p.error("--seq must be at least 1")

    import torch

    from benchmarks.exact_real import llama_folder
    from bisection.step_cost import program_costs
    from contracts.chain import connect
    from contracts.chain.anvil import anvil_binary
    from contracts.bindings.opml import OpmlConfig
    from contracts.deploy import deploy_opml
    from runtime.model import Model

    # tests/contracts/test_opml.py's game, with the longer clocks a wide output's reveal rounds take
    CONFIG = OpmlConfig(window=1000, clock=100, stride=2, callback_gas=200_000)
    if not anvil_binary().exists():
        print("anvil is missing: run `npm ci`", file=sys.stderr)
        return 2
    torch.set_num_threads(2)
    figures: dict = {"model": a.model, "seq": a.seq, "load_avg": os.getloadavg()[0]}
    rng = np.random.default_rng(0)
    ids, samples = rng.integers(0, 32000, (1, a.seq)), rng.integers(0, 32000, (2, a.seq))
    t = time.perf_counter()
    path = llama_folder(a.model) / "model.onnx"
    figures["build_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    m = Model.load(path, calibration=samples)
    figures["load_s"] = round(time.perf_counter() - t, 1)  # with the calibration (streamed, or cached)
    t = time.perf_counter()
    program = m.program(ids.shape)  # lowered, or mapped from the program cache
    x_q = m.quantize_input(ids)
    figures["lower_s"], figures["steps"] = round(time.perf_counter() - t, 1), program.steps
    from runtime.program_cache import stats

    # both players and the arbiter share this one program, its weights mapped from the program cache
    figures["program_cache"] = "off" if not m.cached_programs else "hit" if stats["hits"] else "miss"
    figures["constants_gib"] = round(sum(v.nbytes for v in program.constants.values()) / 2**30, 2)
    figures["target_gib"] = round(1.3 * figures["constants_gib"] + 1, 2)
    figures["peak_after_lower_gib"] = round(peak_gib(), 2)
    t = time.perf_counter()
    costs = program_costs(program)
    worst = max(costs, key=lambda c: c.gas)
    figures["cost_s"] = round(time.perf_counter() - t, 1)
    figures["modeled_worst"] = {"step": worst.step, "op": worst.op, "gas": worst.gas, "tx_bytes": worst.tx_bytes}
    figures["steps_over_bounds"] = sum(not c.fits for c in costs)
    print(json.dumps(figures), flush=True)
    chain = connect("anvil")
    try:
        opml = deploy_opml(chain, CONFIG)
        figures["games"] = []
        for step in (worst.step, program.steps):
            figures["games"].append(game(opml, program, x_q, step))
            figures["games"][-1]["peak_gib"] = round(peak_gib(), 2)
            print(json.dumps(figures["games"][-1]), flush=True)
    finally:
        chain.close()
    figures["peak_gib"] = round(peak_gib(), 2)
    figures["within_target"] = figures["peak_gib"] <= figures["target_gib"]
    ok = all(g["ok"] for g in figures["games"]) and not figures["steps_over_bounds"]
    if a.json:
        print(json.dumps(figures))
    else:
        for k, v in figures.items():
            if k != "games":
                print(f"{k:18} {v}")
        for g in figures["games"]:
            print(f"lie at step {g['step']} ({g['op']}): winner {g['winner']} by proof {g['won_by_proof']}, {g['moves']} moves "
                  f"(bound {g['max_moves']}), {g['total_gas']} gas in all, largest tx {g['largest_tx_gas']} gas, "
                  f"step tx {g['step_tx_bytes']} B, {g['seconds']} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
