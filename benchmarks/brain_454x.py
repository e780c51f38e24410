"""The BRAIN paper's 454.4293x, measured with a real language model (benchmarks/scenarios/paper_454x.py).

    python -m benchmarks.brain_454x                        GPT-2 124M (its config, seeded weights), 32 new tokens
    python -m benchmarks.brain_454x --model code-lm        the zoo's trained LM (milliseconds a generation)
    python -m benchmarks.brain_454x --model llama1b --new-tokens 2 --members unbounded --warmup 60 --seconds 150
                                                           TinyLlama-1.1B's shape, int8 (runtime.zoo.llama), no KV cache
    python -m benchmarks.brain_454x --rates 5 20 --seconds 30 --warmup 10 --json > run.json
    python -m benchmarks.brain_454x --markdown gpt2.json llama.json    the report's tables from saved runs

Single-phase puts each request's generation, run here for real, on the critical path of the block that
carries it; two-phase serves the same seeded request stream with committees generating off chain (each
member taking the time this machine measured for that prompt). Prints the ratio of their peak tasks per
second beside the paper's, with the generation times that drive it. anvil from node_modules.
"""
from __future__ import annotations

import argparse
import json
import sys

from benchmarks.scenarios import paper_454x as exp

GPT2 = "gpt2-124m"
LLAMA = "llama1b"
MEMBERS = {"unbounded": (None,), "1": (1,), "both": (None, 1)}


def gpt2_124m_folder():
    """GPT2Config()'s 124M model with seeded weights (benchmarks.generation), built once in the zoo cache."""
    from benchmarks.generation import gpt2_124m
    from runtime.zoo.cache import built

    return built("gpt2-124m-seeded-v1", gpt2_124m)


