"""two-phase: BRAIN's headline experiment on anvil: tasks per second of the two-phase protocol against
the single-phase baseline as the request rate rises, with ordinary transfers in the background.

Setup: anvil from node_modules (--auto-impersonate, 1-second interval mining, 30M block gas limit),
the BRAIN system of contracts/deploy.py with 24 staked nodes, digits-cnn registered by its real
commitment. Every phase replays the same seeded Poisson request stream at one rate, for one mode,
from the same chain snapshot, with a Poisson stream of plain ETH transfers beside it.

- two-phase (Brain.sol): the request transaction goes out at once; a dispatcher pops the fee queue
  each block (the committee is drawn from a block hash); members run the model off chain, on their
  own machines, so their inferences overlap; commit, reveal and finalize follow as soon as the chain
  allows. Done = the Finalized event.
- single-phase (SinglePhaseBrain.requestAndRespond): the paper's baseline, inference inside the
  request: a request's transaction can be sent only after its inference and the quorum's
  signatures, and because the inference sits inside the transaction, requests are served one after
  another (a chain executes its transactions in sequence). Done = the Served event.

Inference: digits-cnn's exact profile, run for real on every request (its output root is what the
committee votes on). A phase may also state a longer inference time for a larger model: the members
then hold their answer until that much time has passed since they got the request (the real
digits-cnn run included). Transactions go as JSON-RPC batches of eth_sendTransaction, as in
benchmarks/brain_gas.py, whose gas measurement and node set-up this scenario reuses.
"""
from __future__ import annotations

import hashlib
import os
import statistics
import threading
import time
from collections import defaultdict, deque

import numpy as np
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from web3 import Web3

from benchmarks.brain_gas import NODES, Rpc, _config, measure_batch_gas, measure_gas
from benchmarks.harness import Context, Figure, Metric, Panel, Section, Series, Table
from contracts.abi import calldata

NAME = "two-phase"
TITLE = "Two-phase BRAIN against the single-phase baseline (the paper's 454.4293x)"
PAPER_RATIO = 454.4293
MODEL = "digits-cnn"
K = 5
BATCH = 100  # requests per batched round (Brain.dispatchBatch) in the batched gas figures
BLOCK_GAS = 30_000_000
BLOCK_TIME = 1


class Env:
    """One anvil with the BRAIN system deployed, a snapshot to start every phase from, and the model."""

    def __init__(self, gas: dict[str, int]):
        from bisection.commitments import commit
        from contracts.bindings import model_id_of
        from contracts.chain import connect
        from contracts.deploy import ETHER, deploy
        from runtime import zoo
        from runtime.model import Model

        # Base fee 0 (it stays 0): a request's fee is its value less its callback allowance (callbackGas at the
        # request block's base fee), so a moving base fee would give the same offered fee a different rank per
        # block, and Brain.dispatch stops at a top request whose seed block is not mined yet. The gas table is
        # measured on an ordinary anvil (benchmarks.brain_gas).
        self.chain = connect("anvil", accounts=56, extra_args=("--auto-impersonate", "--base-fee", "0"))
        self.system = deploy(self.chain, _config(K, 10))
        for a in self.chain.accounts[1:1 + NODES]:
            self.system.nodes.register(2 * ETHER, sender=a)
        self.model = Model.load(MODEL, profile="exact")
        x, _ = zoo.test_data(MODEL)
        self.inputs = [np.asarray(x[i:i + 1]) for i in range(len(x))]
        c = commit(self.model.program(self.inputs[0].shape))
        self.system.models.register(c.program_root, c.weights_root)
        self.mid = model_id_of(c.program_root, c.weights_root)
        self.payload = [self.model.quantize_input(v).astype(">i2").tobytes() for v in self.inputs]
        self.by_hash = {hashlib.sha256(p).digest(): i for i, p in enumerate(self.payload)}
        self.gas, self.fee = gas, ETHER // 100
        self.rpc = Rpc(self.chain.process.url)
        self.node_of = [self.system.nodes.node(i).account for i in range(self.system.nodes.node_count())]
        self.keys = {a.address: a.key for a in self.chain.accounts}
        self.snap = self.chain.snapshot()

    def infer(self, i: int) -> bytes:
        return self.model.run_exact(self.inputs[i]).output_root

    def close(self) -> None:
        self.chain.close()


