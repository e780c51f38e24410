"""Binding of ModelRegistry: models by id, modelId = sha256(programRoot ‖ weightsRoot)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from contracts.bindings.base import Binding
from contracts.chain.base import Receipt


def model_id_of(program_root: bytes, weights_root: bytes) -> bytes:
    """The model id the registry assigns: sha256(programRoot ‖ weightsRoot), 32 bytes each."""
    return hashlib.sha256(bytes(program_root) + bytes(weights_root)).digest()


@dataclass(frozen=True)
class ModelInfo:
    program_root: bytes
    weights_root: bytes
    owner: str
    registered_at: int


class ModelRegistry(Binding):
    artifact_name = "ModelRegistry"

    def register(self, program_root: bytes, weights_root: bytes, *, sender: LocalAccount | None = None) -> Receipt:
        return self._tx("register", program_root, weights_root, sender=sender)

    def prove_input_size(self, program, *, sender: LocalAccount | None = None) -> Receipt:
        """Proves a registered program's input byte size against its program root (as OpmlModels does);
        Brain then refuses OUTPUT_ROOT requests on it whose input has another size."""
        from bisection.commitments import commit
        from contracts.bindings.opml import registration

        _, _, (header, header_proof, _, step, node, node_proof) = registration(program)
        return self._tx("proveInputSize", commit(program).model_id, header, header_proof, step, node, node_proof,
                        sender=sender)

    def input_bytes_of(self, model_id: bytes) -> int:
        """The proven byte size of a model's input (0: never proven, requests unchecked)."""
        return self._view("inputBytesOf", model_id)

    def exists(self, model_id: bytes) -> bool:
        return self._view("exists", model_id)

    def model(self, model_id: bytes) -> ModelInfo:
        return ModelInfo(*self._view("model", model_id))
