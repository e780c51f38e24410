"""The BRAIN paper's 454.4293x, measured: single-phase against two-phase with a real language model.

What the paper compares (papers/brain.md, FACTS.md): tasks per second of inference requests on an
Ethereum-compatible chain. Single-phase: the inference runs inside the request transaction, so the
block that carries it cannot be sealed before the model has generated (GPT-J-6B there); requests are
served one after another, as a chain executes its transactions. Two-phase: the request is queued in one
block; a committee computes off chain and answers with commit, reveal and finalize transactions in
later blocks, while later requests keep arriving (pipelining).

This experiment replays one seeded Poisson request stream of generation requests (a pool of prompts,
`new_tokens` greedy tokens each) against both, on anvil, with this process as the block producer
(manual mining: `evm_mine`, each block's base fee held at 1 gwei), and ordinary transfers beside them:

- single-phase (SinglePhaseBrain.requestAndRespond): the producer executes the block's requests in
  order; executing one runs the model's generation for real, here, timed (`LM.generate`), then
  the committee's signatures over its TOKEN_IDS result and the transaction. A block is sealed once
  `BLOCK_TIME` has passed and the request being executed is done: its generation is on the block's
  critical path, and the block stretches to it.
- two-phase (Brain.sol): a block is sealed every `BLOCK_TIME`; requests, a dispatcher, then each drawn
  member's commit once its generation is done, reveals, finalize. Members compute on their own
  machines: a member's generation of a prompt takes the time this machine measured for that prompt's
  generation (every prompt of the pool is generated for real, timed, before the phases; the result
  voted on is that generation's TOKEN_IDS hash). `member_slots=None`: a member runs as many
  generations at once as it is given (the paper's committees, never the bottleneck); `1`: each of the
  NODES members runs one at a time, in order (a member's queue).

The ratio is two-phase's peak tasks per second over single-phase's, both measured on the same stream
over the same window. Nothing in it is a constant: the generation times are the run's own.
"""
from __future__ import annotations

import hashlib
import math
import os
import statistics
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from web3 import Web3

from benchmarks.brain_gas import NODES, Rpc, _config
from benchmarks.scenarios.two_phase import Sender, poisson
from contracts.abi import calldata
from contracts.bindings.brain import ResultKind

PAPER_RATIO = 454.4293
K = 5
BLOCK_TIME = 1.0
FEE = 10**16
# gas limits (a transaction pays for what it uses; these only bound it): twice brain_gas's medians
LIMITS = {"request": 400_000, "dispatch": 420_000, "commit": 140_000, "reveal": 130_000, "finalize": 700_000,
          "single": 520_000}
TOKEN_IDS = int(ResultKind.TOKEN_IDS)  # sha256 of the generated ids: what members vote on for a fast generation


# ---------------------------------------------------------------- the model


@dataclass
class Timed:
    result: bytes  # the TOKEN_IDS hash members vote on
    seconds: float  # wall time of the generation on this machine


class LM:
    """A language model as a request stream asks it: a pool of seeded prompts of `prompt_len` ids,
    each request `new_tokens` greedy tokens, the result its TOKEN_IDS hash (the fast profile's vote)."""

    name: str
    vocab: int
    key: str  # the weights' and graph's identity (the model's registration)

    def __init__(self, prompts: int, prompt_len: int, new_tokens: int):
        rng = np.random.default_rng(454)
        self.prompts = [[int(i) for i in rng.integers(0, self.vocab, prompt_len)] for _ in range(prompts)]
        self.payload = [np.asarray(ids, dtype="<i8").tobytes() for ids in self.prompts]  # ModelEntry.encode
        self.prompt_len, self.new_tokens = prompt_len, new_tokens
        # the model's registration: the fast profile has no exact program to commit to (catalog.py does
        # the same for a graph it cannot dispute): the graph's identity, and the fast-profile weights root
        self.roots = (hashlib.sha256(f"{self.key}:p{prompt_len}:n{new_tokens}:greedy".encode()).digest(),
                      hashlib.sha256(b"fast profile").digest())
        self.pool: list[Timed] = []

    def tokens(self, i: int) -> list[int]:
        """The new token ids of prompt i (a real generation)."""
        raise NotImplementedError

    def generate(self, i: int) -> Timed:
        """One real generation of prompt i, timed."""
        from verifiers.generation import token_ids_hash

        t = time.perf_counter()
        ids = self.tokens(i)
        return Timed(token_ids_hash(ids), time.perf_counter() - t)

    def measure_pool(self) -> list[Timed]:
        """Every prompt generated once for real (after one run that builds the session, not counted)."""
        self.generate(0)
        self.pool = [self.generate(i) for i in range(len(self.prompts))]
        return self.pool


