"""The on-chain one-step verifier (`contracts/src/onestep/OneStep.sol`) from Python.

    address = deploy_onestep(chain)                    # every op kernel, then the verifier
    proof = step_proof(program, state, step, element)  # state: S_{step-1}'s slot arrays
    value, slot = OneStep(chain, address).element(program_root, state_root, step, element, proof)

Every node of the exact profile writes one int16 output slot, so `value` is an int16.
"""
from __future__ import annotations

import numpy as np

from runtime.program import Program


def deploy_onestep(chain, sender=None) -> str:
    """Deploys every op kernel and the verifier (kernels registered by op code); returns its address."""
    raise NotImplementedError("the one-step verifier is being built (issue 5, part A)")


def step_proof(program: Program, state: list[np.ndarray | None], step: int, element: int) -> bytes:
    """The ABI-encoded proof bundle for output element `element` of step `step`, from S_{step-1}."""
    raise NotImplementedError("the one-step verifier is being built (issue 5, part A)")


class OneStep:
    """A deployed `IOneStep`."""

    def __init__(self, chain, address: str):
        self.chain, self.address = chain, address

    def element(self, program_root: bytes, state_root: bytes, step: int, element: int, proof: bytes) -> tuple[int, int]:
        """(int16 value, output slot); a failed proof raises its named error (`contracts.errors`)."""
        raise NotImplementedError

    def estimate_gas(self, program_root: bytes, state_root: bytes, step: int, element: int, proof: bytes) -> int:
        """Gas of the call as a transaction would spend it (intrinsic and calldata included)."""
        raise NotImplementedError
