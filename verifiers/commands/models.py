"""tribunal models: the zoo, with what each model covers; `tribunal models register MODEL` publishes one.

    tribunal models
    tribunal models register digits-cnn --deployment deployment.json --rpc URL --key 0x...
    tribunal models register MODEL --holders-only --deployment ... (committees drawn among its holders only)
    tribunal models hold digits-cnn [--withdraw] --deployment deployment.json --rpc URL --key 0x... (a node's)

Registering records the model's roots in the ModelRegistry (what committees serve) and, when the
dispute game can settle it, its program in OpmlModels (what opML and hybrid disputes run over), skipping
a registry that has it already. MODEL is a zoo name, NAME@fast (the fast profile of a model that has an
exact program) or an .onnx path. The output says the model id a request names and the input bytes it
carries for each result kind (README, "Requests from a contract"). `--holders-only` registers it so that
Brain draws its committees only among the staked nodes that declared they hold it (fixed at registration;
for a model not every node can hold, such as a shard: a sparse holder set is a weaker committee,
contracts/README.md "Holdings"). `hold` declares, as the node whose key is given, that it holds and serves
MODEL (`--withdraw`: no longer); it counts for requests made from the next block on.
"""
from __future__ import annotations

import numpy as np

from runtime import zoo
from runtime.errors import TribunalError

NAME = "models"
HELP = "list the zoo's models, or `models register MODEL` to publish one on a deployment"


def add_arguments(p) -> None:
    p.add_argument("action", nargs="?", choices=["list", "register", "hold"], default="list",
                   help="list (default), register, or hold (a node declares it holds MODEL)")
    p.add_argument("model", nargs="?", metavar="MODEL", help="register/hold: a zoo name, NAME@fast or an .onnx path")
    g = p.add_argument_group("register and hold")
    g.add_argument("--deployment", metavar="FILE", help="the deployment (the file `tribunal deploy` wrote)")
    g.add_argument("--rpc", metavar="URL", help="the chain's JSON-RPC URL")
    g.add_argument("--key", metavar="KEY", help="the publishing account's (hold: the node's) private key (0x-hex)")
    g.add_argument("--holders-only", action="store_true",
                   help="register: committees drawn only among the nodes that hold the model")
    g.add_argument("--withdraw", action="store_true", help="hold: the node no longer holds the model")


def run(args) -> dict:
    if args.action == "register":
        return register(args)
    if args.action == "hold":
        return hold(args)
    if getattr(args, "holders_only", False) or getattr(args, "withdraw", False):
        raise TribunalError("--holders-only goes with `models register`, --withdraw with `models hold`")
    extra = [f for f in ("model", "deployment", "rpc", "key") if getattr(args, f) is not None]
    if extra:
        raise TribunalError(f"`tribunal models` lists the zoo and takes no {', '.join(extra)}; "
                            f"to publish a model: tribunal models register MODEL --deployment FILE --rpc URL --key KEY")
    return {"models": [{"name": e.name, "description": e.description, "profiles": ["fast", "exact"] if e.exact else ["fast"]}
                       for e in zoo.ENTRIES.values()]}


def _entry(args, action: str):
    """The catalog entry `args.model` names, after the arguments `action` needs are checked (no chain yet)."""
    from verifiers.catalog import Catalog

    missing = [f"--{f}" for f in ("deployment", "rpc", "key") if getattr(args, f) is None]
    if args.model is None or missing:
        raise TribunalError(f"usage: tribunal models {action} MODEL --deployment FILE --rpc URL --key KEY "
                            f"(missing: {', '.join((['MODEL'] if args.model is None else []) + missing)})")
    if args.withdraw and action != "hold" or args.holders_only and action != "register":
        raise TribunalError("--holders-only goes with `models register`, --withdraw with `models hold`")
    entry = Catalog(()).entry(args.model)  # an unknown model or a file that does not load stops here
    entry.model_id  # noqa: B018 - lowers the program (seconds) before anything connects
    return entry


