"""Text in, text out on the command line: `--prompt TEXT [--max-new-tokens N] [--seed S]` for
`tribunal run` (no chain) and `tribunal infer` (a mode); the text streams as tokens are chosen."""
from __future__ import annotations

import hashlib
import sys

import numpy as np

from contracts.bindings.brain import ResultKind
from runtime.errors import TribunalError
from runtime.tensor_root import tensor_root


def add_generation_args(p) -> None:
    p.add_argument("--prompt", default=None, metavar="TEXT",
                   help="generate from TEXT (a zoo language model such as code-lm, or a Hugging Face model directory)")
    p.add_argument("--max-new-tokens", type=int, default=16, metavar="N", help="with --prompt: tokens to generate")
    p.add_argument("--seed", type=int, default=None, metavar="S",
                   help="with --prompt: sample with this seed (same seed, same tokens); default greedy")


def load_generator(model: str):
    from runtime.generation.generator import Generator

    return Generator.load(model)


def streamer(gen, prompt: str, enabled: bool):
    """on_token for Generator.generate: writes each new piece of decoded text as it is chosen."""
    ids: list[int] = []
    shown = [0]
    if enabled:
        sys.stdout.write(prompt)
        sys.stdout.flush()

    def on_token(t: int) -> None:
        if not enabled or (gen.hf.eos is not None and gen.hf.eos in ids):
            return
        ids.append(t)
        text = gen.decode(ids)
        if not text.endswith("\ufffd"):  # wait for the rest of a split multibyte character
            sys.stdout.write(text[shown[0]:])
            sys.stdout.flush()
            shown[0] = len(text)
    return on_token


def run_generation(args) -> dict:
    if args.profile not in ("fast", "exact"):
        raise TribunalError(f"unknown profile '{args.profile}'")
    g = load_generator(args.model)
    req = g.request(args.prompt, max_new_tokens=args.max_new_tokens, seed=args.seed)
    device = args.device or "cpu"
    if device != "cpu":
        raise TribunalError("generation runs on the cpu here (--device cpu)")
    stream = not args.json
    result = g.generate(req, args.profile, args.backend, on_token=streamer(g, args.prompt, stream))
    if stream:
        sys.stdout.write("\n")
    out = {"model": g.name, "prompt": args.prompt, **result.as_dict()}
    out["steps"] = g.model_for(req).program(req.x.shape).steps if args.profile == "exact" else None
    return out


def render_generation(r, console) -> None:
    from rich.table import Table

    t = Table(show_header=False, title=f"{r['model']} ({r['profile']} profile)")
    for k in ("prompt_ids", "ids", "seed", "steps", "output_root"):
        if r.get(k) is not None:
            t.add_row(k, str(r[k]))
    t.add_row("seconds", f"{r['seconds']:.3f}")
    console.print(t)


# ---------------------------------------------------------------- generation requests in every mode
from verifiers.entry import FAST_SUFFIX, ModelEntry  # noqa: E402 - below the CLI helpers, which need none of it


