"""`tribunal run MODEL --prompt TEXT`: streams text, --json, and bad input as one line with exit 2."""
from __future__ import annotations

import json

import pytest

from verifiers.cli import main


def test_run_prompt_streamsTheCompletion_thenTheTable(hf_dirs, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(hf_dirs["llama"]), "--prompt", "def add(a, b):", "--max-new-tokens", "5",
                 "--profile", "exact"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("def add(a, b):") and "output_root" in out


def test_run_prompt_json_carriesIdsAndText(hf_dirs, capsys):
    assert main(["run", str(hf_dirs["llama"]), "--prompt", "def add(a, b):", "--max-new-tokens", "5", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert len(r["ids"]) <= 5 and isinstance(r["text"], str) and r["profile"] == "fast"


@pytest.mark.parametrize("args,match", [
    (["--prompt", ""], "the prompt is empty"),
    (["--prompt", "x" * 100], "do not fit the cache"),
    (["--prompt", "def", "--max-new-tokens", "99"], "above the cache"),
])
def test_run_badPrompt_oneLine_exit2(hf_dirs, capsys, args, match):
    assert main(["run", str(hf_dirs["gpt2"]), *args]) == 2
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1


def test_run_prompt_modelWithoutTokenizer_oneLine_exit2(hf_dirs, capsys):
    assert main(["run", str(hf_dirs["bare"]), "--prompt", "hello"]) == 2
    err = capsys.readouterr().err
    assert "no tokenizer" in err and len(err.strip().splitlines()) == 1
