"""Any JSON-RPC URL: a chain the user already runs. Accounts are the private keys the caller gives
(default: the development keys, funded only on development chains)."""
from __future__ import annotations

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.providers import HTTPProvider

from contracts.chain.base import Chain, dev_accounts
from contracts.errors import ChainUnavailableError


class RpcChain(Chain):
    kind = "rpc"

    def __init__(self, url: str, keys: list[str | bytes] | None = None, accounts: int = 32):
        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
        if not w3.is_connected():
            raise ChainUnavailableError(f"no JSON-RPC node answers at {url}")
        local: list[LocalAccount] = [Account.from_key(k) for k in keys] if keys else dev_accounts(accounts)
        self.url = url
        super().__init__(w3, local)
