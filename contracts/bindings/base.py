"""The base of every typed binding: one deployed contract on one `Chain`, called by ABI name.

A method that only passes through is declared in one line: `queue_length = view("queueLength")`,
`cancel = tx("cancel")`, `request = tx("request", value="fee")`; its arguments go to the contract
function in order. Views return structs as their generated dataclasses (`contracts/abi_types.py`),
fields by name.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar

from eth_account.signers.local import LocalAccount

from contracts import abi, abi_types
from contracts.chain.base import Chain, Receipt

MOVE_GAS = 8_000_000  # gas limit of a simulated transaction (a one-step proof of a large Conv stays well below)


class Binding:
    """Transactions raise the contract error's Python class (see `contracts.errors`) and change no
    state when they fail; with `wait=False` they return the transaction hash instead of a `Receipt`."""

    artifact_name: ClassVar[str]

    def __init__(self, chain: Chain, address: str):
        self.chain = chain
        self.address = address
        self.contract = chain.contract(self.artifact_name, address)

    def _tx(self, name: str, *args: Any, sender: LocalAccount | None = None, value: int = 0,
            gas: int | None = None, wait: bool = True) -> Receipt:
        """Sends `name(*args)` (gas estimated when `gas` is None)."""
        fn = getattr(self.contract.functions, name)(*args)
        return self.chain.transact(fn, sender=sender, value=value, gas=gas, wait=wait)

    def _view(self, name: str, *args: Any) -> Any:
        """Calls view `name(*args)`; a struct comes back as its generated dataclass."""
        raw = self.chain.call(getattr(self.contract.functions, name)(*args))
        return abi.outputs(abi.function(self.artifact_name, name), raw, abi_types.STRUCTS)

    def _named(self, name: str, *args: Any) -> dict[str, Any]:
        """A view's several return values by their snake_case names (a public struct variable's getter)."""
        outs = abi.function(self.artifact_name, name)["outputs"]
        return {abi.snake(o["name"]): v for o, v in zip(outs, self._view(name, *args))}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address} on {self.chain.kind})"


class SimulatedBinding(Binding):
    """Transactions are first simulated with `eth_call` (a revert raises its error class and nothing is
    sent), then sent with a fixed gas limit: one EVM run instead of gas estimation's search, which is
    what a dispute's many moves spend their time on. The receipt's `gas_used` is the real gas."""

    def _tx(self, name, *args, sender=None, value=0, gas=None, wait=True):
        fn = getattr(self.contract.functions, name)(*args)
        sender = sender or self.chain.accounts[0]
        try:
            fn.call({"from": sender.address, "value": value}, block_identifier="pending")
        except Exception as exc:  # noqa: BLE001 - decoded below
            raise self.chain._decode(exc) from None
        return self.chain.transact(fn, sender=sender, value=value, gas=gas or MOVE_GAS, wait=wait)


def callback_allowance(chain: Chain, consumer: str | None, callback_gas: int) -> int:
    """The callback allowance a request with a consumer sent now pays besides its fee (Brain, HybridCourt,
    OpmlRequests): `callback_gas` at the base fee of the block it lands in; 0 without a consumer. It pays whoever
    delivers the result (its transaction runs the callback), or comes back when none runs (contracts/README.md,
    "Callback allowance")."""
    if not consumer or int(consumer, 16) == 0 or not callback_gas:
        return 0
    return callback_gas * chain.next_base_fee()


def tx(name: str, doc: str = "", *, value: str = "value") -> Callable[..., Receipt]:
    """A method sending `name(*args)`; the keyword `value` (e.g. "fee", "bond") carries the wei it pays."""

    def method(self: Binding, *args: Any, sender: LocalAccount | None = None, gas: int | None = None,
               wait: bool = True, **wei: int) -> Receipt:
        paid = wei.pop(value, 0)
        if wei:
            raise TypeError(f"{type(self).__name__} {name}: unexpected keywords {sorted(wei)}")
        return self._tx(name, *args, sender=sender, value=paid, gas=gas, wait=wait)

    method.__doc__ = doc or f"Sends `{name}`."
    return method


def view(name: str, doc: str = "", *, prop: bool = False) -> Any:
    """A method (a property with `prop`) calling view `name(*args)`."""

    def method(self: Binding, *args: Any) -> Any:
        return self._view(name, *args)

    method.__doc__ = doc or f"Calls `{name}`."
    return property(method, doc=method.__doc__) if prop else method


def members_of(accounts: list[str], committee: int) -> list[str]:
    """The accounts (by node index) of a node-index set."""
    return [a for i, a in enumerate(accounts) if committee >> i & 1]
