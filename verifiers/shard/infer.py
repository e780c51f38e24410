"""`tribunal infer MODEL --shards K --mode M`: one request on a model cut into K shards, and the pipeline in its verdict.

The model is cut into K shards (`--cuts` or balanced by weights; `--block B` compresses boundaries, 0 does
not). Modes, on the embedded chain or a fresh anvil (everything deployed here, parties in process):
- brain (default): a Brain committee round per shard, chained on chain by ShardRounds (each opened only with
  bytes whose root is the last round's majority boundary; verifiers/shard/committee.py, rounds.py); `--liars
  L` members vote one lying boundary on shard `--liar-shard`; `--fee` pays all K rounds;
- opml: the ShardLedger pipeline, one shard node per shard posting bonded boundaries (verifiers/shard/node.py);
  a request no node serves for the ledger's `expiry` blocks is expired, its fee refunded (PipelineExpired);
- hybrid: the same chain with each round a HybridCourt request on its shard: a lying committee is overturned by
  the court's fraud proof on that shard and its stake slashed (verifiers/shard/hybrid.py);
- auto: brain or hybrid, by the policy of unsharded requests (verifiers/modes/auto.py) and says why.
With `--deployment FILE --chain URL` it registers and sends the request, and processes serve it: in opml
`tribunal node --role shard` processes; in brain and hybrid `tribunal node --role shard-member` processes
(verifiers/shard/member_node.py), the requester reading boundaries from their store (`--store DIR`;
verifiers/shard/remote.py). Bad arguments, or a mode/option that does not fit a sharded request, are refused
with one line before anything is deployed or sent.
"""
from __future__ import annotations

import tempfile
import time

import numpy as np


from . import committee, pipeline, plans
from .errors import ShardSpecError

MODES = ("brain", "opml", "hybrid", "auto")  # what serves a sharded request


def add_arguments(p) -> None:
    p.add_argument("--shards", type=int, default=None, metavar="K",
                   help="serve the request through K shard nodes (ShardLedger), showing the pipeline")
    p.add_argument("--cuts", default=None, metavar="C1,C2", help="with --shards: the steps to cut after (default: balanced)")
    p.add_argument("--block", type=int, default=64, metavar="B",
                   help="with --shards: boundary compression block (QuantizeBlock); 0 sends boundaries uncompressed")
    p.add_argument("--store", default=None, metavar="DIR",
                   help="with --shards, --deployment and --mode brain|hybrid: the boundary store the member processes share")
    p.add_argument("--liar-shard", type=int, default=None, metavar="J",
                   help="with --shards and --liars L (brain, hybrid): the shard the L members lie on (default: the middle one)")


def check(args) -> tuple[plans.Spec, np.ndarray]:
    """The spec and quantized input, or a TribunalError naming what is wrong (nothing touched yet). The
    input: --input FILE.npy, else sample N of the model's test split (any sequence length for a language model)."""
    from runtime.model import Model
    from verifiers.inputs import load_input, sample_input

    if args.shards < 1:
        raise ShardSpecError(f"--shards must be at least 1, got {args.shards}")
    check_mode(args)
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


def check_mode(args) -> None:
    """The mode and the options it takes on a sharded request, or ShardSpecError (one line)."""
    from verifiers.deployment import DEFAULT_CONFIG

    if args.mode not in MODES:
        raise ShardSpecError(f"--mode {args.mode} does not serve a sharded request (with --shards: {', '.join(MODES)})")
    if getattr(args, "prompt", None) is not None:
        raise ShardSpecError("--shards serves one forward pass of the model, not a generation: drop --prompt")
    if args.deployment:
        check_attached(args)
    elif getattr(args, "store", None) is not None:
        raise ShardSpecError("--store is the member processes' boundary store: give it with --deployment FILE")
    if args.liars and args.mode == "opml":
        raise ShardSpecError("--liars is for a committee (brain, hybrid, auto), not --mode opml")
    if args.committee < 1:
        raise ShardSpecError(f"--committee must be at least 1, got {args.committee}")
    if not 0 <= args.liars <= args.committee:
        raise ShardSpecError(f"--liars must be in 0..{args.committee} (the committee), got {args.liars}")
    if args.liar_shard is not None and not 1 <= args.liar_shard <= args.shards:
        raise ShardSpecError(f"--liar-shard must be in 1..{args.shards}, got {args.liar_shard}")
    rounds = args.shards if args.mode != "opml" else 1  # brain and hybrid: the fee pays a round per shard
    if args.fee is not None and args.fee < DEFAULT_CONFIG.min_fee * rounds:
        raise ShardSpecError(f"fee {args.fee} wei is below the minimum {DEFAULT_CONFIG.min_fee * rounds} wei"
                             + (f" ({rounds} shard rounds of {DEFAULT_CONFIG.min_fee} wei)" if rounds > 1 else ""))
    if args.cheat != "honest" or args.watcher_cheat != "honest":
        raise ShardSpecError("--cheat/--watcher-cheat are the unsharded opML roles' strategies; on shards use --liars")


