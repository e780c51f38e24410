"""The embedded chain: eth-tester over py-evm, in process. Each transaction is mined in its own block;
`mine(n)` adds empty blocks, so tests move through windows without sleeping."""
from __future__ import annotations

from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.backends.pyevm.main import generate_genesis_state_for_keys
from eth_keys import keys
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from contracts.chain.base import DEV_BALANCE, Chain, dev_accounts

# The gas limit of a contract call sent without one: below the block's 30M, above any transaction here.
CALL_GAS = 25_000_000


class EmbeddedChain(Chain):
    kind = "embedded"

    def __init__(self, accounts: int = 32):
        local = dev_accounts(accounts)
        state = generate_genesis_state_for_keys([keys.PrivateKey(a.key) for a in local],
                                                overrides={"balance": DEV_BALANCE})
        self.tester = EthereumTester(backend=PyEVMBackend(genesis_state=state))
        super().__init__(Web3(EthereumTesterProvider(self.tester)), local, poll_latency=0.0)
        self.estimate_block = "latest"  # eth-tester simulates "latest" on top of the pending block already

    def _gas_limit(self, fn, tx: dict) -> int:
        """eth-tester's estimate bisects over the gas limit (a dozen executions of the call); one call at a
        fixed limit finds a revert the same way. The limit only caps the transaction: its receipt reports
        the gas it used, the same figure as with an estimated limit. Deployments are still estimated."""
        if not hasattr(fn, "call"):
            return super()._gas_limit(fn, tx)
        try:
            fn.call({**tx, "gas": CALL_GAS}, block_identifier="pending")  # as the transaction will run: next block
        except Exception as exc:  # noqa: BLE001
            raise self._decode(exc) from None
        return CALL_GAS

    def mine(self, blocks: int = 1) -> None:
        if blocks > 0:
            self.tester.mine_blocks(blocks)

    def snapshot(self) -> int:
        return self.tester.take_snapshot()

    def revert(self, snapshot_id: int) -> None:
        self.tester.revert_to_snapshot(snapshot_id)
        self._after_revert()

