"""The embedded chain: eth-tester over py-evm, in process. Each transaction is mined in its own block;
`mine(n)` adds empty blocks, so tests move through windows without sleeping."""
from __future__ import annotations

from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.backends.pyevm.main import generate_genesis_state_for_keys
from eth_keys import keys
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from contracts.chain.base import DEV_BALANCE, Chain, dev_accounts


class EmbeddedChain(Chain):
    kind = "embedded"

    def __init__(self, accounts: int = 32):
        local = dev_accounts(accounts)
        state = generate_genesis_state_for_keys([keys.PrivateKey(a.key) for a in local],
                                                overrides={"balance": DEV_BALANCE})
        self.tester = EthereumTester(backend=PyEVMBackend(genesis_state=state))
        super().__init__(Web3(EthereumTesterProvider(self.tester)), local, poll_latency=0.0)
        self.estimate_block = "latest"  # eth-tester simulates "latest" on top of the pending block already

    def mine(self, blocks: int = 1) -> None:
        if blocks > 0:
            self.tester.mine_blocks(blocks)

    def snapshot(self) -> int:
        return self.tester.take_snapshot()

    def revert(self, snapshot_id: int) -> None:
        self.tester.revert_to_snapshot(snapshot_id)
        with self._lock:
            self._nonces.clear()

