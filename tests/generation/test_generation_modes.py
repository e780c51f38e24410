"""A prompt served in every mode on the embedded chain and on anvil (started here, on a free loopback
port; a three-token completion keeps it fast): the verdict carries the honest token ids and
text; a lying brain majority wins in brain and is overturned in hybrid; a submitter that changes a
token loses its opML game. The CLI refuses bad generation input before deploying anything."""
from __future__ import annotations

import pytest

from verifiers import Tribunal
from verifiers.cli import main

PROMPT, N = "def add(a, b):", 3


CHAINS = ["embedded", pytest.param("anvil", marks=[pytest.mark.anvil, pytest.mark.slow])]


@pytest.fixture(scope="module", params=CHAINS)
def tribunal(request):
    with Tribunal.connect(request.param, committee=3) as t:
        yield t


@pytest.fixture(scope="module")
def honest(hf_dirs):
    from runtime.generation.generator import Generator

    g = Generator.load(hf_dirs["gpt2"])
    gen = g.generate(g.request(PROMPT, max_new_tokens=N), "exact")
    return {"ids": gen.ids, "text": gen.text}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["brain", "opml", "hybrid", "single-phase", "auto"])
def test_everyMode_servesAPrompt_verdictCarriesHonestIdsAndText(tribunal, hf_dirs, honest, mode):
    tribunal.set_cheats()
    v = tribunal.infer(str(hf_dirs["gpt2"]), prompt=PROMPT, max_new_tokens=N, mode=mode).wait()
    assert v.status == "final" and v.output == honest and not v.wrong_answer, (v.status, v.reason)


@pytest.mark.slow
def test_lyingMajority_winsInBrain_overturnedInHybrid(tribunal, hf_dirs, honest):
    tribunal.set_cheats(liars=2)
    try:
        brain = tribunal.infer(str(hf_dirs["gpt2"]), prompt=PROMPT, max_new_tokens=N, mode="brain").wait()
        hybrid = tribunal.infer(str(hf_dirs["gpt2"]), prompt=PROMPT, max_new_tokens=N, mode="hybrid").wait()
    finally:
        tribunal.set_cheats()
    assert brain.status == "final" and brain.wrong_answer
    assert hybrid.status == "final" and hybrid.output == honest and not hybrid.wrong_answer


@pytest.mark.slow
def test_opml_submitterChangesTheTokens_losesItsGame_honestTextFinal(tribunal, hf_dirs, honest):
    tribunal.set_cheats(submitter="wrong-output")
    try:
        v = tribunal.infer(str(hf_dirs["gpt2"]), prompt=PROMPT, max_new_tokens=N, mode="opml").wait()
    finally:
        tribunal.set_cheats()
    assert v.status == "final" and v.output == honest
    assert any(g["winner"] == "challenger" for g in v.evidence["games"])


@pytest.mark.parametrize("args,match", [
    (["--prompt", ""], "the prompt is empty"),
    (["--prompt", "def", "--max-new-tokens", "99"], "above the cache"),
])
def test_cli_infer_badPrompt_oneLine_exit2_nothingDeployed(hf_dirs, capsys, monkeypatch, args, match):
    import verifiers.api

    monkeypatch.setattr(verifiers.api.Tribunal, "connect", lambda *a, **k: pytest.fail("deployed on bad input"))
    assert main(["infer", str(hf_dirs["gpt2"]), *args]) == 2
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1


def test_cli_infer_promptWithoutTokenizer_oneLine_exit2(hf_dirs, capsys):
    assert main(["infer", str(hf_dirs["bare"]), "--prompt", "hello"]) == 2
    assert "no tokenizer" in capsys.readouterr().err


@pytest.mark.slow
def test_brain_fastProfile_votesOnTokenIds_verdictCarriesTheFastText(tribunal, hf_dirs):
    """A float model's generation is voted on by TOKEN_IDS: sha256 of its ids as big-endian uint32s."""
    import hashlib

    from runtime.generation.generator import Generator

    g = Generator.load(hf_dirs["gpt2"])
    gen = g.generate(g.request(PROMPT, max_new_tokens=N), "fast")
    want = "0x" + hashlib.sha256(b"".join(int(i).to_bytes(4, "big") for i in gen.ids)).hexdigest()
    tribunal.set_cheats()
    v = tribunal.infer(str(hf_dirs["gpt2"]) + "@fast", prompt=PROMPT, max_new_tokens=N, mode="brain").wait()
    assert v.status == "final" and v.output == {"ids": gen.ids, "text": gen.text}, (v.status, v.reason)
    assert v.evidence["result_kind"] == "TOKEN_IDS" and v.evidence["result"] == want
    tribunal.set_cheats(liars=2)
    try:
        lied = tribunal.infer(str(hf_dirs["gpt2"]) + "@fast", prompt=PROMPT, max_new_tokens=N, mode="brain").wait()
    finally:
        tribunal.set_cheats()
    assert lied.status == "final" and lied.wrong_answer and lied.evidence["result"] != want


@pytest.fixture(scope="module")
def fast_honest(hf_dirs):
    from runtime.generation.generator import Generator

    g = Generator.load(hf_dirs["gpt2"])
    gen = g.generate(g.request(PROMPT, max_new_tokens=N), "fast")
    return {"ids": gen.ids, "text": gen.text}


@pytest.mark.slow
def test_fastProfile_opml_claimsTheFloatGeneration_aChangedTokenLosesToTheJury(tribunal, hf_dirs, fast_honest):
    """A float model's generation in opml: the claim is the float program's output root (its tokens);
    a submitter that changes them loses the game, whose disputed float step a jury judges."""
    model = str(hf_dirs["gpt2"]) + "@fast"
    tribunal.set_cheats()
    v = tribunal.infer(model, prompt=PROMPT, max_new_tokens=N, mode="opml").wait()
    assert v.status == "final" and v.output == fast_honest and not v.wrong_answer, (v.status, v.reason)
    tribunal.set_cheats(submitter="wrong-output")
    try:
        lied = tribunal.infer(model, prompt=PROMPT, max_new_tokens=N, mode="opml").wait()
    finally:
        tribunal.set_cheats()
    assert lied.status == "final" and lied.output == fast_honest and not lied.wrong_answer, (lied.status, lied.reason)
    games = lied.evidence["games"]
    assert any(g["winner"] == "challenger" and g.get("jury") for g in games), games


@pytest.mark.slow
def test_fastProfile_hybrid_lyingMajorityOverturned_byTheFloatGame(tribunal, hf_dirs, fast_honest):
    tribunal.set_cheats(liars=2)
    try:
        v = tribunal.infer(str(hf_dirs["gpt2"]) + "@fast", prompt=PROMPT, max_new_tokens=N, mode="hybrid").wait()
    finally:
        tribunal.set_cheats()
    assert v.status == "final" and v.output == fast_honest and not v.wrong_answer, (v.status, v.reason)
    assert any(g["winner"] == "challenger" and g.get("jury") for g in v.evidence["games"]), v.evidence["games"]
