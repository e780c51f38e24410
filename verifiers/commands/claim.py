"""tribunal claim: pull everything the deployment's contracts owe an account.

    tribunal claim --deployment deployment.json --rpc URL --key 0x...

Rewards and refunds credited in the NodeRegistry, bonds and winnings owed by OpmlGame, fee refunds and
payments credited by OpmlRequests, bonds owed by the HybridCourt (when the deployment has one). Only
contracts that owe something get a transaction; owing nothing anywhere is said, not an error.
"""
from __future__ import annotations

from verifiers.node_ops import add_operator_args, attach_as, tx, wei

NAME = "claim"
HELP = "pull the rewards, refunds and bonds a deployment's contracts owe an account"


def sources(deployment) -> list[tuple[str, object, str, str]]:
    """(name, binding, view of what it owes, function that pays) for each contract that credits accounts."""
    return [("node registry", deployment.nodes, "credit", "claim"),
            ("opML game", deployment.game, "owed", "withdraw"),
            ("opML requests", deployment.requests, "credit", "withdraw"),
            ("hybrid court", deployment.court, "owed", "withdraw")]


def add_arguments(p) -> None:
    add_operator_args(p)


def run(args) -> dict:
    op = attach_as(args)
    me, rows, txs = op.address, [], []
    for name, binding, owed, pay in sources(op.deployment):
        amount = getattr(binding, owed)(me)
        if amount:
            txs.append(tx(f"{pay} ({name})", getattr(binding, pay)(sender=op.account)))
        rows.append({"contract": name, "address": binding.address, "amount": amount})
    return {"address": me, "claimed": sum(r["amount"] for r in rows), "sources": rows, "transactions": txs,
            "balance": op.chain.balance(me)}


def render(r, console) -> None:
    from rich.table import Table

    if not r["claimed"]:
        console.print(f"nothing owed to {r['address']}: " + ", ".join(s["contract"] for s in r["sources"]) + " owe 0")
        return
    t = Table("contract", "paid", "transaction", title=f"claimed for {r['address']}")
    for s, x in zip([s for s in r["sources"] if s["amount"]], r["transactions"]):
        t.add_row(s["contract"], wei(s["amount"]), f"{x['tx'][:18]}… block {x['block']}, {x['gas']:,} gas")
    console.print(t)
    console.print(f"total {wei(r['claimed'])}; balance now {wei(r['balance'])}")
