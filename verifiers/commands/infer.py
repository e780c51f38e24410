"""tribunal infer: one inference request, verified by the mode the user picks, with parties to serve it.

On the embedded chain or anvil (started here) it deploys everything, stakes a committee and runs the
agents in process: `--liars L` makes L members vote one wrong answer together, `--cheat STRATEGY` gives
the opML submitter a dispute-game strategy (`--watcher-cheat` the watcher), so each mode can be watched
under attack. Against a URL with `--deployment FILE` it attaches and only sends the request: the
parties are `tribunal node` processes. Every check on the arguments runs before anything is deployed
or sent, so bad input leaves nothing half-made.
"""
from __future__ import annotations

import sys

from verifiers import modes
from verifiers.agents.opml_duties import GAME_STRATEGIES
from verifiers.errors import BondBelowMinimum, FeeBelowMinimum, InvalidRequest, UnknownCheat

from ..generation import add_generation_args, generation_entry, streamer
from ..inputs import add_model_input_args, load_input, sample_input

NAME = "infer"
HELP = "send one inference request verified by a mode (brain, opml, hybrid, single-phase, auto) and wait for its verdict"


def add_arguments(p) -> None:
    add_model_input_args(p)
    p.add_argument("--mode", default="brain", help="verification mode (see `tribunal infer --help`): " +
                   ", ".join(modes.names()))
    p.add_argument("--chain", default="embedded", help="embedded (in process), anvil (started here) or an http(s) RPC URL")
    p.add_argument("--deployment", default=None, metavar="FILE", help="attach to a saved deployment instead of deploying")
    p.add_argument("--key", default=None, metavar="KEY",
                   help="with --deployment FILE --chain URL: the requester's private key (0x-hex), which pays the fee "
                        "(default: a development key, funded only on development chains)")
    p.add_argument("--committee", type=int, default=5, metavar="K", help="committee size (and nodes staked)")
    p.add_argument("--liars", type=int, default=0, metavar="L", help="L committee members vote the same wrong answer")
    p.add_argument("--cheat", default="honest", metavar="STRATEGY",
                   help=f"the submitter's strategy: {', '.join(GAME_STRATEGIES)}, late, or an import path "
                        "package.module:Name / file.py:Name to one of one's own (bisection.strategy)")
    p.add_argument("--watcher-cheat", default="honest", metavar="STRATEGY", help="the watcher's strategy (same names)")
    p.add_argument("--bond", type=int, default=None, metavar="WEI",
                   help="the submitter's and watcher's bond per claim or game (default: the game's minimum)")
    p.add_argument("--fee", type=int, default=None, metavar="WEI", help="request fee (default: 10x the minimum)")
    p.add_argument("--deadline", type=int, default=None, metavar="BLOCKS", help="blocks to wait for a settled verdict")
    p.add_argument("--value-at-risk", type=int, default=0, metavar="WEI", help="what a wrong answer would cost (auto)")
    p.add_argument("--latency-blocks", type=int, default=None, metavar="BLOCKS", help="latency budget (auto)")
    p.add_argument("--tolerance", default=None, metavar="ATOL,RTOL",
                   help="hybrid on a model without an exact program (or NAME@fast): how far a disputed float node's "
                        "output may be from a juror's recomputation, |got - want| <= ATOL + RTOL * |want| "
                        "(default 1e-5,1e-4)")
    p.add_argument("--until", default="final", choices=["final", "provisional"],
                   help="wait until the answer is final (default), or only until the committee's answer is on chain "
                        "(hybrid: provisional, or already disputed)")
    p.add_argument("--result-kind", default=None, choices=["output_root", "argmax"],
                   help="what the committee votes on (default: output_root with an exact program, else argmax)")
    add_generation_args(p)
    from verifiers.shard import infer as sharded  # --shards K: the request through K shard nodes (issue 22)

    sharded.add_arguments(p)


