"""tribunal dispute: play a whole dispute game, one side cheating, the other honest.

`--chain none` plays it against the in-memory arbiter; `--chain embedded|anvil` deploys the opML
contracts (OpmlModels, OpmlGame, the one-step verifier) on that chain and plays the same players
against `contracts.arbiter.ChainArbiter` (anvil is started and stopped here). On chain the JSON adds
`gas_total` (every transaction of the dispute: registration, claim, moves), `gas_moves` (the game's
moves), per-move `gas` in the transcript, `deploy_seconds` and `wall_seconds` (claim to resolution).
"""
from __future__ import annotations

from runtime.errors import TribunalError

from bisection import STRATEGIES, MemoryArbiter, dispute
from bisection.errors import NothingToDispute, UnknownStrategy
from bisection.strategy import Strategy, resolve as resolve_strategy

from ..inputs import add_model_input_args, resolve

NAME = "dispute"
HELP = "play a dispute game in memory or on chain: one side follows a cheating strategy, the other is honest"
CHAINS = ("none", "embedded", "anvil")


class UnsupportedChain(TribunalError):
    """Raised when --chain names something other than none (in memory), embedded or anvil."""


def add_arguments(p) -> None:
    add_model_input_args(p, profile="exact")
    p.add_argument("--cheat", required=True, metavar="STRATEGY",
                   help=f"[defender:|challenger:]STRATEGY, one of {', '.join(STRATEGIES)} or an import path "
                        "package.module:Name / file.py:Name of one's own (default side: defender)")
    p.add_argument("--at-step", type=int, default=None, metavar="K", help="the step the cheat starts at (1..N; default N)")
    p.add_argument("--chain", default="none", help="where the arbiter runs: none (in memory), embedded (py-evm in process) or anvil (started here)")
    p.add_argument("--seed", type=int, default=0, help="seeds the cheater's choices (element, garbage roots)")
    p.add_argument("--stride", type=int, default=2, help="tree levels per level-two reveal (>= 1)")


def parse_cheat(spec: str) -> tuple[str, Strategy]:
    """(side, strategy) of `--cheat [SIDE:]STRATEGY`; STRATEGY may be an import path (it has a ':' itself)."""
    side, sep, rest = spec.partition(":")
    if sep and side in ("defender", "challenger"):
        strategy = rest
    elif sep and rest in STRATEGIES:
        raise UnknownStrategy(f"--cheat '{spec}': the side must be defender or challenger")
    else:
        side, strategy = "defender", spec
    if ":" not in strategy and strategy not in STRATEGIES:
        raise UnknownStrategy(f"--cheat '{spec}': unknown strategy '{strategy}' (have: {', '.join(STRATEGIES)}, "
                              f"or package.module:Name)")
    try:
        return side, resolve_strategy(strategy)
    except UnknownStrategy as e:
        raise UnknownStrategy(f"--cheat '{spec}': {e}") from None


def run(args) -> dict:
    if args.chain not in CHAINS:
        raise UnsupportedChain(f"--chain {args.chain}: use none (in memory), embedded or anvil")
    if args.stride < 1:
        raise TribunalError(f"--stride must be at least 1, got {args.stride}")
    side, strategy = parse_cheat(args.cheat)
    model, x, source = resolve(args, profile="exact")
    x_q = model.quantize_input(x)
    program = model.program(x_q.shape)
    n = program.steps
    fixed = n > 1 and strategy.at(1, n) == strategy.at(n, n)  # its step is its own (wrong-final: always N)
    at_step = strategy.at(args.at_step, program.steps) if args.at_step is not None or fixed else None
    base = {"model": model.name, "input": source, "chain": args.chain, "steps": program.steps,
            "strategy": strategy.name}
    if args.chain != "none":
        return {**base, **_on_chain(args, program, x_q, strategy, side), "at_step": at_step}
    try:
        r = dispute.run(program, x_q, strategy, args.at_step, side, args.seed, MemoryArbiter(stride=args.stride))
    except NothingToDispute as e:
        return {**base, **_undisputed(e)}
    return {**base, **r.as_dict(), "at_step": at_step}


def _undisputed(e: Exception) -> dict:
    return {"disputed": False, "winner": "defender", "cheater": None, "moves": 0, "max_moves": 0,
            "disputed_step": None, "chunks": None, "reason": str(e), "transcript": [], "rejected": [],
            "claim_status": "pending", "payouts": {}, "seconds": 0.0}


def _on_chain(args, program, x_q, strategy: Strategy, side: str) -> dict:
    """The same dispute against the opML contracts on a fresh embedded chain or anvil."""
    import time

    from contracts.arbiter import ChainArbiter
    from contracts.bindings.opml import OpmlConfig
    from contracts.chain import connect
    from contracts.deploy import deploy_opml

    t0 = time.perf_counter()
    chain = connect(args.chain)
    try:
        system = deploy_opml(chain, OpmlConfig(stride=args.stride))
        deployed = time.perf_counter()
        arbiter = ChainArbiter(system)
        try:
            r = dispute.run(program, x_q, strategy, args.at_step, side, args.seed, arbiter)
        except NothingToDispute as e:
            return {**_undisputed(e), "gas_total": sum(t["gas"] for t in arbiter.gas)}
        wall = time.perf_counter() - deployed
    finally:
        chain.close()
    return {**r.as_dict(), "gas_total": sum(t["gas"] for t in arbiter.gas), "gas_moves": r.gas or 0,
            "gas_by_kind": _by_kind(arbiter.gas), "deploy_seconds": deployed - t0, "wall_seconds": wall}


def _by_kind(gas: list[dict]) -> dict:
    out: dict = {}
    for t in gas:
        out[t["kind"]] = out.get(t["kind"], 0) + t["gas"]
    return out


def render(r, console) -> None:
    from rich.table import Table

    if not r["disputed"]:
        console.print(f"[bold]{r['model']}[/]: no dispute: {r['reason']}")
        return
    t = Table(title=f"dispute on {r['model']} ({r['input']}): {r['cheater']} plays {r['strategy']}")
    for col in ("move", "side", "kind", "detail"):
        t.add_column(col)
    for m in r["transcript"]:
        detail = ", ".join(f"{k}={_short(v)}" for k, v in m.items() if k not in ("move", "side", "kind", "time"))
        t.add_row(str(m["move"]), m["side"], m["kind"], detail)
    console.print(t)
    console.print("(roots abbreviated with …: `--json` prints the transcript in full)")
    for e in r["rejected"]:
        console.print(f"[yellow]rejected[/] {e['side']} in {e['phase']}: {e['error']}: {e['message']}")
    console.print(f"[bold]winner: {r['winner']}[/] after {r['moves']} moves (bound {r['max_moves']}), "
                  f"disputed step {r['disputed_step']}: {r['reason']}; claim {r['claim_status']}")
    if "gas_total" in r:
        console.print(f"on {r['chain']}: {r['gas_total']:,} gas in all ({r['gas_moves']:,} in the game's moves), "
                      f"{r['wall_seconds']:.2f} s claim to resolution")


def _short(v) -> str:
    s = str(v)
    return s[:12] + "…" if isinstance(v, str) and len(s) > 16 else s
