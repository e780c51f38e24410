"""scale: a discrete-event simulation of each mode at mainnet-like parameters (12-second blocks, 30M
gas per block) out to request rates no local chain can hold: where each mode saturates, what a
request costs, and how long it waits.

Every request is a chain of stages; a stage is a set of transactions that enter one FIFO mempool at
a time; a block every 12 s takes transactions in arrival order while its gas lasts (a transaction
that does not fit waits for the next block). Per mode:
- brain (two-phase): request -> dispatch (next block) -> inference off chain (committees in
  parallel) -> k commits -> k reveals -> finalize.
- single-phase: the inference sits inside the request (the paper's baseline): requests are served
  one after another, each inference then one transaction; a transaction that misses the block
  after its seed block is signed again and re-sent.
- opml: the submitter runs the model (in parallel) -> claim -> final after the challenge window ->
  resolve transaction.
- hybrid: brain's pipeline, provisional at its finalize, final after the challenge window.
Gas per transaction and inference time: what this run measured (two-phase, dispute), else the last
committed full run (benchmarks/results/results.json), else the defaults below; the report names the
source of each.
"""
from __future__ import annotations

import heapq
import json
from collections import deque
from pathlib import Path

import numpy as np

from benchmarks.harness import Context, Figure, Metric, Panel, Section, Series, Table

NAME = "scale"
TITLE = "Scale: saturation and cost per request at 12-second blocks and 30M gas"
BLOCK_TIME, BLOCK_GAS = 12.0, 30_000_000
GAS_PRICE_GWEI = 10  # a stated parameter for the cost column, not a forecast
COMMITTEE = 5
WINDOW = 100  # blocks: OpmlConfig's default challenge window
RESOLVE_GAS = 60_000  # opML resolve_claim: not measured by any scenario yet (an assumption, stated in the report)
# Defaults: README figures (anvil, committee 5) and benchmarks/opml_dispute.py (submit median).
DEFAULTS = {"request": 177_017, "dispatch": 193_067, "commit": 67_243, "reveal": 61_270, "finalize": 247_743,
            "single": 272_650, "submit": 250_000, "t_infer": 0.003}
COMMITTED = Path(__file__).resolve().parents[1] / "results" / "results.json"
LARGE_MODEL_SECONDS = 2.0  # a second inference time, for a model far larger than the zoo's


def parameters(ctx: Context) -> tuple[dict, dict]:
    """Gas per transaction kind and inference time, with where each came from."""
    values, source = dict(DEFAULTS), {k: "default (README figures)" for k in DEFAULTS}
    sections = dict(ctx.earlier)
    label = "this run"
    if not sections and COMMITTED.exists():
        sections = json.loads(COMMITTED.read_text()).get("scenarios", {})
        label = "benchmarks/results (last full run)"
    tp = sections.get("two-phase", {}).get("raw", {})
    for k, v in tp.get("gas", {}).items():
        if k in values:
            values[k], source[k] = v, f"two-phase scenario, {label}"
    if "t_infer" in tp:
        values["t_infer"], source["t_infer"] = tp["t_infer"], f"two-phase scenario ({tp.get('model', 'digits-cnn')}), {label}"
    submits = [g["submit_gas"] for m in sections.get("dispute", {}).get("raw", {}).get("per_model", {}).values()
               for g in m["games"] if g.get("submit_gas")]
    if submits:
        values["submit"], source["submit"] = int(np.median(submits)), f"dispute scenario, {label}"
    return values, source


def pipeline(mode: str, p: dict) -> list[tuple[str, float, list[int]]]:
    """The stages of one request: (name, seconds off chain before the stage's transactions, their gas)."""
    k = COMMITTEE
    if mode == "single-phase":
        return [("request+result", 0.0, [p["single"]])]  # its inference is the serial server's
    if mode == "opml":
        return [("claim", p["t_infer"], [p["submit"]]), ("resolve", WINDOW * BLOCK_TIME, [RESOLVE_GAS])]
    stages = [("request", 0.0, [p["request"]]), ("dispatch", 0.0, [p["dispatch"]]),
              ("commit", p["t_infer"], [p["commit"]] * k), ("reveal", 0.0, [p["reveal"]] * k),
              ("finalize", 0.0, [p["finalize"]])]
    if mode == "hybrid":
        stages.append(("final after window", WINDOW * BLOCK_TIME, []))
    return stages