def check_args(args):
    """Every check that needs no chain: mode, model, input, strategies, committee, fee floor."""
    from verifiers.catalog import Catalog
    from verifiers.deployment import DEFAULT_CONFIG, DEFAULT_OPML

    mode = modes.get(args.mode)
    requester = _requester(args)
    if args.committee < 1:
        raise InvalidRequest(f"--committee must be at least 1, got {args.committee}")
    if not 0 <= args.liars <= args.committee:
        raise InvalidRequest(f"--liars must be in 0..{args.committee} (the committee), got {args.liars}")
    for flag, value in (("--cheat", args.cheat), ("--watcher-cheat", args.watcher_cheat)):
        if ":" in value:  # an import path to a strategy of one's own
            from bisection.errors import UnknownStrategy
            from bisection.strategy import resolve

            try:
                resolve(value)
            except UnknownStrategy as e:
                raise UnknownCheat(f"{flag} '{value}': {e}") from None
        elif value not in GAME_STRATEGIES + ("late",):
            raise UnknownCheat(f"{flag} '{value}': unknown strategy (have: {', '.join(GAME_STRATEGIES)}, late, "
                               f"or package.module:Name)")
    if args.fee is not None and args.fee < DEFAULT_CONFIG.min_fee and args.deployment is None:
        raise FeeBelowMinimum(f"fee {args.fee} wei is below the minimum {DEFAULT_CONFIG.min_fee} wei")
    if args.bond is not None and args.bond < DEFAULT_OPML.min_bond and args.deployment is None:
        raise BondBelowMinimum(f"bond {args.bond} wei is below the opML game's minimum {DEFAULT_OPML.min_bond} wei")
    if args.tolerance is not None:
        from bisection.tolerance import Tolerance

        if "tolerance" not in mode.options:
            raise InvalidRequest(f"--tolerance is for a mode that settles float nodes (hybrid, auto), not '{args.mode}'")
        Tolerance.parse(args.tolerance)
    catalog = Catalog(())
    if args.prompt is not None:  # a generation: the request shape's program, checked before anything is sent
        entry, x = generation_entry(catalog, args.model, args.prompt, None, args.max_new_tokens, args.seed)
        return mode, catalog, entry, x, requester
    entry = catalog.entry(args.model)
    x = load_input(args.input) if args.input is not None else sample_input(entry.model, args.sample or 0)
    entry.check(x)
    return mode, catalog, entry, x, requester


def _requester(args):
    """The account `--key` names (None: the default requester); only for a request against a saved deployment
    on a running chain, where the parties are other processes (verifiers.node_ops, as for `tribunal stake`)."""
    from verifiers.node_ops import account_of, check_url

    if args.key is None:
        return None
    if args.deployment is None:
        raise InvalidRequest("--key is the requester's key on your own deployment: give --deployment FILE and "
                             "--chain URL with it")
    check_url(args.chain, "--chain")
    return account_of(args.key)


def run(args) -> dict:
    from verifiers.api import Tribunal

    if args.shards is not None:  # sharded: the ShardLedger pipeline (verifiers/shard/infer.py)
        from verifiers.shard import infer as sharded

        return {"sharded": sharded.run(args)}
    mode, catalog, entry, x, requester = check_args(args)
    if args.prompt is not None and not args.json:  # the text as this machine computes it, then the verdict
        g = entry.generator
        g.generate(g.request(args.prompt, max_new_tokens=args.max_new_tokens, seed=args.seed), entry.profile,
                   on_token=streamer(g, args.prompt, True))
        sys.stdout.write("   (computed here; the verdict follows)\n")
    chain_opts = {}
    t = Tribunal.connect(args.chain, committee=args.committee, member_cheats=["wrong-output"] * args.liars,
                         submitter_cheat=args.cheat, watcher_cheat=args.watcher_cheat, deployment=args.deployment,
                         agents=args.deployment is None, catalog=catalog, bond=args.bond, requester=requester,
                         **chain_opts)
    try:
        opts = {"latency_blocks": args.latency_blocks} if args.latency_blocks is not None and "latency_blocks" in mode.options else {}
        if args.tolerance is not None:
            opts["tolerance"] = args.tolerance
        receipt = t.infer(entry.name, x, mode=args.mode, fee=args.fee, deadline_blocks=args.deadline,
                          value_at_risk=args.value_at_risk, result_kind=args.result_kind, **opts)
        # a watcher may challenge in the block the answer turns provisional: a disputed answer is on chain too
        until = ("final", "provisional", "disputed") if args.until == "provisional" else ("final",)
        verdict = receipt.wait(until=until, progress=None if args.json else _progress())
        parties = {a.address: a.name for a in t.scheduler.agents}
        parties[t.requester.address] = "requester"
    finally:
        t.close()
    out = verdict.as_dict()
    out.update(model=entry.name, chain=args.chain, committee=args.committee, liars=args.liars, cheat=args.cheat,
               parties=parties)
    return out


