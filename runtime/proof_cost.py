"""What one step's one-step proof costs on chain: its bytes and gas, from the elements it reads.

The dispute game ends with one transaction, `OpmlGame.step(game, element, chunk, proof)`, whose proof
(contracts/onestep.py: the ABI-encoded bundle) carries, per input of the disputed node, the 1024-byte
chunks holding the elements that one output element reads (`ExactOp.reads`), each with its path in
the input's tensor tree. Every such transaction must fit a real chain:

    BYTES_BOUND = 64 KiB of calldata,  GAS_BOUND = 1M gas          (per one-step transaction)

The model (`bisection.step_cost`, which reads a lowered program's descriptors): bytes are exact (the ABI layout, `bundle`); gas is
21000 + max(16 * nonzero + 4 * zero + execution, 40 * nonzero + 10 * zero) (chunk data and hashes
counted non-zero; the second term is the EIP-7623 calldata floor that anvil and the embedded chain
apply, which makes 1M gas about 24 KiB of non-zero calldata), execution = EXEC_BASE + EXEC_CHUNK
per chunk proven + the op's per-element cost (EXEC_PER_READ, fitted from measured gas of
IOneStep.element, see benchmarks/onestep_gas.py and tests/contracts/test_proof_cost.py) + memory
expansion, plus GAME_STEP the game's own work around the verifier. It is an upper estimate: tests
check it is at least the measured gas.

The lowering keeps every step under TARGET_GAS / TARGET_BYTES (a margin under the bounds for the
model's error and chunk alignment): weights are stored [N, K] so an element reads contiguous rows, a
reduction longer than `dense_block` allows is split into GemmBlock steps (runtime/ops/gemm.py),
Softmax is two steps, each reading one row (runtime/ops/softmax.py), and a LayerNormalization row
longer than `norm_block` allows is LayerNormStats steps over blocks of the row and one LayerNormApply
(runtime/ops/layernormalization.py); an ArgMax over an axis too long for one step is ArgMaxBlock
and ArgMaxMerge steps (runtime/ops/argmax.py: block_plan).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .tensor_root import CHUNK_BYTES, num_chunks

BYTES_BOUND = 64 * 1024  # calldata of one one-step transaction
GAS_BOUND = 1_000_000  # gas of one one-step transaction
TARGET_BYTES = 24 * 1024  # what the lowering aims at (the calldata floor makes 1M gas ~24 KiB anyway)
TARGET_GAS = 700_000

WIDTH = {"int8": 1, "int16": 2, "int64": 8}
TX_BASE = 21_000
GAME_STEP = 120_000  # OpmlGame.step around the verifier: chunk hash, storage, settlement, events (measured ~80k)
EXEC_BASE = 50_000  # descriptor proofs and decoding, the kernel call
EXEC_CHUNK = 2_500  # per proven chunk: its hash, its path, the kernel's search for it
EXEC_PER_READ = {  # gas per element read, by op (fitted; an unlisted op takes DEFAULT_PER_READ)
    "Gemm": 90, "GemmBlock": 90, "MatMul": 90, "Conv": 500, "MaxPool": 1000, "Requantize": 200,
    "SoftmaxExp": 120, "SoftmaxNorm": 120, "Softmax": 800, "LayerNormalization": 250, "ReduceMean": 120,
    "LayerNormStats": 250, "LayerNormApply": 2000,
}
DEFAULT_PER_READ = 400
EXEC_PER_READ.update({"ArgMax": 520, "ArgMaxBlock": 520, "ArgMaxMerge": 520})  # a compare per element: measured ~460
EXEC_OP_BASE = {"Conv": 300_000, "MaxPool": 40_000, "GlobalAveragePool": 40_000}  # kernels with a large fixed part
DEPTH_GUESS = 16  # state/program tree depth the lowering assumes before the program exists (65536 slots)


@dataclass(frozen=True)
class StepCost:
    step: int
    op: str
    chunks: int  # chunks proven, all inputs
    elements: int  # elements read, all inputs
    proof_bytes: int  # the ABI-encoded bundle
    tx_bytes: int  # the game's step transaction's calldata
    gas: int  # modeled gas of that transaction
    verifier_gas: int  # modeled gas of IOneStep.element alone, as its own transaction

    @property
    def fits(self) -> bool:
        return self.tx_bytes <= BYTES_BOUND and self.gas <= GAS_BOUND


def _word(n: int) -> int:
    return 32 * -(-n // 32)


@dataclass(frozen=True)
class Calldata:
    """Bytes of an encoding, split by what they are: 32-byte hashes, 32-byte ABI words (offsets,
    lengths, indices: mostly zero bytes) and data (chunks, descriptors, counted non-zero)."""

    hashes: int
    words: int
    data: int

    @property
    def size(self) -> int:
        return 32 * (self.hashes + self.words) + self.data

    @property
    def nonzero(self) -> int:  # an upper estimate: a structural word has at most 4 non-zero bytes
        return 32 * self.hashes + 4 * self.words + self.data

    def __add__(self, other: "Calldata") -> "Calldata":
        return Calldata(self.hashes + other.hashes, self.words + other.words, self.data + other.data)


STEP_ARGS = Calldata(0, 7, 4 + CHUNK_BYTES)  # OpmlGame.step: selector, 4 heads, the re-sent chunk, 2 lengths


def bundle(inputs: list[tuple[int, int]], state_depth: int, program_depth: int, header: int, node: int) -> Calldata:
    """The ABI-encoded bundle (contracts/onestep.py BUNDLE_TYPE), exactly: `inputs` is, per node input,
    (chunks carried, depth of its tensor tree); `header`, `node` the descriptors' lengths."""
    c = Calldata(2 * program_depth, 1 + 5 + 4 + 1 + len(inputs), _word(header) + _word(node))
    for n, depth in inputs:
        c += Calldata(1 + state_depth + n * depth, 5 + 1 + 1 + n + 1 + n + n + 1 + n + n, n * CHUNK_BYTES)
    return c


