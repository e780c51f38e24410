"""Text in, text out on the command line: `--prompt TEXT [--max-new-tokens N] [--seed S]` for
`tribunal run` (no chain) and `tribunal infer` (a mode); the text streams as tokens are chosen."""
from __future__ import annotations

import sys

from runtime.errors import TribunalError


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
