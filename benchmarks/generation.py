"""Generation: tokens per second exact vs fast, trace cost per token, and a 32-token generation
disputed on chain at an early, a middle and the last token.

    python -m benchmarks.generation                      code-lm (P=8, N=32) on numpy/torch/onnxruntime, anvil disputes
    python -m benchmarks.generation --realsize           also GPT-2 124M (a GPT2Config() directory, seeded weights),
                                                         its 32-token generation disputed too
    python -m benchmarks.generation --chain embedded     the disputes on the embedded chain instead

Tokens/s count the N new tokens of one request over the whole run (prefill included); the exact
profile runs the unrolled program (runtime.generation), the fast profile the same graph on
onnxruntime. A dispute: the defender claims a trace whose chosen token at token t is wrong (its
ArgMax step, or with GPT-2's 50257-token vocabulary its ArgMaxMerge step, and with `--block` also the
ArgMaxBlock step before it: `wrong-output`), the honest challenger wins; gas is every transaction of
the claim and the game, the largest is the costliest one (the one-step proof), bytes the disputed
step's proof. Prints only.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from runtime.errors import TribunalError
from runtime.generation.generator import Generator

P, N = 8, 32


def speeds(g: Generator, prompt_ids: list[int], label: str) -> tuple:
    req = g.request(ids=prompt_ids[:P], max_new_tokens=N)
    t0 = time.perf_counter()
    m = g.model_for(req)
    prep = time.perf_counter() - t0
    row = {"model": label, "prepare s (export, calibrate)": round(prep, 1)}
    g.generate(req, "fast")
    t = time.perf_counter()
    fast = g.generate(req, "fast")
    row["fast tok/s"] = round(N / (time.perf_counter() - t), 1)
    m._sessions.clear()  # the float session freed before lowering: GPT-2 124M's two together pass 4 GiB
    try:
        t = time.perf_counter()
        prog = m.program(req.x.shape)
        row["lower s"] = round(time.perf_counter() - t, 1)
        row["steps"], row["steps/token"] = prog.steps, round(prog.steps / N, 1)
        for backend in ("numpy", "torch"):
            g.generate(req, "exact", backend)  # first run: the backend's copy of the constants
            t = time.perf_counter()
            exact = g.generate(req, "exact", backend)
            row[f"exact {backend} tok/s"] = round(N / (time.perf_counter() - t), 1)
        row["exact=fast positions"] = f"{np.mean(exact.tokens == fast.tokens):.0%}"
        from bisection import trace

        tr = trace.compute(prog, m.quantize_input(req.x))
        row["trace s/token"] = round(tr.seconds / N, 3)
        row["trace MB hashed/token"] = round(tr.bytes_hashed / N / 1e6, 2)
        return row, (prog, m.quantize_input(req.x), m.token_steps(prog))
    except TribunalError as e:
        row["exact"] = f"not served: {e}"
        return row, None


class Proofs:
    """A ChainArbiter prover that keeps each one-step proof's size (the default prover underneath)."""

    def __init__(self):
        self.sizes: list[int] = []

    def __call__(self, program, step, flat, inputs) -> bytes:
        from contracts.arbiter import ChainArbiter

        proof = ChainArbiter.step_proof(program, step, flat, inputs)
        self.sizes.append(len(proof))
        return proof


def disputes(case, chain_kind: str, block: bool = False) -> list[dict]:
    from bisection import dispute
    from contracts.arbiter import ChainArbiter
    from contracts.bindings.opml import OpmlConfig
    from contracts.chain import connect
    from contracts.deploy import deploy_opml

    prog, x_q, steps = case
    targets = [("early", 1, 0), ("middle", N // 2, 0), ("last", N - 1, 0)]
    if block and prog.nodes[steps[-1] - 1].op == "ArgMaxMerge":
        targets.append(("last, its ArgMaxBlock", N - 1, 1))
    chain = connect(chain_kind)
    rows = []
    try:
        system = deploy_opml(chain, OpmlConfig(window=100, clock=100, stride=2))
        for label, token, back in targets:
            snap = chain.snapshot()
            proofs = Proofs()
            try:
                arbiter = ChainArbiter(system, prover=proofs)
                arbiter.register_model(prog)
                registered = len(arbiter.gas)
                t0 = time.perf_counter()
                r = dispute.run(prog, x_q, "wrong-output", steps[token] - back, "defender", arbiter=arbiter)
                wall = time.perf_counter() - t0
            finally:
                chain.revert(snap)
            txs = arbiter.gas[registered:]
            k = r.disputed_step or steps[token] - back
            rows.append({"token": f"{label} ({token})", "step": k, "op": prog.nodes[k - 1].op, "winner": r.winner,
                         "moves": r.moves, "max moves": r.max_moves, "gas": sum(t["gas"] for t in txs),
                         "largest tx gas": max(t["gas"] for t in txs),
                         "proof bytes": max(proofs.sizes) if proofs.sizes else None, "seconds": round(wall, 1)})
    finally:
        chain.close()
    return rows


def gpt2_124m(root: Path) -> Path:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config()).eval().save_pretrained(root)
    return root


def table(rows: list[dict]) -> None:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    for r in rows:
        print("  " + ", ".join(f"{k}: {r[k]}" for k in keys if k in r), flush=True)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--realsize", action="store_true", help="also GPT-2 124M (random weights; minutes, GBs)")
    p.add_argument("--chain", default="anvil", choices=["anvil", "embedded", "none"])
    p.add_argument("--skip-zoo", action="store_true", help="with --realsize: GPT-2 124M only")
    args = p.parse_args(argv)
    print(f"--- tokens/s, {P}-token prompt, {N} new tokens (greedy)", flush=True)
    case = None
    if not (args.skip_zoo and args.realsize):
        g = Generator.load("code-lm")
        prompt = g.hf.encode(json.loads((g.hf.path / "prompts.json").read_text())[1])
        row, case = speeds(g, prompt, "code-lm")
        table([row])
    if args.chain != "none" and case is not None:
        print(f"--- code-lm, {N}-token generation disputed on {args.chain} (defender changes one token)", flush=True)
        table(disputes(case, args.chain))
        case = None
    if args.realsize:
        with tempfile.TemporaryDirectory() as d:
            big = Generator.load(gpt2_124m(Path(d) / "gpt2-124m"))  # a fixed name: its exports are cached
            row, big_case = speeds(big, list(range(100, 100 + P)), "gpt2-124m")
            table([row])
            if args.chain != "none" and big_case is not None:
                print(f"--- gpt2-124m, {N}-token generation disputed on {args.chain} (defender changes one token)",
                      flush=True)
                table(disputes(big_case, args.chain, block=True))


if __name__ == "__main__":
    main()