def llama1b_graph():
    """TinyLlama-1.1B's shape with seeded int8 weights (runtime.zoo.llama), built once in the zoo cache."""
    from benchmarks.exact_real import llama_folder

    return llama_folder(LLAMA) / "model.onnx"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=GPT2, help=f"{GPT2}, {LLAMA}, a zoo language model (code-lm), a Hugging Face "
                                                 "folder or an ONNX logits graph (.onnx)")
    p.add_argument("--rates", type=float, nargs="+", default=[5.0, 20.0], metavar="R", help="requests per second")
    p.add_argument("--warmup", type=float, default=10.0, metavar="S")
    p.add_argument("--seconds", type=float, default=30.0, metavar="S", help="measured seconds per phase")
    p.add_argument("--prompts", type=int, default=8, metavar="N", help="distinct prompts in the request stream")
    p.add_argument("--prompt-len", type=int, default=8, metavar="N", help="prompt tokens")
    p.add_argument("--new-tokens", type=int, default=32, metavar="N")
    p.add_argument("--members", choices=list(MEMBERS), default="both",
                   help="two-phase members: as many generations at once as given (unbounded), one at a time, or both")
    p.add_argument("--json", action="store_true")
    p.add_argument("--markdown", nargs="+", metavar="FILE", help="print the report's tables of runs saved with --json")
    args = p.parse_args(argv)
    if args.markdown:
        try:
            runs = [json.loads(open(f).read()) for f in args.markdown]
            print(markdown(runs))
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"brain_454x: --markdown: {e.__class__.__name__}: {e}", file=sys.stderr)
            return 2
        return 0
    bad = ([f"--rates must be positive, got {r:g}" for r in args.rates if r <= 0]
           + [f"--{k} must be positive, got {v:g}" for k, v in (("seconds", args.seconds), ("prompts", args.prompts),
                                                                ("prompt-len", args.prompt_len),
                                                                ("new-tokens", args.new_tokens)) if v <= 0]
           + ([f"--warmup must not be negative, got {args.warmup:g}"] if args.warmup < 0 else []))
    if bad:
        print(f"brain_454x: {bad[0]}", file=sys.stderr)
        return 2
    from runtime.errors import TribunalError

    try:
        model = {GPT2: gpt2_124m_folder, LLAMA: llama1b_graph}.get(args.model, lambda: args.model)()
        r = exp.experiment(model, args.rates, args.warmup, args.seconds, prompts=args.prompts,
                           prompt_len=args.prompt_len, new_tokens=args.new_tokens, member_slots=MEMBERS[args.members],
                           progress=lambda m: print(m, file=sys.stderr if args.json else sys.stdout, flush=True))
    except TribunalError as e:
        print(f"brain_454x: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(r, indent=1))
        return 0
    pool = r["pool_generation_s"]
    print(f"--- {r['model']}: {r['new_tokens']} new tokens after {r['prompt_len']} prompt tokens; generation "
          f"{min(pool):.3f}-{max(pool):.3f} s (pool mean {sum(pool) / len(pool):.3f} s, single-phase live mean "
          f"{r['single_generation_s_mean'] or 0:.3f} s + {r['single_overhead_s']:.3f} s signatures and sending); "
          f"load {r['load']:.1f}")
    print(f"single-phase peak: {r['single_tasks_per_s']:.2f} tasks/s")
    for key, v in r["ratios"].items():
        print(f"two-phase ({key}) peak: {v['two_tasks_per_s']:.2f} tasks/s; measured ratio {v['ratio']:.1f}x "
              f"(paper {exp.PAPER_RATIO}x); the paper's ratio needs {_needs(r, key)}")
    return 0


def _needs(r: dict, key: str) -> str:
    """What the paper's ratio needs, in words, for one member capacity (derived again from the run)."""
    v = r["ratios"][key]
    slots = None if key == "members unbounded" else int(key.split()[1])
    v = exp.paper_needs(v["two_tasks_per_s"], r["single_generation_s_mean"], r["single_overhead_s"], slots)
    nodes = r["nodes"]
    if v.get("generation_s_for_paper") is not None:
        return f"{v['generation_s_for_paper']:.1f} s"
    if "ratio_bound" in v:
        return (f"never with {nodes} nodes (at most {v['ratio_bound']:.1f}x); "
                f"{v['nodes_for_paper']:,} nodes")
    return "-"


def markdown(runs: list[dict]) -> str:
    """The report's tables: one row per run, then every phase."""
    seen: dict[str, int] = {}
    for r in runs:  # a model measured more than once: its runs numbered
        seen[r["model"]] = n = seen.get(r["model"], 0) + 1
        again = sum(x["model"] == r["model"] for x in runs) > 1
        r["label"] = r["model"] + (f" (run {n})" if again else "")
    rows = ["| model | tokens (prompt + new) | generation, s (pool; live single-phase) | single-phase tasks/s "
            "| two-phase tasks/s | measured ratio | what the paper's 454.4293x needs | load at the end |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in runs:
        pool = r["pool_generation_s"]
        for key, v in r["ratios"].items():
            rows.append(f"| {r['label']} | {r['prompt_len']} + {r['new_tokens']} | {min(pool):.2f}-{max(pool):.2f}; "
                        f"{r['single_generation_s_mean']:.2f} | {r['single_tasks_per_s']:.3f} | "
                        f"{v['two_tasks_per_s']:.2f} ({key}) | **{v['ratio']:.1f}x** | "
                        f"{_needs(r, key)} | {r['load']:.1f} |")
    rows += ["", "| model | mode | members | offered /s | tasks /s | done in window | p50 latency s | mean block s "
             "| transfers /s | timed out |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in runs:
        for ph in r["phases"]:
            members = "-" if ph["mode"] == "single-phase" else (
                "unbounded" if ph["member slots"] is None else f"{ph['member slots']} at a time")
            lat = f"{ph['latency_p50_s']:.1f}" if ph["latency_p50_s"] is not None else "-"
            blk = f"{ph['block_s_mean']:.2f}" if ph["block_s_mean"] is not None else "-"
            rows.append(f"| {r['label']} | {ph['mode']} | {members} | {ph['rate']:g} | {ph['tasks_per_s']:.3f} | "
                        f"{ph['completed']} | {lat} | {blk} | {ph['transfers_per_s']:.1f} | {ph['timed_out']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
