"""`tribunal prove` and `bisection.commitments.element_proof`: the proof OutputProof.int16At checks (the chain
side: tests/contracts/test_output_proof.py)."""
from __future__ import annotations

import hashlib
import json

import numpy as np

from bisection.commitments import element_proof
from bisection.merkle import fold
from runtime.model import Model
from runtime.tensor_root import tensor_bytes, tensor_root
from verifiers.cli import main
from verifiers.inputs import sample_input


def test_elementProof_manyChunks_foldsToTensorRoot():
    out = np.random.default_rng(5).integers(-32768, 32768, size=(3, 1000), dtype=np.int16)  # 6,000 bytes: 8 chunks
    for index in (0, 511, 512, 2999):
        p = element_proof(out, index)
        assert len(p.path) == 3 and p.chunk_index == index * 2 // 1024
        assert fold(hashlib.sha256(p.chunk).digest(), p.chunk_index, list(p.path)) == tensor_root(out)
        at = index * 2 % 1024
        assert int.from_bytes(p.chunk[at:at + 2], "big", signed=True) == out.reshape(-1)[index] == p.value


def test_prove_json_elementOfExactOutput_andHumanTableShowsWholeRoot(capsys):
    assert main(["prove", "digits-mlp", "--sample", "13", "--element", "7", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    m = Model.load("digits-mlp", profile="exact")
    want = m.run_exact(sample_input(m, 13))
    out = np.asarray(want.outputs[0])
    assert r["output_root"] == "0x" + tensor_root(out).hex() and r["count"] == 10 and r["path"] == []
    assert r["value_int16"] == out.reshape(-1)[7] and r["label"] == int(out.argmax())
    assert r["scale_wad"] == round(want.scales[0] * 10**18)
    assert r["output_bytes"] == "0x" + tensor_bytes(out).hex()
    assert main(["prove", "digits-mlp", "--sample", "13", "--element", "7"]) == 0
    assert r["output_root"][2:] in capsys.readouterr().out.replace("│", "").replace("\n", "").replace(" ", "")


def test_prove_elementPastOutput_refusedWithOneLine(capsys):
    assert main(["prove", "digits-mlp", "--element", "10"]) == 2
    assert "outside the output's 10 elements" in capsys.readouterr().err
