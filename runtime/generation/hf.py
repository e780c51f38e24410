"""A Hugging Face model directory as Tribunal reads it: config.json, safetensors weights, tokenizer.

    d = HFDirectory.load("path/to/dir")      # or a zoo language model's folder
    d.family, d.config["n_embd"], d.weights["transformer.wte.weight"], d.tokenizer

Families: GPT-2 (`model_type` gpt2) and LLaMA (`model_type` llama, also mistral/qwen2-style
configs without biases). Weights are read with `safetensors` (numpy), the tokenizer with the
`tokenizers` library from tokenizer.json; a directory without one can generate from token ids
but not from text.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelFormatError

FAMILIES = {"gpt2": "gpt2", "llama": "llama", "mistral": "llama"}


class NoTokenizerError(ModelFormatError):
    """Raised when text is given to a model directory that has no tokenizer.json."""


def is_hf_directory(path) -> bool:
    p = Path(path)
    return p.is_dir() and (p / "config.json").is_file()


@dataclass
class HFDirectory:
    path: Path
    config: dict
    family: str
    weights: dict  # name -> float32 numpy array
    tokenizer: object | None  # tokenizers.Tokenizer

    @classmethod
    def load(cls, path) -> "HFDirectory":
        path = Path(path)
        try:
            config = json.loads((path / "config.json").read_text())
        except (OSError, ValueError) as e:
            raise ModelFormatError(f"'{path}': cannot read config.json: {e}") from None
        kind = config.get("model_type")
        if kind not in FAMILIES:
            raise ModelFormatError(f"'{path}': model_type '{kind}' is not a supported decoder "
                                   f"(have: {', '.join(sorted(FAMILIES))})")
        files = sorted(path.glob("*.safetensors"))
        if not files:
            raise ModelFormatError(f"'{path}': no .safetensors weights")
        from safetensors.numpy import load_file

        weights = {}
        for f in files:
            try:
                weights.update({k: v.astype(np.float32) for k, v in load_file(str(f)).items()})
            except Exception as e:  # noqa: BLE001 - a corrupt file: one line
                raise ModelFormatError(f"'{f}': cannot read safetensors: {str(e)[:120]}") from None
        tok = None
        if (path / "tokenizer.json").is_file():
            from tokenizers import Tokenizer

            try:
                tok = Tokenizer.from_file(str(path / "tokenizer.json"))
            except Exception as e:  # noqa: BLE001
                raise ModelFormatError(f"'{path}/tokenizer.json': {str(e)[:120]}") from None
        return cls(path, config, FAMILIES[kind], weights, tok)

    @property
    def vocab_size(self) -> int:
        return int(self.config["vocab_size"])

    @property
    def context(self) -> int:
        """The positions the model was built for (its position table, or its rope range)."""
        return int(self.config.get("n_positions") or self.config.get("max_position_embeddings") or 2048)

    @property
    def eos(self) -> int | None:
        e = self.config.get("eos_token_id")
        if isinstance(e, list):
            e = e[0] if e else None
        return None if e is None else int(e)

    def weight(self, *names: str) -> np.ndarray:
        """The first of `names` present (checkpoints differ in prefixes: 'transformer.', 'model.')."""
        for n in names:
            if n in self.weights:
                return self.weights[n]
        raise ModelFormatError(f"'{self.path}': missing weight {names[0]}")

    def encode(self, text: str) -> list[int]:
        if self.tokenizer is None:
            raise NoTokenizerError(f"model '{self.path.name}' has no tokenizer.json: give token ids, not a prompt")
        return list(self.tokenizer.encode(text).ids)

    def decode(self, ids) -> str:
        if self.tokenizer is None:
            return " ".join(str(int(i)) for i in ids)
        return self.tokenizer.decode([int(i) for i in ids], skip_special_tokens=False)
