"""`Generator`: a decoder language model as Tribunal serves it, text in, text out.

    g = Generator.load("code-lm")                   # a zoo language model, or a Hugging Face directory
    req = g.request("def main(", max_new_tokens=16)  # checks the request (GenerationInputError)
    gen = g.generate(req, profile="exact", backend="numpy", on_token=print)
    gen.ids, gen.text, gen.output_root

Each request shape (prompt length P, new tokens N, seed or greedy) is one `GenerationModel`: the
unrolled graph of runtime.generation.decoder, exported once (cached on disk beside the zoo) and
lowered like any ONNX model, so its exact program, trace, dispute game, modes and contracts are the
ones every model uses. Its calibration is fixed: 16 windows of P tokens of a fixed text (the
held-out file of code-lm's corpus) through the fast profile, or seeded ids without a tokenizer.
The result is the first N ids, cut after the first end-of-sequence token (the program still
computes all N: its output root commits to them).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import TribunalError, UnknownModelError
from ..lowering import lower
from ..model import Model
from ..onnx_io import input_specs, load_onnx
from ..program import Program
from .hf import HFDirectory, is_hf_directory

MAX_CACHE = 128
CALIBRATION_WINDOWS = 16


class GenerationInputError(TribunalError):
    """Raised when a generation request does not fit the model (empty prompt, past the cache, ...)."""


@dataclass(frozen=True)
class GenerationRequest:
    ids: tuple[int, ...]  # the prompt's token ids
    max_new_tokens: int
    seed: int | None = None  # None: greedy

    @property
    def x(self) -> np.ndarray:
        return np.array([self.ids], dtype=np.int64)


@dataclass
class Generation:
    request: GenerationRequest
    tokens: np.ndarray  # all N ids the program chose
    ids: list[int]  # the result: tokens cut after the first end-of-sequence id
    text: str
    profile: str
    output_root: bytes | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"prompt_ids": list(self.request.ids), "ids": self.ids, "text": self.text, "profile": self.profile,
                "seed": self.request.seed, "output_root": self.output_root.hex() if self.output_root else None,
                "seconds": round(self.seconds, 3)}


@dataclass
class GenerationModel(Model):
    """One request shape's unrolled graph; its exact program shares each weight among the steps."""

    prompt_len: int = 0
    new_tokens: int = 0

    def program(self, shape: tuple[int, ...]) -> Program:
        shape = tuple(int(d) for d in shape)
        if shape not in self._programs:
            self._ensure_calibrated()
            assert self.max_abs is not None  # INVARIANT: calibrated just above
            if self.cached_programs:  # a big model's (an int8 LLaMA-7B's): lowered once, then mapped
                from .. import program_cache

                entry = program_cache.key(self.fingerprint, self.graph_digest, self.spec.name, shape, self.max_abs,
                                          share_constants=True)
                self._programs[shape] = program_cache.cached(entry, lambda constants: lower(
                    self.proto, self.spec.name, shape, self.max_abs, self.base_dir, share_constants=True,
                    constants=constants))
            else:
                self._programs[shape] = lower(self.proto, self.spec.name, shape, self.max_abs, self.base_dir,
                                              share_constants=True)
        return self._programs[shape]

    def token_steps(self, program: Program | None = None) -> list[int]:
        """The step (1-based) at which each new token is chosen (its ArgMax node, or the last
        ArgMaxMerge of a vocabulary too large for one step), in order."""
        from ..ops.argmax import chooses_token

        program = program or self.program(self.default_shape())
        return [n.index + 1 for n in program.nodes if chooses_token(n)]