def _progress():
    """Progress on stderr while the request waits for blocks: one rewritten line on a terminal, else a
    line per change of status."""
    tty = sys.stderr.isatty()
    last = [None]

    def show(blocks: int, v) -> None:
        if tty:
            sys.stderr.write(f"\r  block +{blocks:<4d} {v.status:<12s} {len(v.transactions)} transactions")
            if v.settled:
                sys.stderr.write("\n")
        elif v.status != last[0]:
            sys.stderr.write(f"  block +{blocks}: {v.status}\n")
        last[0] = v.status
        sys.stderr.flush()
    return show


STATUS_STYLE = {"final": "green", "provisional": "yellow", "disputed": "yellow", "pending": "yellow",
                "timed out": "red", "rejected": "red"}


def short(value: str | None) -> str:
    """A root or address abbreviated for a table cell; marked with "…" (the full value is printed below it)."""
    return "-" if not value else value if len(value) <= 14 else f"{value[:10]}…{value[-4:]}"


def wrong_answer_line(r) -> str | None:
    """The alarm for an answer that is not what an honest re-execution here gives (None: no such answer)."""
    if not r.get("wrong_answer"):
        return None
    mine = "unknown" if r["output"] is None else r["output"]
    adopted = r.get("evidence", {}).get("upheld") is False  # hybrid: an opML claim replaced the committee's answer
    who = "the opML claim's answer" if "opml" in r["mode"] or adopted else "the committee's answer"
    if r["status"] == "final":
        head = "WRONG ANSWER FINAL"
    else:
        head = f"WRONG ANSWER ({r['status']}, not final yet)"
    roots = f"; root {short(r['output_root'])} vs {short(r['honest_result'])}" if r.get("output_root") else ""
    return (f"{head}: {who} differs from an honest re-execution of the request on this machine "
            f"(label {mine} vs {r['honest_output']}{roots})")


def _party(r, address: str | None) -> str:
    """An address as a person reads it: the in-process party's name with the address abbreviated, or the
    whole address of a party this command did not start."""
    if not address:
        return "-"
    name = r.get("parties", {}).get(address)
    return f"{name} ({short(address)})" if name else address


def _story(r) -> list[tuple[str, str]]:
    """The dispute, as rows: who challenged, the games and their winners, what was overturned, who paid."""
    e, rows = r.get("evidence", {}), []
    if "votes" in e and e.get("committee"):
        rows.append(("committee vote", f"{e['votes']} of {len(e['committee'])} members for the final answer"))
    if "hybrid" in r["mode"] and "vote" in e:
        if e.get("challenger"):
            rows.append(("challenged", f"yes, by {_party(r, e['challenger'])}"
                         + (f"; defended by opML claim {e['defense_claim']}" if e.get("defense_claim") else "")))
        else:
            rows.append(("challenged", f"no (the window ran to block {e['challenge_deadline']})"))
        if e.get("overturned"):
            rows.append(("overturned", f"yes: {e['overturned']}"))
        elif r["status"] == "final":
            rows.append(("overturned", "no: the committee's answer stood"))
    for c in e.get("claims", []):
        rows.append((f"opML claim {c['claim']}", f"by {_party(r, c['defender'])}: {c['status']}"
                     + (" (its bond went to the challenger)" if c["status"] == "rejected" else "")
                     + ("" if c["games"] else ", never challenged")))
    for g in e.get("games", []):
        jury = " (a node jury judged the last step)" if g.get("jury") else ""
        rows.append((f"game {g['game']}", f"{_party(r, g['challenger'])} challenged claim {g['claim']}: "
                     f"{g['moves']} moves, winner {g['winner'] or 'undecided'}{jury}"))
    slashed = e.get("slashed", [])
    if slashed:
        rows.append(("slashed", ", ".join(f"{_party(r, s['node'])} {s['amount'] / 1e18:g} ETH ({_why_slashed(e, s)})"
                                          for s in slashed)))
    elif (r["status"] in ("final", "timed out") and "votes" in e) or ("hybrid" in r["mode"] and r["status"] == "final"):
        rows.append(("slashed", "nobody"))
    return rows


