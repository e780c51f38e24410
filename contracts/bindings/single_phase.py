"""Binding of SinglePhaseBrain, the paper's single-phase baseline, and the members' signing helper.

The committee of a request is fixed by the block it lands in: the committee of block B is drawn from
the hash of B's parent (the seed block). A caller reads the latest block L, gets L's committee to
sign, and sends the request for inclusion in block L + 1; if it lands later it reverts
(`SeedBlockNotParent`) and is retried with the new latest block.
"""
from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from contracts.bindings.base import Binding, view
from contracts.chain.base import Receipt

_ZERO = "0x" + "00" * 20


class SinglePhaseBrain(Binding):
    artifact_name = "SinglePhaseBrain"

    def committee_for(self, seed_block: int) -> int:
        """The node-index set that must vouch for a request landing in block `seed_block + 1`."""
        block_hash = bytes(self.chain.w3.eth.get_block(seed_block)["hash"])
        return self._view("committeeOf", block_hash, seed_block)

    digest_of = view("digestOf", "(seed_block, model_id, input_hash, result): what members sign.")

    def sign(self, member: LocalAccount, seed_block: int, model_id: bytes, input_hash: bytes,
             result: bytes) -> bytes:
        """A member's EIP-191 signature of the result (what `request_and_respond` carries)."""
        digest = self.digest_of(seed_block, model_id, input_hash, result)
        return bytes(Account.sign_message(encode_defunct(primitive=digest), member.key).signature)

    def request_and_respond(self, model_id: bytes, input_hash: bytes, seed_block: int, result: bytes,
                            signatures: list[bytes], *, fee: int, sender: LocalAccount, consumer: str | None = None,
                            callback_gas: int = 0, gas: int | None = None, wait: bool = True) -> Receipt:
        """Request and result in one transaction, to land in block `seed_block + 1`; its Served event
        has the request id."""
        return self._tx("requestAndRespond", model_id, input_hash, seed_block, result, consumer or _ZERO,
                        callback_gas, signatures, sender=sender, value=fee, gas=gas, wait=wait)
