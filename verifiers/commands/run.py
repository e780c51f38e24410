"""tribunal run: one inference under the fast or the exact profile."""
from __future__ import annotations

import time

import numpy as np

from runtime.backend import get_backend
from runtime.errors import TribunalError

from ..generation import add_generation_args, render_generation, run_generation
from ..inputs import add_model_input_args, resolve

NAME = "run"
HELP = "run a model once (fast: onnxruntime; exact: the integer profile) and print its outputs"


def add_arguments(p) -> None:
    add_model_input_args(p)
    p.add_argument("--profile", choices=["fast", "exact"], default="fast")
    p.add_argument("--backend", choices=["numpy", "torch"], default="numpy", help="exact profile kernels")
    p.add_argument("--device", choices=["cpu", "cuda", "auto"], default=None,
                   help="fast: auto (CUDA when present), cpu or cuda; exact: cpu or cuda (torch)")
    add_generation_args(p)


def run(args) -> dict:
    if getattr(args, "prompt", None) is not None:
        return run_generation(args)
    model, x, source = resolve(args, profile=args.profile)
    out = {"model": model.name, "profile": args.profile, "input": source, "input_shape": list(np.shape(x))}
    if args.profile == "fast":
        device = args.device or "auto"
        model.run_fast(x, device)  # the first call builds the session; time the second
        t = time.perf_counter()
        outputs = model.run_fast(x, device)
        out.update(device=device, seconds=time.perf_counter() - t, outputs=[np.asarray(o).tolist() for o in outputs])
    else:
        device = args.device or "cpu"
        if device == "auto":
            raise TribunalError("--device auto is for the fast profile; the exact profile takes cpu or cuda")
        get_backend(args.backend, device)
        r = model.run_exact(x, backend=args.backend, device=device)
        out.update(backend=args.backend, device=device, seconds=r.seconds, outputs=[o.tolist() for o in r.floats()],
                   outputs_int16=[o.tolist() for o in r.outputs], scales=r.scales,
                   output_root="0x" + r.output_root.hex(), steps=model.program(np.shape(x)).steps)
    first = np.asarray(out["outputs"][0])
    if first.ndim == 2 and first.shape[1] > 1:
        out["top1"] = first.argmax(axis=1).tolist()
    return out


def render(r, console) -> None:
    if "text" in r:
        return render_generation(r, console)
    from rich.table import Table

    t = Table(show_header=False, title=f"{r['model']} ({r['profile']} profile)")
    for k in ("input", "input_shape", "backend", "device", "steps", "top1", "output_root"):
        if k in r:
            t.add_row(k, str(r[k]))
    t.add_row("seconds", f"{r['seconds']:.6f}")
    first = np.asarray(r["outputs"][0])
    t.add_row("output", np.array2string(first, precision=4, threshold=40, max_line_width=100))
    console.print(t)
