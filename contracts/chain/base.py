"""`Chain`: one API over every backend (embedded py-evm, anvil, any JSON-RPC URL).

Transactions are signed locally with the chain's funded accounts, so the same code runs against
any node. A transaction that would revert raises the contract error's Python class (see
`contracts.errors`) before anything is sent; one that reverts once mined raises it too, reproduced
by a call on the block before, and changes no state.
"""
from __future__ import annotations

import ast
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, TypeVar

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError

from contracts.abi import artifact
from contracts.errors import ChainUnavailableError, ContractRevert, TransactionFailedError, UnknownRevert, decode_revert
from contracts.events import Event, decode_logs

E = TypeVar("E", bound=Event)

GWEI = 10**9
DEV_BALANCE = 10**6 * 10**18


def _revert_data(exc: BaseException | None) -> bytes | str | None:
    """Revert return data carried by a web3 / eth-tester exception or anything it wraps."""
    seen = 0
    while exc is not None and seen < 8:
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, (bytes, str)) and data not in ("", "0x", b""):
            return data
        first = exc.args[0] if exc.args else None
        if isinstance(first, Exception) and first.args:
            first = first.args[0]
        if isinstance(first, bytes) and first:
            return first
        if isinstance(first, str) and first.startswith("execution reverted: b"):
            try:
                return ast.literal_eval(first[len("execution reverted: "):])
            except (ValueError, SyntaxError):
                pass
        exc = exc.__context__ or exc.__cause__
        seen += 1
    return None


def _is_revert(exc: BaseException) -> bool:
    return isinstance(exc, ContractLogicError) or "revert" in str(exc).lower()


def dev_accounts(count: int) -> list[LocalAccount]:
    """Deterministic development accounts: private keys 1, 2, ... (eth-tester's own convention)."""
    return [Account.from_key(i.to_bytes(32, "big")) for i in range(1, count + 1)]


@dataclass(frozen=True)
class Receipt:
    """A mined, successful transaction with its events decoded."""

    tx_hash: bytes
    block_number: int
    gas_used: int
    events: list[Event] = field(default_factory=list)
    contract_address: str | None = None

    def of(self, cls: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, cls)]

    def one(self, cls: type[E]) -> E:
        found = self.of(cls)
        if len(found) != 1:
            raise LookupError(f"expected one {cls.__name__} event, found {len(found)}")
        return found[0]


class ChainWatcher(Protocol):
    """What `Chain.watch` tells: a transaction mined through this `Chain` (its receipt as the node gave it),
    and a snapshot revert (the head block after it)."""

    def mined(self, tx_hash: bytes, receipt: Any) -> None: ...

    def reverted(self, head: int) -> None: ...


