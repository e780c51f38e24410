"""Binding of ShardLedger: sharded models, their requests' boundary posts, disputes and finality."""
from __future__ import annotations

from contracts.bindings.base import SimulatedBinding, tx, view

OPEN, FINAL, EXPIRED = 1, 2, 3  # ShardLedger request statuses


class ShardLedger(SimulatedBinding):
    artifact_name = "ShardLedger"

    register = tx("register", "(full_id, cuts, shard_ids, model, input_shape): a model cut into shards.")
    announce = tx("announce", "(sharded_id, shards bitmask, memory bytes, steps per second).")
    request = tx("request", "(sharded_id, input bytes, route): a request served by one node per shard.", value="fee")
    post = tx("post", "(id, shard, root, millis): boundary `shard`'s tensor root, bonded.", value="bond")
    dispute = tx("dispute", "(id, shard): the post of `shard` is wrong.", value="bond")
    bind = tx("bind", "(id, claim_id): the disputed node's OpmlGame claim on its shard.")
    resolve = tx("resolve", "(id): ends the open dispute, or makes the request final.")
    expire = tx("expire", "(id): ends a request idle for `expiry` blocks: fee to the requester, bonds to the posters.")
    withdraw = tx("withdraw")
    sharded = view("sharded", "The sharded model (ShardLedgerSharded).")
    request_info = view("requestOf", "The request (ShardLedgerRequest).")
    post_of = view("postOf", "(id, shard): the post (ShardLedgerPost); shard 0 is the input.")
    dispute_of = view("disputeOf", "The request's last dispute (ShardLedgerDispute).")
    credit = view("credit")
    banned = view("banned")
    bond = view("bond", prop=True)
    min_fee = view("minFee", prop=True)
    window = view("window", prop=True)
    stall = view("stall", prop=True)
    bind_window = view("bindWindow", prop=True)
    expiry = view("expiry", prop=True)


def deploy_ledger(chain, game: str, *, bond: int, min_fee: int, window: int, stall: int, bind_window: int,
                  expiry: int, sender=None) -> ShardLedger:
    address = chain.deploy("ShardLedger", game, bond, min_fee, window, stall, bind_window, expiry, sender=sender)
    return ShardLedger(chain, address)


MODE_BRAIN, MODE_HYBRID = 0, 1  # ShardRounds' modes
RUNNING, ROUNDS_FINAL, ENDED = 1, 2, 3  # ShardRounds.Status
STALLED, ROUND_FAILED = 0, 1  # why a pipeline ended (ShardRoundsEnded.why)
ROUND_CALLBACK_GAS = 120_000  # gas a round's oracle gives ShardRounds.onResult (recording measured under 70k)


class ShardRounds(SimulatedBinding):
    """A sharded request as a chain of Brain or HybridCourt rounds, linked on chain (contracts/src/shard/ShardRounds.sol)."""

    artifact_name = "ShardRounds"

    def request(self, sharded_id: bytes, input: bytes, *, fee: int, sender, mode: int = MODE_BRAIN,
                consumer: str | None = None, callback_gas: int = 0, gas: int | None = None):
        """Opens round 1 of `sharded_id` on `input`; the fee pays every round."""
        return self._tx("request", sharded_id, input, consumer or "0x" + "00" * 20, callback_gas, mode,
                        sender=sender, value=fee, gas=gas)

    advance = tx("advance", "(id, boundary): opens the next round with the bytes of the last round's boundary.")
    end = tx("end", "(id): ends a stalled pipeline or one whose round failed, refunding the unspent fee.")
    sync = tx("sync", "(id): records the open round's final result from its oracle when its callback did not arrive.")
    withdraw = tx("withdraw")
    pipeline_of = view("pipelineOf", "The pipeline (ShardRoundsPipeline).")
    round_of = view("roundOf", "(id, round): the round's request id, input root and result (ShardRoundsRound).")
    pipeline_of_request = view("pipelineOfRequest", "A round's request id -> its pipeline id (0: none).")
    result = view("result", "The output root (reverts until the last round is final).")
    owed = view("owed")
    advance_window = view("advanceWindow", prop=True)
    max_callback_gas = view("maxCallbackGas", prop=True)


def deploy_rounds(chain, ledger: str, court: str, *, advance_window: int, round_callback_gas: int = ROUND_CALLBACK_GAS,
                  sender=None) -> ShardRounds:
    address = chain.deploy("ShardRounds", ledger, court, advance_window, round_callback_gas, sender=sender)
    return ShardRounds(chain, address)
