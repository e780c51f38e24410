"""BRAIN on chain: gas per transaction kind next to the paper's figures, and the requests per second
that committees of 5 and 15 sustain on anvil with 1-second blocks.

    python -m benchmarks.brain_gas                      gas tables + throughput (about 7 minutes)
    python -m benchmarks.brain_gas --gas-only
    python -m benchmarks.brain_gas --seconds 40 --committees 5 15 --batches 20 100 --batch-run 150

Gas is measured on anvil by default (`--gas-chain embedded` gives the same figures, slower). Throughput: anvil from node_modules, set up
with automine, then switched to interval mining at 1 block per second (what `--block-time 1` does)
and the default 30M block gas limit; a closed-loop driver keeps `--outstanding` requests open
(request -> dispatch -> commits -> reveals -> finalize with callback, each sent as soon as the chain
allows) and counts requests finalized per second of chain time after a warm-up. Transactions go as
JSON-RPC batches of eth_sendTransaction (anvil --auto-impersonate), so Python signing is not the
bottleneck. It stops by itself after warm-up + --seconds per configuration.

Batched (Brain.dispatchBatch): a second table gives gas per request by transaction kind, unbatched and
for batches of each `--batches` size (each transaction's gas divided by the requests it serves, the
committee's k commits and k reveals included); the batched run dispatches up to `--batch-run` ready
requests per block into one batch, each member commits and reveals once per batch, and one
finalizeBatch settles it, with the members' duties from `contracts.round.Rounds` as in the unbatched run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass

import requests

from contracts import events as ev
from contracts.bindings import commitment, model_id_of, new_salt
from contracts.bindings.brain import batch_commitment
from contracts.chain import connect
from contracts.deploy import ETHER, SystemConfig, deploy
from contracts.round import Duty, Rounds

# BRAIN paper (FACTS.md): Hardhat, solc 0.6.12.
PAPER = {"commit": 45_600, "reveal": 79_300, "request": 68_700, "dispatch": 92_900}
PAPER_NOTE = {"request": "queue push (median)", "dispatch": "queue pop (median)"}
ROOTS = (b"\x01" * 32, b"\x02" * 32)
NODES = 24
RESULT = b"\x42" * 32


def _config(k: int, window: int, **kw) -> SystemConfig:
    return SystemConfig(committee_size=k, commit_window=window, reveal_window=window, max_callback_gas=100_000,
                        max_in_flight=4096, **kw)


def _setup(chain, k: int, window: int, **kw):
    system = deploy(chain, _config(k, window, **kw))
    regs = [system.nodes.register(2 * ETHER, sender=a) for a in chain.accounts[1:1 + NODES]]
    system.models.register(*ROOTS)
    return system, regs


# ---------------------------------------------------------------- gas


def measure_gas(k: int, rounds: int = 4, chain_kind: str = "anvil") -> dict[str, list[int]]:
    chain = connect(chain_kind, accounts=40)
    system, regs = _setup(chain, k, window=2 * k + 4)  # every transaction is a block here
    by_addr = {a.address: a for a in chain.accounts}
    mid = model_id_of(*ROOTS)
    gas: dict[str, list[int]] = defaultdict(list)
    gas["register"] = [r.gas_used for r in regs[1:]]  # the first one also creates the array
    for n in range(rounds):
        user = chain.accounts[30 + n % 5]
        r = system.brain.request(mid, os.urandom(32), fee=ETHER // 100, sender=user,
                                 consumer=system.consumer.address, callback_gas=100_000)
        rid = r.one(ev.Requested).request_id
        gas["request"].append(r.gas_used)
        chain.mine(1)
        r = system.brain.dispatch(1)
        gas["dispatch"].append(r.gas_used)
        members = [by_addr[m] for m in system.brain.committee(rid)]
        salts = {}
        for m in members:
            salts[m.address] = s = new_salt()
            gas["commit"].append(system.brain.commit(rid, commitment(RESULT, m.address, s), sender=m).gas_used)
        for m in members:
            gas["reveal"].append(system.brain.reveal(rid, RESULT, salts[m.address], sender=m).gas_used)
        r = system.brain.finalize(rid)
        assert r.one(ev.CallbackExecuted).success
        gas["finalize+callback"].append(r.gas_used)
        # single phase: the same committee size signs, a bare quorum of signatures
        sp = system.single_phase
        seed_block = chain.block_number  # the request lands in the next block, whose parent this is
        input_hash = os.urandom(32)
        signers = [by_addr[a] for a in system.nodes.accounts_of(sp.committee_for(seed_block))]
        sigs = [sp.sign(m, seed_block, mid, input_hash, RESULT) for m in signers[: k // 2 + 1]]
        r = sp.request_and_respond(mid, input_hash, seed_block, RESULT, sigs, fee=ETHER // 100, sender=user,
                                   consumer=system.consumer.address, callback_gas=100_000)
        gas["single-phase request"].append(r.gas_used)
    chain.close()
    return gas


def measure_batch_gas(k: int, batch: int, chain_kind: str = "anvil") -> dict[str, int]:
    """Gas of one batch of `batch` requests (Brain.dispatchBatch): each transaction kind's total, and per
    request: `batch` requests, one dispatchBatch, k commitBatch, k revealBatch, one finalizeBatch."""
    chain = connect(chain_kind, accounts=40)
    try:
        # every transaction is a block here: the batch's requests wait up to `batch` blocks for dispatch
        system, _ = _setup(chain, k, window=2 * k + 4, queue_timeout=256, withdrawal_delay=256)
        by_addr = {a.address: a for a in chain.accounts}
        mid = model_id_of(*ROOTS)
        brain = system.brain
        batch = min(batch, brain.max_batch)  # Brain takes no more in one batch
        requests = [brain.request(mid, os.urandom(32), fee=ETHER // 100, sender=chain.accounts[30 + n % 5],
                                  consumer=system.consumer.address, callback_gas=100_000).gas_used
                    for n in range(batch)]
        chain.mine(1)
        r = brain.dispatch_batch(batch)
        b = r.one(ev.BatchDispatched)
        assert len(b.request_ids) == batch
        total = {"request": sum(requests), "dispatch": r.gas_used, "commit": 0, "reveal": 0}
        members = sorted(brain.committee(b.batch_id), key=system.nodes.index_of)
        results = [RESULT] * batch
        salts = {m: new_salt() for m in members}
        for m in members:
            total["commit"] += brain.commit_batch(b.batch_id, batch_commitment(results, m, salts[m]),
                                                  sender=by_addr[m]).gas_used
        for m in members:
            total["reveal"] += brain.reveal_batch(b.batch_id, results, salts[m], sender=by_addr[m]).gas_used
        r = brain.finalize_batch(b.batch_id, list(b.request_ids), [results] * k)
        assert all(e.success for e in r.of(ev.CallbackExecuted)) and len(r.of(ev.Finalized)) == batch
        total["finalize+callback"] = r.gas_used
        return total | {"requests": batch}
    finally:
        chain.close()


def print_per_request(k: int, unbatched: dict[str, list[int]], batches: dict[int, dict[str, int]]) -> None:
    """Gas per request by transaction kind: the unbatched path (k commits and k reveals per request) and
    batches of each size (every transaction's gas divided by the requests it serves)."""
    med = {kind: int(statistics.median(v)) for kind, v in unbatched.items()}
    plain = {"request": med["request"], "dispatch": med["dispatch"], "commit": k * med["commit"],
             "reveal": k * med["reveal"], "finalize+callback": med["finalize+callback"]}
    cols = {"unbatched": plain} | {f"batch of {t['requests']}": {kind: t[kind] // t["requests"] for kind in plain}
                                   for t in batches.values()}
    print(f"\nGas per request at k={k}, all transactions counted (commit/reveal: the committee's k transactions)")
    print(f"{'transaction':<22}" + "".join(f"{c:>16}" for c in cols))
    for kind in plain:
        print(f"{kind:<22}" + "".join(f"{c[kind]:>16,}" for c in cols.values()))
    totals = {c: sum(v.values()) for c, v in cols.items()}
    print(f"{'total':<22}" + "".join(f"{t:>16,}" for t in totals.values()))
    print(f"{'30M-gas 1-s blocks':<22}" + "".join(f"{f'{30_000_000 / t:.1f} req/s':>16}" for t in totals.values()))


def print_gas(tables: dict[int, dict[str, list[int]]], chain_kind: str) -> None:
    ks = sorted(tables)
    kinds = list(tables[ks[0]])
    head = f"{'transaction':<22}" + "".join(f"{'k=' + str(k) + ' median':>14}{'(min-max)':>18}" for k in ks)
    print(f"\nGas per transaction kind ({chain_kind} chain, solc 0.8.28 optimizer 200, cancun; {NODES} nodes)")
    print(head + f"{'paper':>10}  paper's figure")
    for kind in kinds:
        row = f"{kind:<22}"
        for k in ks:
            v = tables[k][kind]
            row += f"{int(statistics.median(v)):>14,}{f'({min(v):,}-{max(v):,})':>18}"
        paper = PAPER.get(kind)
        row += f"{paper:>10,}  {PAPER_NOTE.get(kind, kind)}" if paper else f"{'-':>10}"
        print(row)
    print("paper: secp256k1 VRF verify ~1,610,000 gas (fast verify ~110,000); here the seed is a block hash "
          "(no verify cost, drawn inside dispatch)")


# ---------------------------------------------------------------- throughput


@dataclass
class Gas:
    request: int
    dispatch: int
    commit: int
    reveal: int
    finalize: int


class Rpc:
    def __init__(self, url: str):
        self.url, self.session, self.ids = url, requests.Session(), 0

    def batch(self, calls: list[tuple[str, list]]) -> list:
        if not calls:
            return []
        body = []
        for method, params in calls:
            self.ids += 1
            body.append({"jsonrpc": "2.0", "id": self.ids, "method": method, "params": params})
        out = self.session.post(self.url, json=body, timeout=60).json()
        errors = [o["error"] for o in out if "error" in o]
        if errors:
            raise RuntimeError(f"{len(errors)} of {len(body)} calls failed, first: {errors[0]}")
        return [o["result"] for o in out]


def measure_throughput(k: int, seconds: float, warmup: float, outstanding: int, gas: Gas, batch: int = 0) -> dict:
    """Requests finalized per second of chain time; `batch` > 0 serves them in batches of up to that many
    (dispatchBatch, commitBatch, revealBatch, finalizeBatch; `gas` then holds per-request limits)."""
    chain = connect("anvil", accounts=40, extra_args=("--auto-impersonate",))
    try:
        system, _ = _setup(chain, k, window=10)
        rpc = Rpc(chain.process.url)
        rpc.batch([("evm_setAutomine", [False]), ("evm_setIntervalMining", [1])])
        brain = system.brain.contract
        mid = model_id_of(*ROOTS)
        accounts = {i: a.address for i, a in enumerate(chain.accounts)}
        node_of = [system.nodes.node(i).account for i in range(system.nodes.node_count())]
        nonces = {a.address: chain.w3.eth.get_transaction_count(a.address) for a in chain.accounts}
        users = [accounts[i] for i in range(30, 36)]
        w3 = chain.w3

        def tx(sender: str, data: str, gas_limit: int, value: int = 0) -> tuple[str, list]:
            gas_limit = min(gas_limit, 29_000_000)  # a limit above the block's is refused outright
            n = nonces[sender]
            nonces[sender] = n + 1
            return ("eth_sendTransaction", [{"from": sender, "to": system.brain.address, "data": data,
                                             "gas": hex(gas_limit), "value": hex(value), "nonce": hex(n),
                                             "maxFeePerGas": hex(200 * 10**9),
                                             "maxPriorityFeePerGas": hex(10**9)}])

        def request_tx(i: int):
            data = brain.encode_abi("request", [mid, os.urandom(32), 0, system.consumer.address, 100_000])
            return tx(users[i % len(users)], data, gas.request, ETHER // 100)

        sent = 0
        queued: list[int] = []  # blocks of requests not yet dispatchable
        rounds = Rounds(k, {a: i for i, a in enumerate(node_of)})  # the members' duties, from the log
        salts: dict[tuple[int, str], bytes] = {}
        ids_of: dict[int, list[int]] = {}  # batch -> its requests
        requested_at: dict[int, int] = {}
        finalized: list[tuple[int, int]] = []  # (block, latency in blocks)
        timed_out = 0
        calls = [request_tx(i) for i in range(outstanding)]
        sent = outstanding
        rpc.batch(calls)
        last = w3.eth.block_number
        start = time.monotonic()
        t_measure = start + warmup
        first_block = None
        gas_used = []
        while time.monotonic() < t_measure + seconds:
            head = w3.eth.block_number
            if head == last:
                time.sleep(0.05)
                continue
            calls = []
            for b in range(last + 1, head + 1):
                if first_block is None and time.monotonic() >= t_measure:
                    first_block = b
                if first_block is not None:
                    gas_used.append(w3.eth.get_block(b)["gasUsed"])
                for e in ev.decode_logs(w3.eth.get_logs({"fromBlock": b, "toBlock": b,
                                                         "address": system.brain.address})):
                    rounds.fold(e)
                    if isinstance(e, ev.BatchDispatched):
                        ids_of[e.batch_id] = list(e.request_ids)
                    elif isinstance(e, ev.Requested):
                        queued.append(e.block_number)
                        requested_at[e.request_id] = e.block_number
                    elif isinstance(e, (ev.Finalized, ev.TimedOut)):
                        if isinstance(e, ev.TimedOut):
                            timed_out += 1
                        elif first_block is not None and e.block_number >= first_block:
                            finalized.append((e.block_number, e.block_number - requested_at.get(e.request_id, 0)))
                        calls.append(request_tx(sent))
                        sent += 1
            for rid, i, duty in list(rounds.due(head)):  # every member answers at once: nothing waits
                rounds.sent(rid, i, duty)
                if rid in ids_of:  # a batch: one transaction per member (commit, reveal) or for all (finalize)
                    n, m = len(ids_of[rid]), node_of[i] if i is not None else None
                    if duty == Duty.COMMIT:
                        salts[rid, m] = s = new_salt()
                        data = brain.encode_abi("commitBatch", [rid, batch_commitment([RESULT] * n, m, s)])
                        calls.append(tx(m, data, gas.commit * n // k + 80_000))
                    elif duty == Duty.REVEAL:
                        data = brain.encode_abi("revealBatch", [rid, [RESULT] * n, salts[rid, m]])
                        calls.append(tx(m, data, gas.reveal * n // k + 80_000))
                    else:
                        revealed = bin(rounds.views[rid].revealed).count("1")
                        data = brain.encode_abi("finalizeBatch", [rid, ids_of.pop(rid), [[RESULT] * n] * revealed])
                        calls.append(tx(accounts[37 + rid % 3], data, gas.finalize * n + 200_000))
                    continue
                if duty == Duty.COMMIT:
                    m = node_of[i]
                    salts[rid, m] = s = new_salt()
                    calls.append(tx(m, brain.encode_abi("commit", [rid, commitment(RESULT, m, s)]), gas.commit))
                elif duty == Duty.REVEAL:
                    m = node_of[i]
                    calls.append(tx(m, brain.encode_abi("reveal", [rid, RESULT, salts[rid, m]]), gas.reveal))
                else:
                    calls.append(tx(accounts[37 + rid % 3], brain.encode_abi("finalize", [rid]), gas.finalize))
            ready = [q for q in queued if q <= head - 1]
            if ready:
                count = min(len(ready), batch or 24)
                queued = [q for q in queued if q > head - 1] + ready[count:]
                fn = "dispatchBatch" if batch else "dispatch"
                calls.append(tx(accounts[36], brain.encode_abi(fn, [count]), gas.dispatch * count + 400_000))
            rpc.batch(calls)
            last = head
        blocks = (last - first_block + 1) if first_block is not None else 0
        latencies = [lat for _, lat in finalized]
        return {"k": k, "batch": batch, "blocks": blocks, "finalized": len(finalized),
                "rps": len(finalized) / blocks if blocks else 0.0,
                "latency_blocks": statistics.median(latencies) if latencies else float("nan"),
                "timed_out": timed_out, "gas_per_block": statistics.mean(gas_used) if gas_used else 0}
    finally:
        chain.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.brain_gas", description=__doc__.splitlines()[0])
    p.add_argument("--committees", type=int, nargs="+", default=[5, 15])
    p.add_argument("--batches", type=int, nargs="*", default=[20, 100],
                   help="batch sizes for the per-request gas table")
    p.add_argument("--batch-run", type=int, default=150,
                   help="most requests per batch in the batched throughput run (0: no batched run)")
    p.add_argument("--seconds", type=float, default=40.0, help="measured seconds per committee size")
    p.add_argument("--warmup", type=float, default=12.0)
    p.add_argument("--outstanding", type=int, default=0, help="open requests kept (0: 1000 / k + 20; "
                   "batched: 2000)")
    p.add_argument("--gas-only", action="store_true")
    p.add_argument("--gas-chain", default="anvil", choices=["anvil", "embedded"],
                   help="chain for the gas table (same EVM gas rules; anvil is faster)")
    args = p.parse_args(argv)
    if any(b < 1 for b in args.batches) or any(k < 1 for k in args.committees) or args.batch_run < 0:
        p.error("committee and batch sizes must be positive")
    tables = {k: measure_gas(k, chain_kind=args.gas_chain) for k in args.committees}
    print_gas(tables, args.gas_chain)
    batched = {k: {n: measure_batch_gas(k, n, args.gas_chain) for n in args.batches} for k in args.committees}
    for k in args.committees:
        print_per_request(k, tables[k], batched[k])
    if args.gas_only:
        return 0
    print(f"\nThroughput on anvil, 1-second blocks, 30M gas limit, {NODES} nodes "
          f"({args.warmup:.0f} s warm-up, {args.seconds:.0f} s measured)")
    print(f"{'committee':>9} {'batch':>6} {'outstanding':>12} {'requests/s':>11} {'finalized':>10} {'blocks':>7} "
          f"{'median latency (blocks)':>24} {'timed out':>10} {'gas/block':>12}")
    for k in args.committees:
        med = {kind: int(statistics.median(v)) for kind, v in tables[k].items()}
        runs = [(0, Gas(request=int(med["request"] * 1.3), dispatch=int(med["dispatch"] * 1.5),
                        commit=int(max(tables[k]["commit"]) * 1.2), reveal=int(max(tables[k]["reveal"]) * 1.2),
                        finalize=int(max(tables[k]["finalize+callback"]) * 1.3) + 100_000),
                 args.outstanding or 1000 // k + 20)]
        if args.batch_run and args.batches:
            t = batched[k][max(args.batches)]  # per-request limits from the largest measured batch, with room
            n = t["requests"]
            # dispatch's heap pops cost more with a deeper queue than the gas table's: room for a 4x deeper one
            # a batch's finalizeBatch takes at most 12M gas (two fifths of a block): 80 requests at k=15
            size = min(args.batch_run, 12_000_000 * n // t["finalize+callback"])
            runs.append((size, Gas(request=int(med["request"] * 1.3), dispatch=4 * t["dispatch"] // n,
                                             commit=2 * t["commit"] // n, reveal=2 * t["reveal"] // n,
                                             finalize=2 * t["finalize+callback"] // n), args.outstanding or 2000))
        for batch, gas, outstanding in runs:
            r = measure_throughput(k, args.seconds, args.warmup, outstanding, gas, batch=batch)
            print(f"{k:>9} {batch or '-':>6} {outstanding:>12} {r['rps']:>11.2f} {r['finalized']:>10} {r['blocks']:>7} "
                  f"{r['latency_blocks']:>24} {r['timed_out']:>10} {int(r['gas_per_block']):>12,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
