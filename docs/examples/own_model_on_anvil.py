"""Example 2: the same game as example 1, played against the opML contracts on a real node (anvil).

`dispute.run` takes any arbiter: here `contracts.arbiter.ChainArbiter`, which sends every move as a
transaction to the OpmlGame contract (deployed here with its one-step verifier) and reads the game
back from the chain. The result is the same `DisputeResult` as in memory, with each move's gas.

    .venv/bin/python docs/examples/own_model_on_anvil.py
(anvil comes from node_modules: `./dev setup` installs it; it is started on a free port and stopped.)
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # example 1's model and strategy, beside this file

from own_model_in_memory import ShiftLogit, build_model  # noqa: E402

from bisection import MemoryArbiter, Side, dispute  # noqa: E402
from contracts.arbiter import ChainArbiter  # noqa: E402
from contracts.bindings.opml import OpmlConfig  # noqa: E402
from contracts.chain import connect  # noqa: E402
from contracts.deploy import deploy_opml  # noqa: E402
from runtime.model import Model  # noqa: E402


def main(chain_kind: str = "anvil") -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        model = Model.load(build_model(Path(tmp) / "tiny-mlp.onnx"), profile="exact")
    x_q = model.quantize_input(np.random.default_rng(0).normal(size=(1, 16)).astype(np.float32))
    program = model.program(x_q.shape)

    config = OpmlConfig(window=50, clock=50)             # blocks: the claim's window, each side's clock
    chain = connect(chain_kind)
    try:
        system = deploy_opml(chain, config)
        print(f"{chain_kind}: OpmlGame at {system.game.address}")
        on_chain = dispute.run(program, x_q, ShiftLogit(), at_step=1, arbiter=ChainArbiter(system))
    finally:
        chain.close()
    assert on_chain.winner is Side.CHALLENGER and on_chain.claim_status == "rejected", on_chain.reason
    for move in on_chain.transcript:
        print(f"  move {move.number} {move.side.value:<10} {move.kind:<12} {move.gas:>9,} gas")
    print(f"{on_chain.winner.value} wins on chain in {on_chain.moves} moves, {on_chain.gas:,} gas: {on_chain.reason}")

    in_memory = dispute.run(program, x_q, ShiftLogit(), at_step=1, arbiter=MemoryArbiter(
        stride=config.stride, min_bond=config.min_bond, bond_growth=config.bond_growth))
    # INVARIANT: the contracts and the in-memory arbiter apply the same rules to the same moves.
    assert [(m.side, m.kind) for m in on_chain.transcript] == [(m.side, m.kind) for m in in_memory.transcript]
    assert in_memory.winner is on_chain.winner and in_memory.gas is None
    return {"chain": on_chain, "memory": in_memory}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "anvil")
