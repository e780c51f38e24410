"""The output behind a request's delivered output root, from the chain alone: what `tribunal prove
--request` proves elements of (contracts/src/lib/OutputProof.sol checks them on chain).

The request's input is read from its logs (Brain's InputPosted for brain and hybrid, whose request ids
are Brain's; OpmlRequested for opml), decoded as the model's program input (`ModelEntry.decode`) and run
through the exact program. `delivered` is the root the consumer got (Finalized, RequestSettled or
AnswerFinal), None before the request is final: when it differs from the honest output's root, no
element of it can be proven (a lying committee's root in brain has no honest preimage).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contracts import events as ev
from contracts.bindings.brain import ResultKind
from runtime.tensor_root import tensor_root
from verifiers.catalog import ModelEntry
from verifiers.chainlog import events
from verifiers.errors import InvalidRequest

MODES = ("brain", "opml", "hybrid")


@dataclass(frozen=True)
class RequestOutput:
    model_id: bytes
    output: np.ndarray  # the exact program's first output on the request's input (int16)
    delivered: bytes | None  # the output root delivered to the consumer (None: not final yet)

    @property
    def root(self) -> bytes:
        return tensor_root(self.output)


def request_output(deployment, entry: ModelEntry, mode: str, request_id: int) -> RequestOutput:
    """The honest output of request `request_id` of `mode` (brain, opml, hybrid) on `entry`'s model; raises
    InvalidRequest when the request is about another model, or is not an output-root request."""
    chain, start = deployment.chain, deployment.start_block
    if mode == "opml":
        filed = events(chain, deployment.requests.address, ev.OpmlRequested, from_block=start, key=request_id)
        if not filed:
            raise InvalidRequest(f"no opml request {request_id} in this deployment")
        model_id, data = filed[0].event.model_id, filed[0].event.input
        done = [s.event for s in events(chain, deployment.requests.address, ev.RequestSettled, from_block=start,
                                        key=request_id) if s.event.status == 2]
        delivered = done[0].output_root if done else None
    elif mode in ("brain", "hybrid"):
        info = deployment.brain.request_info(request_id)
        # (a hybrid request's Brain round votes RAW pairs; the court delivers the output root)
        if mode == "brain" and info.result_kind != ResultKind.OUTPUT_ROOT:
            raise InvalidRequest(f"request {request_id} asked for {ResultKind(info.result_kind).name}, not an output "
                                 f"root: its callback carries the result itself")
        posted = events(chain, deployment.brain.address, ev.InputPosted, from_block=start, key=request_id)
        if not posted:
            raise InvalidRequest(f"request {request_id}'s input is not on chain (filed by hash)")
        model_id, data = info.model_id, posted[0].event.input
        if mode == "brain":
            done = events(chain, deployment.brain.address, ev.Finalized, from_block=start, key=request_id)
            delivered = done[0].event.result if done else None
        else:
            done = events(chain, deployment.court.address, ev.AnswerFinal, from_block=start, key=request_id)
            delivered = done[0].event.output_root if done else None
    else:
        raise InvalidRequest(f"unknown mode '{mode}' (have: {', '.join(MODES)})")
    if bytes(model_id) != entry.model_id:
        raise InvalidRequest(f"request {request_id} is about model 0x{bytes(model_id).hex()}, not '{entry.name}'")
    x = entry.decode(bytes(data), ResultKind.OUTPUT_ROOT)
    return RequestOutput(bytes(model_id), np.asarray(entry.program.run(x)[0]), None if delivered is None else bytes(delivered))