def _why_slashed(e: dict, s: dict) -> str:
    """Why a committee member lost stake, from its revealed vote against the round's majority."""
    votes = {x["member"]: x.get("result", x.get("vote")) for x in e.get("reveals", [])}
    majority = e.get("vote", e.get("result"))
    if s["node"] not in votes:
        return "did not reveal"
    if votes[s["node"]] == majority:
        return "voted the overturned answer" if e.get("overturned") else "voted with the majority"
    return "outvoted"


def render(r, console) -> None:
    from rich.table import Table

    if "sharded" in r:
        from verifiers.shard import infer as sharded

        return sharded.render(r["sharded"], console)

    alarm = wrong_answer_line(r)
    if alarm:
        console.print(f"[bold red]{alarm}[/]")
    t = Table(title=f"{r['model']} on the {r['chain']} chain, mode {r['mode']}, request {r['request_id']}",
              show_header=False)
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    status = r["status"]
    t.add_row("status", f"[bold {STATUS_STYLE.get(status, 'white')}]{status}[/]")
    if alarm:
        t.add_row("[red]WRONG ANSWER[/]", f"[bold red]{'final' if status == 'final' else status}: differs from an "
                                          f"honest re-execution[/]")
    if isinstance(r["output"], dict):  # a generation
        t.add_row("output", f"{r['output']['text']!r} (token ids {r['output']['ids']})")
    elif r["output"] is not None:
        t.add_row("output", f"label {r['output']}")
    elif r.get("result"):
        t.add_row("output", "unknown: the root on chain is not the root of an honest run here, so no label decodes from it")
    else:
        t.add_row("output", "none: the chain settled no answer")
    if r.get("honest_result"):
        same = "" if not r.get("result") else " (matches)" if not r.get("wrong_answer") else " [red](DIFFERS)[/]"
        honest = r["honest_output"]
        honest = repr(honest["text"]) if isinstance(honest, dict) else f"label {honest}"
        t.add_row("honest re-execution", f"{honest}{same}, recomputed on this machine")
    if r.get("output_root"):
        t.add_row("output root", f"{short(r['output_root'])} (full below)")
    t.add_row("latency", f"{r['blocks']} blocks, {r['seconds']:.2f} s")
    if r.get("provisional_blocks") is not None:
        secs = r.get("provisional_seconds")
        t.add_row("provisional after", f"{r['provisional_blocks']} blocks"
                  + (f", {secs:.2f} s" if secs is not None else ""))
    t.add_row("gas", f"{r['gas_total']:,} in {len(r['transactions'])} transactions")
    for k, v in _story(r):
        t.add_row(k, v)
    if r.get("reason"):
        t.add_row("why", r["reason"])
    if r.get("refund"):
        t.add_row("refund", f"{r['refund']} wei ({r['refund'] / 1e18:g} ETH)")
    console.print(t)
    if r.get("output_root"):  # roots in full (a label needs no root)
        for label, key in (("output root", "output_root"), ("honest root", "honest_result")):
            if r.get(key):
                console.print(f"{label + ':':<13}{r[key]}", soft_wrap=True)
    tx = Table("transaction", "sender", "gas", "block", title="transactions")
    for x in r["transactions"]:
        tx.add_row(x["name"], _party(r, x["sender"]), f"{x['gas']:,}", str(x["block"]))
    console.print(tx)