def simulate(mode: str, rate: float, p: dict, blocks: int, seed: int = 7) -> dict:
    """Offered `rate` per second for `blocks` blocks; returns the settled requests per second in the
    steady part of the run (from 10 blocks past the mode's fixed delay to the end), their latencies
    and gas. Below capacity that equals the offered rate; above it the backlog grows."""
    rng = np.random.default_rng(seed)
    horizon = blocks * BLOCK_TIME
    arrivals = np.cumsum(rng.exponential(1 / rate, size=int(rate * horizon * 1.2) + 10))
    arrivals = arrivals[arrivals < horizon]
    stages = pipeline(mode, p)
    future: list = []  # (time, seq, request, stage) : a stage's transactions enter the mempool at time
    seq = 0
    free_at = 0.0  # single phase: the serial server
    for r, t in enumerate(arrivals):
        if mode == "single-phase":
            free_at = max(free_at, t) + p["t_infer"]
            heapq.heappush(future, (free_at, seq, r, 0))
        else:
            heapq.heappush(future, (t + stages[0][1], seq, r, 0))
        seq += 1
    mempool: deque = deque()  # (request, stage, gas)
    left = {}  # (request, stage) -> transactions not yet included
    done_at, gas_of = {}, {}
    provisional = {}
    # the run ends after `blocks`, plus the challenge window where the mode has one
    end = blocks + (WINDOW + 2 if mode in ("opml", "hybrid") else 0)
    for b in range(1, end + 1):
        now = b * BLOCK_TIME
        while future and future[0][0] <= now:
            _, _, r, s = heapq.heappop(future)
            gases = stages[s][2]
            if not gases:  # a waiting stage (challenge window): nothing to include
                done_at[r] = now
                continue
            left[r, s] = len(gases)
            mempool.extend((r, s, g) for g in gases)
        room, kept = BLOCK_GAS, deque()
        while mempool:
            r, s, g = mempool.popleft()
            if g > room:
                kept.append((r, s, g))
                if room < 21_000:
                    break
                continue
            room -= g
            gas_of[r] = gas_of.get(r, 0) + g
            left[r, s] -= 1
            if left[r, s] == 0:
                del left[r, s]
                if s + 1 < len(stages):
                    if mode == "hybrid" and stages[s][0] == "finalize":
                        provisional[r] = now
                    heapq.heappush(future, (now + stages[s + 1][1], seq, r, s + 1))
                    seq += 1
                else:
                    done_at[r] = now
        kept.extend(mempool)
        mempool = kept
    extra = end - blocks  # the challenge window, where the mode has one
    t_a, t_b = (extra + 10) * BLOCK_TIME, end * BLOCK_TIME
    steady = sum(1 for t in done_at.values() if t_a <= t <= t_b) / (t_b - t_a)
    settled = [r for r in range(len(arrivals)) if r in done_at]
    lat = np.array([done_at[r] - arrivals[r] for r in settled]) if settled else np.array([])
    return {"mode": mode, "rate": rate, "offered": len(arrivals), "settled": len(settled),
            "settled_fraction": len(settled) / max(1, len(arrivals)), "settled_per_s": steady,
            "latency_p50_s": float(np.percentile(lat, 50)) if len(lat) else None,
            "latency_p99_s": float(np.percentile(lat, 99)) if len(lat) else None,
            "gas_per_request": float(np.mean([gas_of[r] for r in settled])) if settled else None,
            "provisional_p50_s": _median([provisional[r] - arrivals[r] for r in settled if r in provisional])}


def _median(v: list[float]) -> float | None:
    return float(np.median(v)) if v else None


def capacity(mode: str, p: dict) -> float:
    """Requests per second each mode can settle at most: gas-bound, and for single phase inference-bound."""
    gas = sum(sum(g) for _, _, g in pipeline(mode, p))
    cap = BLOCK_GAS / gas / BLOCK_TIME
    return min(cap, 1 / p["t_infer"]) if mode == "single-phase" else cap


