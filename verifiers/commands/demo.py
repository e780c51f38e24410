"""tribunal demo: every verification mode serving one request on one chain, honest and under attack.

Everything runs on the embedded chain (or anvil) through the Verifier interface, served by in-process
agents that talk only through the chain: five staked committee members, an opML submitter and a
watcher. Requests, in order:

1. brain, single-phase, opml, auto: honest parties, the exact output root final;
2. opml with a cheating submitter (one element corrupted mid-program): the watcher disputes it by
   bisection and a one-step check on chain, the claim is rejected and the watcher's own answer ends final;
3. brain with a lying majority (3 of 5 vote one wrong root): BRAIN finalizes the lie;
4. hybrid with the same lying majority: the watcher's fraud proof overturns it and the honest answer
   ends final (shown as pending when the hybrid mode is not registered in this build);
5. hybrid on the model's float program (MODEL@fast, the fast profile node by node) with the same lying
   majority: the dispute narrows to a float node, which a jury (a Brain round) recomputes alone and
   finds beyond the request's tolerance: overturned, the honest float answer final.

It ends with one table: mode, what happened, output, status, latency in blocks and seconds, gas.
"""
from __future__ import annotations

import time

from runtime import zoo
from verifiers.catalog import FAST_SUFFIX

NAME = "demo"
HELP = "the main demo: every mode serves a request on chain, honest and under attack, in one table"
MEMBERS = 5


def add_arguments(p) -> None:
    p.add_argument("--model", default="digits-mlp", choices=[n for n, e in zoo.ENTRIES.items() if e.exact])
    p.add_argument("--sample", type=int, default=0, help="which held-out input")
    p.add_argument("--chain", default="embedded", choices=["embedded", "anvil"])


def scenarios(has_hybrid: bool) -> list[dict]:
    """(mode, label, member cheats, submitter cheat, options) for each request, in order."""
    honest = {"liars": 0, "submitter": "honest", "options": {}}
    rows = [
        {"mode": "brain", "label": "honest committee", **honest},
        {"mode": "single-phase", "label": "honest (baseline)", **honest},
        {"mode": "opml", "label": "honest submitter", **honest},
        {"mode": "auto", "label": "10 ETH at risk", **honest, "options": {"value_at_risk": 10 * 10**18}},
        {"mode": "opml", "label": "cheating submitter", "liars": 0, "submitter": "wrong-output", "options": {}},
        {"mode": "brain", "label": "3 of 5 members lie", "liars": 3, "submitter": "honest", "options": {}},
        {"mode": "hybrid", "label": "3 of 5 members lie", "liars": 3, "submitter": "honest", "options": {}},
        {"mode": "hybrid", "label": "3 of 5 lie, float program", "liars": 3, "submitter": "honest", "options": {},
         "profile": "fast"},
    ]
    for r in rows:
        r["available"] = r["mode"] != "hybrid" or has_hybrid
    return rows


def run(args) -> dict:
    from contracts.bindings.opml import OpmlConfig
    from contracts.deploy import ETHER
    from verifiers import Tribunal, modes
    from verifiers.deployment import DEFAULT_CONFIG

    from ..inputs import sample_input

    t0 = time.perf_counter()
    # Short windows (blocks): the demo mines a block whenever no agent has anything to do.
    config = DEFAULT_CONFIG.__class__(**{**DEFAULT_CONFIG.__dict__, "commit_window": 8, "reveal_window": 8,
                                         "withdrawal_delay": 64, "queue_timeout": 32})
    opml = OpmlConfig(window=8, clock=8, min_bond=ETHER // 100)
    t = Tribunal.connect(args.chain, committee=MEMBERS, config=config, opml_config=opml, models=(args.model,))
    rows = []
    try:
        entry = t.model(args.model)
        x = sample_input(entry.model, args.sample)
        exact_root = "0x" + entry.model.run_exact(x).output_root.hex()
        for sc in scenarios("hybrid" in modes.names()):
            profile = sc.get("profile", "exact")
            name = args.model if profile == "exact" else args.model + FAST_SUFFIX
            row = {k: sc[k] for k in ("mode", "label")}
            if not sc["available"]:
                rows.append({**row, "status": "pending", "output": None, "blocks": None, "seconds": None,
                             "gas_total": None, "note": "hybrid mode not registered in this build"})
                continue
            t.set_cheats(liars=sc["liars"], submitter=sc["submitter"])
            _say(args, f"{sc['mode']}: {sc['label']} ...")
            v = t.infer(name, x, mode=sc["mode"], **sc["options"]).wait(progress=_progress(args))
            rows.append({**row, "status": v.status, "output": v.output, "output_root": v.output_root,
                         "result": v.result, "honest_output": v.honest_output, "honest_result": v.honest_result,
                         "wrong_answer": v.wrong_answer,
                         # right or wrong by an honest re-execution here (None: no answer settled)
                         "correct": None if v.result is None else not v.wrong_answer, "blocks": v.blocks,
                         "seconds": round(v.seconds, 2), "gas_total": v.gas_total, "reason": v.reason,
                         "provisional_blocks": v.provisional_blocks, "mode_detail": v.mode,
                         "transactions": len(v.transactions), "games": len(v.evidence.get("games", []))})
    finally:
        t.close()
    _, labels = zoo.test_data(args.model)
    return {"model": args.model, "sample": args.sample, "chain": args.chain, "exact_output_root": exact_root,
            "label": None if labels is None else int(labels[args.sample]), "rows": rows,
            "seconds": round(time.perf_counter() - t0, 1)}


def _say(args, text: str) -> None:
    if not args.json:
        import sys

        sys.stderr.write(text + "\n")


def _progress(args):
    if args.json:
        return None
    from verifiers.commands.infer import _progress as bar

    return bar()


def render(r, console) -> None:
    from rich.table import Table

    from verifiers.commands.infer import wrong_answer_line

    console.print(f"[bold]{r['model']}[/], sample {r['sample']} (label {r['label']}) on the {r['chain']} chain; "
                  f"exact output root {r['exact_output_root']}", soft_wrap=True)
    t = Table("mode", "scenario", "output", "status", "blocks", "seconds", "gas",
              title="one request per mode, served by agents that talk only through the chain")
    for row in r["rows"]:
        if row["blocks"] is None:
            t.add_row(row["mode"], row["label"], "-", f"[yellow]{row['status']}[/]", "-", "-", "-")
            continue
        right = {True: "[green]right[/]", False: "[bold red]WRONG[/]", None: ""}[row.get("correct")]
        out = "-" if row.get("result") is None else "unknown" if row["output"] is None else f"label {row['output']}"
        status = row["status"] + (" [bold red](WRONG ANSWER FINAL)[/]" if row.get("wrong_answer") and
                                  row["status"] == "final" else "")
        t.add_row(row.get("mode_detail") or row["mode"], row["label"], f"{out} {right}", status,
                  str(row["blocks"]), f"{row['seconds']:.1f}", f"{row['gas_total']:,}")
    console.print(t)
    for row in r["rows"]:
        alarm = wrong_answer_line({**row, "mode": row.get("mode_detail") or row["mode"]}) if row.get("result") else None
        if alarm:
            console.print(f"[bold red]{row['mode']} ({row['label']}): {alarm}[/]")
        if row.get("note"):
            console.print(f"[yellow]{row['mode']}[/]: {row['note']}")
        elif row["mode"] == "auto" and row.get("reason"):
            console.print(f"auto: {row['reason']}")
    console.print(f"{r['seconds']:.0f} s in all")
