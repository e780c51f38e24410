"""Binding of NodeRegistry: stake, withdrawal, credits, committee draws."""
from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from contracts.bindings.base import Binding, tx, view
from contracts.chain.base import Receipt


def draw(stakes: list[int], seed: bytes, size: int, among: int | None = None) -> int:
    """`NodeRegistry.drawCommittee` off chain, over given effective stakes by node index: `size`
    distinct nodes, draw j picking keccak256(seed ‖ uint256 j) mod the stake not yet drawn. With `among`
    (a node-index set), `drawCommitteeAmong`: the nodes outside the set count as without stake."""
    stakes = [s if among is None or among >> i & 1 else 0 for i, s in enumerate(stakes)]
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

    request_withdrawal = tx("requestWithdrawal")
    withdraw = tx("withdraw")
    claim = tx("claim")
    authorize = tx("authorize")

    # views
    min_stake = view("minStake", prop=True)
    slash_amount = view("slashAmount", prop=True)
    withdrawal_delay = view("withdrawalDelay", prop=True)
    treasury = view("treasury", "Where forfeited stake and fees are credited (a burn address by default: "
                    "SystemConfig.treasury).", prop=True)
    credit = view("credit")
    stake_of = view("stakeOf")
    unlock_block = view("unlockBlock")
    index_of = view("indexOf")
    node_count = view("nodeCount")
    eligible_set = view("eligible")
    total_eligible_stake = view("totalEligibleStake")
    stake_at = view("stakeAt", "(index, block): node `index`'s effective stake (0 while ineligible) as of the end "
                    "of `block`.")
    total_stake_at = view("totalStakeAt")
    open_rounds = view("openRounds", "Open rounds `account`'s stake backs; it cannot withdraw while this is not 0.")
    accounts_of = view("accountsOf")
    # holdings: which model ids (a model, or one shard of a sharded model) a node holds, checkpointed by block
    declare_holding = tx("declareHolding", "(model_id): the sender holds and serves `model_id` from this block on "
                         "(a holders-only model's committees are drawn among its holders); a no-op if it does.")
    withdraw_holding = tx("withdrawHolding", "(model_id): the sender no longer holds `model_id` from this block on; "
                          "draws as of earlier blocks still count it.")
    holders_at = view("holdersAt", "(model_id, block): the node-index set holding `model_id` as of the end of "
                      "`block`.")
    holders_of = view("holdersOf", "(model_id): the node-index set holding `model_id` now.")

    def holds(self, model_id: bytes, account: str) -> bool:
        """Whether registered node `account` holds `model_id` now (False for an unregistered account)."""
        found, index = self._view("findIndex", account)
        return bool(found) and bool(self.holders_of(model_id) >> index & 1)

    def node(self, index: int) -> NodeInfo:
        n = self._named("nodeAt", index)
        return NodeInfo(index, n["account"], n["stake"], n["is_eligible"])

    def nodes(self) -> list[NodeInfo]:
        return [self.node(i) for i in range(self.node_count())]

    def effective_stakes(self) -> list[int]:
        """Every node's effective stake now (its stake while eligible, else 0), by index."""
        return [n.stake if n.eligible else 0 for n in self.nodes()]

    def draw_committee(self, seed: bytes, size: int, at_block: int | None = None) -> int:
        """The node-index set drawn for `seed` from the stakes as of the end of `at_block` (a past
        block; default: the latest mined block), what the contracts compute."""
        at = self.chain.block_number - 1 if at_block is None else at_block
        return self._view("drawCommittee", seed, size, at)

    def draw_committee_among(self, seed: bytes, size: int, among: int, at_block: int | None = None) -> int:
        """`draw_committee` over the node-index set `among` only (a holders-only model: its `holders_at`)."""
        at = self.chain.block_number - 1 if at_block is None else at_block
        return self._view("drawCommitteeAmong", seed, size, at, among)
