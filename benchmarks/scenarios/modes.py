"""modes: every verification mode through the Verifier interface (`verifiers.Tribunal`) on the same
model, the same chain and the same Poisson request stream, honest and with a cheater present.

One `Tribunal.connect` per case deploys everything and starts the in-process agents (5 committee
members, a submitter, a watcher); `step()` ticks them and mines a block when none had anything to
send, so the chain moves as fast as the parties do. Requests arrive as a seeded Poisson stream in
blocks (rate = requests per block); each mode gets the same stream. Per request: latency to its
settled verdict in blocks and seconds, gas (every transaction of the verdict), the status.
Cheater case: one of the five members votes a wrong output (a minority), and the submitter claims
a wrong output (the watcher disputes it).

Off-chain compute per request, as a multiple of one plain inference (the fast profile), is computed
from the parts measured here: a member's exact inference (brain, single-phase), a trace (opML
submitter and watcher, hybrid members), times the parties that run it.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from benchmarks.harness import Context, Figure, Metric, Panel, Section, Series, Table
from verifiers import modes as registry  # noqa: F401 - the Verifier interface; without it this scenario is left out

NAME = "modes"
TITLE = "Modes side by side: latency, gas, off-chain compute, timeouts"
MODEL = "digits-cnn"
COMMITTEE = 5
CASES = {"honest": {}, "cheater": {"member_cheats": ["wrong-output"], "submitter_cheat": "wrong-output"}}


def _compute_costs(entry, x) -> dict[str, float]:
    """Seconds of one plain (fast) inference, one exact inference and one exact trace of `x`."""
    from bisection import trace

    m = entry.model
    x_q = m.quantize_input(x)
    program = m.program(x_q.shape)

    def best(f, n=15):
        f()
        ts = []
        for _ in range(n):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
        return min(ts)
    return {"fast": best(lambda: m.run_fast(x)), "exact": best(lambda: program.run(x_q)),
            "trace": best(lambda: trace.compute(program, x_q))}


def _multiple(mode: str, cost: dict[str, float]) -> float:
    per = {"brain": COMMITTEE * cost["exact"], "single-phase": COMMITTEE * cost["exact"],
           "opml": 2 * cost["trace"],  # the submitter's trace and the watcher's re-execution
           "hybrid": COMMITTEE * cost["trace"] + cost["trace"]}.get(mode, COMMITTEE * cost["exact"])
    return per / cost["fast"]


def _stream(t, mode: str, rate: float, count: int, inputs, seed: int) -> list[dict]:
    """Sends `count` requests arriving as a Poisson stream of `rate` per block; drives the chain
    until every one has a settled verdict."""
    rng = np.random.default_rng(seed)
    start = t.chain.block_number
    arrive = start + np.cumsum(rng.exponential(1 / rate, size=count)).astype(int)
    open_, out, i = [], [], 0
    while i < count:
        head = t.chain.block_number
        while i < count and arrive[i] <= head:
            open_.append(t.infer(MODEL, inputs[i % len(inputs)], mode=mode))
            i += 1
        for r in list(open_):
            v = r.status()
            if v.settled:
                out.append(v)
                open_.remove(r)
            else:
                r.mode.keep(t, r.request, r.handle)
        t.step()
    out += [r.wait() for r in open_]
    return [{"status": v.status, "blocks": v.blocks, "seconds": v.seconds, "gas": v.gas_total,
             "provisional_blocks": v.provisional_blocks} for v in out]


def run(ctx: Context) -> Section:
    from runtime import zoo
    from verifiers import Tribunal, modes

    names = [m for m in ("brain", "opml", "hybrid", "single-phase") if m in modes.names()]
    rates = [0.5] if ctx.quick else [0.5, 2.0]
    count = 2 if ctx.quick else 6
    cases = {"honest": CASES["honest"]} if ctx.quick else CASES
    ctx.start(NAME, 1 + len(cases) * len(names) * len(rates))
    x, _ = zoo.test_data(MODEL)
    inputs = [np.asarray(x[i:i + 1]) for i in range(16)]
    rows, failures = [], []
    cost = None
    for case, cheats in cases.items():
        for mode in names:
            # A fresh deployment per mode: a lying member is slashed every round, and after about ten
            # rounds its stake falls below the minimum and it leaves the committees, which would leave
            # the next mode with fewer nodes than a committee (every node sits on every committee).
            t = Tribunal.connect(ctx.chain, committee=COMMITTEE, models=(MODEL,), **cheats)
            try:
                if cost is None:
                    cost = _compute_costs(t.model(MODEL), inputs[0])
                    ctx.step("compute measured")
                for rate in rates:
                    try:
                        vs = _stream(t, mode, rate, count, inputs, seed=int(rate * 100))
                    except Exception as e:  # noqa: BLE001 - a mode that fails is reported, the others still run
                        failures.append(f"{case} {mode} at {rate:g}/block failed: {type(e).__name__}: {e}")
                        ctx.step(f"{case} {mode} failed")
                        break
                    settled = [v for v in vs if v["status"] in ("final",)]
                    lat_b = [v["blocks"] for v in settled]
                    lat_s = [v["seconds"] for v in settled]
                    rows.append({"case": case, "mode": mode, "rate": rate, "requests": len(vs),
                                 "final": len(settled), "timed_out": sum(v["status"] == "timed out" for v in vs),
                                 "rejected": sum(v["status"] == "rejected" for v in vs),
                                 "p50_blocks": _pct(lat_b, 50), "p99_blocks": _pct(lat_b, 99),
                                 "p50_s": _pct(lat_s, 50), "p99_s": _pct(lat_s, 99),
                                 "gas": statistics.mean(v["gas"] for v in vs), "multiple": _multiple(mode, cost),
                                 "verdicts": vs})
                    ctx.step(f"{case} {mode} {rate:g}/block")
            finally:
                t.close()

    table = Table(f"Per mode, rate (requests per block) and case, on {ctx.chain} ({MODEL}, committee {COMMITTEE})",
                  ["case", "mode", "rate /block", "requests", "final", "timed out", "rejected", "p50 blocks",
                   "p99 blocks", "p50 s", "p99 s", "gas per request", "compute x plain"],
                  [[r["case"], r["mode"], r["rate"], r["requests"], r["final"], r["timed_out"], r["rejected"],
                    _dash(r["p50_blocks"]), _dash(r["p99_blocks"]), _dash(r["p50_s"]), _dash(r["p99_s"]), r["gas"],
                    r["multiple"]] for r in rows])
    panels = []
    for key, kind, title, ylabel in (("p50_blocks", "blocks", "latency to final, p50", "blocks"),
                                     ("p50_s", "seconds", "latency to final, p50", "seconds"),
                                     ("gas", "gas", "gas per request", "gas")):
        series = []
        for case in cases:
            for mode in names:
                rs = [r for r in rows if r["case"] == case and r["mode"] == mode and r[key] is not None]
                if rs:
                    series.append(Series(f"{mode} ({case})", [r["rate"] for r in rs], [float(r[key]) for r in rs],
                                         kind, "line" if case == "honest" else "points"))
        panels.append(Panel(title, "requests per block (Poisson)", ylabel, series, logy=key != "p50_blocks"))
    figure = Figure("modes", f"Modes on {ctx.chain}: the same model and request stream", panels,
                    caption="Lines: honest parties; points: one member votes wrong and the submitter claims wrong.")
    honest = {r["mode"]: r for r in rows if r["case"] == "honest" and r["rate"] == rates[0]}
    metrics = []
    for mode, r in honest.items():
        if r["p50_blocks"] is not None:
            metrics.append(Metric(f"{mode}: p50 latency (honest, {rates[0]:g}/block)", r["p50_blocks"], "blocks", ""))
        metrics.append(Metric(f"{mode}: gas per request (honest)", r["gas"], "gas", ""))
        metrics.append(Metric(f"{mode}: off-chain compute", r["multiple"], "multiple", "x one plain inference"))
    metrics.append(Metric("timed-out requests, all cases", sum(r["timed_out"] for r in rows), "count", ""))
    return Section(NAME, TITLE, {
        "chain": f"{ctx.chain}, blocks mined when the agents are idle (Tribunal.step)", "model": f"{MODEL} (exact program)",
        "modes": names, "committee": COMMITTEE, "rates (requests per block)": rates, "requests per point": count,
        "cases": {c: (v or "all honest") for c, v in cases.items()},
        "compute (s): plain fast, exact, trace": {k: round(v, 6) for k, v in (cost or {}).items()}},
        metrics, [table], [figure], notes=[
            "Latency in blocks is the protocol's: windows and moves; in seconds it is how fast the in-process "
            "agents and this chain turn them over, not a mainnet figure (see `scale` for 12-s blocks).",
            "Off-chain compute multiples are computed from measured parts (see setup), not counted per request."]
        + [f"**Failed:** {f}" for f in failures]
        + [f"**Timed out:** {m}: {n} of {t} requests." for m, n, t in _timeouts(rows) if n],
        raw={"rows": rows, "compute": cost, "failures": failures})


def _timeouts(rows: list[dict]) -> list[tuple[str, int, int]]:
    modes = sorted({r["mode"] for r in rows})
    return [(m, sum(r["timed_out"] for r in rows if r["mode"] == m), sum(r["requests"] for r in rows if r["mode"] == m))
            for m in modes]


def _pct(v: list[float], q: float) -> float | None:
    return float(np.percentile(v, q)) if v else None


def _dash(v):
    return "-" if v is None else v
