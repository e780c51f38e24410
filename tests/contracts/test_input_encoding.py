"""contracts/src/lib/InputEncoding.sol builds the same request input bytes as `verifiers.catalog.ModelEntry.encode`
(exact int16 and float32, both byte orders, int64 token ids), quantizes as `runtime.quant.quantize` does, and
refuses an element its encoding cannot hold, by name."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from contracts.bindings.brain import ResultKind
from contracts.chain import connect
from contracts.errors import InputOutOfRange
from runtime import zoo
from runtime.quant import quantize
from runtime.tensor_root import tensor_bytes

MODEL = "digits-mlp"


@pytest.fixture(scope="module")
def chain():
    c = connect("embedded")
    yield c
    c.close()


@pytest.fixture(scope="module")
def lib(chain):
    return chain.contract("TestInputEncoding", chain.deploy("TestInputEncoding")).functions


@pytest.fixture(scope="module")
def catalog():
    from verifiers.catalog import Catalog

    return Catalog(())


def _x(n: int = 3) -> np.ndarray:
    return np.asarray(zoo.test_data(MODEL)[0][n:n + 1])


def test_int16BE_quantizedDigits_matchesCatalogEncode(lib, catalog):
    e, x = catalog.entry(MODEL), _x()
    scale = Fraction(e.program.slots[e.program.input_slot].scale)  # the float64 scale, exactly
    # x / scale as num / den in integers (x = k / 16 and scale = n / 2^m, both exact binary fractions)
    num = [int(Fraction(float(v)) * scale.denominator) for v in x.reshape(-1)]
    den = scale.numerator
    got = lib.quantized(num, den).call()
    assert got == e.encode(x, ResultKind.OUTPUT_ROOT)


@pytest.mark.parametrize("num, den", [(7, 2), (5, 2), (-7, 2), (-5, 2), (1, 3), (-2, 3), (0, 1), (10**9, 1),
                                      (-10**9, 1), (32767, 1), (-32768, 1), (65535, 2), (-65537, 2)])
def test_quantize_roundsHalfEvenAndClips_likeRuntime(lib, num, den):
    want = int(quantize(np.array([num / den]), 1.0)[0])
    assert lib.quantize(num, den).call() == want


def test_float32_bothOrders_matchCatalogEncode(lib, catalog):
    e, x = catalog.entry(MODEL + "@fast"), _x(5)
    bits = x.reshape(-1).view(np.uint32).tolist()
    assert lib.float32BE(bits).call() == e.encode(x, ResultKind.OUTPUT_ROOT)
    assert lib.float32LE(bits).call() == e.encode(x, ResultKind.ARGMAX)


def test_int64_tokenIds_bothOrders(lib):
    ids = np.array([0, 1, 255, 256, 50256, -1, -(2**63), 2**63 - 1], dtype=np.int64)
    assert lib.int64BE(ids.tolist()).call() == tensor_bytes(ids)  # exact programs' token-id slot
    assert lib.int64LE(ids.tolist()).call() == ids.astype("<i8").tobytes()  # ARGMAX: declared dtype, little-endian


@pytest.mark.parametrize("call, index", [
    (lambda f: f.int16BE([0, 32768]), 1),
    (lambda f: f.int16BE([-32769]), 0),
    (lambda f: f.int64LE([0, 0, 2**63]), 2),
    (lambda f: f.quantize(1, 0), 0),
], ids=["int16-high", "int16-low", "int64-high", "zero-denominator"])
def test_outOfRange_revertsByName(chain, lib, call, index):
    with pytest.raises(InputOutOfRange) as info:
        chain.call(call(lib))
    assert info.value.index == index


def test_gas_int16BE_digitsInput(lib):
    """Figure for the report: a 64-element exact input (digits-mlp) built on chain, quantized and encoded."""
    n = [1000 * i for i in range(64)]
    gas = lib.quantized(n, 7).estimate_gas()
    print(f"\nInputEncoding: quantize + int16BE of 64 elements, call estimate {gas:,} gas "
          f"(21,000 base + calldata included)")
    assert gas < 1_000_000
