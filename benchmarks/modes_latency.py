"""Latency to a settled verdict and gas per request, for every registered mode, through the Verifier
interface and its in-process agents, on digits-cnn, on the embedded chain and on anvil.

    python -m benchmarks.modes_latency                         both chains, honest and one cheater
    python -m benchmarks.modes_latency --chains embedded --model digits-mlp

Per mode and chain: blocks and seconds from the request to `final` (and to `provisional` in hybrid),
gas of every transaction that served the request (request, committee rounds, claims, games, settlement),
honest and with one cheater: for committee modes one lying member of five, for opml (and hybrid) a
submitter that corrupts one element mid-program (`wrong-output`). Blocks are mined when no agent has
anything to do, so the block counts are the protocols' own (windows included: commit/reveal 8 + 8,
opML window 8, clock 8); seconds are this machine's, dominated by py-evm on the embedded chain.
"""
from __future__ import annotations

import argparse
import time

from contracts.bindings.opml import OpmlConfig
from contracts.deploy import ETHER
from verifiers import modes
from verifiers.deployment import DEFAULT_CONFIG

COMMITTEE = 5


def _cheat(t, mode: str, cheater: bool) -> None:
    """One cheater: the submitter in opml and hybrid, one member of the committee otherwise."""
    optimistic = mode in ("opml", "hybrid")
    t.set_cheats(liars=int(cheater and not optimistic), submitter="wrong-output" if cheater and optimistic else "honest")


def measure(chain: str, model: str, mode_names: list[str], sample: int = 0) -> list[dict]:
    from verifiers import Tribunal
    from verifiers.inputs import sample_input

    config = DEFAULT_CONFIG.__class__(**{**DEFAULT_CONFIG.__dict__, "commit_window": 8, "reveal_window": 8,
                                         "withdrawal_delay": 64, "queue_timeout": 32})
    t = Tribunal.connect(chain, committee=COMMITTEE, config=config,
                         opml_config=OpmlConfig(window=8, clock=8, min_bond=ETHER // 100), models=(model,))
    rows = []
    try:
        entry = t.model(model)
        x = sample_input(entry.model, sample)
        root = "0x" + entry.model.run_exact(x).output_root.hex()
        t.ensure_registered(entry)
        for name in mode_names:
            for cheater in (False, True):
                _cheat(t, name, cheater)
                v = t.infer(model, x, mode=name).wait()
                rows.append({"chain": chain, "mode": v.mode, "cheater": cheater, "status": v.status,
                             "right": v.output_root == root, "blocks": v.blocks, "seconds": v.seconds,
                             "provisional_blocks": v.provisional_blocks, "provisional_seconds": v.provisional_seconds,
                             "gas": v.gas_total, "transactions": len(v.transactions)})
                print(_line(rows[-1]), flush=True)
    finally:
        t.close()
    return rows


def _line(r: dict) -> str:
    prov = (f"  provisional {r['provisional_blocks']} blocks {r['provisional_seconds']:.1f} s"
            if r["provisional_blocks"] is not None else "")
    who = "one cheater" if r["cheater"] else "honest"
    return (f"{r['chain']:9s} {r['mode']:14s} {who:11s} {r['status']:9s} right={str(r['right']):5s} "
            f"{r['blocks']:3d} blocks {r['seconds']:6.1f} s  gas {r['gas']:>10,} in {r['transactions']:2d} tx{prov}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="digits-cnn")
    p.add_argument("--chains", nargs="+", default=["embedded", "anvil"])
    p.add_argument("--modes", nargs="+", default=None, help="default: every registered mode")
    args = p.parse_args(argv)
    names = args.modes or [m for m in modes.names() if m != "auto"] + ["auto"]
    t0 = time.perf_counter()
    print(f"modes_latency: {args.model}, committee {COMMITTEE}, modes {', '.join(names)}")
    for chain in args.chains:
        measure(chain, args.model, names)
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
