"""lib/OutputProof.sol against Python's tensor root (runtime.tensor_root, bisection.commitments.element_proof):
random int16 outputs of one chunk to many, every element read back on chain; forged proofs revert by name."""
from __future__ import annotations

import numpy as np
import pytest

from bisection.commitments import element_proof
from contracts.errors import ElementOutOfRange, InvalidOutputProof, SliceNotInOneChunk
from runtime.tensor_root import tensor_bytes, tensor_root

SIZES = [1, 10, 511, 512, 513, 1000, 4096, 50_000]


@pytest.fixture(scope="module")
def harness(deployed):
    return deployed.chain.contract("OutputProofHarness", deployed.chain.deploy("OutputProofHarness"))


def int16_at(chain, harness, p, *, root=None, count=None, index=None, chunk=None, path=None):
    return chain.call(harness.functions.int16At(root or p.root, p.count if count is None else count,
                                                p.index if index is None else index, chunk or p.chunk,
                                                list(p.path if path is None else path)))


@pytest.mark.parametrize("size", SIZES)
def test_int16At_randomTensor_matchesPythonProof(system, harness, size):
    rng = np.random.default_rng(size)
    out = rng.integers(-32768, 32768, size=(1, size), dtype=np.int16)
    for index in {0, size - 1, int(rng.integers(size))}:
        p = element_proof(out, index)
        assert p.root == tensor_root(out)
        assert int16_at(system.chain, harness, p) == out[0, index]


@pytest.mark.parametrize("size", [10, 1000, 50_000])
def test_int16At_forgedProof_revertsByName(system, harness, size):
    out = np.random.default_rng(7).integers(-1000, 1000, size=(size,), dtype=np.int16)
    index = size // 2
    p = element_proof(out, index)
    at = index * 2 % 1024
    forged = bytearray(p.chunk)
    forged[at:at + 2] = (int(out[index]) + 1 & 0xFFFF).to_bytes(2, "big")  # claim another value
    with pytest.raises(InvalidOutputProof):
        int16_at(system.chain, harness, p, chunk=bytes(forged))
    with pytest.raises(InvalidOutputProof):  # a proof for another tensor
        int16_at(system.chain, harness, p, root=tensor_root(out[::-1].copy()))
    with pytest.raises(InvalidOutputProof):  # a path one level short (or long) of the tree's depth
        int16_at(system.chain, harness, p, path=list(p.path)[:-1] if p.path else [p.root])
    with pytest.raises(ElementOutOfRange):  # padding is not an element
        int16_at(system.chain, harness, p, index=size)


def test_int16At_elementInLastChunksPadding_refusedEvenWithAValidChunk(system, harness):
    """An output of 10 elements and the same output with trailing zeros share a root (zero padding):
    `count` keeps the padding out of reach."""
    out = np.arange(1, 11, dtype=np.int16)
    p = element_proof(out, 9)
    with pytest.raises(ElementOutOfRange):
        int16_at(system.chain, harness, p, index=10)
    with pytest.raises(InvalidOutputProof):  # the whole output with a trailing zero: same root, the length differs
        system.chain.call(harness.functions.argmaxChecked(p.root, 10, tensor_bytes(np.append(out, np.int16(0)))))


def test_int16Slice_oneChunk_readsTheRun_andRefusesAcrossChunks(system, harness):
    out = np.random.default_rng(3).integers(-500, 500, size=(2000,), dtype=np.int16)
    p = element_proof(out, 600)  # chunk 1 holds elements 512..1023
    got = system.chain.call(harness.functions.int16Slice(p.root, out.size, 600, 20, p.chunk, list(p.path)))
    assert got == out[600:620].tolist()
    with pytest.raises(SliceNotInOneChunk):
        system.chain.call(harness.functions.int16Slice(p.root, out.size, 1020, 8, p.chunk, list(p.path)))


def test_argmaxChecked_logits_label_andToWad(system, harness):
    out = np.array([[-3, 40, 7, 40, -32768, 12, 0, 39, 1, 2]], dtype=np.int16)
    data = tensor_bytes(out)
    assert system.chain.call(harness.functions.argmaxChecked(tensor_root(out), 10, data)) == 1  # first of ties
    with pytest.raises(InvalidOutputProof):
        system.chain.call(harness.functions.argmaxChecked(tensor_root(out), 10, data[:-2] + b"\x00\x29"))
    scale = 0.001723771085525798
    wad = system.chain.call(harness.functions.toWad(-13819, round(scale * 10**18)))
    assert abs(wad / 10**18 - -13819 * scale) < 1e-12
