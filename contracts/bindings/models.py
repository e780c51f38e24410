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

    def exists(self, model_id: bytes) -> bool:
        return self._view("exists", model_id)

    def model(self, model_id: bytes) -> ModelInfo:
        return ModelInfo(*self._view("model", model_id))
