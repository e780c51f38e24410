"""Binding of NodeRegistry: stake, withdrawal, credits, committee draws."""
from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from contracts.bindings.base import Binding
from contracts.chain.base import Receipt


def draw(stakes: list[int], seed: bytes, size: int) -> int:
    """`NodeRegistry.drawCommittee` off chain, over given effective stakes by node index: `size`
    distinct nodes, draw j picking keccak256(seed ‖ uint256 j) mod the stake not yet drawn."""
    stakes = list(stakes)
    remaining, committee = sum(stakes), 0
    if sum(1 for s in stakes if s) < size:
        raise ValueError(f"only {sum(1 for s in stakes if s)} nodes with stake for a committee of {size}")
    for j in range(size):
        r = int.from_bytes(keccak(bytes(seed) + j.to_bytes(32, "big")), "big") % remaining
        for i, s in enumerate(stakes):
            if s == 0:
                continue
            if r < s:
                committee |= 1 << i
                remaining -= s
                stakes[i] = 0
                break
            r -= s
    return committee


@dataclass(frozen=True)
class NodeInfo:
    index: int
    account: str
    stake: int
    eligible: bool


class NodeRegistry(Binding):
    artifact_name = "NodeRegistry"

    # transactions
    def register(self, stake: int, *, sender: LocalAccount) -> Receipt:
        """Registers `sender` with `stake` wei, or adds `stake` to its stake."""
        return self._tx("register", sender=sender, value=stake)

    def request_withdrawal(self, *, sender: LocalAccount) -> Receipt:
        return self._tx("requestWithdrawal", sender=sender)

    def withdraw(self, *, sender: LocalAccount) -> Receipt:
        return self._tx("withdraw", sender=sender)

    def claim(self, *, sender: LocalAccount) -> Receipt:
        return self._tx("claim", sender=sender)

    def authorize(self, account: str, *, sender: LocalAccount | None = None) -> Receipt:
        return self._tx("authorize", account, sender=sender)

    # views
    @property
    def min_stake(self) -> int:
        return self._view("minStake")

    @property
    def slash_amount(self) -> int:
        return self._view("slashAmount")

    @property
    def withdrawal_delay(self) -> int:
        return self._view("withdrawalDelay")

    @property
    def treasury(self) -> str:
        """Where forfeited stake and fees are credited (a burn address by default: SystemConfig.treasury)."""
        return self._view("treasury")

    def credit(self, account: str) -> int:
        return self._view("credit", account)

    def stake_of(self, account: str) -> int:
        return self._view("stakeOf", account)

    def unlock_block(self, account: str) -> int:
        return self._view("unlockBlock", account)

    def index_of(self, account: str) -> int:
        return self._view("indexOf", account)

    def node_count(self) -> int:
        return self._view("nodeCount")

    def node(self, index: int) -> NodeInfo:
        account, stake, eligible = self._view("nodeAt", index)
        return NodeInfo(index, account, stake, eligible)

    def nodes(self) -> list[NodeInfo]:
        return [self.node(i) for i in range(self.node_count())]

    def effective_stakes(self) -> list[int]:
        """Every node's effective stake now (its stake while eligible, else 0), by index."""
        return [n.stake if n.eligible else 0 for n in self.nodes()]

    def eligible_set(self) -> int:
        return self._view("eligible")

    def total_eligible_stake(self) -> int:
        return self._view("totalEligibleStake")

    def draw_committee(self, seed: bytes, size: int, at_block: int | None = None) -> int:
        """The node-index set drawn for `seed` from the stakes as of the end of `at_block` (a past
        block; default: the latest mined block), what the contracts compute."""
        at = self.chain.block_number - 1 if at_block is None else at_block
        return self._view("drawCommittee", seed, size, at)

    def stake_at(self, index: int, block: int) -> int:
        """Node `index`'s effective stake (0 while ineligible) as of the end of `block`."""
        return self._view("stakeAt", index, block)

    def total_stake_at(self, block: int) -> int:
        return self._view("totalStakeAt", block)

    def open_rounds(self, account: str) -> int:
        """Open rounds `account`'s stake backs; it cannot withdraw while this is not 0."""
        return self._view("openRounds", account)

    def accounts_of(self, committee: int) -> list[str]:
        return self._view("accountsOf", committee)