class GenerationEntry(ModelEntry):
    """A catalog entry for one generation request shape: its program is the unrolled generation
    (runtime.generation), so every mode serves it like any model; what a person reads of a settled
    answer is the token ids and the decoded text."""

    KINDS = (ResultKind.OUTPUT_ROOT, ResultKind.TOKEN_IDS)

    def __init__(self, name: str, generator, model, exact: bool):
        super().__init__(name, model, exact)
        self.generator = generator

    def tokens(self, x, kind: ResultKind = ResultKind.OUTPUT_ROOT) -> tuple[np.ndarray, bytes | None]:
        """(the chosen ids, the output root the game disputes, or None for TOKEN_IDS): an exact
        generation's program, or for OUTPUT_ROOT in the fast profile (opml, hybrid) the float program,
        run node by node as its trace is; TOKEN_IDS (brain) takes the fast profile's session."""
        from runtime.ops.argmax import token_id

        x = self.check(x)
        if self.exact:
            out = np.asarray(self.program.run(self.model.quantize_input(x))[0])
            return token_id(out.reshape(-1).astype(np.int64), self.generator.hf.vocab_size), tensor_root(out)
        if kind == ResultKind.OUTPUT_ROOT:
            out = np.asarray(self.program.run(x)[0])
            return out.reshape(-1).astype(np.int64), tensor_root(out)
        return np.asarray(self.model.run_fast(x, device="cpu")[0]).reshape(-1), None

    def answer(self, tokens) -> dict:
        g = self.generator
        ids = [int(t) for t in np.asarray(tokens).reshape(-1)]
        if g.hf.eos is not None and g.hf.eos in ids:
            ids = ids[:ids.index(g.hf.eos) + 1]
        return {"ids": ids, "text": g.decode(ids)}

    def default_kind(self) -> ResultKind:
        """An exact generation settles its output root; a fast (float) one its TOKEN_IDS in brain."""
        return ResultKind.OUTPUT_ROOT if self.exact else ResultKind.TOKEN_IDS

    def honest(self, x, kind: ResultKind):
        """(the 32 bytes an honest member votes on, {"ids", "text"}): the output root, or for TOKEN_IDS
        sha256 of the generated ids (up to and including an end-of-sequence token) as big-endian uint32s."""
        if kind not in self.KINDS:
            raise TribunalError(f"result kind {ResultKind(kind).name} is not served for generation "
                                f"(output_root or token_ids)")
        key = (kind, hashlib.sha256(self.encode(x, kind)).digest())
        if key not in self._honest:
            ids, root = self.tokens(x, kind)
            answer = self.answer(ids)
            if kind == ResultKind.TOKEN_IDS:
                root = token_ids_hash(answer["ids"])
            self._honest[key] = (root, answer)
        return self._honest[key]

    def result(self, data: bytes, kind: ResultKind) -> bytes:
        if kind == ResultKind.TOKEN_IDS:
            return self.honest(self.decode(data, kind), kind)[0]
        return super().result(data, kind)

    def read(self, result: bytes, kind: ResultKind, x):
        honest, answer = self.honest(x, kind)
        return answer if bytes(result) == honest else None


def token_ids_hash(ids) -> bytes:
    """A TOKEN_IDS result (contracts/README.md, Result kinds): sha256 of the ids, each a big-endian uint32."""
    return hashlib.sha256(b"".join(int(i).to_bytes(4, "big") for i in ids)).digest()


def generation_entry(catalog, model: str, prompt: str | None = None, ids=None, max_new_tokens: int = 16,
                     seed: int | None = None):
    """(entry, input ids) for a generation request on `model` (a zoo language model or a Hugging Face
    directory; "NAME@fast" for the fast profile), registered in `catalog` under its shape's name so
    every party holding the catalog finds it by id. Raises before anything is sent."""
    fast = model.endswith(FAST_SUFFIX)
    base = model[:-len(FAST_SUFFIX)] if fast else model
    g = load_generator(base)
    req = g.request(prompt, ids=ids, max_new_tokens=max_new_tokens, seed=seed)
    m = g.model_for(req)
    name = m.name + (FAST_SUFFIX if fast else "")
    if name not in catalog._entries:
        catalog._entries[name] = _entry(name, g, m, fast)
        catalog.names = catalog.names + (name,)
    return catalog._entries[name], req.x


def shape_entry(name: str, lm: str, prompt_len: int, new_tokens: int, seed: int | None, fast: bool) -> GenerationEntry:
    """The entry of one generation shape of `lm`, as a node lists it (`tribunal node --models
    code-lm:p8:n16:greedy`): the same program, so the same model id, as the requester's
    `generation_entry` registers, so that node's members and watchers serve and check those requests."""
    g = load_generator(lm)
    return _entry(name, g, g.model(prompt_len, new_tokens, seed), fast)


def _entry(name: str, g, m, fast: bool) -> GenerationEntry:
    if not fast:
        m.program(m.default_shape())
    return GenerationEntry(name, g, m, not fast)
