"""tribunal demo: one inference verified both ways on one chain (the embedded one by default).

1. runtime: the model under the fast profile (onnxruntime) and the exact one (integers, the output
   root that every honest party reproduces bit for bit);
2. brain: five staked nodes drawn as a committee commit and reveal the output root through the
   Brain contract; one of them lies, is outvoted and slashed; the consumer's callback receives the
   agreed root;
3. opml: a submitter claims a wrong result (one element corrupted at a step), an honest challenger
   disputes it by bisection, and the one-step check on chain rejects the claim and pays the bond.

Every party is played here in one process, talking only through the chain.
"""
from __future__ import annotations

import time

import numpy as np

from runtime import zoo
from runtime.model import Model
from runtime.tensor_root import tensor_bytes, tensor_root

from ..inputs import sample_input

NAME = "demo"
HELP = "the main demo: one inference verified by a BRAIN committee and by an opML dispute, on chain"
ETHER = 10**18


def add_arguments(p) -> None:
    p.add_argument("--model", default="digits-mlp", choices=[n for n, e in zoo.ENTRIES.items() if e.exact])
    p.add_argument("--sample", type=int, default=0, help="which held-out input")
    p.add_argument("--chain", default="embedded", choices=["embedded", "anvil"])
    p.add_argument("--cheat-step", type=int, default=None, help="the step the opML submitter corrupts (default: middle)")


def run(args) -> dict:
    from contracts.chain import connect

    m = Model.load(args.model, profile="exact")
    x = sample_input(m, args.sample)
    x_q = m.quantize_input(x)
    program = m.program(x_q.shape)
    exact = m.run_exact(x)
    fast = m.run_fast(x)[0]
    _, labels = zoo.test_data(args.model)
    out = {"model": args.model, "sample": args.sample, "chain": args.chain, "steps": program.steps,
           "runtime": {"label": None if labels is None else int(labels[args.sample]),
                       "fast_top1": int(fast.argmax()), "exact_top1": int(exact.floats()[0].argmax()),
                       "output_root": "0x" + exact.output_root.hex()}}
    t0 = time.perf_counter()
    chain = connect(args.chain)
    try:
        out["brain"] = _brain(chain, program, x_q, exact.output_root)
        out["opml"] = _opml(chain, program, x_q, args.cheat_step or max(1, program.steps // 2))
    finally:
        chain.close()
    out["seconds"] = time.perf_counter() - t0
    return out


def _brain(chain, program, x_q, output_root: bytes) -> dict:
    """A committee round: request, dispatch, commit, reveal, finalize with the consumer's callback."""
    from bisection.commitments import commit
    from contracts import events as ev
    from contracts.bindings import commitment, model_id_of, new_salt
    from contracts.deploy import SystemConfig, deploy

    s = deploy(chain, SystemConfig(committee_size=5))
    gas = {}
    for node in chain.accounts[1:8]:
        gas["register"] = s.nodes.register(2 * ETHER, sender=node).gas_used
    c = commit(program)
    s.models.register(c.program_root, c.weights_root)
    model_id = model_id_of(c.program_root, c.weights_root)
    user = chain.accounts[10]
    r = s.brain.request(model_id, tensor_bytes(x_q), fee=ETHER // 100, sender=user, consumer=s.consumer.address,
                        callback_gas=100_000)
    rid, gas["request"] = r.one(ev.Requested).request_id, r.gas_used
    chain.mine(1)  # the seed block: its hash, unknown at request time, draws the committee
    gas["dispatch"] = s.brain.dispatch(1).gas_used
    by_address = {a.address: a for a in chain.accounts}
    members = [by_address[a] for a in s.brain.committee(rid)]
    # Each honest member runs the exact profile on the request's input itself; the first one lies.
    honest = tensor_root(program.run(x_q)[0])
    wrong = bytes([honest[0] ^ 1]) + honest[1:]
    votes = {mb.address: wrong if i == 0 else honest for i, mb in enumerate(members)}
    salts = {a: new_salt() for a in votes}
    for mb in members:
        gas["commit"] = s.brain.commit(rid, commitment(votes[mb.address], mb.address, salts[mb.address]), sender=mb).gas_used
    for mb in members:
        gas["reveal"] = s.brain.reveal(rid, votes[mb.address], salts[mb.address], sender=mb).gas_used
    r = s.brain.finalize(rid)
    gas["finalize+callback"] = r.gas_used
    fin = r.one(ev.Finalized)
    return {"request_id": rid, "committee": [mb.address for mb in members], "liar": members[0].address,
            "result": "0x" + fin.result.hex(), "votes": fin.votes, "agrees_with_exact": fin.result == output_root,
            "callback_ok": r.one(ev.CallbackExecuted).success,
            "consumer_has": "0x" + s.consumer.result_of(s.brain.address, rid).hex(),
            "slashed": [e.node for e in r.of(ev.Slashed)], "gas": gas}


def _opml(chain, program, x_q, step: int) -> dict:
    """A cheating submitter against an honest challenger, refereed by the opML contracts."""
    from bisection import dispute
    from contracts.arbiter import ChainArbiter
    from contracts.deploy import deploy_opml

    arbiter = ChainArbiter(deploy_opml(chain))
    r = dispute.run(program, x_q, "wrong-output", step, "defender", 0, arbiter)
    return {"cheat": f"wrong-output at step {step}", "winner": r.winner, "moves": r.moves, "max_moves": r.max_moves,
            "disputed_step": r.disputed_step, "claim_status": r.claim_status, "reason": r.reason,
            "gas_total": sum(t["gas"] for t in arbiter.gas), "transcript": r.transcript}


def render(r, console) -> None:
    from rich.table import Table

    rt = r["runtime"]
    console.print(f"[bold]{r['model']}[/], sample {r['sample']} (label {rt['label']}): fast top-1 {rt['fast_top1']}, "
                  f"exact top-1 {rt['exact_top1']}, {r['steps']} exact steps, output root {rt['output_root'][:18]}...")
    b = r["brain"]
    t = Table(show_header=False, title=f"brain on the {r['chain']} chain: a committee of {len(b['committee'])}, one liar")
    t.add_row("finalized result", f"{b['result'][:18]}... ({b['votes']} votes; equals the exact output root: {b['agrees_with_exact']})")
    t.add_row("callback", f"{'ran' if b['callback_ok'] else 'failed'}; consumer holds {b['consumer_has'][:18]}...")
    t.add_row("slashed", ", ".join(a[:10] + "..." for a in b["slashed"]) or "nobody")
    t.add_row("gas", ", ".join(f"{k} {v:,}" for k, v in b["gas"].items()))
    console.print(t)
    o = r["opml"]
    t = Table("move", "side", "kind", "gas", title=f"opml on the {r['chain']} chain: the submitter cheats ({o['cheat']})")
    for mv in o["transcript"]:
        t.add_row(str(mv.get("move")), str(mv.get("side")), str(mv.get("kind")), f"{mv.get('gas', 0):,}")
    console.print(t)
    console.print(f"winner: [bold]{o['winner']}[/] after {o['moves']} moves (bound {o['max_moves']}), disputed step "
                  f"{o['disputed_step']}; claim {o['claim_status']}; {o['gas_total']:,} gas in all")
    console.print(f"({o['reason']})")
    console.print(f"{r['seconds']:.1f} s on chain")
