"""opML on chain: gas per move kind, and gas, moves and wall time of whole disputes on digits-mlp and
digits-cnn, next to the opML anchors of FACTS.md.

    python -m benchmarks.opml_dispute                         anvil and embedded (about a minute)
    python -m benchmarks.opml_dispute --chains anvil --models digits-cnn
    python -m benchmarks.opml_dispute --crowd 300             the winning step with 1 and 300 games on a claim

A dispute: the defender claims a result from a trace corrupted at step K (`wrong-output`), the honest
challenger opens a game and the two play it to the end through `contracts.arbiter.ChainArbiter`
(OpmlModels, OpmlGame and the real one-step verifier). Every K of each model is played, plus one
multi-chunk case (level two descends: pick and reveal moves) and one timeout. Gas is each
transaction's `gas_used`; "dispute gas" counts the claim and every move (registration apart, once per
model); wall time runs from the claim to the game's resolution, Python players included. Prints only.
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

import numpy as np

from bisection import Side, dispute
from contracts.arbiter import ChainArbiter
from contracts.bindings.opml import OpmlConfig
from contracts.chain import connect
from contracts.deploy import deploy_opml
from runtime import zoo
from runtime.model import Model

MODELS = ("digits-mlp", "digits-cnn")
KINDS = ("submit", "open", "bisect", "post_output", "pick", "reveal", "step", "timeout")
# FACTS.md: opML (ORA) MNIST demo; zk-OPML's measured disputes (120 s move windows).
ANCHORS = [("opML MNIST demo", "25 bisection rounds", "under 2 min on a local chain"),
           ("zk-OPML DNN / LeNet", "bisection over ONNX ops + ZK leaf", "361 s / 494 s end to end")]


def case(name: str, batch: int = 1):
    m = Model.load(name, profile="exact")
    x, _ = zoo.test_data(name)
    x_q = m.quantize_input(np.asarray(x[:batch]))
    return m.program(x_q.shape), x_q


def play(system, program, x_q, cheat: str, k: int) -> dict:
    snap = system.chain.snapshot()
    try:
        arbiter = ChainArbiter(system)
        arbiter.register_model(program)
        registered = len(arbiter.gas)
        t0 = time.perf_counter()
        r = dispute.run(program, x_q, cheat, k, "defender", arbiter=arbiter)
        wall = time.perf_counter() - t0
    finally:
        system.chain.revert(snap)
    txs = arbiter.gas[registered:]
    assert r.winner is Side.CHALLENGER, r.reason
    return {"k": k, "moves": r.moves, "chunks": r.chunks, "gas": sum(t["gas"] for t in txs), "wall": wall,
            "txs": txs, "register": sum(t["gas"] for t in arbiter.gas[:registered])}


def run_chain(kind: str, models: list[str]) -> None:
    t0 = time.perf_counter()
    chain = connect(kind)
    try:
        system = deploy_opml(chain, OpmlConfig(window=100, clock=100, stride=2))
        from contracts.onestep import kernel_names
        print(f"\n--- {kind}: started and deployed (the verifier and its {len(kernel_names())} op kernels included) "
              f"in {time.perf_counter() - t0:.2f} s")
        by_kind: dict[str, list[int]] = defaultdict(list)
        rows = []
        for name in models:
            program, x_q = case(name)
            games = [play(system, program, x_q, "wrong-output", k) for k in range(1, program.steps + 1)]
            for g in games:
                for t in g["txs"]:
                    by_kind[t["kind"]].append(t["gas"])
            rows.append((name, program.steps, games))
            timeout = play(system, program, x_q, "timeout", 1)
            for t in timeout["txs"]:
                by_kind[t["kind"]].append(t["gas"])
        big = play(system, *case("digits-cnn", 8), "wrong-output", 1)
        for t in big["txs"]:
            by_kind[t["kind"]].append(t["gas"])

        print(f"{'move':<12}{'n':>5}{'median gas':>12}{'min':>10}{'max':>10}")
        for k in KINDS:
            if by_kind.get(k):
                v = by_kind[k]
                print(f"{k:<12}{len(v):>5}{int(statistics.median(v)):>12,}{min(v):>10,}{max(v):>10,}")
        print(f"\n{'model':<12}{'N':>4}{'disputes':>9}{'moves':>8}{'gas/dispute (median, max)':>28}"
              f"{'one-step gas (max)':>20}{'wall s (median, max)':>22}{'register gas':>14}")
        for name, n, games in rows:
            gas = [g["gas"] for g in games]
            steps = [t["gas"] for g in games for t in g["txs"] if t["kind"] == "step"]
            walls = [g["wall"] for g in games]
            moves = [g["moves"] for g in games]
            print(f"{name:<12}{n:>4}{len(games):>9}{f'{min(moves)}-{max(moves)}':>8}"
                  f"{f'{int(statistics.median(gas)):,} / {max(gas):,}':>28}{max(steps):>20,}"
                  f"{f'{statistics.median(walls):.2f} / {max(walls):.2f}':>22}{games[0]['register']:>14,}")
        print(f"digits-cnn batch 8 (output of {big['chunks']} chunks, level two descends): {big['moves']} moves, "
              f"{big['gas']:,} gas, {big['wall']:.2f} s")
    finally:
        chain.close()


def crowd(kind: str, games: int) -> dict:
    """Issue 9, finding 1: the honest challenger's winning `step` on a wrong claim alone, and on the same
    claim after a liar opened `games` cheap games from other addresses and moved once in each."""
    from bisection import Side, make_player, trace

    chain = connect(kind)
    try:
        system = deploy_opml(chain, OpmlConfig(window=10 * games + 100, clock=100, stride=2))
        program, x_q = case("digits-mlp")
        honest = trace.compute(program, x_q)
        out = {}
        for n in (0, games):
            snap = chain.snapshot()
            liar = make_player("liar", program, x_q, "wrong-output", 2, honest=honest)
            fair = make_player("honest", program, x_q, "honest", honest=honest)
            arbiter = ChainArbiter(system)
            cid = liar.submit(arbiter, arbiter.register_model(program))
            fns, first = system.game.contract.functions, system.game.game_count()
            sybils = chain.accounts[12:]
            sent = []
            for i in range(n):
                sent.append(chain.transact(fns.openGame(cid, bytes([1 + i % 250]) * 32), sender=sybils[i % len(sybils)],
                                           value=system.config.min_bond, gas=600_000, wait=False))
                bond = system.config.bond_at(1) if hasattr(system.config, "bond_at") else 0
                sent.append(chain.transact(fns.bisect(first + i, True, bytes([2 + i % 250]) * 32),
                                           sender=arbiter.account("liar"), value=bond, gas=300_000, wait=False))
            for tx in sent:
                chain.wait_for(tx)
            gid = fair.challenge(arbiter, cid)
            dispute.play(arbiter, gid, {Side.DEFENDER: liar, Side.CHALLENGER: fair})
            steps = [t["gas"] for t in arbiter.gas if t["kind"] == "step" and t["game"] == gid]
            out[n] = (arbiter.game(gid).winner.value, arbiter.claim(cid).status, steps[0] if steps else None)
            chain.revert(snap)
        return out
    finally:
        chain.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.opml_dispute", description=__doc__.splitlines()[0])
    p.add_argument("--chains", nargs="+", default=["anvil", "embedded"], choices=["anvil", "embedded"])
    p.add_argument("--models", nargs="+", default=list(MODELS))
    p.add_argument("--crowd", type=int, default=0, metavar="N",
                   help="only: the winning step's gas with 1 game and with N other games on the claim (anvil)")
    args = p.parse_args(argv)
    if args.crowd:
        for n, (winner, status, gas) in crowd("anvil", args.crowd).items():
            print(f"{n:>5} other games: {winner} wins, claim {status}, winning step gas "
                  f"{gas if gas is None else f'{gas:,}'}")
        return 0
    for kind in args.chains:
        run_chain(kind, args.models)
    print("\nanchors (FACTS.md):")
    for who, what, figure in ANCHORS:
        print(f"  {who:<22}{what:<38}{figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