class GeneratorLM(LM):
    """A zoo language model or a Hugging Face folder through runtime.generation (the unrolled graph with
    its KV cache, fast profile)."""

    def __init__(self, model: str | Path, prompts: int, prompt_len: int, new_tokens: int):
        from runtime.generation.generator import Generator

        self.generator = g = Generator.load(model)
        self.name, self.vocab, self.key = g.name, g.hf.vocab_size, g.key()
        super().__init__(prompts, prompt_len, new_tokens)
        self.requests = [g.request(ids=ids, max_new_tokens=new_tokens) for ids in self.prompts]

    def tokens(self, i: int) -> list[int]:
        return self.generator.generate(self.requests[i], "fast").ids


class GraphLM(LM):
    """A logits graph (ids [1, seq] -> logits [1, seq, vocab]) such as runtime.zoo.llama's int8 LLaMA
    shapes, generated greedily by onnxruntime, the whole sequence again for each token (the graph has no
    KV cache). Graph optimizations off: folding each DequantizeLinear would hold a float32 copy of every
    weight (4x the int8 bytes)."""

    def __init__(self, path: Path, prompts: int, prompt_len: int, new_tokens: int):
        import onnxruntime as ort

        from runtime.fast import providers

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        opts.enable_cpu_mem_arena = False
        self.session = ort.InferenceSession(str(path), opts, providers=providers("cpu"))
        self.input = self.session.get_inputs()[0].name
        vocab = self.session.get_outputs()[0].shape[-1]
        if not isinstance(vocab, int):
            from runtime.errors import TribunalError
            raise TribunalError(f"{path}: the logits' last dimension (the vocabulary) is not static")
        self.vocab = vocab
        self.name = Path(path).parent.name
        self.key = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]  # the graph; weights are seeded
        super().__init__(prompts, prompt_len, new_tokens)

    def tokens(self, i: int) -> list[int]:
        ids = list(self.prompts[i])
        for _ in range(self.new_tokens):
            logits = self.session.run(None, {self.input: np.array([ids], dtype=np.int64)})[0]
            ids.append(int(np.argmax(logits[0, -1])))
        return ids[self.prompt_len:]


def load_lm(model: str | Path, prompts: int, prompt_len: int, new_tokens: int) -> LM:
    """A folder or name runtime.generation serves, or an ONNX logits graph (a .onnx file)."""
    if str(model).endswith(".onnx"):
        return GraphLM(Path(model), prompts, prompt_len, new_tokens)
    return GeneratorLM(model, prompts, prompt_len, new_tokens)


# ---------------------------------------------------------------- the chain


class Env:
    """anvil (manual mining) with the BRAIN system, NODES staked nodes and the LM registered."""

    def __init__(self, lm: LM, window: int):
        from contracts.bindings import model_id_of
        from contracts.chain import connect
        from contracts.deploy import ETHER, deploy

        self.chain = connect("anvil", accounts=48, extra_args=("--auto-impersonate",))
        self.system = deploy(self.chain, _config(K, window))
        for a in self.chain.accounts[1:1 + NODES]:
            self.system.nodes.register(2 * ETHER, sender=a)
        self.system.models.register(*lm.roots)
        self.mid = model_id_of(*lm.roots)
        self.rpc = Rpc(self.chain.process.url)
        self.node_of = [self.system.nodes.node(i).account for i in range(self.system.nodes.node_count())]
        self.keys = {a.address: a.key for a in self.chain.accounts}
        self.snap = self.chain.snapshot()

    def close(self) -> None:
        self.chain.close()


