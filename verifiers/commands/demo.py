"""tribunal demo: the main demo. For now: the runtime's two profiles on a zoo model, side by side."""
from __future__ import annotations

import numpy as np

from runtime import zoo
from runtime.model import Model

NAME = "demo"
HELP = "the main demo: a zoo model under the fast and the exact profile"


def add_arguments(p) -> None:
    p.add_argument("--model", default="digits-mlp", choices=[n for n, e in zoo.ENTRIES.items() if e.exact])
    p.add_argument("--samples", type=int, default=8, help="how many test inputs to show")


def run(args) -> dict:
    m = Model.load(args.model, profile="exact")
    x, y = zoo.test_data(args.model)
    x = x[: max(1, args.samples)]
    fast = m.run_fast(x)[0]
    r = m.run_exact(x)
    exact = r.floats()[0]
    rows = []
    for i in range(len(x)):
        rows.append({"sample": i, "label": None if y is None else int(y[i]), "fast_top1": int(fast[i].argmax()),
                     "exact_top1": int(exact[i].argmax()),
                     "exact_output_root": "0x" + zoo_root(r.outputs[0][i : i + 1])})
    return {"model": args.model, "steps": m.program(x.shape).steps, "rows": rows,
            "max_abs_diff": float(np.max(np.abs(exact - fast)))}


def zoo_root(arr) -> str:
    from runtime.tensor_root import tensor_root

    return tensor_root(arr).hex()


def render(r, console) -> None:
    from rich.table import Table

    t = Table("sample", "label", "fast top-1", "exact top-1", "exact output root",
              title=f"{r['model']}: fast (onnxruntime) vs exact (integer, {r['steps']} steps)")
    for row in r["rows"]:
        t.add_row(str(row["sample"]), str(row["label"]), str(row["fast_top1"]), str(row["exact_top1"]),
                  row["exact_output_root"][:18] + "...")
    console.print(t)
    console.print(f"largest |exact - fast| over these outputs: {r['max_abs_diff']:.4g}")
