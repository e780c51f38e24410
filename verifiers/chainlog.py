"""Reading what happened on chain: events with the transactions that emitted them.

Agents and modes know nothing but the chain; these helpers are how they read it. `events` decodes a
contract's logs over a block range (optionally one event kind, optionally filtered by the first indexed
argument, which is the request, claim or game id in every Tribunal event). `transactions` turns the
transactions behind a set of events into `Transaction` records with their gas and sender.
"""
from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode as abi_encode
from eth_utils import keccak

from contracts.chain.base import Chain
from contracts.events import Event, abi_events, decode_log
from verifiers.verdict import Transaction


@dataclass(frozen=True)
class Seen:
    """An event and where it came from."""

    event: Event
    tx_hash: bytes
    log_index: int

    @property
    def block(self) -> int:
        return self.event.block_number


def _topic(event_name: str) -> bytes:
    for topic, item in abi_events().items():
        if item["name"] == event_name:
            return topic
    raise KeyError(event_name)


def events(chain: Chain, address: str, *kinds: type[Event], from_block: int = 0, to_block: int | str = "latest",
           key: int | None = None) -> list[Seen]:
    """Events of `kinds` (all when none) that `address` emitted, oldest first; `key` filters the first
    indexed uint argument (request id, claim id or game id)."""
    topics: list = [[_topic(k.__name__) for k in kinds] or None]
    if key is not None:
        topics.append(abi_encode(["uint256"], [key]))
    params = {"address": address, "fromBlock": from_block, "toBlock": to_block}
    if topics != [None]:
        params["topics"] = [t if t is None or isinstance(t, list) else t for t in topics]
    out = []
    for log in chain.w3.eth.get_logs(params):
        e = decode_log(log)
        if e is not None and (not kinds or isinstance(e, kinds)):
            out.append(Seen(e, bytes(log["transactionHash"]), int(log["logIndex"])))
    return out


def transactions(chain: Chain, seen: list[Seen], names: dict[str, str] | None = None) -> list[Transaction]:
    """One `Transaction` per distinct transaction behind `seen`, named after its first event (or by
    `names`: event class name -> transaction name), oldest first."""
    names = names or {}
    out, done = [], set()
    for s in sorted(seen, key=lambda s: (s.block, s.log_index)):
        if s.tx_hash in done:
            continue
        done.add(s.tx_hash)
        r = chain.w3.eth.get_transaction_receipt(s.tx_hash)
        kind = type(s.event).__name__
        out.append(Transaction(names.get(kind, kind), r["from"], int(r["gasUsed"]), int(r["blockNumber"]),
                               "0x" + s.tx_hash.hex()))
    return out


def tx_record(chain: Chain, name: str, receipt) -> Transaction:
    """A `Transaction` for a receipt this process got back from `Chain.transact`."""
    tx = chain.w3.eth.get_transaction(receipt.tx_hash)
    return Transaction(name, tx["from"], receipt.gas_used, receipt.block_number, "0x" + receipt.tx_hash.hex())


def keccak_key(*parts: bytes) -> bytes:
    return keccak(b"".join(parts))
