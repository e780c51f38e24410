"""`tribunal infer MODEL --shards K`: one request served by K shard nodes, and the pipeline in its verdict.

On the embedded chain or a fresh anvil it deploys everything plus a ShardLedger, registers the model cut
into K shards (`--cuts` or balanced by weights; `--block B` compresses boundaries, 0 does not) and runs
one shard node per shard in process. With `--deployment FILE --chain URL` it only registers and sends the
request: `tribunal node --role shard` processes serve it. Bad arguments are refused before anything is
deployed or sent.
"""
from __future__ import annotations

import tempfile
import time

import numpy as np


from . import pipeline, plans
from .errors import ShardSpecError


def add_arguments(p) -> None:
    p.add_argument("--shards", type=int, default=None, metavar="K",
                   help="serve the request through K shard nodes (ShardLedger), showing the pipeline")
    p.add_argument("--cuts", default=None, metavar="C1,C2", help="with --shards: the steps to cut after (default: balanced)")
    p.add_argument("--block", type=int, default=64, metavar="B",
                   help="with --shards: boundary compression block (QuantizeBlock); 0 sends boundaries uncompressed")


def check(args) -> tuple[plans.Spec, np.ndarray]:
    """The spec and quantized input, or a TribunalError naming what is wrong (nothing touched yet). The
    input: --input FILE.npy, else sample N of the model's test split (any sequence length for a language model)."""
    from runtime.model import Model
    from verifiers.inputs import load_input, sample_input

    if args.shards < 1:
        raise ShardSpecError(f"--shards must be at least 1, got {args.shards}")
    if args.block and (args.block < 2 or args.block % 2 or 512 % args.block):
        raise ShardSpecError(f"--block must be 0 or an even divisor of 512, got {args.block}")
    cuts = None
    if args.cuts:
        try:
            cuts = tuple(int(c) for c in args.cuts.split(","))
        except ValueError:
            raise ShardSpecError(f"--cuts {args.cuts!r}: want comma-separated step numbers") from None
        if len(cuts) != args.shards - 1:
            raise ShardSpecError(f"--cuts names {len(cuts)} cuts; {args.shards} shards need {args.shards - 1}")
    model = Model.load(args.model, profile="exact")
    x = load_input(args.input) if args.input is not None else sample_input(model, args.sample or 0)
    x_q = model.quantize_input(np.asarray(x))
    spec = plans.make_spec(args.model, args.shards, tuple(x_q.shape), args.block, cuts)
    plans.plan_of(spec)  # InvalidCut here, before any chain
    return spec, x_q


def run(args) -> dict:
    spec, x_q = check(args)
    plan = plans.plan_of(spec)
    t0 = time.perf_counter()
    unsharded = plan.base.run(x_q)[0]
    unsharded_s = time.perf_counter() - t0
    if args.deployment:
        return _attached(args, spec, x_q)
    from contracts.chain import connect
    from verifiers.agents.base import Scheduler
    from verifiers.catalog import Catalog
    from verifiers.chainlog import install
    from verifiers.deployment import deploy_all

    from .node import ShardNode

    chain = connect(args.chain)
    try:
        install(chain)
        d = deploy_all(chain)
        ledger = pipeline.deploy_ledger_for(d)
        plans.register(d, ledger, spec)
        store = tempfile.mkdtemp(prefix="tribunal-boundaries-")
        nodes = [ShardNode(d, chain.accounts[20 + j], catalog=Catalog((spec.model,)), ledger=ledger, store=store,
                           shards={j + 1}) for j in range(plan.k)]
        sch = Scheduler(nodes)
        while sch.tick():
            pass
        t1 = time.perf_counter()
        rid = pipeline.send_request(ledger, spec, x_q, chain.accounts[10])
        v = pipeline.wait(ledger, rid, spec, tick=sch.tick, drive=lambda: chain.mine(1), poll=0.0)
        v["wall_seconds"] = time.perf_counter() - t1
    finally:
        chain.close()
    from runtime.tensor_root import tensor_root

    v.update(chain=args.chain, model=spec.model, unsharded_seconds=unsharded_s,
             registered_output_root="0x" + tensor_root(plan.full.run(x_q)[0]).hex(),
             unsharded_output_root="0x" + tensor_root(unsharded).hex())
    return v


def _attached(args, spec, x_q) -> dict:
    from contracts.chain import connect
    from contracts.bindings.shard import ShardLedger
    from verifiers.deployment import attach

    from .node import ledger_address

    chain = connect(args.chain)
    try:
        d = attach(chain, args.deployment)
        ledger = ShardLedger(chain, ledger_address(args.deployment))
        plans.register(d, ledger, spec)
        rid = pipeline.send_request(ledger, spec, x_q, chain.accounts[10])
        v = pipeline.wait(ledger, rid, spec, drive=lambda: chain.mine(1), poll=0.5)
    finally:
        chain.close()
    return v


def render(r: dict, console) -> None:
    console.print(f"sharded request {r['request']}: {r['status']}  ({r['spec']})")
    console.print(f"{'shard':>5} {'steps':>5}  {'node':<14} {'boundary root':<20} {'bytes':>6} {'raw':>6} {'seconds':>8}")
    for s in r["shards"]:
        root = s["root"] or "-"
        console.print(f"{s['shard']:>5} {s['steps']:>5}  {(s['node'] or '-')[:12]:<14} {root[:18]:<20} "
                      f"{s['bytes'] if s['bytes'] is not None else '-':>6} "
                      f"{s['bytes_uncompressed'] if s['bytes_uncompressed'] is not None else '-':>6} "
                      f"{s['seconds'] if s['seconds'] is not None else '-':>8}")
    for dsp in r["disputes"]:
        console.print(f"dispute on shard {dsp['shard']} by {dsp['challenger']}")
    for res in r["resolved"]:
        console.print(f"  resolved: winner {res['winner']}, {'post voided' if res['voided'] else 'post stands'}")
    console.print(f"output root {r['output_root']}")
    if "unsharded_output_root" in r:
        same = r["output_root"] == r["unsharded_output_root"]
        console.print(f"unsharded exact run: {r['unsharded_output_root']} ({'the same' if same else 'differs: boundaries compressed'})")
        console.print(f"registered program (compression steps included): "
                      f"{'the same' if r['output_root'] == r['registered_output_root'] else 'DIFFERS'}")
        console.print(f"seconds: compute unsharded {r['unsharded_seconds']:.3f}, sharded request end to end "
                      f"{r['wall_seconds']:.1f} (chain, windows included)")
