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
and ArgMaxMerge steps (runtime/ops/argmax.py: block_plan). A Softmax row or a ReduceMean longer than `row_block` allows is
RowMaxBlock / RowSumBlock steps over blocks of the row (runtime/ops/softmax.py, reducemean.py), and a
Conv window over more input channels than `conv_block` allows is ConvBlock steps (runtime/ops/conv.py).
What is still over the bounds (one channel's window from ~21x21, a long ReduceMean over inner axes) is
refused at registration: `bisection.step_cost.check_fits` raises StepProofTooLarge.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from .tensor_root import CHUNK_BYTES, num_chunks
from .window import window_reads

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
    "Gemm": 90, "GemmBlock": 90, "MatMul": 90, "MaxPool": 1000, "Requantize": 200,
    "SoftmaxExp": 120, "SoftmaxNorm": 120, "Softmax": 800, "LayerNormalization": 250, "ReduceMean": 120,
    "LayerNormStats": 250, "LayerNormApply": 2000, "RowMaxBlock": 130, "RowSumBlock": 120,
}
DEFAULT_PER_READ = 400
EXEC_PER_READ.update({"ArgMax": 520, "ArgMaxBlock": 520, "ArgMaxMerge": 520})  # a compare per element: measured ~460
EXEC_OP_BASE = {"Conv": 100_000, "ConvBlock": 100_000, "MaxPool": 40_000, "GlobalAveragePool": 40_000}  # kernels with a large fixed part
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


def conv_per_read(kw: int) -> int:
    """Gas per element a Conv or ConvBlock step reads, for windows kw wide: the kernel makes one dot call
    per window row (measured 3.4-11k: it searches the proven chunks) and ~300 per element in it."""
    return 300 + -(-4500 // max(kw, 1))


def gas(op: str, proof: Calldata, chunks: int, elements: int, game: bool = True, per_read: int | None = None) -> int:
    """Modeled gas of the game's step transaction carrying the bundle `proof` (game=False: of
    IOneStep.element sent as its own transaction, what benchmarks/onestep_gas measures); `per_read`
    overrides the op's EXEC_PER_READ (Conv: `conv_per_read`)."""
    tx = proof + (STEP_ARGS if game else ELEMENT_ARGS)
    words = -(-2 * proof.size // 32)  # the bundle decoded into memory, then copied into the kernel call
    per_read = EXEC_PER_READ.get(op, DEFAULT_PER_READ) if per_read is None else per_read
    execution = (EXEC_BASE + EXEC_OP_BASE.get(op, 0) + EXEC_CHUNK * chunks + per_read * elements
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


def row_cost(op: str, n: int, rows: int, block: int, others: tuple[int, ...] = (), stride: int = 1) -> tuple[int, int]:
    """(modeled gas, transaction bytes) of one step of a row op reading `block` int16 of a row of n (of
    `rows` rows), `stride` apart, and one chunk of each input whose byte size is in `others`."""
    chunks = min(block, _row_chunks(2 * ((block - 1) * stride + 1))) if stride > 1 else _row_chunks(2 * block)
    inputs = [(chunks, tree_depth(2 * rows * n))] + [(1, tree_depth(nb)) for nb in others]
    b = bundle(inputs, DEPTH_GUESS, DEPTH_GUESS, 64, 256)
    return gas(op, b, sum(c for c, _ in inputs), block + 4 * len(others)), (b + STEP_ARGS).size


def row_block(n: int, rows: int, whole: tuple[int, int]) -> int:
    """The longest block of a row of n one step may reduce (`_largest_block`): n when `whole`, the unsplit
    step's (gas, bytes), fits; else a block whose RowMaxBlock and RowSumBlock steps both fit."""
    def cost(block: int) -> tuple[int, int]:
        if block >= n:
            return whole
        a, b = row_cost("RowMaxBlock", n, rows, block, (2 * rows,)), row_cost("RowSumBlock", n, rows, block, (8 * rows,))
        return max(a[0], b[0]), max(a[1], b[1])

    return _largest_block(n, cost)


def conv_cost(x_shape, w_shape, attrs: dict, out_hw: tuple[int, int], cb: int, blocked: bool) -> tuple[int, int]:
    """(modeled gas, transaction bytes) of one Conv step (blocked: one ConvBlock step) reading the window
    over `cb` input channels at the costliest of a few output positions, cb rows of w and the tail."""
    kh, kw = w_shape[2], w_shape[3]
    worst = 0
    # A block that starts at another channel meets the 1 KB chunk grid elsewhere (a chunk more or less
    # per row run), so a few block starts are priced too, not only channel 0.
    starts = {min(f, x_shape[1] - cb) for f in (0, 1, cb // 2, cb, x_shape[1] - cb)} if blocked else {0}
    for first in starts:
        for pos in itertools.product(*({0, 1, h // 2, h - 2, h - 1} - {-1} for h in out_hw)):
            r = window_reads(x_shape, (0, first, cb), pos, (kh, kw), attrs)
            worst = max(worst, len(np.unique(2 * r // CHUNK_BYTES)) if r.size else 0)
    x = (worst, tree_depth(2 * math.prod(x_shape)))
    w = (_row_chunks(cb * kh * kw), tree_depth(math.prod(w_shape)))
    out = x_shape[0] * w_shape[0] * out_hw[0] * out_hw[1]
    tail = [(1, tree_depth(8 * out))] if blocked else [(1, tree_depth(8 * w_shape[0])), (1, tree_depth(16 * w_shape[0]))]
    inputs = [x, w] + tail
    b = bundle(inputs, DEPTH_GUESS, DEPTH_GUESS, 96, 256)
    op = "ConvBlock" if blocked else "Conv"
    return gas(op, b, sum(c for c, _ in inputs), 2 * cb * kh * kw + 4, per_read=conv_per_read(kw)), (b + STEP_ARGS).size


def conv_block(x_shape, w_shape, attrs: dict, out_hw: tuple[int, int]) -> int:
    """The most input channels (of a group's w_shape[1]) one Conv step's window may cover: all of them
    when one Conv step fits TARGET_GAS and TARGET_BYTES, else the most whose ConvBlock step fits (at
    least 1: a single channel's window over the budget is not split further)."""
    def fits(cb: int, blocked: bool) -> bool:
        g, nbytes = conv_cost(x_shape, w_shape, attrs, out_hw, cb, blocked)
        return g <= TARGET_GAS and nbytes <= TARGET_BYTES

    cg = w_shape[1]
    if fits(cg, False):
        return cg
    lo, hi = 1, cg - 1  # the largest fitting cb in [1, cg - 1], by bisection (cost grows with cb)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid, True) else (lo, mid - 1)
    return lo
