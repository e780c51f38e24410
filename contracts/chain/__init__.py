"""Chains: one `Chain` API over three backends.

    connect()                         embedded eth-tester / py-evm chain, in process (the default)
    connect("anvil", block_time=1)    anvil from node_modules on a free loopback port (stopped on close/exit)
    connect("http://host:8545", keys=[...])   any JSON-RPC node
"""
from __future__ import annotations

from typing import Any

from contracts.chain.base import Chain, Receipt, artifact, dev_accounts


def connect(target: str = "embedded", **options: Any) -> Chain:
    """A `Chain` for `target`: "embedded", "anvil", or a JSON-RPC URL (http:// or https://)."""
    if target == "embedded":
        from contracts.chain.embedded import EmbeddedChain
        return EmbeddedChain(**options)
    if target == "anvil":
        from contracts.chain.anvil import AnvilChain
        return AnvilChain(**options)
    if target.startswith(("http://", "https://")):
        from contracts.chain.rpc import RpcChain
        return RpcChain(target, **options)
    from contracts.errors import ChainUnavailableError
    raise ChainUnavailableError(f"unknown chain '{target}': use embedded, anvil or an http(s) JSON-RPC URL")


__all__ = ["Chain", "Receipt", "artifact", "connect", "dev_accounts"]