def check_attached(args) -> None:
    """A request to processes (--deployment FILE): the modes they serve, and what the requester needs."""
    from verifiers.node_ops import account_of

    if args.mode not in ("brain", "opml", "hybrid"):
        raise ShardSpecError(f"--deployment with --shards serves through `tribunal node` processes: --mode brain, "
                             f"hybrid (--role shard-member) or opml (--role shard), not {args.mode}")
    if args.liars or args.liar_shard is not None:
        raise ShardSpecError("--liars/--liar-shard arm in-process members; the processes' strategies are their own "
                             "(`tribunal node --cheat corrupt --lie-on J`)")
    if args.mode != "opml" and not args.store:
        raise ShardSpecError(f"--mode {args.mode} with --deployment reads each round's boundary from the member "
                             f"processes' store: give --store DIR (their --store)")
    if args.key is not None:
        account_of(args.key)


def run(args) -> dict:
    spec, x_q = check(args)
    plan = plans.plan_of(spec)
    t0 = time.perf_counter()
    unsharded = plan.base.run(x_q)[0]
    unsharded_s = time.perf_counter() - t0
    if args.deployment:
        v = _attached(args, spec, x_q)
    else:
        v = _ledger(args, spec, plan, x_q) if args.mode == "opml" else _committee(args, spec, plan, x_q)
    from runtime.tensor_root import tensor_root

    v.update(chain=args.chain, model=spec.model, unsharded_seconds=unsharded_s,
             registered_output_root="0x" + tensor_root(plan.full.run(x_q)[0]).hex(),
             unsharded_output_root="0x" + tensor_root(unsharded).hex())
    return v


