"""Reading what happened on chain: events with the transactions that emitted them.

On the embedded chain, eth-tester's `eth_getLogs` rebuilds every receipt in the range (recovering each
sender's key, ~30 ms a transaction), which made a tick of six agents take seconds. So `install(chain)`
(which `Tribunal.connect` calls before deploying) keeps an in-process index of every log and receipt
this process mines there: on the embedded chain every transaction goes through this process's `Chain`,
which tells the index of each one (`Chain.watch`). A snapshot revert drops what the reverted blocks held. Other chains answer `eth_getLogs` themselves.

Agents and modes know nothing but the chain; these helpers are how they read it. `events` decodes a
contract's logs over a block range (optionally one event kind, optionally filtered by the first indexed
argument, which is the request, claim or game id in every Tribunal event). `transactions` turns the
transactions behind a set of events into `Transaction` records with their gas and sender.
"""
from __future__ import annotations

from dataclasses import dataclass

from contracts import abi
from contracts.chain.base import Chain
from contracts.events import Event, decode_log
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


class LogIndex:
    """Logs and receipts of every transaction mined through one embedded `Chain`, by block: a watcher the
    chain tells of each transaction it mines and each snapshot it reverts (`Chain.watch`)."""

    def __init__(self):
        self.logs: list[dict] = []
        self.receipts: dict[bytes, dict] = {}

    def mined(self, tx_hash: bytes, raw) -> None:
        self.receipts[bytes(tx_hash)] = {"from": raw["from"], "gasUsed": raw["gasUsed"], "blockNumber": raw["blockNumber"]}
        self.logs.extend(raw["logs"])

    def reverted(self, head: int) -> None:
        self.logs = [log for log in self.logs if log["blockNumber"] <= head]
        self.receipts = {h: r for h, r in self.receipts.items() if r["blockNumber"] <= head}

    def get_logs(self, params: dict) -> list[dict]:
        lo, hi = params["fromBlock"], params["toBlock"]
        hi = float("inf") if hi == "latest" else hi
        address = params["address"].lower()
        topics = params.get("topics") or []
        out = []
        for log in self.logs:
            if not lo <= log["blockNumber"] <= hi or log["address"].lower() != address:
                continue
            if _matches([bytes(t) for t in log["topics"]], topics):
                out.append(log)
        return out


def _matches(have: list[bytes], topics: list) -> bool:
    for i, want in enumerate(topics):
        if want is None:
            continue
        allowed = [bytes(w) for w in want] if isinstance(want, list) else [bytes(want)]
        if i >= len(have) or have[i] not in allowed:
            return False
    return True


def install(chain: Chain) -> None:
    """Index this embedded chain's logs from now on (a no-op elsewhere, or when already installed)."""
    if chain.kind == "embedded" and index_of(chain) is None:
        chain.watch(LogIndex())
        # Calls with no sender make eth-tester's middleware derive every account from its key (~0.1 s a call).
        chain.w3.eth.default_account = chain.accounts[0].address


def index_of(chain: Chain) -> LogIndex | None:
    """The chain's log index (`install`), or None: then the node answers `eth_getLogs` itself."""
    return next((w for w in chain.watchers if isinstance(w, LogIndex)), None)


def events(chain: Chain, address: str, *kinds: type[Event], from_block: int = 0, to_block: int | str = "latest",
           key: int | None = None) -> list[Seen]:
    """Events of `kinds` (all when none) that `address` emitted, oldest first; `key` filters the first
    indexed uint argument (request id, claim id or game id)."""
    topics: list = [[abi.topic(k.__name__) for k in kinds] or None]
    if key is not None:
        topics.append(abi.key_topic(key))
    params = {"address": address, "fromBlock": from_block, "toBlock": to_block}
    if topics != [None]:
        params["topics"] = topics
    out = []
    index = index_of(chain)
    for log in (index.get_logs(params) if index is not None else chain.w3.eth.get_logs(params)):
        e = decode_log(log)  # None for a log that does not decode: it is skipped, the others still read
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
        index = index_of(chain)
        r = index.receipts.get(s.tx_hash) if index is not None else None
        r = r or chain.w3.eth.get_transaction_receipt(s.tx_hash)
        kind = type(s.event).__name__
        out.append(Transaction(names.get(kind, kind), r["from"], int(r["gasUsed"]), int(r["blockNumber"]),
                               "0x" + s.tx_hash.hex()))
    return out


def tx_record(chain: Chain, name: str, receipt) -> Transaction:
    """A `Transaction` for a receipt this process got back from `Chain.transact`."""
    index = index_of(chain)
    known = index.receipts.get(bytes(receipt.tx_hash)) if index is not None else None
    sender = known["from"] if known else chain.w3.eth.get_transaction(receipt.tx_hash)["from"]
    return Transaction(name, sender, receipt.gas_used, receipt.block_number, "0x" + receipt.tx_hash.hex())
