"""What the operator commands share (`tribunal stake`, `withdraw`, `claim`, `models register`): the
--deployment/--rpc/--key arguments, and attaching to a saved deployment as one account.

Every check that needs no chain runs before anything connects: the file is read, the key parsed and the
URL's form checked first, so bad input is one line and nothing is sent.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eth_account import Account
from eth_account.signers.local import LocalAccount

from contracts.errors import ChainUnavailableError
from runtime.errors import TribunalError

if TYPE_CHECKING:
    from verifiers.deployment import Deployment

ETHER = 10**18


def add_operator_args(p) -> None:
    p.add_argument("--deployment", required=True, metavar="FILE",
                   help="the deployment (the file `tribunal deploy` wrote)")
    p.add_argument("--rpc", required=True, metavar="URL", help="the chain's JSON-RPC URL (http:// or https://)")
    p.add_argument("--key", required=True, metavar="KEY", help="the account's private key (0x-hex)")


def account_of(key: str, flag: str = "--key") -> LocalAccount:
    try:
        return Account.from_key(key)
    except (ValueError, TypeError) as e:
        raise TribunalError(f"{flag} is not a private key (64 hex digits): {e}") from None


def check_url(url: str, flag: str = "--rpc") -> str:
    """A chain that outlives the command: only a JSON-RPC URL (an embedded chain or an anvil started
    here would end with the process, and everything done on it with them)."""
    if not url.startswith(("http://", "https://")):
        raise ChainUnavailableError(f"{flag} '{url}': give the JSON-RPC URL of a running chain (http:// or "
                                    f"https://), e.g. http://127.0.0.1:8545 for a local `anvil`")
    return url


@dataclass
class Operator:
    """One account attached to one deployment."""

    deployment: "Deployment"
    account: LocalAccount

    @property
    def chain(self):
        return self.deployment.chain

    @property
    def address(self) -> str:
        return self.account.address


def attach_as(args) -> Operator:
    """The deployment in --deployment on --rpc, acting as --key; the file, key and URL are checked first."""
    from contracts.chain import connect
    from verifiers.deployment import attach, read

    saved = read(args.deployment)
    account = account_of(args.key)
    chain = connect(check_url(args.rpc), keys=[account.key])
    return Operator(attach(chain, saved), account)


def wei(amount: int) -> str:
    """An amount for people: ether with the digits it needs, and the exact wei."""
    return f"{amount / ETHER:.6g} ETH ({amount} wei)" if amount >= 10**12 else f"{amount} wei"


def check_amount(amount: int | None, flag: str = "--amount") -> None:
    if amount is not None and amount <= 0:
        raise TribunalError(f"{flag} must be a positive number of wei, got {amount}")


def tx(name: str, receipt) -> dict:
    return {"name": name, "tx": "0x" + receipt.tx_hash.hex(), "block": receipt.block_number, "gas": receipt.gas_used}


def check_funds(op: Operator, amount: int, what: str) -> None:
    """Refuses a payment the account cannot make (gas aside) before the node is asked to estimate it."""
    have = op.chain.balance(op.address)
    if have < amount:
        raise TribunalError(f"{op.address} holds {wei(have)}, less than the {wei(amount)} {what}")