@dataclass
class Generator:
    hf: HFDirectory
    name: str
    cache_len: int
    _models: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, model: str | Path) -> "Generator":
        from .. import zoo

        if isinstance(model, str) and model in zoo.LANGUAGE_MODELS:
            path, name = zoo.lm_folder(model), model
        elif is_hf_directory(model):
            path, name = Path(model), Path(model).resolve().name
        else:
            raise UnknownModelError(f"'{model}' is neither a zoo language model ({', '.join(zoo.LANGUAGE_MODELS)}) "
                                    "nor a Hugging Face model directory (a folder with config.json)")
        hf = HFDirectory.load(path)
        return cls(hf, name, min(hf.context, MAX_CACHE))

    @property
    def has_tokenizer(self) -> bool:
        return self.hf.tokenizer is not None

    # ---- requests
    def request(self, prompt: str | None = None, ids=None, max_new_tokens: int = 16,
                seed: int | None = None) -> GenerationRequest:
        if prompt is not None:
            if not prompt:
                raise GenerationInputError("the prompt is empty")
            ids = self.hf.encode(prompt)
        ids = [int(i) for i in (ids if ids is not None else [])]
        if not ids:
            raise GenerationInputError("the prompt is empty (no tokens)")
        if any(i < 0 or i >= self.hf.vocab_size for i in ids):
            raise GenerationInputError(f"token ids must lie in [0, {self.hf.vocab_size})")
        if max_new_tokens < 1:
            raise GenerationInputError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        if max_new_tokens > self.cache_len - 1:
            raise GenerationInputError(f"max_new_tokens {max_new_tokens} is above the cache: at most {self.cache_len - 1} "
                                       f"(cache of {self.cache_len} positions)")
        if len(ids) + max_new_tokens - 1 > self.cache_len:
            raise GenerationInputError(f"the prompt ({len(ids)} tokens) and {max_new_tokens} new tokens do not fit the "
                                       f"cache of {self.cache_len} positions: at most {self.cache_len - max_new_tokens + 1} "
                                       "prompt tokens")
        if seed is not None and not 0 <= int(seed) < 2**63:
            raise GenerationInputError(f"the seed must lie in [0, 2^63), got {seed}")
        return GenerationRequest(tuple(ids), int(max_new_tokens), None if seed is None else int(seed))

    # ---- programs
    def key(self) -> str:
        """The weights' and config's digest: the on-disk cache key of exported graphs."""
        h = hashlib.sha256(json.dumps(self.hf.config, sort_keys=True).encode())
        for k in sorted(self.hf.weights):
            h.update(k.encode())
            h.update(self.hf.weights[k].tobytes())
        return h.hexdigest()[:16]

    def model(self, prompt_len: int, new_tokens: int, seed: int | None = None) -> GenerationModel:
        k = (prompt_len, new_tokens, seed)
        if k not in self._models:
            from ..zoo.cache import built
            from .decoder import Unrolled, export

            tag = "greedy" if seed is None else f"seed{seed}"
            folder = built(f"gen-{self.name}-{self.key()}-c{self.cache_len}-p{prompt_len}-n{new_tokens}-{tag}",
                           lambda out: export(Unrolled(self.hf, prompt_len, new_tokens, self.cache_len, seed),
                                              out / "model.onnx"))
            m = GenerationModel(load_onnx(folder / "model.onnx"), f"{self.name}:p{prompt_len}:n{new_tokens}:{tag}",
                                folder / "model.onnx", prompt_len=prompt_len, new_tokens=new_tokens)
            m.calibrate(self.calibration_samples(prompt_len))
            self._models[k] = m
        return self._models[k]

    def model_for(self, req: GenerationRequest) -> GenerationModel:
        return self.model(len(req.ids), req.max_new_tokens, req.seed)

    def calibration_samples(self, prompt_len: int) -> np.ndarray:
        if self.has_tokenizer:
            from ..zoo.lm import corpus_sample

            ids = np.array(self.hf.encode(corpus_sample()), dtype=np.int64)
            ids = ids[ids < self.hf.vocab_size]
            starts = np.linspace(0, max(0, len(ids) - prompt_len), CALIBRATION_WINDOWS).astype(int)
            if len(ids) >= prompt_len:
                return np.stack([ids[s:s + prompt_len] for s in starts])
        return np.random.default_rng(0).integers(0, self.hf.vocab_size, (CALIBRATION_WINDOWS, prompt_len)).astype(np.int64)

    # ---- generating
    def finish(self, req: GenerationRequest, tokens, profile: str, root: bytes | None = None,
               seconds: float = 0.0) -> Generation:
        tokens = np.asarray(tokens).reshape(-1).astype(np.int64)
        ids = [int(t) for t in tokens]
        eos = self.hf.eos
        if eos is not None and eos in ids:
            ids = ids[:ids.index(eos) + 1]
        return Generation(req, tokens, ids, self.decode(ids), profile, root, seconds)

    def decode(self, ids) -> str:
        eos = self.hf.eos
        return self.hf.decode([i for i in ids if i != eos])

    def generate(self, req: GenerationRequest, profile: str = "exact", backend: str = "numpy",
                 on_token: Callable[[int], None] | None = None) -> Generation:
        """Run the request's program; `on_token(id)` is called as each token is chosen (the exact
        profile streams; the fast profile runs the graph at once, then calls it per token)."""
        import time

        from ..backend import get_backend
        from ..tensor_root import tensor_root

        m = self.model_for(req)
        t0 = time.perf_counter()
        if profile == "fast":
            tokens = np.asarray(m.run_fast(req.x, device="cpu")[0])
            for t in tokens.reshape(-1):
                if on_token:
                    on_token(int(t))
            return self.finish(req, tokens, profile, None, time.perf_counter() - t0)
        if profile != "exact":
            raise TribunalError(f"unknown profile '{profile}' (fast or exact)")
        from ..ops.argmax import token_id

        bk = get_backend(backend)
        prog = m.program(req.x.shape)
        chosen = set(m.token_steps(prog))
        vocab = self.hf.vocab_size
        state: list = []
        for k, written, state in prog.states(m.quantize_input(req.x), bk):
            if k in chosen and on_token:
                on_token(int(token_id(int(bk.to_numpy(next(iter(written.values()))).reshape(-1)[0]), vocab)))
        out = bk.to_numpy(state[prog.output_slots[0]])
        return self.finish(req, token_id(out.astype(np.int64), vocab), profile, tensor_root(out),
                           time.perf_counter() - t0)


def input_names(model: Model) -> list[str]:
    return [s.name for s in input_specs(model.proto)]
