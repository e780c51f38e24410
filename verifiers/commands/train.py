"""tribunal train: a whole verified-training session (BRAIN's committee-scored asynchronous federated
learning with PoLe's SML) on the digits data split across nodes non-IID (Dirichlet, alpha 3.0).

Every node runs a trainer, a scorer and a follower agent; proposals, committees, scores and acceptances go
through the Training contract; weights travel through a content-addressed directory store under DIR.
Writes DIR/convergence.png (global test accuracy against accepted versions) and DIR/results.json
(`accuracy`, `accepted`, `rejected`, `gas`, the curve and every proposal).
"""
from __future__ import annotations

import json
from pathlib import Path

from runtime.errors import TribunalError

NAME = "train"
HELP = "run a verified federated-training session on chain (trainers, committees, followers) and plot it"


def add_arguments(p) -> None:
    p.add_argument("--chain", default="embedded", help="embedded (py-evm in process), anvil (started here) or an http(s) JSON-RPC URL")
    p.add_argument("--nodes", type=int, default=5, help="nodes, each a trainer, a scorer and a follower (>= 3)")
    p.add_argument("--rounds", type=int, default=2, help="proposals per trainer")
    p.add_argument("--out", default="train-out", metavar="DIR", help="where the PNG, the JSON and the weights store go")
    p.add_argument("--committee", type=int, default=None, help="scorers per proposal (default min(5, nodes - 1))")
    p.add_argument("--epochs", type=int, default=8, help="local epochs per proposal")
    p.add_argument("--staleness", type=int, default=4, help="a trainer's base version is up to this many versions old")
    p.add_argument("--seed", type=int, default=0, help="seeds the split and the initial model")
    p.add_argument("--cheat", action="append", default=[], metavar="NODE:STRATEGY",
                   help="a cheating trainer (random, flipped, copy, foreign-sml) or scorer (scorer:inflate, scorer:no-reveal); repeatable")


def _cheats(specs: list[str], nodes: int) -> tuple[dict, dict]:
    trainers, scorers = {}, {}
    for spec in specs:
        node, _, strategy = spec.partition(":")
        if not node.isdigit() or not 0 <= int(node) < nodes or not strategy:
            raise TribunalError(f"--cheat '{spec}': use NODE:STRATEGY with NODE in 0..{nodes - 1}")
        if strategy.startswith("scorer:"):
            scorers[int(node)] = strategy[len("scorer:"):]
        else:
            trainers[int(node)] = strategy
    return trainers, scorers


def run(args) -> dict:
    from contracts.chain import connect
    from verifiers.training.session import SessionConfig, run_session
    from verifiers.training.store import DirectoryStore

    trainers, scorers = _cheats(args.cheat, args.nodes)
    # Checked before any chain starts (InvalidSession names the argument's condition).
    cfg = SessionConfig(nodes=args.nodes, rounds=args.rounds, committee=args.committee, epochs=args.epochs,
                        staleness=args.staleness, seed=args.seed, trainer_cheats=trainers, scorer_cheats=scorers)
    out = Path(args.out).resolve()
    try:
        (out / "weights").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TribunalError(f"--out {args.out}: cannot make the output folder there ({e.strerror})") from None
    progress = None
    if not args.json:
        from rich.console import Console
        console = Console(stderr=True)

        def progress(p: dict) -> None:
            console.print(f"  version {p['version']}: global test accuracy {p['accuracy']:.3f}")
    chain = connect(args.chain)
    try:
        result = run_session(chain, cfg, DirectoryStore(out / "weights"), progress)
    finally:
        chain.close()
    result.pop("_followers")
    result["png"] = str(plot(result, out / "convergence.png"))
    result["json"] = str(out / "results.json")
    Path(result["json"]).write_text(json.dumps(result, indent=1, default=str))
    return result


def plot(result: dict, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6, 4))
    curve = result["curve"]
    ax.plot([c["version"] for c in curve], [c["accuracy"] for c in curve], marker="o", label="global (BRAIN, async)")
    for acc in result.get("local_accuracy", []):
        ax.axhline(acc, color="grey", linestyle=":", label="one node alone")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # versions are whole numbers
    ax.set_xlabel("accepted proposals (global version)")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    timed_out = f", {result['timed_out']} timed out" if result.get("timed_out") else ""
    ax.set_title(f"{result['nodes']} nodes, {result['accepted']} accepted, {result['rejected']} rejected{timed_out}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def render(r: dict, console) -> None:
    from rich.table import Table

    t = Table("proposal", "trainer", "strategy", "base", "median score", "outcome", title=f"training on the {r['chain']} chain")
    for p in r["proposals"]:
        t.add_row(str(p["id"]), str(p["trainer"]), p["cheat"], str(p["base"]), str(p["score"]),
                  p["status"] + (f" -> v{p['version']}" if p["status"] == "accepted" else ""))
    console.print(t)
    console.print(f"global test accuracy {r['accuracy']:.3f} after {r['accepted']} accepted, {r['rejected']} rejected "
                  f"(one node alone: {', '.join(f'{a:.3f}' for a in r['local_accuracy'])})")
    console.print(f"followers bit-identical: {r['followers_identical']} (global sha256 {r['global_sha256'][:18]}...)")
    console.print("gas: " + ", ".join(f"{k} {v:,}" for k, v in r["gas"].items()))
    console.print(f"wrote {r['png']} and {r['json']} ({r['seconds']:.0f} s)")