@dataclass
class Phase:
    """What one mode did over the window: every figure comes from the blocks this run sealed."""
    mode: str
    rate: float
    member_slots: int | None
    done: list = field(default_factory=list)  # (seal time, latency s) of each completed task
    blocks: list = field(default_factory=list)  # (open time, seal time, block number, requests executed)
    generations: list = field(default_factory=list)  # single-phase: (block, seconds) of each live generation
    critical: list = field(default_factory=list)  # single-phase: seconds per executed request, all included
    transfers: int = 0
    timed_out: int = 0
    window: tuple = (0.0, 0.0)

    def in_window(self, t: float) -> bool:
        return self.window[0] <= t < self.window[1]

    @property
    def tasks_per_s(self) -> float:
        return sum(1 for s, _ in self.done if self.in_window(s)) / (self.window[1] - self.window[0])

    def summary(self) -> dict:
        lat = [d for s, d in self.done if self.in_window(s)]
        spans = [b[1] - b[0] for b in self.blocks if self.in_window(b[1])]
        gens = [g for _, g in self.generations]
        return {"mode": self.mode, "rate": self.rate, "member slots": self.member_slots,
                "tasks_per_s": self.tasks_per_s, "completed": len(lat),
                "latency_p50_s": float(np.median(lat)) if lat else None,
                "block_s_mean": statistics.mean(spans) if spans else None, "blocks": len(spans),
                "generation_s_mean": statistics.mean(gens) if gens else None, "generations": len(gens),
                "critical_s_mean": statistics.mean(self.critical) if self.critical else None,
                "transfers_per_s": self.transfers / (self.window[1] - self.window[0]), "timed_out": self.timed_out}


