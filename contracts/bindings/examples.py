"""Binding of the example dapps (contracts/examples): LabelBounty over brain, opml, hybrid or single-phase."""
from __future__ import annotations

from eth_account.signers.local import LocalAccount

from contracts.bindings.base import Binding, tx, view
from contracts.chain.base import Receipt

BOUNTIES = {"brain": "BrainLabelBounty", "opml": "OpmlLabelBounty", "hybrid": "HybridLabelBounty",
            "single-phase": "SinglePhaseLabelBounty"}


class LabelBounty(Binding):
    """Asks for a classification; pays `prize` to the asker when logits proven against the delivered root
    have the label `target` (contracts/examples/LabelBounty.sol)."""

    artifact_name = "BrainLabelBounty"  # the ABI every LabelBounty shares (the base's functions)

    def fund(self, amount: int, *, sender: LocalAccount | None = None) -> Receipt:
        return self._tx("fund", sender=sender, value=amount)

    ask = tx("ask", "(input, fee=): asks for the input's classification.", value="fee")
    pay_out = tx("payOut", "(request_id, logits): pays the prize when the proven logits have the target label.")
    label_of = view("labelOf")
    root_of = view("rootOf")
    paid_out = view("paidOut")

    def value_of(self, request_id: int, index: int, chunk: bytes, path: list[bytes]) -> int:
        """The element as an 18-decimal fixed-point number (OutputProof.toWad)."""
        return self._view("valueOf", request_id, index, chunk, list(path))


class SinglePhaseLabelBounty(LabelBounty):
    """LabelBounty over SinglePhaseBrain: `ask` brings the committee's signed root, and the request, the
    quorum check and the callback are that one transaction (contracts/examples/SinglePhaseLabelBounty.sol)."""

    artifact_name = "SinglePhaseLabelBounty"

    def ask(self, input: bytes, *, fee: int, sender: LocalAccount, seed_block: int, root: bytes,
            signatures: list[bytes]) -> Receipt:
        """To land in block `seed_block + 1`, whose committee signed `root` (SinglePhaseBrain.sign)."""
        return self._tx("ask", input, seed_block, root, list(signatures), sender=sender, value=fee)


def deploy_bounty(chain, mode: str, oracle: str, model_id: bytes, output_count: int, scale_wad: int, target: int,
                  prize: int, *, fund: int = 0, deadline_blocks: int = 0, sender: LocalAccount | None = None) -> LabelBounty:
    """Deploys the `mode` LabelBounty over `oracle` (Brain, OpmlRequests, HybridCourt or SinglePhaseBrain) with
    `fund` wei for prizes; `deadline_blocks` is opml's answer deadline."""
    head = (oracle, deadline_blocks) if mode == "opml" else (oracle,)
    a = chain.deploy(BOUNTIES[mode], *head, model_id, output_count, scale_wad, target, prize, sender=sender)
    bounty = (SinglePhaseLabelBounty if mode == "single-phase" else LabelBounty)(chain, a)
    if fund:
        bounty.fund(fund, sender=sender)
    return bounty
