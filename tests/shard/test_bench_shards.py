"""benchmarks.shards --realsize (benchmarks/shards_realsize.py): its code path on gpt2-tiny by default, on
GPT-2 124M with TRIBUNAL_REALSIZE=1 (the figures, then a lie in the middle shard disputed on anvil)."""
from __future__ import annotations

import pytest

from benchmarks import shards_realsize
from contracts.chain.anvil import anvil_binary
from runtime.model import Model
from runtime.proof_cost import BYTES_BOUND, GAS_BOUND
from runtime.shards import InvalidCut, even_cuts


def check_figures(f: dict, ks, min_agreement: float) -> None:
    pos = f["positions"]
    for k in ks:
        r = f["ks"][k]
        assert len(r["cuts"]) == k - 1 and len(r["bytes"]) == k - 1 and len(r["weights_mib"]) == k
        # block-64 packing: int8 pairs in int16 plus a shift per block, just over half the raw int16 bytes
        assert all(r["raw"][j] / 2 < r["bytes"][j] < r["raw"][j] * 0.55 for j in range(k - 1)), (r["bytes"], r["raw"])
        assert min_agreement <= r["agree"] / pos <= 1 and 0 <= r["worst"] < 1, r
        assert 0 < r["float_agree"] <= pos and r["sharded_ms"] > 0
        assert r["onestep"].fits and r["onestep"].gas < GAS_BOUND and r["onestep"].tx_bytes < BYTES_BOUND
    assert f["whole_ms"] > 0 and f["float"] is not None


def test_shardsRealsizeFigures_onGpt2Tiny_compressedBoundariesAgreeWithTheUnshardedProgram():
    f = shards_realsize.figures(8, ks=(3, 4), samples=2, model="gpt2-tiny")
    check_figures(f, (3, 4), 0.9)


def test_evenCuts_among_choosesOnlyThoseCandidates_andRefusesAnInvalidOne():
    program = Model.load("gpt2-tiny", profile="exact").program((1, 8))
    assert even_cuts(program, 3, among=(72, 37)) == (37, 72)  # the layer ends of tests/shard/test_shards.py
    assert even_cuts(program, 2, among=(2, 28)) in ((2,), (28,))
    with pytest.raises(InvalidCut, match="values are live"):
        even_cuts(program, 2, among=(20,))
    with pytest.raises(InvalidCut, match="3 shards need 2"):
        even_cuts(program, 3, among=(37,))


def test_shardsRealsize_badArguments_oneLineExitStatus2(capsys):
    with pytest.raises(SystemExit) as e:
        shards_realsize.main(["--ks", "1"])
    assert e.value.code == 2 and "--ks at least 2" in capsys.readouterr().err


@pytest.mark.realsize
@pytest.mark.anvil
@pytest.mark.skipif(not anvil_binary().exists(), reason="run `npm ci` for anvil")
def test_gpt2_124M_threeShards_lieInTheMiddleShardLosesOnAnvil_everyTransactionInBounds():
    from benchmarks.shard_chain import chain_figures

    f = shards_realsize.figures(8, ks=(3,), samples=4)
    check_figures(f, (3,), 0.9)
    c = chain_figures(f["path"], (1, 8), f["cuts3"], "anvil", timeout=1800.0)
    assert c["final"] == "final" and c["game_moves"] <= c["game_bound"], c
    assert c["largest_bytes"] < BYTES_BOUND and c["largest_gas"][1] < GAS_BOUND, c
    assert any(name == "Stepped" for name, _, _ in c["moves"]), c["moves"]  # won by the one-step proof
