"""The MODEL [--sample N | --input FILE] arguments that several commands share, and their resolution."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from runtime import zoo
from runtime.errors import InputShapeError, TribunalError
from runtime.model import Model


def add_model_input_args(p: argparse.ArgumentParser, profile: str = "fast") -> None:
    p.add_argument("model", metavar="MODEL", help=f"a zoo name ({', '.join(zoo.names())}) or a path to an .onnx file")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--sample", type=int, default=None, metavar="N",
                   help="the N-th input of the model's held-out split (zoo), or a seeded random input (file); default 0")
    g.add_argument("--input", type=Path, default=None, metavar="FILE.npy", help="an input array saved with numpy.save")
    p.add_argument("--calibration", type=Path, default=None, metavar="FILE.npy",
                   help="exact profile: sample inputs (.npy, stacked on axis 0) or a {tensor: max |value|} map (.json) "
                        "that fix the scales, and so the model id (default: the zoo's, or seeded random inputs)")


def sample_input(model: Model, n: int) -> np.ndarray:
    """Input number n: the zoo's test split, else a seeded random array of the declared shape (batch 1)."""
    if n < 0:
        raise InputShapeError(f"--sample must be >= 0, got {n}")
    if model.name in zoo.names():
        x, _ = zoo.test_data(model.name)
        if n >= len(x):
            raise InputShapeError(f"--sample {n} is out of range: '{model.name}' has {len(x)} test inputs")
        return x[n:n + 1]
    spec = model.spec
    rng = np.random.default_rng(n)
    if np.issubdtype(spec.dtype, np.integer):  # token ids within the embedding table
        return rng.integers(0, model.id_limit(), model.default_shape()).astype(spec.dtype)
    return rng.standard_normal(model.default_shape()).astype(spec.dtype)


def load_input(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise TribunalError(f"cannot read input '{path}': {e}") from None


def resolve(args, profile: str = "fast") -> tuple[Model, np.ndarray, str]:
    """(model, input, where the input came from) for parsed MODEL/--sample/--input arguments."""
    model = Model.load(args.model, profile=profile, calibration=getattr(args, "calibration", None))
    if getattr(args, "input", None) is not None:
        return model, load_input(args.input), str(args.input)
    n = args.sample if getattr(args, "sample", None) is not None else 0
    return model, sample_input(model, n), f"sample {n}"
