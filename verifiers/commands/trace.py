"""tribunal trace: run the exact profile and commit to every state S_0 .. S_N."""
from __future__ import annotations

import time

import numpy as np

from bisection import commit, trace

from ..inputs import add_model_input_args, resolve

NAME = "trace"
HELP = "run a model's exact program and commit to its whole execution trace (state roots S_0..S_N)"


def add_arguments(p) -> None:
    add_model_input_args(p, profile="exact")


def run(args) -> dict:
    model, x, source = resolve(args, profile="exact")
    x_q = model.quantize_input(x)
    program = model.program(x_q.shape)
    c = commit(program)  # registration-time work, not counted in the trace's seconds
    t0 = time.perf_counter()
    program.run(x_q)
    plain = time.perf_counter() - t0
    tr = trace.compute(program, x_q)
    return {
        "model": model.name, "input": source, "input_shape": list(np.shape(x)), "steps": tr.steps,
        "model_id": "0x" + c.model_id.hex(), "program_root": "0x" + c.program_root.hex(),
        "weights_root": "0x" + c.weights_root.hex(), "initial_root": "0x" + tr.root(0).hex(),
        "trace_root": "0x" + tr.final_root.hex(), "output_root": "0x" + tr.output_root().hex(),
        "seconds": tr.seconds, "plain_seconds": plain, "bytes_hashed": tr.bytes_hashed,
        "states": [{"step": k, "op": "" if k == 0 else program.nodes[k - 1].op,
                    "node": "" if k == 0 else program.nodes[k - 1].name, "root": "0x" + tr.root(k).hex()}
                   for k in range(tr.steps + 1)],
    }


def render(r, console) -> None:
    from rich.table import Table

    t = Table(title=f"trace of {r['model']} ({r['input']}): {r['steps']} steps")
    t.add_column("step", justify="right")
    t.add_column("op")
    t.add_column("node")
    t.add_column("state root", overflow="fold")  # a narrow terminal folds a root, never cuts it
    for s in r["states"]:
        t.add_row(str(s["step"]), s["op"], s["node"], s["root"])
    console.print(t)
    s = Table(show_header=False)
    s.add_column()
    s.add_column(overflow="fold")
    for k in ("model_id", "program_root", "weights_root", "trace_root", "output_root", "bytes_hashed"):
        s.add_row(k, str(r[k]))
    s.add_row("seconds", f"{r['seconds']:.6f} (plain exact run {r['plain_seconds']:.6f})")
    console.print(s)
