"""tribunal models: the zoo, with what each model covers; `tribunal models register MODEL` publishes one.

    tribunal models
    tribunal models register digits-cnn --deployment deployment.json --rpc URL --key 0x...

Registering records the model's roots in the ModelRegistry (what committees serve) and, when the
dispute game can settle it, its program in OpmlModels (what opML and hybrid disputes run over), skipping
a registry that has it already. MODEL is a zoo name, NAME@fast (the fast profile of a model that has an
exact program) or an .onnx path. The output says the model id a request names and the input bytes it
carries for each result kind (README, "Requests from a contract").
"""
from __future__ import annotations

import numpy as np

from runtime import zoo
from runtime.errors import TribunalError

NAME = "models"
HELP = "list the zoo's models, or `models register MODEL` to publish one on a deployment"


def add_arguments(p) -> None:
    p.add_argument("action", nargs="?", choices=["list", "register"], default="list",
                   help="list (default) or register")
    p.add_argument("model", nargs="?", metavar="MODEL", help="register: a zoo name, NAME@fast or an .onnx path")
    g = p.add_argument_group("register")
    g.add_argument("--deployment", metavar="FILE", help="the deployment (the file `tribunal deploy` wrote)")
    g.add_argument("--rpc", metavar="URL", help="the chain's JSON-RPC URL")
    g.add_argument("--key", metavar="KEY", help="the publishing account's private key (0x-hex)")


def run(args) -> dict:
    if args.action == "register":
        return register(args)
    extra = [f for f in ("model", "deployment", "rpc", "key") if getattr(args, f) is not None]
    if extra:
        raise TribunalError(f"`tribunal models` lists the zoo and takes no {', '.join(extra)}; "
                            f"to publish a model: tribunal models register MODEL --deployment FILE --rpc URL --key KEY")
    return {"models": [{"name": e.name, "description": e.description, "profiles": ["fast", "exact"] if e.exact else ["fast"]}
                       for e in zoo.ENTRIES.values()]}


def register(args) -> dict:
    from verifiers.catalog import Catalog
    from verifiers.deployment import register_model
    from verifiers.node_ops import attach_as, tx

    missing = [f"--{f}" for f in ("deployment", "rpc", "key") if getattr(args, f) is None]
    if args.model is None or missing:
        raise TribunalError("usage: tribunal models register MODEL --deployment FILE --rpc URL --key KEY "
                            f"(missing: {', '.join((['MODEL'] if args.model is None else []) + missing)})")
    entry = Catalog(()).entry(args.model)  # an unknown model or a file that does not load stops here
    entry.model_id  # noqa: B018 - lowers the program (seconds) before anything connects
    op = attach_as(args)
    written = register_model(op.deployment, entry, sender=op.account)
    return {"model": entry.name, "model_id": "0x" + entry.model_id.hex(), "profile": entry.profile,
            "disputable": entry.disputable, "registered": list(written),
            "transactions": [tx(f"register ({name})", r) for name, r in written.items()],
            "program_root": "0x" + entry.roots[0].hex(), "weights_root": "0x" + entry.roots[1].hex(),
            "inputs": encodings(entry)}


def encodings(entry) -> list[dict]:
    """What a request's input bytes are for each result kind the model can be asked for
    (`verifiers.catalog.ModelEntry.encode`)."""
    from contracts.bindings.brain import ResultKind

    spec, shape = entry.model.spec, list(entry.model.default_shape())
    n = int(np.prod(shape))
    out = []
    if entry.disputable:
        slot = entry.program.slots[entry.program.input_slot]
        dt = np.dtype(slot.dtype)
        how = f"{slot.dtype} big-endian"
        if entry.exact and np.issubdtype(spec.dtype, np.floating):
            how += f", q = clip(round_half_even(x / {slot.scale!r}), -32768, 32767)"
        out.append({"kind": ResultKind.OUTPUT_ROOT.name, "shape": list(slot.shape), "dtype": slot.dtype,
                    "byte_order": "big", "bytes": dt.itemsize * int(np.prod(slot.shape)),
                    "scale": slot.scale if entry.exact else None,
                    "encoding": how})
    out.append({"kind": ResultKind.ARGMAX.name, "shape": shape, "dtype": spec.dtype.name, "byte_order": "little",
                "bytes": spec.dtype.itemsize * n, "scale": None, "encoding": f"{spec.dtype.name} little-endian"})
    return out


def render(result, console) -> None:
    from rich.table import Table

    if "model_id" in result:
        return _render_registered(result, console)
    t = Table("model", "profiles", "description", title="Tribunal zoo (built on first use, cached)")
    for m in result["models"]:
        t.add_row(m["name"], ", ".join(m["profiles"]), m["description"])
    console.print(t)


def _render_registered(r, console) -> None:
    from rich.table import Table

    where = " and ".join({"models": "ModelRegistry", "opml_models": "OpmlModels"}[w] for w in r["registered"])
    console.print(f"[bold]{r['model']}[/] ({r['profile']} profile"
                  f"{'' if r['disputable'] else ', committees only: the dispute game cannot settle it'})")
    console.print(f"model id {r['model_id']}")
    gas = sum(x["gas"] for x in r["transactions"])
    console.print(f"registered in {where} ({gas:,} gas)" if where
                  else "already registered in every registry it needs: nothing sent")
    t = Table("result kind", "input bytes", "shape", "encoding", title="what a request's input carries")
    for e in r["inputs"]:
        t.add_row(e["kind"], str(e["bytes"]), "x".join(map(str, e["shape"])), e["encoding"])
    console.print(t)
