"""tribunal dispute: play a whole dispute game in memory, one side cheating, the other honest."""
from __future__ import annotations

from runtime.errors import TribunalError

from bisection import STRATEGIES, MemoryArbiter, dispute
from bisection.errors import NothingToDispute, UnknownStrategy

from ..inputs import add_model_input_args, resolve

NAME = "dispute"
HELP = "play a dispute game in memory: one side follows a cheating strategy, the other is honest"
CHAINS = ("none",)


class UnsupportedChain(TribunalError):
    """Raised when --chain names an arbiter other than the in-memory one (on-chain games: issue 5)."""


def add_arguments(p) -> None:
    add_model_input_args(p, profile="exact")
    p.add_argument("--cheat", required=True, metavar="STRATEGY",
                   help=f"[defender:|challenger:]STRATEGY, one of {', '.join(STRATEGIES)} (default side: defender)")
    p.add_argument("--at-step", type=int, default=None, metavar="K", help="the step the cheat starts at (1..N; default N)")
    p.add_argument("--chain", default="none", help="where the arbiter runs: none (in memory) is the only one for now")
    p.add_argument("--seed", type=int, default=0, help="seeds the cheater's choices (element, garbage roots)")
    p.add_argument("--stride", type=int, default=2, help="tree levels per level-two reveal (>= 1)")


def parse_cheat(spec: str) -> tuple[str, str]:
    side, _, strategy = spec.rpartition(":")
    side = side or "defender"
    if side not in ("defender", "challenger"):
        raise UnknownStrategy(f"--cheat '{spec}': the side must be defender or challenger")
    if strategy not in STRATEGIES:
        raise UnknownStrategy(f"--cheat '{spec}': unknown strategy '{strategy}' (have: {', '.join(STRATEGIES)})")
    return side, strategy


def run(args) -> dict:
    if args.chain not in CHAINS:
        raise UnsupportedChain(f"--chain {args.chain}: only 'none' (the in-memory arbiter) is supported for now")
    if args.stride < 1:
        raise TribunalError(f"--stride must be at least 1, got {args.stride}")
    side, strategy = parse_cheat(args.cheat)
    model, x, source = resolve(args, profile="exact")
    x_q = model.quantize_input(x)
    program = model.program(x_q.shape)
    base = {"model": model.name, "input": source, "chain": args.chain, "steps": program.steps, "strategy": strategy}
    try:
        r = dispute.run(program, x_q, strategy, args.at_step, side, args.seed, MemoryArbiter(stride=args.stride))
    except NothingToDispute as e:
        return {**base, "disputed": False, "winner": "defender", "cheater": None, "moves": 0, "max_moves": 0,
                "disputed_step": None, "chunks": None, "reason": str(e), "transcript": [], "rejected": [],
                "claim_status": "pending", "payouts": {}, "seconds": 0.0}
    return {**base, **r.as_dict(), "at_step": args.at_step if strategy != "wrong-final" else program.steps}


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
    for e in r["rejected"]:
        console.print(f"[yellow]rejected[/] {e['side']} in {e['phase']}: {e['error']}: {e['message']}")
    console.print(f"[bold]winner: {r['winner']}[/] after {r['moves']} moves (bound {r['max_moves']}), "
                  f"disputed step {r['disputed_step']}: {r['reason']}; claim {r['claim_status']}")


def _short(v) -> str:
    s = str(v)
    return s[:12] + "…" if isinstance(v, str) and len(s) > 16 else s
