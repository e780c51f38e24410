"""Generation from Hugging Face directories: the unrolled graph against transformers, exact tokens
the same on every backend and thread count, seeded sampling, and bad requests."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.generation.generator import GenerationInputError, Generator
from runtime.generation.hf import NoTokenizerError

PROMPT = "def add(a, b):"
N = 5  # one request shape per model and seed: each is one export


@pytest.fixture(scope="module")
def gens(hf_dirs):
    return {k: Generator.load(v) for k, v in hf_dirs.items()}


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_hfDirectory_unrolledGraph_fastTokens_equalTransformersGreedy(gens, hf_dirs, family):
    import torch
    from transformers import AutoModelForCausalLM

    g = gens[family]
    req = g.request(PROMPT, max_new_tokens=N)
    net = AutoModelForCausalLM.from_pretrained(hf_dirs[family]).eval()
    ref = net.generate(torch.tensor([req.ids]), max_new_tokens=N, min_new_tokens=N, do_sample=False,
                       pad_token_id=0)[0, len(req.ids):].tolist()
    fast = g.generate(req, "fast")
    assert fast.tokens.tolist() == ref
    assert len(set(ref)) > 1  # the seeded weights do not collapse to one token


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_exactTokens_identicalAcrossBackendsAndThreads_andCloseToFast(gens, family):
    import torch

    g = gens[family]
    req = g.request(PROMPT, max_new_tokens=N)
    runs = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for backend in ("numpy", "torch"):
            runs.append(g.generate(req, "exact", backend))
    assert all(r.tokens.tolist() == runs[0].tokens.tolist() and r.output_root == runs[0].output_root for r in runs)
    assert runs[0].text == g.decode(runs[0].ids)


def test_exact_streamsEachTokenAsChosen_inOrder(gens):
    g = gens["llama"]
    req = g.request(PROMPT, max_new_tokens=N)
    seen = []
    gen = g.generate(req, "exact", on_token=seen.append)
    assert seen == gen.tokens.tolist() and len(seen) == N


def test_seededSampling_sameSeedSameTokens_otherSeedOtherTokens_exactAgreesAcrossBackends(gens):
    g = gens["llama"]
    a = g.generate(g.request(PROMPT, max_new_tokens=N, seed=7), "exact")
    b = g.generate(g.request(PROMPT, max_new_tokens=N, seed=7), "exact", "torch")
    greedy = g.generate(g.request(PROMPT, max_new_tokens=N), "exact")
    other = g.generate(g.request(PROMPT, max_new_tokens=N, seed=8), "exact")
    assert a.tokens.tolist() == b.tokens.tolist()
    assert a.tokens.tolist() != other.tokens.tolist() or a.tokens.tolist() != greedy.tokens.tolist()


def test_program_isOneLongProgram_sharingWeightsAcrossSteps(gens):
    g = gens["gpt2"]
    req = g.request(PROMPT, max_new_tokens=N)
    m = g.model_for(req)
    prog = m.program(req.x.shape)
    steps = m.token_steps(prog)
    assert len(steps) == N and steps == sorted(steps)
    assert prog.nodes[prog.steps - 1].op == "Concat"  # the ids, the program's output
    weights = [s for s in prog.slots if s.kind == "constant" and s.dtype == "int8"]
    assert len({s.name for s in weights}) == len(weights)  # no weight stored once per token


@pytest.mark.parametrize("kw,match", [
    (dict(prompt=""), "prompt is empty"),
    (dict(prompt="x" * 200), "do not fit the cache"),
    (dict(prompt=PROMPT, max_new_tokens=40), "above the cache"),
    (dict(prompt=PROMPT, max_new_tokens=0), "at least 1"),
    (dict(ids=[5, 999]), r"token ids must lie in \[0, 300\)"),
])
def test_badRequest_oneClearError(gens, kw, match):
    with pytest.raises(GenerationInputError, match=match):
        gens["gpt2"].request(**kw)


def test_noTokenizer_promptRefused_idsServed(gens):
    g = gens["bare"]
    with pytest.raises(NoTokenizerError, match="no tokenizer"):
        g.request(PROMPT)
    gen = g.generate(g.request(ids=[3, 4, 5], max_new_tokens=2), "exact")
    assert len(gen.tokens) == 2


def test_vocabularyAbove32767_idsStoredOffset_exactEqualsFastAcrossBackends(tmp_path):
    """GPT-2's 50257-token vocabulary does not fit int16 ids: ArgMax stores id - 32768 and the embedding
    Gather reads a table rolled to match (runtime/ops/argmax.py); tokens above 32767 come back intact."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    net = GPT2LMHeadModel(GPT2Config(vocab_size=40000, n_positions=16, n_embd=16, n_layer=1, n_head=2))
    with torch.no_grad():
        for p in net.parameters():
            if p.dim() == 2:
                p.normal_(0, 0.3)
        net.transformer.wte.weight[32768:] *= 3  # the chosen ids lie above int16's range
    net.eval().save_pretrained(tmp_path)
    g = Generator.load(tmp_path)
    req = g.request(ids=[39000, 5, 33000], max_new_tokens=3)
    fast, exact, torch_ = g.generate(req, "fast"), g.generate(req, "exact"), g.generate(req, "exact", "torch")
    assert exact.tokens.tolist() == fast.tokens.tolist() == torch_.tokens.tolist()
    assert min(exact.tokens) > 32767
