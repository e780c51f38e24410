"""The base of every typed binding: one deployed contract on one `Chain`."""
from __future__ import annotations

from typing import Any, ClassVar

from eth_account.signers.local import LocalAccount

from contracts.chain.base import Chain, Receipt


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
        fn = getattr(self.contract.functions, name)(*args)
        return self.chain.transact(fn, sender=sender, value=value, gas=gas, wait=wait)

    def _view(self, name: str, *args: Any) -> Any:
        return self.chain.call(getattr(self.contract.functions, name)(*args))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.address} on {self.chain.kind})"


def members_of(accounts: list[str], committee: int) -> list[str]:
    """The accounts (by node index) of a node-index set."""
    return [a for i, a in enumerate(accounts) if committee >> i & 1]