def run(ctx: Context) -> Section:
    measured, source = parameters(ctx)
    rates = [0.1, 0.3, 1, 3, 10, 30, 100] if ctx.quick else [0.1, 0.3, 1, 2, 3, 5, 10, 20, 30, 60, 100, 300]
    blocks = 40 if ctx.quick else 150
    modes = ["brain", "single-phase", "opml", "hybrid"]
    infer_times = [measured["t_infer"], LARGE_MODEL_SECONDS]
    ctx.start(NAME, len(modes) * len(rates) * len(infer_times))
    rows = []
    for t_inf in infer_times:
        p = {**measured, "t_infer": t_inf}
        for mode in modes:
            for rate in rates:
                blocks_here = blocks if rate * blocks * BLOCK_TIME <= 60_000 else max(12, int(60_000 / rate / BLOCK_TIME))
                r = simulate(mode, rate, p, blocks_here)
                r.update(t_infer=t_inf, blocks=blocks_here, capacity=capacity(mode, p))
                rows.append(r)
                ctx.step(f"{mode} {rate:g}/s")

    def tag(t: float) -> str:
        return f"inference {t * 1000:.1f} ms" if t < 1 else f"inference {t:g} s"

    thr, lat, tables = [], [], []
    for t_inf in infer_times:
        for mode in modes:
            rs = [r for r in rows if r["mode"] == mode and r["t_infer"] == t_inf]
            thr.append(Series(f"{mode}, {tag(t_inf)}", [r["rate"] for r in rs],
                              [r["settled_per_s"] for r in rs], "rate",
                              "points" if t_inf != infer_times[0] else "line"))
            ok = [r for r in rs if r["latency_p50_s"] is not None]
            lat.append(Series(f"{mode}, {tag(t_inf)}", [r["rate"] for r in ok], [r["latency_p50_s"] for r in ok],
                              "seconds", "points" if t_inf != infer_times[0] else "line"))
    summary = []
    for t_inf in infer_times:
        p = {**measured, "t_infer": t_inf}
        for mode in modes:
            rs = [r for r in rows if r["mode"] == mode and r["t_infer"] == t_inf]
            sat = next((r["rate"] for r in rs if r["settled_per_s"] < 0.75 * r["rate"]), None)
            gas = sum(sum(g) for _, _, g in pipeline(mode, p))
            low = rs[0]
            summary.append([mode, tag(t_inf), capacity(mode, p), f">{rates[-1]:g}" if sat is None else f"{sat:g}",
                            gas, gas * GAS_PRICE_GWEI / 1e9, low["latency_p50_s"] or "-"])
    tables.append(Table(f"Per mode: capacity, where it saturates, cost ({GAS_PRICE_GWEI} gwei), latency at "
                        f"{rates[0]:g}/s", ["mode", "inference", "capacity /s (model)",
                                            "first rate settling < 75% of it", "gas per request",
                                            "ETH per request", "p50 latency s"], summary))
    figure = Figure("scale", f"Simulated chain: {BLOCK_TIME:g}-s blocks, {BLOCK_GAS / 1e6:g}M gas", [
        Panel("settled requests per second", "offered requests per second", "settled per second", thr,
              logx=True, logy=True),
        Panel("latency to final, p50", "offered requests per second", "seconds", lat, logx=True, logy=True),
    ], caption=f"Lines: {tag(infer_times[0])} (measured); points: {tag(infer_times[1])}.  committee {COMMITTEE}; challenge window {WINDOW} blocks.")
    by = {(s[0], s[1]): s for s in summary}
    t0 = tag(infer_times[0])
    metrics = [Metric(f"{m} capacity ({t0})", by[m, t0][2], "rate", "requests/s at 12 s, 30M gas")
               for m in modes]
    metrics += [Metric(f"single-phase capacity ({tag(LARGE_MODEL_SECONDS)})", by["single-phase", tag(LARGE_MODEL_SECONDS)][2],
                       "rate", "1 / inference time"),
                Metric("brain gas per request", by["brain", t0][4], "gas", f"committee {COMMITTEE}"),
                Metric("opml gas per request (honest)", by["opml", t0][4], "gas", "claim + resolve")]
    return Section(NAME, TITLE, {
        "chain": f"simulated: {BLOCK_TIME:g}-s blocks, {BLOCK_GAS:,} gas per block, one FIFO mempool",
        "gas and inference": {k: f"{v:g} ({source[k]})" for k, v in measured.items()},
        "opml resolve gas": f"{RESOLVE_GAS:,} (assumed: not measured yet)", "committee": COMMITTEE,
        "challenge window (blocks)": WINDOW, "gas price (gwei)": GAS_PRICE_GWEI, "rates": rates,
        "blocks simulated per point": f"{blocks} (fewer above 60,000 requests)",
        "inference times": [tag(t) for t in infer_times]},
        metrics, tables, [figure], notes=[
            "Two-phase BRAIN saturates on gas alone: about 1.3M gas per request at committee 5 leaves room for under "
            "2 requests per 12-s block-second; opML's honest path is two transactions, so it holds several times "
            "the rate but settles only after its challenge window; hybrid pays BRAIN's gas and waits opML's window "
            "for finality (its provisional answer comes at BRAIN's latency). Single-phase spends the least gas per "
            "request, so with a millisecond model it holds the most, but its capacity falls to 1 / inference time "
            "once the model is large: that crossover is what the paper's 454x measures.",
            "Past capacity, one FIFO mempool lets new requests crowd out the commits and reveals of earlier ones, so "
            "two-phase settled throughput falls below its capacity instead of flattening: a fee market that ranks "
            "a round's later transactions first would avoid that collapse."],
        raw={"rows": rows, "parameters": measured, "sources": source})