class Sender:
    """eth_sendTransaction calls with locally tracked nonces (one instance per thread)."""

    def __init__(self, env: Env, accounts: list[str]):
        self.rpc = Rpc(env.chain.process.url)
        w3 = env.chain.w3
        self.nonces = {a: w3.eth.get_transaction_count(a) for a in accounts}

    def tx(self, sender: str, to: str, data: str, gas: int, value: int = 0) -> tuple[str, list]:
        n = self.nonces[sender]
        self.nonces[sender] = n + 1
        return ("eth_sendTransaction", [{"from": sender, "to": to, "data": data, "gas": hex(gas), "value": hex(value),
                                         "nonce": hex(n), "maxFeePerGas": hex(200 * 10**9),
                                         "maxPriorityFeePerGas": hex(10**9)}])


def poisson(rate: float, seconds: float, rng: np.random.Generator) -> list[float]:
    """Arrival offsets (seconds) of a Poisson stream at `rate` per second."""
    if rate <= 0:
        return []
    gaps = rng.exponential(1 / rate, size=int(rate * seconds * 2 + 20))
    t = np.cumsum(gaps)
    return list(t[t < seconds])


# ---------------------------------------------------------------- one phase


def phase(env: Env, mode: str, rate: float, t_model: float, warmup: float, seconds: float, bg_rate: float,
          seed: int) -> dict:
    """Runs one mode at one request rate from the snapshot; counts what completes in the window."""
    from contracts import events as ev

    chain, w3 = env.chain, env.chain.w3
    env.rpc.batch([("anvil_dropAllTransactions", []), ("evm_setIntervalMining", [0]), ("evm_setAutomine", [True])])
    chain.revert(env.snap)
    env.snap = chain.snapshot()
    accts = [a.address for a in chain.accounts]
    users, bg = accts[30:38], accts[40:52]
    sender = Sender(env, accts[:1 + NODES] + accts[30:40] + bg)
    rng = np.random.default_rng(seed)
    arrivals = deque(poisson(rate, warmup + seconds, rng))
    bg_arrivals = deque(poisson(bg_rate, warmup + seconds, np.random.default_rng(seed + 1)))
    samples = rng.integers(0, len(env.inputs), size=len(arrivals))
    brain, single = env.system.brain.artifact_name, env.system.single_phase.artifact_name
    watched = env.system.brain.address if mode == "two-phase" else env.system.single_phase.address
    env.rpc.batch([("evm_setAutomine", [False]), ("evm_setIntervalMining", [BLOCK_TIME])])
    start_block = w3.eth.block_number
    t0 = time.monotonic()
    arrived_at: dict[bytes, deque] = defaultdict(deque)  # input hash -> arrival times (FIFO)
    done: list[tuple[int, float, int]] = []  # (block, latency seconds, latency blocks)
    bg_sent = 0
    stop = threading.Event()
    failure: list[BaseException] = []
    service: list[float] = []  # single phase: seconds on the critical path per request
    state = {"head": start_block, "sent": 0, "retries": 0}

    def single_phase_executor(queue: deque) -> None:
        try:
            serve(queue)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the phase once the thread is joined
            failure.append(exc)

    def serve(queue: deque) -> None:
        """One request after another: inference, then the quorum's signatures over the parent block's
        committee, then the transaction, which must land in the next block (else it reverts and the
        request is signed and sent again: `retries`)."""
        me = Sender(env, users)
        sp = env.system.single_phase
        sent: deque = deque()  # (tx hash, seed block, item) not yet known to have landed
        while not stop.is_set():
            head = state["head"]
            while sent and sent[0][1] + 2 <= head:  # its block is past: did it land?
                tx_hash, _, item = sent.popleft()
                receipt = me.rpc.batch([("eth_getTransactionReceipt", [tx_hash])])[0]
                if receipt is None or int(receipt["status"], 16) == 0:
                    state["retries"] += 1
                    queue.appendleft(item)
            if not queue:
                time.sleep(0.002)
                continue
            item = queue.popleft()
            i, arrived, result = item
            t = time.monotonic()
            input_hash = hashlib.sha256(env.payload[i]).digest()
            if result is None:
                result = env.infer(i)
                wait = t_model - (time.monotonic() - t)
                if wait > 0:
                    time.sleep(wait)
                arrived_at[input_hash].append(arrived)
            seed_block = chain.w3.eth.block_number  # the parent of the block the request must land in
            committee = sp.committee_for(seed_block)
            signers = [a for n, a in enumerate(env.node_of) if committee >> n & 1][: K // 2 + 1]
            digest = Web3.keccak(encode(["uint256", "address", "uint256", "bytes32", "bytes32", "bytes32"],
                                        [chain.chain_id, sp.address, seed_block, env.mid, input_hash, result]))
            sigs = [bytes(Account.sign_message(encode_defunct(primitive=digest), env.keys[s]).signature)
                    for s in signers]
            data = calldata(single, "requestAndRespond", [env.mid, input_hash, seed_block, result,
                                                           env.system.consumer.address, 100_000, sigs])
            tx_hash = me.rpc.batch([me.tx(users[state["sent"] % len(users)], sp.address, data, env.gas["single"],
                                          env.fee)])[0]
            sent.append((tx_hash, seed_block, (i, arrived, result)))
            state["sent"] += 1
            service.append(time.monotonic() - t)

    queue: deque = deque()
    worker = None
    if mode == "single-phase":
        worker = threading.Thread(target=single_phase_executor, args=(queue,), daemon=True)
        worker.start()
    # two-phase bookkeeping
    pending_dispatch: list[int] = []  # blocks of requests not dispatched yet, in queue order
    from contracts.round import Duty, Rounds

    rounds = Rounds(K, {a: n for n, a in enumerate(env.node_of)})  # the members' duties, from the log
    finish_of: dict[int, float] = {}  # request -> time its members are done with the inference
    salts, result_of = {}, {}
    requested_block: dict[int, int] = {}
    arrival_of: dict[int, float] = {}
    timed_out = 0
    last = start_block
    j = 0
    try:
        while time.monotonic() - t0 < warmup + seconds and not failure:
            now = time.monotonic() - t0
            calls = []
            while arrivals and arrivals[0] <= now:  # the request stream
                a = arrivals.popleft()
                i = int(samples[j])
                j += 1
                if mode == "single-phase":
                    queue.append((i, a, None))
                else:
                    arrived_at[hashlib.sha256(env.payload[i]).digest()].append(a)
                    data = calldata(brain, "request", [env.mid, env.payload[i], 0, env.system.consumer.address, 100_000])
                    calls.append(sender.tx(users[j % len(users)], env.system.brain.address, data, env.gas["request"],
                                           env.fee))
            while bg_arrivals and bg_arrivals[0] <= now:  # ordinary transfers
                bg_arrivals.popleft()
                calls.append(sender.tx(bg[bg_sent % len(bg)], bg[(bg_sent + 1) % len(bg)], "0x", 21_000, 10**9))
                bg_sent += 1
            head = w3.eth.block_number
            for rid, n, duty in list(rounds.due(head)):
                if duty == Duty.COMMIT and finish_of[rid] > now:
                    continue  # the member is still computing its answer
                rounds.sent(rid, n, duty)
                if duty == Duty.FINALIZE:
                    calls.append(sender.tx(accts[38], env.system.brain.address, calldata(brain, "finalize", [rid]),
                                           env.gas["finalize"]))
                    continue
                m, res = env.node_of[n], result_of[rid]
                if duty == Duty.COMMIT:
                    salts[rid, m] = s = os.urandom(32)
                    data = calldata(brain, "commit", [rid, _commitment(res, m, s)])
                else:
                    data = calldata(brain, "reveal", [rid, res, salts[rid, m]])
                calls.append(sender.tx(m, env.system.brain.address, data, env.gas[duty.value]))
            for b in range(last + 1, head + 1):
                state["head"] = b
                for e in ev.decode_logs(w3.eth.get_logs({"fromBlock": b, "toBlock": b, "address": watched})):
                    seen = time.monotonic() - t0
                    if mode == "two-phase":
                        rounds.fold(e)
                    if isinstance(e, ev.Served):
                        q = arrived_at.get(e.input_hash)
                        done.append((b, seen - (q.popleft() if q else seen), 0))
                    elif isinstance(e, ev.Requested):
                        pending_dispatch.append(b)
                        requested_block[e.request_id] = b
                        q = arrived_at.get(e.input_hash)
                        arrival_of[e.request_id] = q.popleft() if q else seen
                        result_of[e.request_id] = env.by_hash[e.input_hash]
                    elif isinstance(e, ev.Dispatched):
                        t = time.monotonic()
                        res = env.infer(result_of[e.request_id])  # every member gets this root; run once here
                        finish_of[e.request_id] = seen + max(t_model, time.monotonic() - t)
                        result_of[e.request_id] = res
                    elif isinstance(e, ev.Finalized):
                        done.append((b, seen - arrival_of[e.request_id], b - requested_block[e.request_id]))
                    elif isinstance(e, ev.TimedOut):
                        timed_out += 1
            # the committee's seed is a block after the request's: dispatch what is at least a block old
            count = min(sum(1 for b in pending_dispatch if b <= head - 1), 32)
            if head > last and count:
                del pending_dispatch[:count]
                calls.append(sender.tx(accts[39], env.system.brain.address, calldata(brain, "dispatch", [count]),
                                       env.gas["dispatch"] * count * 3 // 5 + 100_000))  # limit: 1.2x median
            last = head
            sender.rpc.batch(calls)
            if not calls:
                time.sleep(0.01)
    finally:
        stop.set()
        if worker is not None:
            worker.join(5)
    if failure:
        raise failure[0]
    end_block = last
    first = _first_block_after(w3, start_block, end_block, warmup)
    blocks = list(range(first, end_block + 1))
    in_window = [d for d in done if first <= d[0] <= end_block]
    bg_set = {a.lower() for a in bg}
    bg_done = gas_used = 0
    for b in blocks:
        blk = w3.eth.get_block(b, full_transactions=True)
        gas_used += blk["gasUsed"]
        bg_done += sum(1 for t in blk["transactions"] if t["from"].lower() in bg_set and t["input"] in (b"", "0x"))
    span = max(1, len(blocks)) * BLOCK_TIME
    lat = [d[1] for d in in_window]
    return {"mode": mode, "rate": rate, "t_model": t_model, "offered": rate, "blocks": len(blocks),
            "tasks_per_s": len(in_window) / span, "completed": len(in_window),
            "latency_p50_s": _pct(lat, 50), "latency_p99_s": _pct(lat, 99),
            "latency_p50_blocks": _pct([d[2] for d in in_window], 50) if mode == "two-phase" else None,
            "bg_offered": bg_rate, "bg_per_s": bg_done / span, "gas_per_block": gas_used / max(1, len(blocks)),
            "timed_out": timed_out, "service_s": statistics.mean(service) if service else None,
            "retries": state["retries"]}


def _commitment(result: bytes, member: str, salt: bytes) -> bytes:
    from contracts.bindings import commitment
    return commitment(result, member, salt)


def _first_block_after(w3, start: int, end: int, warmup: float) -> int:
    """The first block mined at least `warmup` seconds after the phase began (block timestamps)."""
    t_start = w3.eth.get_block(start)["timestamp"]
    for b in range(start + 1, end + 1):
        if w3.eth.get_block(b)["timestamp"] - t_start >= warmup:
            return b
    return end


def _pct(v: list[float], q: float) -> float | None:
    return float(np.percentile(v, q)) if v else None


# ---------------------------------------------------------------- the scenario


def gas_table() -> dict[str, int]:
    """Median gas per transaction kind (benchmarks.brain_gas.measure_gas on anvil, committee of K)."""
    g = measure_gas(K, rounds=2, chain_kind="anvil")
    med = {kind: int(statistics.median(v)) for kind, v in g.items()}
    return {"request": med["request"], "dispatch": med["dispatch"], "commit": med["commit"], "reveal": med["reveal"],
            "finalize": med["finalize+callback"], "single": med["single-phase request"], "register": med["register"]}


def run(ctx: Context) -> Section:
    rates = [10.0] if ctx.quick else [3.0, 10.0, 30.0]
    t_models = [0.0] if ctx.quick else [0.0, 0.25]
    warmup, seconds, bg_rate = (6.0, 4.0, 10.0) if ctx.quick else (10.0, 10.0, 10.0)  # two-phase fills in 5-7 blocks
    ctx.start(NAME, 2 + len(rates) * len(t_models) * 2)
    gas = gas_table()
    # gas limits with room: the measured medians come from a fixed 32-byte result and input, this
    # stream carries real roots and 128-byte inputs (a transaction pays for the gas it uses, not its limit)
    limits = {"request": 2 * gas["request"], "dispatch": 2 * gas["dispatch"], "commit": 2 * gas["commit"],
              "reveal": 2 * gas["reveal"], "finalize": 2 * gas["finalize"] + 100_000, "single": 2 * gas["single"]}
    ctx.step("gas measured")
    env = Env(limits)
    ctx.step("deployed")
    rows = []
    try:
        t = time.perf_counter()
        for _ in range(20):
            env.infer(0)
        t_infer = (time.perf_counter() - t) / 20
        for t_model in t_models:
            for rate in rates:
                for mode in ("two-phase", "single-phase"):
                    rows.append(phase(env, mode, rate, t_model, warmup, seconds, bg_rate, seed=int(rate * 1000)))
                    ctx.step(f"{mode} {rate:g}/s")
    finally:
        env.close()
    per_request = gas["request"] + gas["dispatch"] + K * (gas["commit"] + gas["reveal"]) + gas["finalize"]
    cap_two = BLOCK_GAS / per_request / BLOCK_TIME
    batched = measure_batch_gas(K, BATCH)  # each transaction kind's gas for one batch of BATCH requests
    n_batch = batched.pop("requests")
    per_request_batched = sum(batched.values()) // n_batch
    cap_single_gas = BLOCK_GAS / gas["single"] / BLOCK_TIME
    service0 = statistics.mean(r["service_s"] for r in rows if r["mode"] == "single-phase" and r["t_model"] == 0
                               and r["service_s"]) if any(r["service_s"] for r in rows) else t_infer
    overhead = max(0.0, service0 - t_infer)  # signatures, committee view, sending
    t_for_paper = PAPER_RATIO / cap_two - overhead  # inference time at which the model predicts 454.4293x

    def label(tm: float) -> str:
        return f"{MODEL} ({t_infer * 1000:.1f} ms)" if tm == 0 else f"inference {tm:g} s"

    def pick(mode, tm, key):
        rs = [r for r in rows if r["mode"] == mode and r["t_model"] == tm]
        return [r["rate"] for r in rs], [r[key] for r in rs]

    tasks, bgp, lat = [], [], []
    ratios = {}
    for tm in t_models:
        for mode in ("two-phase", "single-phase"):
            x, y = pick(mode, tm, "tasks_per_s")
            tasks.append(Series(f"{mode}, {label(tm)}", x, y, "rate", "points" if mode == "single-phase" else "line"))
            x, y = pick(mode, tm, "bg_per_s")
            bgp.append(Series(f"transfers beside {mode}, {label(tm)}", x, y, "rate"))
            x, y = pick(mode, tm, "latency_p50_s")
            keep = [(a, b) for a, b in zip(x, y) if b is not None]
            if keep:
                lat.append(Series(f"{mode}, {label(tm)}", [a for a, _ in keep], [b for _, b in keep], "seconds"))
        # each mode's peak as the rate rises: what the chain sustains for it (the paper's comparison)
        two = max(pick("two-phase", tm, "tasks_per_s")[1])
        one = max(pick("single-phase", tm, "tasks_per_s")[1])
        ratios[tm] = two / one if one > 0 else float("nan")  # nan: flagged by the bounds check
    figure = Figure("two_phase", "Two-phase BRAIN against single-phase on anvil (1-s blocks, 30M gas)", [
        Panel("tasks per second", "offered requests per second (Poisson)", "finalized tasks per second", tasks),
        Panel(f"background transfers ({bg_rate:g}/s offered)", "offered requests per second", "transfers per second",
              bgp),
        Panel("latency to the result, p50", "offered requests per second", "seconds", lat, logy=True),
    ], caption=f"Committee {K} of {NODES} nodes; {seconds:g} s measured after {warmup:g} s warm-up per point; "
               f"the same seeded request stream for both modes.")
    table = Table("Every phase", ["mode", "inference", "offered /s", "tasks /s", "p50 s", "p99 s", "p50 blocks",
                                  "transfers /s", "gas per block", "timed out", "re-sent (missed block)"],
                  [[r["mode"], label(r["t_model"]), r["rate"], r["tasks_per_s"], r["latency_p50_s"] or "-",
                    r["latency_p99_s"] or "-", r["latency_p50_blocks"] or "-", r["bg_per_s"], r["gas_per_block"],
                    r["timed_out"], r["retries"] if r["mode"] == "single-phase" else "-"] for r in rows])
    gas_t = Table(f"Gas per transaction (median, anvil, committee {K})", ["transaction", "gas"],
                  [[k, v] for k, v in gas.items()] + [["two-phase, whole request (request + dispatch + k commits + "
                                                       "k reveals + finalize)", per_request]])
    metrics = [Metric(f"two-phase / single-phase, peak tasks per second, {label(tm)}", ratios[tm],
                      "ratio", f"paper: {PAPER_RATIO}x (GPT-J-6B)") for tm in t_models]
    metrics += [
        Metric("two-phase gas per request", per_request, "gas", f"k={K}"),
        Metric("single-phase gas per request", gas["single"], "gas", f"{K // 2 + 1} signatures"),
        Metric("two-phase capacity (gas-bound)", cap_two, "rate", "30M gas / gas per request / 1 s"),
        Metric(f"two-phase gas per request, batches of {n_batch}", per_request_batched, "gas",
               f"k={K}: request + dispatchBatch, k commitBatch, k revealBatch, finalizeBatch over {n_batch}"),
        Metric("two-phase batched capacity (gas-bound)", BLOCK_GAS / per_request_batched / BLOCK_TIME, "rate",
               "measured sustained: python -m benchmarks.brain_gas"),
        Metric("single-phase critical path per request", service0, "seconds",
               f"inference {t_infer * 1000:.1f} ms + signatures, committee view, send"),
        Metric("inference time at which the model gives 454.4293x", max(0.0, t_for_paper), "seconds",
               "ratio = two-phase capacity x (inference + overhead)"),
    ]
    return Section(NAME, TITLE, {
        "chain": "anvil (--auto-impersonate), interval mining 1 s, block gas limit 30M", "model": MODEL + " (exact profile)",
        "committee": f"{K} of {NODES} staked nodes, quorum more than half", "rates (requests/s)": rates,
        "inference times": [label(t) for t in t_models], "background transfers per second": bg_rate,
        "warm-up / measured seconds per point": f"{warmup:g} / {seconds:g}", "measured inference (s)": round(t_infer, 5)},
        metrics, [table, gas_t], [figure], notes=[
            "What drives the ratio: two-phase throughput is bound by gas (block gas / gas per request / block time = "
            f"{cap_two:.1f} requests/s here) and does not depend on the inference time, because committees compute "
            "off chain while later requests keep arriving; single-phase throughput is 1 / (inference + per-request "
            f"overhead), bound also by gas at {cap_single_gas:.0f}/s. With a model that runs in milliseconds the "
            "single-phase baseline is faster (it spends less gas per request); the paper's 454.4293x comes from "
            f"GPT-J-6B, whose inference takes seconds: at {max(0.0, t_for_paper):.1f} s per inference this model "
            "predicts that ratio.",
            "The single-phase critical path includes the quorum's signatures, made here in pure Python "
            "(eth_account, about 9 ms each); members would sign in parallel on their own machines."],
        raw={"phases": rows, "gas": gas, "gas_batched": batched, "batch": n_batch, "t_infer": t_infer, "service_s": service0, "capacity_two_phase": cap_two,
             "capacity_single_gas": cap_single_gas})
