"""tribunal stake: register an account as a node of a deployment (or add to its stake).

    tribunal stake --deployment deployment.json --rpc http://127.0.0.1:8545 --key 0x... [--amount WEI]

A new node stakes --amount (default: the registry's minimum stake); a node already staked must say how
much to add. The node sits on committees drawn after the block its stake landed in; serve them with
`tribunal node --role member` (an unserved committee seat is slashed).
"""
from __future__ import annotations

from runtime.errors import TribunalError
from verifiers.node_ops import add_operator_args, attach_as, check_amount, check_funds, tx, wei

NAME = "stake"
HELP = "stake an account as a node of a deployment (or add to its stake)"


def add_arguments(p) -> None:
    add_operator_args(p)
    p.add_argument("--amount", type=int, default=None, metavar="WEI",
                   help="wei to stake (default for a new node: the registry's minimum stake)")


def run(args) -> dict:
    check_amount(args.amount)
    op = attach_as(args)
    nodes, me = op.deployment.nodes, op.address
    before = nodes.stake_of(me)
    if before and args.amount is None:
        raise TribunalError(f"{me} already stakes {wei(before)}; pass --amount WEI to add to it")
    amount = nodes.min_stake if args.amount is None else args.amount
    check_funds(op, amount, "to stake")
    receipt = nodes.register(amount, sender=op.account)  # the registry refuses a stake below its minimum
    info = nodes.node(nodes.index_of(me))
    return {"address": me, "added": amount, "stake": info.stake, "index": info.index, "eligible": info.eligible,
            "min_stake": nodes.min_stake, "nodes": nodes.node_count(),
            "committee_size": op.deployment.system.config.committee_size,
            "transactions": [tx("stake", receipt)], "rpc": args.rpc, "deployment": str(args.deployment)}


def render(r, console) -> None:
    from rich.table import Table

    t = Table(title=f"node {r['address']}", show_header=False)
    t.add_row("staked now", wei(r["added"]))
    t.add_row("stake", wei(r["stake"]))
    t.add_row("node index", f"{r['index']} ({r['nodes']} nodes registered; committees of {r['committee_size']})")
    t.add_row("eligible", "yes: drawn for committees from the next block" if r["eligible"] else "no")
    x = r["transactions"][0]
    t.add_row("transaction", f"{x['tx']} (block {x['block']}, {x['gas']:,} gas)")
    console.print(t)
    console.print(f"next: serve its committees with `tribunal node --role member --rpc {r['rpc']} "
                  f"--deployment {r['deployment']} --key KEY`")