class Chain:
    """A connection to one chain with funded accounts; backends differ in start, mine and stop."""

    kind = "rpc"

    def __init__(self, w3: Web3, accounts: list[LocalAccount], *, on_close: Callable[[], None] | None = None,
                 receipt_timeout: float = 120.0, poll_latency: float = 0.05):
        self.w3 = w3
        self.accounts = accounts
        self._on_close = on_close
        self.receipt_timeout = receipt_timeout
        self.poll_latency = poll_latency
        try:
            self.chain_id = w3.eth.chain_id
        except Exception as exc:  # noqa: BLE001 - any transport failure means the chain is not there
            raise ChainUnavailableError(f"{self.kind} chain does not answer: {exc}") from None
        self.max_fee = 200 * GWEI
        self.priority_fee = 1 * GWEI
        # Where a transaction is simulated before sending: the block it will land in.
        self.estimate_block = "pending"
        self._nonces: dict[str, int] = {}
        self._lock = threading.Lock()
        self.watchers: list[ChainWatcher] = []  # told of what this object mines and reverts (`watch`)

    def watch(self, watcher: "ChainWatcher") -> None:
        """Tells `watcher` of every transaction this object sees mined (`wait_for`) and of every snapshot
        revert: how an index of this chain's logs (verifiers.chainlog) stays current without patching it."""
        if watcher not in self.watchers:
            self.watchers.append(watcher)

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    def __enter__(self) -> "Chain":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------ blocks and state

    @property
    def block_number(self) -> int:
        return self.w3.eth.block_number

    def mine(self, blocks: int = 1) -> None:
        """Mines `blocks` empty blocks (dev chains: evm_mine)."""
        for _ in range(blocks):
            self._rpc("evm_mine", [])

    def snapshot(self) -> Any:
        return self._rpc("evm_snapshot", [])

    def revert(self, snapshot_id: Any) -> None:
        self._rpc("evm_revert", [snapshot_id])
        self._after_revert()

    def _after_revert(self) -> None:
        """What every backend's `revert` does once the chain is back: nonces re-read, watchers told."""
        with self._lock:
            self._nonces.clear()
        if self.watchers:
            head = self.block_number
            for w in self.watchers:
                w.reverted(head)

    def next_base_fee(self) -> int:
        """The base fee of the block a transaction sent now lands in (the pending block's; EIP-1559)."""
        return int(self.w3.eth.get_block("pending").get("baseFeePerGas", 0))

    def balance(self, address: str) -> int:
        return self.w3.eth.get_balance(address)

    def _rpc(self, method: str, params: list) -> Any:
        response = self.w3.provider.make_request(method, params)
        if "error" in response:
            raise ChainUnavailableError(f"{method} failed on the {self.kind} chain: {response['error']}")
        return response.get("result")

    # ------------------------------------------------------------ contracts

    def contract(self, name: str, address: str):
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact(name)["abi"])

    def deploy(self, name: str, *args: Any, sender: LocalAccount | None = None) -> str:
        """Deploys contract `name` from its committed artifact; returns its address."""
        a = artifact(name)
        factory = self.w3.eth.contract(abi=a["abi"], bytecode=a["bytecode"])
        receipt = self.transact(factory.constructor(*args), sender=sender)
        assert receipt.contract_address is not None
        return receipt.contract_address

    def call(self, fn: Any, block: Any = "latest") -> Any:
        """Runs a view function; reverts raise their Python error class."""
        try:
            return fn.call(block_identifier=block)
        except Exception as exc:  # noqa: BLE001 - decoded or re-raised below
            raise self._decode(exc) from None

    def transact(self, fn: Any, *, sender: LocalAccount | None = None, value: int = 0, gas: int | None = None,
                 wait: bool = True) -> Any:
        """Signs and sends a contract call (or constructor). With `gas=None` the gas is estimated first,
        which raises the revert's error class without sending anything. Returns a `Receipt`, or the
        transaction hash with `wait=False` (then `wait_for(hash)` later)."""
        sender = sender or self.accounts[0]
        tx: dict[str, Any] = {"from": sender.address, "value": value, "chainId": self.chain_id,
                              "maxFeePerGas": self.max_fee, "maxPriorityFeePerGas": self.priority_fee}
        if gas is None:
            gas = self._gas_limit(fn, tx)
        tx["gas"] = gas
        tx = fn.build_transaction(tx)
        with self._lock:
            nonce = self._nonces.get(sender.address)
            if nonce is None:
                nonce = self.w3.eth.get_transaction_count(sender.address, "pending")
            self._nonces[sender.address] = nonce + 1
        tx["nonce"] = nonce
        signed = Account.sign_transaction(tx, sender.key)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except Exception as exc:  # noqa: BLE001
            with self._lock:
                self._nonces.pop(sender.address, None)
            raise self._decode(exc) from None
        if not wait:
            return tx_hash
        return self.wait_for(tx_hash, replay=tx)

    def _gas_limit(self, fn: Any, tx: dict) -> int:
        """The gas limit of a transaction sent without one: the node's estimate plus a quarter. Estimating
        simulates the call, so a revert raises its error class here and nothing is sent."""
        try:
            estimate = fn.estimate_gas(tx, block_identifier=self.estimate_block)
        except Exception as exc:  # noqa: BLE001
            raise self._decode(exc) from None
        return estimate + estimate // 4 + 10_000

    def wait_for(self, tx_hash: bytes, replay: dict | None = None) -> Receipt:
        """Waits for a transaction; a failed one raises its revert's error class."""
        try:
            r = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.receipt_timeout,
                                                         poll_latency=self.poll_latency)
        except TimeExhausted:
            raise TransactionFailedError(f"transaction 0x{bytes(tx_hash).hex()} was not mined in "
                                         f"{self.receipt_timeout:.0f} s") from None
        if r["status"] != 1:
            raise self._replay_failure(tx_hash, r, replay)
        for w in self.watchers:
            w.mined(bytes(tx_hash), r)
        return Receipt(tx_hash=bytes(tx_hash), block_number=r["blockNumber"], gas_used=r["gasUsed"],
                       events=decode_logs(r["logs"]), contract_address=r.get("contractAddress"))

    def _replay_failure(self, tx_hash: bytes, r: Any, tx: dict | None) -> Exception:
        if tx is None:
            tx = self.w3.eth.get_transaction(tx_hash)
        call = {k: tx[k] for k in ("from", "to", "data", "value", "gas") if k in tx and tx[k] is not None}
        if "data" not in call and "input" in tx:
            call["data"] = tx["input"]
        try:
            self.w3.eth.call(call, block_identifier=r["blockNumber"] - 1)
        except Exception as exc:  # noqa: BLE001
            err = self._decode(exc)
            if not isinstance(err, UnknownRevert):
                return err
        return TransactionFailedError(f"transaction 0x{bytes(tx_hash).hex()} failed in block {r['blockNumber']} "
                                      f"(gas used {r['gasUsed']} of {tx.get('gas')})")

    @staticmethod
    def _decode(exc: Exception) -> Exception:
        """The Tribunal exception for a failure of the node or of a contract call."""
        if isinstance(exc, ContractRevert):
            return exc
        data = _revert_data(exc)
        if data is not None:
            return decode_revert(data)
        if _is_revert(exc):
            return UnknownRevert(data=b"")
        if isinstance(exc, Web3RPCError):
            return TransactionFailedError(f"the node rejected the transaction: {exc}")
        if isinstance(exc, (ConnectionError, OSError)):
            return ChainUnavailableError(f"chain unreachable: {exc}")
        return exc
