"""The model zoo: real ONNX models built locally on first use and cached (no hub downloads).

- digits-mlp, digits-cnn, digits-resnet: classifiers trained with fixed seeds on scikit-learn's handwritten digits
  (8x8 images, pixels scaled to [0, 1]); a held-out test split is stored with each model.
- gpt2-tiny: a GPT-2 from a transformers config with seeded weights, exported with torch (fast
  profile and exact profile: int64 token ids in, logits out).
- code-lm: a language model (GPT-2, 2 layers, 128 wide, 512-token byte-level BPE) trained here on
  Python's standard library sources: a Hugging Face model directory (runtime.generation), not an
  ONNX file; `lm_folder` builds it.
- toy: a dozen nodes written with onnx.helper covering every exact op but Conv and MaxPool, with a
  shape-only subgraph to fold; small enough for game tests.
Each entry's folder holds model.onnx, calibration.json (the registered scales) and data.npz
(x_test, y_test). The zoo knows files only; `runtime.model.Model.load(name)` makes a model of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import UnknownModelError
from .cache import built


@dataclass(frozen=True)
class Entry:
    name: str
    description: str
    version: int  # bump when the build changes, so caches rebuild
    build: Callable[[Path], None]
    exact: bool  # whether the exact profile covers it


def _digits(kind):
    def build(out: Path) -> None:
        from .digits import build as b

        b(kind, out)
    return build


def _gpt2(out: Path) -> None:
    from .gpt2 import build

    build(out)


def _toy(out: Path) -> None:
    from .toy import build

    build(out)


ENTRIES = {e.name: e for e in [
    Entry("digits-mlp", "MLP 64-64-32-10 on sklearn digits (Gemm, Relu)", 1, _digits("mlp"), True),
    Entry("digits-cnn", "CNN conv8-pool-conv16-pool-fc32-fc10 on sklearn digits", 1, _digits("cnn"), True),
    Entry("digits-resnet", "ResNet on sklearn digits: conv16-BN, 2 residual blocks (BN, 1x1 shortcut), avgpool, fc10", 1,
          _digits("resnet"), True),
    Entry("gpt2-tiny", "GPT-2, 2 layers, 64 wide, 256-token vocab, seeded weights, token-id input", 1, _gpt2, True),
    Entry("toy", "12-node float graph covering the exact ops but Conv/MaxPool", 1, _toy, True),
]}


def _lm(out: Path) -> None:
    from .lm import build

    build(out)


LANGUAGE_MODELS = {e.name: e for e in [
    Entry("code-lm", "GPT-2 LM, 2 layers, 128 wide, 512-token BPE, trained on the Python stdlib (HF directory)", 1,
          _lm, True),
]}


def lm_folder(name: str) -> Path:
    """The Hugging Face directory of a zoo language model, built on first use."""
    e = LANGUAGE_MODELS[name]
    return built(f"{e.name}-v{e.version}", e.build)


def names() -> list[str]:
    return list(ENTRIES)


def entry(name: str) -> Entry:
    if name not in ENTRIES:
        raise UnknownModelError(f"no zoo model '{name}' (have: {', '.join(ENTRIES)})")
    return ENTRIES[name]


def folder(name: str) -> Path:
    e = entry(name)
    return built(f"{e.name}-v{e.version}", e.build)


def test_data(name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(inputs, labels or None) of the held-out split stored with the model."""
    with np.load(folder(name) / "data.npz") as z:
        return z["x_test"], (z["y_test"] if "y_test" in z.files else None)
