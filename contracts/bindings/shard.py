"""Binding of ShardLedger: sharded models, their requests' boundary posts, disputes and finality."""
from __future__ import annotations

from contracts.bindings.base import SimulatedBinding, tx, view

OPEN, FINAL = 1, 2


class ShardLedger(SimulatedBinding):
    artifact_name = "ShardLedger"

    register = tx("register", "(full_id, cuts, shard_ids, model, input_shape): a model cut into shards.")
    announce = tx("announce", "(sharded_id, shards bitmask, memory bytes, steps per second).")
    request = tx("request", "(sharded_id, input bytes, route): a request served by one node per shard.", value="fee")
    post = tx("post", "(id, shard, root, millis): boundary `shard`'s tensor root, bonded.", value="bond")
    dispute = tx("dispute", "(id, shard): the post of `shard` is wrong.", value="bond")
    bind = tx("bind", "(id, claim_id): the disputed node's OpmlGame claim on its shard.")
    resolve = tx("resolve", "(id): ends the open dispute, or makes the request final.")
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


def deploy_ledger(chain, game: str, *, bond: int, min_fee: int, window: int, stall: int, bind_window: int,
                  sender=None) -> ShardLedger:
    address = chain.deploy("ShardLedger", game, bond, min_fee, window, stall, bind_window, sender=sender)
    return ShardLedger(chain, address)