def _committee(args, spec, plan, x_q) -> dict:
    """brain, hybrid or auto: a Brain committee round per shard (and, in hybrid, the ShardLedger behind it)."""
    from verifiers.api import Tribunal
    from verifiers.catalog import Catalog

    from . import hybrid

    t = Tribunal.connect(args.chain, committee=args.committee, agents=False, catalog=Catalog(()))
    try:
        store = tempfile.mkdtemp(prefix="tribunal-boundaries-")
        members = committee.start_members(t, store, liars=args.liars, lie_on={args.liar_shard or (plan.k + 1) // 2})
        mode, why = args.mode, None
        if mode == "auto":
            mode, why = choose(t, spec, args)
        t1 = time.perf_counter()
        if mode == "brain":
            v = committee.serve(t, spec, x_q, store, fee=args.fee)
        else:
            v = hybrid.serve(t, spec, x_q, store, members, fee=args.fee)
        v["wall_seconds"] = time.perf_counter() - t1
        v["liars"], v["liar_shard"] = args.liars, (args.liar_shard or (plan.k + 1) // 2) if args.liars else None
        if why:
            v["mode"], v["reason"] = f"auto ({mode})", why
    finally:
        t.close()
    return v


def choose(t, spec, args) -> tuple[str, str]:
    """auto on a sharded request: the unsharded policy (verifiers/modes/auto.py) on the sharded model, which
    always has an exact program a dispute can run shard by shard."""
    from types import SimpleNamespace

    from contracts.bindings.brain import ResultKind
    from verifiers.modes.auto import choose as policy
    from verifiers.modes.base import Request

    model = SimpleNamespace(name=f"{spec.model} in {len(spec.cuts) + 1} shards", disputable=True, exact=True)
    opts = {"latency_blocks": args.latency_blocks} if args.latency_blocks is not None else {}
    req = Request(model, None, "auto", args.fee or 0, None, int(args.value_at_risk), ResultKind.OUTPUT_ROOT, opts)
    name, why = policy(t, req)
    return ("hybrid", why) if name == "opml" else (name, why)  # hybrid serves every sharded request


def _ledger(args, spec, plan, x_q) -> dict:
    """opml: the ShardLedger pipeline, one in-process shard node per shard."""
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
        v = pipeline.wait(ledger, rid, spec, tick=sch.tick, drive=lambda: chain.mine(1), poll=0.0,
                          requester=chain.accounts[10])
        v["wall_seconds"] = time.perf_counter() - t1
        v["mode"] = "opml"
    finally:
        chain.close()
    return v


def _attached(args, spec, x_q) -> dict:
    """The request sent to a saved deployment whose `tribunal node` processes serve it (module docstring)."""
    from contracts.chain import connect
    from contracts.bindings.shard import ShardLedger
    from verifiers.deployment import attach
    from verifiers.node_ops import account_of

    from . import remote
    from .node import ledger_address
    from .rounds import rounds_address

    chain = connect(args.chain)
    try:
        d = attach(chain, args.deployment)
        ledger = ShardLedger(chain, ledger_address(args.deployment))
        requester = account_of(args.key) if args.key is not None else chain.accounts[10]
        if chain.balance(requester.address) == 0:  # it pays registrations and fees: say so before any is sent
            raise ShardSpecError(f"the requester {requester.address} holds no ether on {args.chain}; pass --key with "
                                 f"a funded account's key")
        paced = remote.Paced(d, requester, poll=0.5)
        if args.mode != "opml":
            from contracts.bindings.shard import ShardRounds

            rounds = ShardRounds(chain, rounds_address(args.deployment))
            return remote.serve(paced, args.mode, spec, x_q, args.store, ledger, rounds, fee=args.fee)
        plans.register(d, ledger, spec, sender=requester)
        t0 = time.perf_counter()
        rid = remote.send_routed(paced, ledger, spec, x_q, fee=args.fee)
        v = pipeline.wait(ledger, rid, spec, drive=paced.step, poll=0.0, requester=requester)
        v["wall_seconds"] = time.perf_counter() - t0
    finally:
        chain.close()
    return {**v, "mode": "opml"}


def render(r: dict, console) -> None:
    mode = r.get("mode", "opml")
    committee_mode = "brain" in mode or "hybrid" in mode
    if r.get("registered_output_root") and r.get("output_root") and r["output_root"] != r["registered_output_root"]:
        console.print(f"[bold red]WRONG ANSWER {r['status'].upper()}: the output root differs from an honest run of "
                      f"the registered program on this machine ({r['registered_output_root'][:18]})[/]")
    console.print(f"sharded request {r['request']}: {r['status']}  mode {mode}  ({r['spec']})")
    if r.get("reason"):
        console.print(f"why: {r['reason']}")
    head = "committee round" if committee_mode else "node"
    w = 12 if "hybrid" in mode else 18  # a hybrid row says what became of its committee's root: fits 80 columns
    console.print(f"{'shard':>5} {'steps':>5}  {head:<16} {'boundary root':<{w + 2}} {'bytes':>6} {'raw':>6} {'seconds':>8}"
                  + ("  committee" if "hybrid" in mode else ""))
    for s in r["shards"]:
        root = s["root"] or "-"
        who = s["node"] or "-"
        if "hybrid" in mode and s.get("round") is not None:
            who = f"{s['round']}: {s['votes']}/{s['committee']} -> {who[:8]}"
        row = (f"{s['shard']:>5} {s['steps']:>5}  {who[:16]:<16} {root[:w]:<{w + 2}} "
               f"{s['bytes'] if s['bytes'] is not None else '-':>6} "
               f"{s['bytes_uncompressed'] if s['bytes_uncompressed'] is not None else '-':>6} "
               f"{s['seconds'] if s['seconds'] is not None else '-':>8}")
        if "hybrid" in mode and s.get("committee_root"):
            after = r.get("overturned") and s["shard"] > r["overturned"]
            row += f"  {'upheld' if s['upheld'] else 'redone' if after else 'OVERTURNED'}"
        console.print(row)
    for dsp in r["disputes"]:
        console.print(f"dispute on shard {dsp['shard']} by {dsp['challenger']}")
    for res in r["resolved"]:
        console.print(f"  resolved: winner {res['winner']}, {'post voided' if res['voided'] else 'post stands'}")
    if r.get("liars"):
        console.print(f"{r['liars']} of the committee voted one lying boundary on shard {r['liar_shard']}")
    if "links" in r:
        console.print(f"rounds chained on chain (each round opened with bytes whose root is the last round's "
                      f"result): {'yes' if r['links'] else 'NO'}")
    if "hybrid" in mode and "overturned" in r:
        lost = sum(r.get("slashed", {}).values())
        console.print("overturned: " + (f"yes, shard {r['overturned']}'s committee answer, by the court's fraud proof on "
                                         f"that shard; {len(r.get('slashed', {}))} members lost {lost} wei of stake"
                                         if r.get("overturned") else "no: every shard's committee answer stood"))
    if "pipeline" in r:
        g = r.get("gas", {})
        console.print(f"ShardRounds pipeline {r['pipeline']} at {r['shard_rounds']}: gas request {g.get('request')}, "
                      f"advance {', '.join(map(str, g.get('advance', []))) or '-'}")
    console.print(f"output root {r['output_root']}")
    if "unsharded_output_root" in r:
        same = r["output_root"] == r["unsharded_output_root"]
        console.print(f"unsharded exact run: {r['unsharded_output_root']} "
                      f"({'the same' if same else 'differs: boundaries compressed' if r['output_root'] == r['registered_output_root'] else 'DIFFERS'})")
        console.print(f"registered program (compression steps included): "
                      f"{'the same' if r['output_root'] == r['registered_output_root'] else 'DIFFERS'}")
        console.print(f"seconds: compute unsharded {r['unsharded_seconds']:.3f}, sharded request end to end "
                      f"{r['wall_seconds']:.1f} (chain, windows included)")
