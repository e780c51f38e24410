"""The on-chain one-step verifier (`contracts/src/onestep/OneStep.sol`) from Python.

    address = deploy_onestep(chain)                    # every op kernel, then the verifier
    proof = step_proof(program, state, step, element)  # state: S_{step-1}'s slot arrays
    value, slot = OneStep(chain, address).element(program_root, state_root, step, element, proof)

Every node of the exact profile writes one int16 output slot, so `value` is an int16. An element
past the output's data but inside its padded tensor tree is zero padding: value 0.

The proof bundle is `abi.encode(Bundle)` with (Solidity names, see OneStep.sol)

    Bundle     = (bytes header, bytes32[] headerPath, bytes node, bytes32[] nodePath, InputProof[] inputs)
    InputProof = (bytes32 root, bytes32[] statePath, uint256[] chunkIndex, bytes[] chunks, bytes32[][] chunkPaths)

header and node are the descriptors of leaf 0 and leaf `step` of the program tree
(bisection.commitments); one InputProof per node input, in order: the slot's tensor root with its
path in the state tree, and the 1024-byte chunks holding the elements `ExactOp.reads` names, each
with its path in the tensor tree. Paths are sibling hashes, bottom first.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from eth_abi import encode

from bisection.commitments import DTYPE_WIDTH, OP_CODES, header_descriptor, node_descriptor, program_leaves
from bisection.merkle import ZERO, StateTree, TensorTree
from runtime.ops import get_op
from runtime.program import Program
from runtime.tensor_root import CHUNK_BYTES, tensor_bytes

BUNDLE_TYPE = "(bytes,bytes32[],bytes,bytes32[],(bytes32,bytes32[],uint256[],bytes[],bytes32[][])[])"
VERIFIER = "OneStep"


def kernel_names() -> list[str]:
    """The op kernels' contract names (each named after its ONNX op), in op-code order."""
    return sorted(OP_CODES, key=OP_CODES.get)


def deploy_onestep(chain, sender=None) -> str:
    """Deploys every op kernel and the verifier (kernels registered by op code); returns its address."""
    names = kernel_names()
    addresses = [chain.deploy(name, sender=sender) for name in names]
    return chain.deploy(VERIFIER, [OP_CODES[n] for n in names], addresses, sender=sender)


# ---------------------------------------------------------------- proofs

_TREES: dict[int, tuple[weakref.ref, TensorTree]] = {}
_PROGRAMS: dict[int, tuple[weakref.ref, StateTree]] = {}


def _cached(cache: dict, obj, make):
    hit = cache.get(id(obj))
    if hit is not None and hit[0]() is obj:
        return hit[1]
    value = make()
    if len(cache) > 512:
        cache.clear()
    cache[id(obj)] = (weakref.ref(obj), value)
    return value


def tensor_tree(arr: np.ndarray) -> TensorTree:
    """The tensor tree of a state array (cached per array object: states are not mutated)."""
    return _cached(_TREES, arr, lambda: TensorTree(bytes(tensor_bytes(arr))))


def program_tree(program: Program) -> StateTree:
    return _cached(_PROGRAMS, program, lambda: StateTree(program_leaves(program)))


def state_tree(state: list) -> StateTree:
    return StateTree([ZERO if v is None else tensor_tree(np.asarray(v)).root for v in state])


def chunk_path(tree: TensorTree, chunk: int) -> list[bytes]:
    """Sibling hashes from chunk leaf `chunk` up to the root, bottom first."""
    return [tree.node(d, (chunk >> (tree.depth - d)) ^ 1) for d in range(tree.depth, 0, -1)]


@dataclass(frozen=True)
class ProofInputs:
    """What `step_proof` read, for tests and the benchmark."""

    chunks: list[list[int]]  # per input, the chunk indices carried
    elements: list[int]  # per input, the elements read


def proof_parts(program: Program, state: list, step: int, element: int):
    """(bundle value for eth_abi, ProofInputs)."""
    node = program.nodes[step - 1]
    ins = [np.asarray(state[i]) for i in node.inputs]
    out_shape = program.slots[node.outputs[0]].shape
    if element < int(np.prod(out_shape)):
        reads = get_op(node.op).reads(node, ins, out_shape, element)
    else:  # zero padding of the output: the verifier reads no input
        reads = [np.zeros(0, dtype=np.int64) for _ in ins]
    st = state_tree(state)
    inputs, chunk_lists = [], []
    for slot, arr, r in zip(node.inputs, ins, reads):
        width = DTYPE_WIDTH[program.slots[slot].dtype]
        chunks = sorted({int(i) * width // CHUNK_BYTES for i in np.asarray(r).reshape(-1)})
        tree = tensor_tree(arr)
        inputs.append((tree.root, st.proof(slot), chunks, [tree.chunk(c) for c in chunks],
                       [chunk_path(tree, c) for c in chunks]))
        chunk_lists.append(chunks)
    pt = program_tree(program)
    bundle = (header_descriptor(program), pt.proof(0), node_descriptor(program, step), pt.proof(step), inputs)
    return bundle, ProofInputs(chunk_lists, [int(np.asarray(r).size) for r in reads])


def encode_bundle(bundle) -> bytes:
    return encode([BUNDLE_TYPE], [bundle])


def step_proof(program: Program, state: list[np.ndarray | None], step: int, element: int) -> bytes:
    """The ABI-encoded proof bundle for output element `element` of step `step`, from S_{step-1}."""
    return encode_bundle(proof_parts(program, state, step, element)[0])


# ---------------------------------------------------------------- the deployed verifier


class OneStep:
    """A deployed `IOneStep`."""

    def __init__(self, chain, address: str):
        self.chain, self.address = chain, address
        self.contract = chain.contract(VERIFIER, address)

    def _fn(self, program_root, state_root, step, element, proof):
        return self.contract.functions.element(bytes(program_root), bytes(state_root), int(step), int(element),
                                               bytes(proof))

    def element(self, program_root: bytes, state_root: bytes, step: int, element: int, proof: bytes) -> tuple[int, int]:
        """(int16 value, output slot); a failed proof raises its named error (`contracts.errors`)."""
        value, slot = self.chain.call(self._fn(program_root, state_root, step, element, proof))
        return int(value), int(slot)

    def estimate_gas(self, program_root: bytes, state_root: bytes, step: int, element: int, proof: bytes) -> int:
        """Gas of the call sent as its own transaction (21000 intrinsic and the calldata included)."""
        fn = self._fn(program_root, state_root, step, element, proof)
        try:
            return fn.estimate_gas({"from": self.chain.accounts[0].address})
        except Exception as exc:  # noqa: BLE001 - a revert raises its named error
            raise self.chain._decode(exc) from None

    def gas_used(self, program_root: bytes, state_root: bytes, step: int, element: int, proof: bytes,
                 sender=None) -> int:
        """Gas the call spends when sent as its own transaction (mined; it changes no state). More exact
        than `estimate_gas`, whose search stops within a tolerance above the true figure."""
        return self.chain.transact(self._fn(program_root, state_root, step, element, proof), sender=sender).gas_used


def prestates(program, x_q) -> list[list]:
    """S_0 .. S_{N-1} as lists of numpy arrays: S_{k-1} is what step k reads, for `step_proof`."""
    state = program.initial_state(x_q)
    out = [list(state)]
    for _, written, _ in program.states(x_q):
        state = list(state)
        for i, v in written.items():
            state[i] = np.asarray(v)
        out.append(state)
    return out[:-1]