def proof_bytes(inputs: list[tuple[int, int]], state_depth: int, program_depth: int, header: int, node: int) -> int:
    return bundle(inputs, state_depth, program_depth, header, node).size


ELEMENT_ARGS = Calldata(0, 6, 4)  # IOneStep.element sent alone: selector, 5 heads, the proof's length


def gas(op: str, proof: Calldata, chunks: int, elements: int, game: bool = True) -> int:
    """Modeled gas of the game's step transaction carrying the bundle `proof` (game=False: of
    IOneStep.element sent as its own transaction, what benchmarks/onestep_gas measures)."""
    tx = proof + (STEP_ARGS if game else ELEMENT_ARGS)
    words = -(-2 * proof.size // 32)  # the bundle decoded into memory, then copied into the kernel call
    execution = (EXEC_BASE + EXEC_OP_BASE.get(op, 0) + EXEC_CHUNK * chunks + EXEC_PER_READ.get(op, DEFAULT_PER_READ) * elements
                 + 3 * words + words * words // 512 + (GAME_STEP if game else 0))
    zeros = tx.size - tx.nonzero
    return TX_BASE + max(16 * tx.nonzero + 4 * zeros + execution, 40 * tx.nonzero + 10 * zeros)


def tree_depth(nbytes: int) -> int:
    return (num_chunks(nbytes) - 1).bit_length()


def _row_chunks(nbytes: int) -> int:
    return -(-nbytes // CHUNK_BYTES) + 1  # a row of nbytes may straddle one more chunk


def dense_cost(k: int, n: int, rows: int, blocked: bool) -> tuple[int, int]:
    """(modeled gas, transaction bytes) of one step of a dense layer reading a k-long row of int16 x
    and of int8 w (and a bias or the partial sum, and the requantization pair)."""
    tail = (1, tree_depth(n * (32 if blocked else 8)))
    inputs = [(_row_chunks(2 * k), tree_depth(2 * rows * max(k, 1) * 2)), (_row_chunks(k), tree_depth(n * k)), tail,
              (1, tree_depth(16 * n))]
    b = bundle(inputs, DEPTH_GUESS, DEPTH_GUESS, 64, 256)
    return gas("GemmBlock", b, sum(c for c, _ in inputs), 2 * k + 6), (b + STEP_ARGS).size


def _largest_block(n: int, cost) -> int:
    """n when one step over all n fits TARGET_GAS and TARGET_BYTES, else the largest multiple of 512
    whose step fits (at least 512); `cost(block)` is (modeled gas, transaction bytes)."""
    def fits(block: int) -> bool:
        g, b = cost(block)
        return g <= TARGET_GAS and b <= TARGET_BYTES

    if fits(n):
        return n
    block = 512
    while block + 512 < n and fits(block + 512):
        block += 512
    return block


def dense_block(k: int, n: int, rows: int) -> int:
    """The longest block of a k-long dense reduction one step may take (`_largest_block`)."""
    return _largest_block(k, lambda kb: dense_cost(kb, n, rows, kb < k))


def blocks_bound(k: int, block: int) -> int:
    """Steps a k-long reduction takes in blocks (the GemmBlocks and the Requantize)."""
    return 1 if block >= k else math.ceil(k / block) + 1


def norm_cost(n: int, rows: int, block: int) -> tuple[int, int]:
    """(modeled gas, transaction bytes) of one LayerNormalization step over rows of n (block >= n), or
    of one LayerNormStats step over `block` of them (the row's partial sums: 8 int16 limbs per row)."""
    x = (_row_chunks(2 * min(block, n)), tree_depth(2 * rows * n))
    if block >= n:
        op, inputs, elements = "LayerNormalization", [x, (1, tree_depth(2 * n)), (1, tree_depth(8 * n))], n + 2
    else:
        op, inputs, elements = "LayerNormStats", [x, (1, tree_depth(16 * rows))], block + 4
    b = bundle(inputs, DEPTH_GUESS, DEPTH_GUESS, 64, 256)
    return gas(op, b, sum(c for c, _ in inputs), elements), (b + STEP_ARGS).size


def norm_block(n: int, rows: int) -> int:
    """The longest block of a LayerNormalization row of n one step may read (`_largest_block`; the row
    then takes ceil(n / block) LayerNormStats steps and one LayerNormApply)."""
    return _largest_block(n, lambda kb: norm_cost(n, rows, kb))