def phase(env: Env, lm: LM, mode: str, rate: float, warmup: float, seconds: float, seed: int,
          member_slots: int | None = None, bg_rate: float = 5.0, block_time: float = BLOCK_TIME) -> Phase:
    """One mode on the seeded stream from the snapshot, this process sealing a block every `block_time`
    seconds (single-phase: or once the request being executed is done, if later)."""
    from contracts import events as ev

    chain, w3 = env.chain, env.chain.w3
    env.rpc.batch([("anvil_dropAllTransactions", []), ("evm_setIntervalMining", [0]), ("evm_setAutomine", [True])])
    chain.revert(env.snap)
    env.snap = chain.snapshot()
    env.rpc.batch([("evm_setAutomine", [False])])
    accts = [a.address for a in chain.accounts]
    users, bg, ops = accts[30:38], accts[38:46], accts[46:48]
    sender = Sender(env, accts[:1 + NODES] + users + bg + ops)
    rng = np.random.default_rng(seed)
    arrivals = deque(poisson(rate, warmup + seconds, rng))
    prompts = rng.integers(0, len(lm.prompts), size=len(arrivals))
    bg_arrivals = deque(poisson(bg_rate, warmup + seconds, np.random.default_rng(seed + 1)))
    brain, single = env.system.brain, env.system.single_phase
    watched = brain.address if mode == "two-phase" else single.address
    out = Phase(mode, rate, member_slots, window=(warmup, warmup + seconds))
    prompt_by_hash = {hashlib.sha256(p).digest(): i for i, p in enumerate(lm.payload)}
    queue: deque = deque()  # single-phase: (prompt, arrival) not executed yet
    # two-phase bookkeeping
    arrival_of, prompt_of, members_of, salts = {}, {}, {}, {}
    arrived: dict[bytes, deque] = defaultdict(deque)  # input hash -> arrival times, in order
    ready: list = []  # (time the member is done, request, member)
    free_at: dict[str, list[float]] = defaultdict(lambda: [0.0] * (member_slots or 1))  # member -> slots free at
    committed, revealed = defaultdict(int), defaultdict(int)
    deadline_of: dict[int, int] = {}
    undispatched: list[int] = []  # blocks of requests not dispatched yet, in queue order
    bg_set = {a.lower() for a in bg}
    sent_bg = 0
    t0 = time.monotonic()
    opened = 0.0
    executed = 0
    calls: list = []
    while True:
        now = time.monotonic() - t0
        if now >= warmup + seconds:
            break
        while arrivals and arrivals[0] <= now:  # the request stream
            a = arrivals.popleft()
            i = int(prompts[len(prompts) - len(arrivals) - 1])
            if mode == "single-phase":
                queue.append((i, a))
            else:
                arrived[hashlib.sha256(lm.payload[i]).digest()].append(a)
                calls.append(sender.tx(users[len(arrivals) % len(users)], brain.address,
                                       calldata(brain.artifact_name, "request",
                                                [env.mid, lm.payload[i], TOKEN_IDS, env.system.consumer.address,
                                                 100_000]), LIMITS["request"], FEE))
        while bg_arrivals and bg_arrivals[0] <= now:  # ordinary transfers
            bg_arrivals.popleft()
            calls.append(sender.tx(bg[sent_bg % len(bg)], bg[(sent_bg + 1) % len(bg)], "0x", 21_000, 10**9))
            sent_bg += 1
        for item in [r for r in ready if r[0] <= now]:  # members whose generation is done
            ready.remove(item)
            _, rid, m = item
            salts[rid, m] = s = os.urandom(32)
            calls.append(sender.tx(m, brain.address, calldata(brain.artifact_name, "commit",
                                                              [rid, _commitment(lm.pool[prompt_of[rid]].result, m, s)]),
                                   LIMITS["commit"]))
        sender.rpc.batch(calls)
        calls = []
        if mode == "single-phase" and queue and (executed == 0 or now - opened < block_time):
            # the producer executes the next request inside the open block: the generation runs here
            i, a = queue.popleft()
            t = time.monotonic()
            g = lm.generate(i)
            head = w3.eth.block_number  # the open block is head + 1; its seed is head
            committee = single.committee_for(head)
            signers = [s for n, s in enumerate(env.node_of) if committee >> n & 1][: K // 2 + 1]
            input_hash = hashlib.sha256(lm.payload[i]).digest()
            digest = Web3.keccak(encode(["uint256", "address", "uint256", "bytes32", "bytes32", "bytes32"],
                                        [chain.chain_id, single.address, head, env.mid, input_hash, g.result]))
            sigs = [bytes(Account.sign_message(encode_defunct(primitive=digest), env.keys[s]).signature)
                    for s in signers]
            arrived[input_hash].append(a)
            sender.rpc.batch([sender.tx(users[executed % len(users)], single.address,
                                        calldata(single.artifact_name, "requestAndRespond",
                                                 [env.mid, input_hash, head, g.result, env.system.consumer.address,
                                                  100_000, sigs]), LIMITS["single"], FEE)])
            executed += 1
            out.generations.append((head + 1, g.seconds))
            out.critical.append(time.monotonic() - t)
            continue
        if now - opened < block_time:
            time.sleep(0.005)
            continue
        # seal the block; its base fee held at 1 gwei: the experiment counts tasks, not the fee market
        # (a long run of full blocks would otherwise raise it past every sender's max fee)
        env.rpc.batch([("anvil_setNextBlockBaseFeePerGas", [hex(10**9)]), ("evm_mine", [])])
        sealed = time.monotonic() - t0
        b = w3.eth.block_number
        out.blocks.append((opened, sealed, b, executed))
        opened, executed = sealed, 0
        blk = w3.eth.get_block(b, full_transactions=True)
        if out.in_window(sealed):
            out.transfers += sum(1 for t in blk["transactions"] if t["from"].lower() in bg_set and not t["input"])
        for e in ev.decode_logs(w3.eth.get_logs({"fromBlock": b, "toBlock": b, "address": watched})):
            if isinstance(e, ev.Served):
                q = arrived.get(e.input_hash)
                out.done.append((sealed, sealed - (q.popleft() if q else sealed)))
            elif isinstance(e, ev.Requested):
                q = arrived.get(e.input_hash)
                arrival_of[e.request_id] = q.popleft() if q else sealed
                prompt_of[e.request_id] = prompt_by_hash[e.input_hash]
                undispatched.append(b)
            elif isinstance(e, ev.Dispatched):
                members = [env.node_of[n] for n in range(len(env.node_of)) if e.committee >> n & 1]
                members_of[e.request_id] = members
                deadline_of[e.request_id] = e.reveal_deadline
                took = lm.pool[prompt_of[e.request_id]].seconds
                for m in members:
                    start = sealed
                    if member_slots is not None:  # the member's earliest free slot
                        slots = free_at[m]
                        j = min(range(len(slots)), key=slots.__getitem__)
                        start = max(sealed, slots[j])
                        slots[j] = start + took
                    ready.append((start + took, e.request_id, m))
            elif isinstance(e, ev.Committed):
                committed[e.request_id] += 1
                if committed[e.request_id] == K:
                    rid = e.request_id
                    result = lm.pool[prompt_of[rid]].result
                    calls += [sender.tx(m, brain.address, calldata(brain.artifact_name, "reveal",
                                                                   [rid, result, salts[rid, m]]), LIMITS["reveal"])
                              for m in members_of[rid]]
            elif isinstance(e, ev.Revealed):
                revealed[e.request_id] += 1
                if revealed[e.request_id] == K:
                    calls.append(sender.tx(ops[0], brain.address,
                                           calldata(brain.artifact_name, "finalize", [e.request_id]),
                                           LIMITS["finalize"]))
            elif isinstance(e, ev.Finalized):
                deadline_of.pop(e.request_id, None)
                out.done.append((sealed, sealed - arrival_of[e.request_id]))
            elif isinstance(e, ev.TimedOut):
                deadline_of.pop(e.request_id, None)
                out.timed_out += 1
        if mode == "two-phase":
            # the dispatch lands in block b + 1: it may pop requests of block b - 1 and older (their seed,
            # the block after the request's, must be mined)
            count = min(sum(1 for rb in undispatched if rb <= b - 1), 32)
            if count:
                del undispatched[:count]
                calls.append(sender.tx(ops[1], brain.address, calldata(brain.artifact_name, "dispatch", [count]),
                                       LIMITS["dispatch"] * count * 3 // 5 + 100_000))
            for rid in [r for r, d in deadline_of.items() if d < b]:  # rounds past their windows
                del deadline_of[rid]
                calls.append(sender.tx(ops[0], brain.address, calldata(brain.artifact_name, "finalize", [rid]),
                                       LIMITS["finalize"]))
    return out


def _commitment(result: bytes, member: str, salt: bytes) -> bytes:
    from contracts.bindings import commitment
    return commitment(result, member, salt)


# ---------------------------------------------------------------- the experiment


def experiment(model: str | Path, rates: list[float], warmup: float, seconds: float, prompts: int = 8,
               prompt_len: int = 8, new_tokens: int = 32, member_slots: tuple = (None, 1), bg_rate: float = 5.0,
               progress=lambda msg: None) -> dict:
    """Both modes at every rate on one chain; the ratio of their peaks, and what drives it."""
    lm = load_lm(model, prompts, prompt_len, new_tokens)
    progress(f"{lm.name}: generating the {prompts} prompts of the pool ({new_tokens} tokens each)")
    pool = lm.measure_pool()
    t_pool = [p.seconds for p in pool]
    # windows wide enough for a member's generation (queued ones may still miss them: counted as timed out)
    window = max(10, math.ceil(4 * max(t_pool) / BLOCK_TIME) + 4)
    env = Env(lm, window)
    rows: list[Phase] = []
    try:
        for rate in rates:
            for slots in member_slots:
                rows.append(phase(env, lm, "two-phase", rate, warmup, seconds, seed=int(rate * 1000),
                                  member_slots=slots, bg_rate=bg_rate))
                progress(_line(rows[-1]))
            rows.append(phase(env, lm, "single-phase", rate, warmup, seconds, seed=int(rate * 1000), bg_rate=bg_rate))
            progress(_line(rows[-1]))
    finally:
        env.close()
    return {"model": lm.name, "prompt_len": prompt_len, "new_tokens": new_tokens, "block_time_s": BLOCK_TIME,
            "committee": K, "nodes": NODES, "window_blocks": window, "rates": rates, "bg_rate": bg_rate,
            "warmup_s": warmup, "seconds": seconds, "load": os.getloadavg()[0], **figures(lm, rows)}


def figures(lm: LM, rows: list[Phase]) -> dict:
    """The ratio of the modes' peaks per member capacity, and the generation times behind it."""
    single = [r for r in rows if r.mode == "single-phase"]
    one = max(r.tasks_per_s for r in single)
    gens = [g for r in single for _, g in r.generations]
    critical = [c for r in single for c in r.critical]
    overhead = statistics.mean(critical) - statistics.mean(gens) if gens else 0.0  # signatures, committee, send
    out = {"pool_generation_s": [p.seconds for p in lm.pool],
           "single_generation_s_mean": statistics.mean(gens) if gens else None, "single_overhead_s": overhead,
           "single_tasks_per_s": one, "phases": [r.summary() for r in rows], "ratios": {}, "paper_ratio": PAPER_RATIO}
    for slots in dict.fromkeys(r.member_slots for r in rows if r.mode == "two-phase"):
        two = max(r.tasks_per_s for r in rows if r.mode == "two-phase" and r.member_slots == slots)
        key = "members unbounded" if slots is None else f"members {slots} at a time"
        out["ratios"][key] = {"two_tasks_per_s": two, "ratio": two / one if one > 0 else float("nan"),
                              **paper_needs(two, out["single_generation_s_mean"], overhead, slots)}
    return out


def paper_needs(two: float, generation: float | None, overhead: float, slots: int | None) -> dict:
    """What the paper's 454.4293x would need. Members unbounded: two-phase does not slow with the model,
    so the generation time at which single-phase serves `two` / 454.4293 per second. Members of `slots`
    generations at a time: NODES * slots / K requests per generation time at best, so the ratio stays
    under NODES * slots / K * (generation + overhead) / generation whatever the model, and the nodes the
    paper's ratio would need."""
    if slots is None:
        return {"generation_s_for_paper": PAPER_RATIO / two - overhead if two > 0 else None}
    if not generation:
        return {}
    return {"ratio_bound": NODES * slots / K * (generation + overhead) / generation,
            "nodes_for_paper": math.ceil(PAPER_RATIO * K / slots * generation / (generation + overhead))}


def _line(r: Phase) -> str:
    s = r.summary()
    slots = "" if r.mode == "single-phase" else (" members unbounded" if r.member_slots is None
                                                   else f" members {r.member_slots} at a time")
    gen = f", generation {s['generation_s_mean']:.3f} s" if s["generation_s_mean"] else ""
    blk = f"{s['block_s_mean']:.2f}" if s["block_s_mean"] is not None else "-"
    return (f"  {r.mode}{slots} at {r.rate:g}/s: {s['tasks_per_s']:.2f} tasks/s ({s['completed']} done), "
            f"blocks {blk} s{gen}, transfers {s['transfers_per_s']:.1f}/s, timed out {s['timed_out']}")
