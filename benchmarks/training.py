"""Verified training: convergence, rejection of poisoned and copied proposals, gas, the SML's cost.

    python -m benchmarks.training                         all (a few minutes on a busy 2-core box)
    python -m benchmarks.training --nodes 8 --proposals 48 --no-chain --out DIR

1. Global test accuracy against accepted proposals, on the same non-IID split (Dirichlet alpha 3.0):
   - BRAIN-style asynchronous training: the protocol's rules off chain (the same code the agents run):
     trainer i proposes in turn from a base up to 4 versions old (random), a committee of other nodes
     scores it with the exact profile on their own validation data, the median against the threshold
     decides, accepted proposals are folded with the integer update (window 4, staleness weight);
   - synchronous FedAvg: every round all nodes train from the global and it becomes their average
     weighted by sample count (x: local models folded so far);
   - local training alone: each node keeps training on its own data (x: N per round, the same local
     work as FedAvg at that x); the mean over nodes.
2. The share of poisoned (random weights, flipped labels) and copied (another trainer's file as is,
   trained under another trainer's SML) proposals rejected, with `--liars` of the `--committee` scorers
   (default 1 of 5) reporting SCORE_MAX for everything; and the share of honest proposals accepted.
3. Gas per transaction kind: a short session on chain (`tribunal train`'s code path, on anvil).
4. The SML's accuracy cost: each node's local training (4 x epochs) with and without its SML, same seed.
Writes DIR/training.png and DIR/training.json.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from verifiers.training import learn
from verifiers.training.data import digits, split_nodes
from verifiers.training.sml import Sml
from verifiers.training.update import MAX_STALENESS, Mix, fold
from verifiers.training.weights import Weights

THRESHOLD = 1250
KINDS = ("random", "flipped", "copy", "foreign-sml")


def brain_async(data, x_test, y_test, proposals: int, epochs: int, cheat_every: int, rng, committee_size: int = 5,
                liars: int = 1) -> dict:
    """The protocol's acceptance and update rules, off chain. Every `cheat_every`-th proposal cheats."""
    n = len(data)
    globals_, scores, curve = [learn.initial(0)], [], [learn.accuracy(learn.initial(0), x_test, y_test)]
    outcomes: dict[str, list[bool]] = {k: [] for k in ("honest",) + KINDS}
    log = []
    last_file: Weights | None = None
    for k in range(proposals):
        i = k % n
        current = len(globals_) - 1
        base = current - int(rng.integers(0, min(MAX_STALENESS, current) + 1))
        seed = rng.bytes(32)
        trainer, other = f"0x{i + 1:040x}", f"0x{(i + 1) % n + 1:040x}"
        kind = KINDS[(k // cheat_every) % len(KINDS)] if cheat_every and k % cheat_every == cheat_every - 1 else "honest"
        x, y = data[i].x_train, data[i].y_train
        if kind == "random":
            w = learn.initial(1000 + k)
        elif kind == "copy" and last_file is not None:
            w = last_file
        else:
            sml = Sml.derive(seed, other if kind == "foreign-sml" else trainer)
            w = learn.train_local(learn.into_sml(globals_[base], sml), x, (y + 1) % 10 if kind == "flipped" else y,
                                  sml, epochs=epochs, seed=k)
        own = Sml.derive(seed, trainer)
        committee = rng.choice([j for j in range(n) if j != i], size=committee_size, replace=False)
        # the first `liars` members report SCORE_MAX whatever they see; the contract's median (lower-middle
        # mean for an even count)
        votes = sorted(10_000 if r < liars else learn.score_exact(w, own, data[j].x_val, data[j].y_val)
                       for r, j in enumerate(committee))
        median = (votes[(len(votes) - 1) // 2] + votes[len(votes) // 2]) // 2
        accepted = median >= THRESHOLD
        outcomes[kind].append(accepted)
        log.append({"k": k, "trainer": i, "kind": kind, "base": base, "votes": [int(v) for v in votes], "accepted": bool(accepted)})
        if kind == "honest":
            last_file = w
        if accepted:
            scores.append(median)
            globals_.append(fold(globals_[-1], learn.out_of_sml(w, own), Mix.of(scores, current - base)))
            curve.append(learn.accuracy(globals_[-1], x_test, y_test))
    return {"curve": curve, "outcomes": {k: v for k, v in outcomes.items() if v}, "proposals": log}


def fedavg(data, x_test, y_test, rounds: int, epochs: int) -> list[float]:
    g = learn.initial(0)
    sizes = np.array([len(d.y_train) for d in data], dtype=np.float64)
    curve = [learn.accuracy(g, x_test, y_test)]
    for r in range(rounds):
        locals_ = [learn.train_local(g, d.x_train, d.y_train, None, epochs=epochs, seed=r * 100 + i).floats()
                   for i, d in enumerate(data)]
        g = Weights.from_float([sum(s * l[t] for s, l in zip(sizes, locals_)) / sizes.sum() for t in range(len(locals_[0]))])
        curve.append(learn.accuracy(g, x_test, y_test))
    return curve


def local_alone(data, x_test, y_test, rounds: int, epochs: int) -> list[float]:
    ws = [learn.initial(0) for _ in data]
    curve = [learn.accuracy(ws[0], x_test, y_test)]
    for r in range(rounds):
        ws = [learn.train_local(w, d.x_train, d.y_train, None, epochs=epochs, seed=r * 100 + i) for i, (w, d) in enumerate(zip(ws, data))]
        curve.append(float(np.mean([learn.accuracy(w, x_test, y_test) for w in ws])))
    return curve


def sml_cost(data, x_test, y_test, epochs: int) -> dict:
    with_sml, without = [], []
    for i, d in enumerate(data):
        sml = Sml.derive(bytes([i]) * 32, f"0x{i + 1:040x}")
        w0 = learn.initial(0)
        a = learn.train_local(learn.into_sml(w0, sml), d.x_train, d.y_train, sml, epochs=epochs, seed=i)
        b = learn.train_local(w0, d.x_train, d.y_train, None, epochs=epochs, seed=i)
        with_sml.append(learn.accuracy(a, x_test, y_test, sml))
        without.append(learn.accuracy(b, x_test, y_test))
    return {"with_sml": float(np.mean(with_sml)), "without_sml": float(np.mean(without)),
            "cost_points": 100 * (float(np.mean(without)) - float(np.mean(with_sml)))}


def chain_gas(nodes: int) -> dict:
    from contracts.chain import connect
    from verifiers.training.session import SessionConfig, run_session
    from verifiers.training.store import MemoryStore

    chain = connect("anvil")
    try:
        r = run_session(chain, SessionConfig(nodes=nodes, rounds=1, committee=min(5, nodes - 1),
                                             trainer_cheats={nodes - 1: "random"}), MemoryStore())
    finally:
        chain.close()
    return {"gas": r["gas"], "accepted": r["accepted"], "rejected": r["rejected"], "identical": r["followers_identical"]}


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.training")
    p.add_argument("--nodes", type=int, default=8)
    p.add_argument("--proposals", type=int, default=48, help="asynchronous proposals (one in 4 cheats)")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--committee", type=int, default=5, help="scorers per proposal in the asynchronous run")
    p.add_argument("--liars", type=int, default=1, help="of them, how many report SCORE_MAX for everything")
    p.add_argument("--no-chain", action="store_true", help="skip the on-chain gas session")
    p.add_argument("--out", default=os.environ.get("TRIBUNAL_BENCH_OUT", "bench-out"))
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    data = split_nodes(a.nodes, seed=a.seed)
    _, _, x_test, y_test = digits()
    rng = np.random.default_rng(a.seed)
    rounds = max(1, a.proposals // a.nodes)
    res = {"nodes": a.nodes, "proposals": a.proposals, "epochs": a.epochs, "threshold": THRESHOLD,
           "committee": a.committee, "liars": a.liars,
           "brain": brain_async(data, x_test, y_test, a.proposals, a.epochs, 4, rng, a.committee, a.liars),
           "fedavg": fedavg(data, x_test, y_test, rounds, a.epochs),
           "local": local_alone(data, x_test, y_test, rounds, a.epochs),
           "sml": sml_cost(data, x_test, y_test, 4 * a.epochs)}
    if not a.no_chain:
        res["chain"] = chain_gas(5)
    res["seconds"] = time.perf_counter() - t0
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "training.json").write_text(json.dumps(res, indent=1))
    _plot(res, out / "training.png")
    _print(res)
    print(f"wrote {out / 'training.png'} and {out / 'training.json'} ({res['seconds']:.0f} s)")


def _print(res: dict) -> None:
    n = res["nodes"]
    b, f, l = res["brain"]["curve"], res["fedavg"], res["local"]
    print(f"global test accuracy, {n} nodes, Dirichlet 3.0 (x = local models folded):")
    print(f"  BRAIN async : {len(b) - 1} accepted -> {b[-1]:.3f}   (after {min(n, len(b) - 1)}: {b[min(n, len(b) - 1)]:.3f})")
    print(f"  FedAvg sync : {(len(f) - 1) * n} folded -> {f[-1]:.3f}   (after {n}: {f[1]:.3f})")
    print(f"  local alone : mean over nodes after {len(l) - 1} rounds -> {l[-1]:.3f}")
    print(f"rejected, with {res['liars']} lying scorer(s) in each committee of {res['committee']}:")
    for kind, outs in res["brain"]["outcomes"].items():
        share = 1 - np.mean(outs) if kind != "honest" else np.mean(outs)
        print(f"  {kind:12s}: {'accepted' if kind == 'honest' else 'rejected'} {share:.0%} of {len(outs)}")
    s = res["sml"]
    print(f"SML cost: local accuracy {s['without_sml']:.4f} without, {s['with_sml']:.4f} with ({s['cost_points']:+.2f} points)")
    if "chain" in res:
        print("gas (anvil): " + ", ".join(f"{k} {v:,}" for k, v in res["chain"]["gas"].items()))


def _plot(res: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = res["nodes"]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    b = res["brain"]["curve"]
    ax.plot(range(len(b)), b, label="BRAIN async (accepted proposals)")
    ax.plot([k * n for k in range(len(res["fedavg"]))], res["fedavg"], marker="o", label="FedAvg sync")
    ax.plot([k * n for k in range(len(res["local"]))], res["local"], marker="s", label="local alone (mean)")
    ax.set_xlabel("local models folded")
    ax.set_ylabel("global test accuracy")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
