"""tribunal prove: an output element's Merkle proof, for a contract that acts on a delivered output root.

A request of result kind output_root delivers the exact profile's output root to the consumer's
`onResult`. `contracts/src/lib/OutputProof.sol` checks an element of that output against it: this
command runs the model (exact profile) on the request's input and prints what the call takes
(`int16At(root, count, index, chunk, path)`), the element's real value (int16 * scale) and the scale
as an 18-decimal integer (`toWad`), and, for an output of one chunk or a few, its canonical bytes
(`checkTensor` + `argmax`: the label).

With `--request ID --mode MODE --rpc URL --deployment FILE`, the input is the request's own, read from
the chain (`verifiers.proofs`), and the root it proves against is compared with the one delivered.
"""
from __future__ import annotations

import numpy as np

from bisection.commitments import element_proof
from runtime.errors import TribunalError
from runtime.tensor_root import tensor_bytes

from ..inputs import add_model_input_args, resolve

NAME = "prove"
HELP = "prove an element of a model's exact output against its output root (for OutputProof.sol)"
WHOLE_OUTPUT_BYTES = 8 * 1024  # print the whole output's bytes up to this size (checkTensor hashes them all)


def add_arguments(p) -> None:
    add_model_input_args(p)
    p.add_argument("--element", type=int, default=None, metavar="I",
                   help="row-major index into the first output (default: its argmax, the label)")
    p.add_argument("--request", type=int, default=None, metavar="ID",
                   help="prove for this request on a chain (its input from the chain; needs --rpc, --deployment)")
    p.add_argument("--mode", choices=["brain", "opml", "hybrid"], default="brain", help="the request's mode")
    p.add_argument("--rpc", default=None, metavar="URL", help="the chain's JSON-RPC URL (with --request)")
    p.add_argument("--deployment", default=None, metavar="FILE", help="the deployment file (with --request)")


def run(args) -> dict:
    delivered = None
    if args.request is not None:
        out, scale, source, name, delivered = _from_chain(args)
    else:
        model, x, source = resolve(args, profile="exact")
        r = model.run_exact(x)
        out, scale, name = np.asarray(r.outputs[0]), float(r.scales[0]), model.name
    index = int(out.reshape(-1).argmax()) if args.element is None else args.element
    if not 0 <= index < out.size:
        raise TribunalError(f"--element {index} is outside the output's {out.size} elements")
    p = element_proof(out, index)
    data = tensor_bytes(out)
    result = {"model": name, "input": source, "output_root": "0x" + p.root.hex(), "count": p.count,
            "shape": list(out.shape), "element": index, "value_int16": p.value, "scale": scale,
            "scale_wad": round(scale * 10**18), "value": p.value * scale, "label": int(out.reshape(-1).argmax()),
            "chunk_index": p.chunk_index, "chunk": "0x" + p.chunk.hex(), "path": ["0x" + h.hex() for h in p.path],
            "output_bytes": "0x" + data.hex() if len(data) <= WHOLE_OUTPUT_BYTES else None}
    if args.request is not None:
        result["delivered_root"] = "0x" + delivered.hex() if delivered is not None else None
        result["matches_delivered"] = delivered == p.root
    return result


def _from_chain(args):
    """(int16 output, scale, input source, model name, delivered root) of `--request` on the chain."""
    from contracts.chain import connect
    from verifiers.catalog import Catalog
    from verifiers.deployment import attach
    from verifiers.proofs import request_output

    if args.rpc is None or args.deployment is None:
        raise TribunalError("--request needs --rpc URL and --deployment FILE")
    entry = Catalog((args.model,)).entry(args.model)
    if not entry.exact:
        raise TribunalError(f"model '{args.model}' has no exact program: output proofs read int16 outputs")
    chain = connect(args.rpc)
    try:
        ro = request_output(attach(chain, args.deployment), entry, args.mode, args.request)
    finally:
        chain.close()
    p = entry.program
    return ro.output, float(p.slots[p.output_slots[0]].scale), f"{args.mode} request {args.request}", entry.name, ro.delivered


def render(r, console) -> None:
    from rich.table import Table

    t = Table(show_header=False, title=f"{r['model']}: element {r['element']} of the exact output")
    t.add_column()
    t.add_column(overflow="fold")  # roots and hashes whole: a cut one cannot be pasted into a call
    for k in ("input", "output_root", "delivered_root", "matches_delivered", "count", "shape", "element",
              "value_int16", "scale", "scale_wad", "value", "label", "chunk_index"):
        if k in r:
            t.add_row(k, str(r[k]))
    t.add_row("path", "\n".join(r["path"]) or "(none: the output is one chunk)")
    t.add_row("chunk", f"{r['chunk'][:66]}... ({(len(r['chunk']) - 2) // 2} bytes; --json prints all)")
    if r["output_bytes"] is not None:
        t.add_row("output_bytes", r["output_bytes"])
    console.print(t)
    if r.get("matches_delivered") is False:
        console.print("[bold red]the delivered root is not the honest output's root: no element of it can be "
                      "proven[/]" if r["delivered_root"] else "[yellow]the request is not final: nothing delivered yet[/]")
    console.print(f"OutputProof.int16At(root, {r['count']}, {r['element']}, chunk, path) = {r['value_int16']}; "
                  f"toWad(it, {r['scale_wad']}) = {r['value_int16'] * r['scale_wad']}")