def hold(args) -> dict:
    """The node (--key) declares, or with --withdraw withdraws, that it holds MODEL (NodeRegistry)."""
    from contracts.errors import UnknownNode
    from verifiers.node_ops import attach_as, tx

    entry = _entry(args, "hold")
    op = attach_as(args)
    nodes, models, mid = op.deployment.nodes, op.deployment.system.models, entry.model_id
    try:
        nodes.index_of(op.address)
    except UnknownNode:
        raise TribunalError(f"{op.address} is not a node of this deployment's registry ({nodes.address}): "
                            f"`tribunal stake` first") from None
    held = nodes.holds(mid, op.address)
    sent = []
    if held == args.withdraw:  # a change to make
        r = (nodes.withdraw_holding if args.withdraw else nodes.declare_holding)(mid, sender=op.account)
        sent.append(tx("withdraw holding" if args.withdraw else "declare holding", r))
    registered = models.exists(mid)
    return {"model": entry.name, "model_id": "0x" + mid.hex(), "node": op.address, "holds": not args.withdraw,
            "changed": bool(sent), "transactions": sent, "registered": registered,
            "holders_only": registered and models.holders_only(mid),
            "holders": len(nodes.accounts_of(nodes.holders_of(mid)))}


def register(args) -> dict:
    from verifiers.deployment import register_model
    from verifiers.node_ops import attach_as, tx

    entry = _entry(args, "register")
    op = attach_as(args)
    written = register_model(op.deployment, entry, sender=op.account, holders_only=args.holders_only)
    return {"model": entry.name, "model_id": "0x" + entry.model_id.hex(), "profile": entry.profile,
            "holders_only": args.holders_only,
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

    if "holds" in result:
        return _render_held(result, console)
    if "model_id" in result:
        return _render_registered(result, console)
    t = Table("model", "profiles", "description", title="Tribunal zoo (built on first use, cached)")
    for m in result["models"]:
        t.add_row(m["name"], ", ".join(m["profiles"]), m["description"])
    console.print(t)


def _render_held(r, console) -> None:
    done = ("now declares" if r["holds"] else "no longer declares") if r["changed"] else (
        "already declares" if r["holds"] else "did not declare")
    console.print(f"node {r['node']} {done} that it holds [bold]{r['model']}[/] ({r['model_id']})"
                  f"{'' if r['changed'] else ': nothing sent'}")
    rule = ("holders-only: its committees are drawn among its holders" if r["holders_only"]
            else "ordinary: its committees are drawn from every staked node") if r["registered"] else "not registered yet"
    console.print(f"model {rule}; {r['holders']} node(s) hold it now (it counts for requests from the next block)")
    for x in r["transactions"]:
        console.print(f"transaction {x['tx']}, {x['gas']:,} gas")


def _render_registered(r, console) -> None:
    from rich.table import Table

    names = {"models": "ModelRegistry", "input_size": "ModelRegistry", "opml_models": "OpmlModels"}
    where = " and ".join(dict.fromkeys(names[w] for w in r["registered"]))  # the input size: ModelRegistry's
    console.print(f"[bold]{r['model']}[/] ({r['profile']} profile"
                  f"{'' if r['disputable'] else ', committees only: the dispute game cannot settle it'})")
    console.print(f"model id {r['model_id']}" + (" (holders-only: committees drawn among the nodes that hold it; "
                                                 "`tribunal models hold`)" if r.get("holders_only") else ""))
    gas = sum(x["gas"] for x in r["transactions"])
    console.print(f"registered in {where} ({gas:,} gas)" if where
                  else "already registered in every registry it needs: nothing sent")
    t = Table("result kind", "input bytes", "shape", "encoding", title="what a request's input carries")
    for e in r["inputs"]:
        t.add_row(e["kind"], str(e["bytes"]), "x".join(map(str, e["shape"])), e["encoding"])
    console.print(t)
