"""Binding of ModelRegistry: models by id, modelId = sha256(programRoot ‖ weightsRoot)."""
from __future__ import annotations

import hashlib

from eth_account.signers.local import LocalAccount

from bisection.commitments import commit
from contracts.abi_types import ModelRegistryModel
from contracts.bindings.base import Binding, tx, view
from contracts.bindings.opml import registration
from contracts.chain.base import Receipt


def model_id_of(program_root: bytes, weights_root: bytes) -> bytes:
    """The model id the registry assigns: sha256(programRoot ‖ weightsRoot), 32 bytes each."""
    return hashlib.sha256(bytes(program_root) + bytes(weights_root)).digest()


ModelInfo = ModelRegistryModel  # ModelRegistry.Model, fields by name (generated from the ABI)


class ModelRegistry(Binding):
    artifact_name = "ModelRegistry"

    register = tx("register", "(program_root, weights_root): registers a model; its id is model_id_of(both).")
    register_holders_only = tx("registerHoldersOnly", "(program_root, weights_root): registers a model whose Brain "
                               "committees are drawn only among its holders (NodeRegistry.declare_holding).")

    def prove_input_size(self, program, *, sender: LocalAccount | None = None) -> Receipt:
        """Proves a registered program's input byte size against its program root (as OpmlModels does);
        Brain then refuses OUTPUT_ROOT requests on it whose input has another size."""
        _, _, (header, header_proof, _, step, node, node_proof) = registration(program)
        return self._tx("proveInputSize", commit(program).model_id, header, header_proof, step, node, node_proof,
                        sender=sender)

    input_bytes_of = view("inputBytesOf", "The proven byte size of a model's input (0: never proven, requests "
                          "unchecked).")
    exists = view("exists")
    holders_only = view("holdersOnly", "(model_id): whether the model's committees are drawn among its holders "
                        "only (fixed at registration).")
    model = view("model", "The registered model (ModelInfo).")
