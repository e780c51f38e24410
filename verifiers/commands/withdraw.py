"""tribunal withdraw: take a node's stake back, in the registry's two steps.

    tribunal withdraw --deployment deployment.json --rpc URL --key 0x...

First run: asks to withdraw (the node leaves the committees at once; its stake stays slashable for the
registry's withdrawal delay). A run once the delay has passed, and no round the stake backs is open,
withdraws it. Each run says which step happened and when the next is possible; a run in between is
refused with the block to come back at, and sends nothing.
"""
from __future__ import annotations

from contracts.errors import StakeLocked, WithdrawalLocked
from runtime.errors import TribunalError
from verifiers.node_ops import add_operator_args, attach_as, tx, wei

NAME = "withdraw"
HELP = "withdraw a node's stake: ask first, then withdraw once the delay has passed"


def add_arguments(p) -> None:
    add_operator_args(p)


def run(args) -> dict:
    op = attach_as(args)
    nodes, me = op.deployment.nodes, op.address
    stake, unlock = nodes.stake_of(me), nodes.unlock_block(me)
    if stake == 0 and unlock == 0:
        raise TribunalError(f"{me} has no stake in this deployment's node registry ({nodes.address})")
    out = {"address": me, "stake": stake, "delay": nodes.withdrawal_delay}
    if unlock == 0:
        receipt = nodes.request_withdrawal(sender=op.account)
        unlock = nodes.unlock_block(me)
        return {**out, "step": "requested", "unlock_block": unlock, "block": receipt.block_number,
                "open_rounds": nodes.open_rounds(me), "transactions": [tx("request withdrawal", receipt)]}
    head = op.chain.block_number
    try:
        receipt = nodes.withdraw(sender=op.account)  # estimated first: a refusal sends nothing
    except WithdrawalLocked:
        raise TribunalError(f"{me}: the stake unlocks at block {unlock} (now {head}: {unlock - head} blocks to go); "
                            f"run `tribunal withdraw` again then") from None
    except StakeLocked as e:
        raise TribunalError(f"{me}: the stake backs {e.openRounds} open round(s); run `tribunal withdraw` again "
                            f"once they settle (the delay itself passed at block {unlock})") from None
    return {**out, "step": "withdrawn", "amount": stake, "block": receipt.block_number, "balance": op.chain.balance(me),
            "transactions": [tx("withdraw", receipt)]}


def render(r, console) -> None:
    x = r["transactions"][0]
    if r["step"] == "requested":
        console.print(f"withdrawal requested for {r['address']} (stake {wei(r['stake'])}) in block {r['block']}: "
                      f"it sits on no new committee from now on.")
        rounds = f"; {r['open_rounds']} open round(s) it backs must settle first" if r["open_rounds"] else ""
        console.print(f"next: `tribunal withdraw` again from block {r['unlock_block']} "
                      f"(the registry's delay of {r['delay']} blocks){rounds}.")
    else:
        console.print(f"withdrawn: {wei(r['amount'])} to {r['address']} in block {r['block']} "
                      f"(balance now {wei(r['balance'])}). The account is no longer a node.")
    console.print(f"transaction {x['tx']}, {x['gas']:,} gas")
