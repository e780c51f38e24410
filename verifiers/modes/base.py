"""The `Mode` interface: how one verification protocol serves one request.

A mode is stateless between calls: `submit` sends the request's transaction(s) and returns a `Handle`
(the request id and the block it landed in, plus whatever the mode needs to find it again), and
`poll` reads the chain and returns the verdict as it stands (`status` final, provisional, disputed,
timed out or rejected; "pending" while nothing is settled). `expire` is called once the caller's
deadline has passed: it settles what the contracts allow (a timeout and its refund) and returns the
verdict. `check` runs every validation that needs no transaction, so bad input changes nothing.

A new mode is one module in verifiers/modes/ with a class decorated `@register`; nothing else changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from bisection.tolerance import DEFAULT, EXACT, Tolerance
from contracts.bindings.brain import ResultKind
from verifiers.catalog import ModelEntry
from verifiers.errors import InvalidRequest
from verifiers.verdict import Verdict

if TYPE_CHECKING:
    from verifiers.api import Tribunal

PENDING = "pending"


@dataclass
class Request:
    """One inference request as the caller made it."""

    model: ModelEntry
    x: np.ndarray
    mode: str
    fee: int
    deadline_blocks: int | None
    value_at_risk: int
    kind: ResultKind
    options: dict = field(default_factory=dict)


@dataclass
class Handle:
    """What `submit` returns: the request id, its block, and mode-specific data for `poll`."""
    request_id: int | None
    block: int  # the block the request landed in
    data: dict = field(default_factory=dict)


class Mode:
    """One verification protocol. Subclass it in a module of verifiers/modes/, set `name`, `summary`
    and `options`, decorate with `@register`."""
    name: ClassVar[str]
    summary: ClassVar[str] = ""
    options: ClassVar[tuple[str, ...]] = ()  # the keyword options `Tribunal.infer` passes through
    # Whether an OUTPUT_ROOT request on a model without an exact program is served: the root of its
    # float program, whose disputed nodes a jury settles within the request's tolerance.
    float_roots: ClassVar[bool] = False

    def default_kind(self, entry: ModelEntry) -> ResultKind:
        """What a request settles when the caller does not say."""
        return entry.default_kind()

    def check(self, t: "Tribunal", req: Request) -> None:
        """Raise a TribunalError for anything that would make the request fail; sends nothing."""

    def default_deadline(self, t: "Tribunal", req: Request) -> int:
        """Blocks to wait for a settled verdict when the request does not say."""
        return 64

    def submit(self, t: "Tribunal", req: Request) -> Handle:
        """Send the request's transaction(s); returns the handle `poll` reads."""
        raise NotImplementedError

    def handle(self, t: "Tribunal", receipt) -> Handle:
        """The handle of the request filed in transaction `receipt` (by `submit`, or by a contract: a dapp's
        own request, followed with `Tribunal.follow`); modes whose request is not one transaction have none."""
        raise InvalidRequest(f"mode '{self.name}' has no request a contract files on its own")

    def poll(self, t: "Tribunal", req: Request, h: Handle) -> Verdict:
        """The request's verdict as the chain has it now."""
        raise NotImplementedError

    def keep(self, t: "Tribunal", req: Request, h: Handle) -> None:
        """The requester's own pokes while it waits (finalize its round, settle its claim); default none."""

    def expire(self, t: "Tribunal", req: Request, h: Handle) -> Verdict:
        """The verdict once the deadline passed: the settled one, or "timed out"."""
        v = self.poll(t, req, h)
        if not v.settled:
            v.status, v.reason = "timed out", v.reason or f"no settled answer within {req.deadline_blocks} blocks"
        return v

    def describe(self) -> dict[str, Any]:
        """Name, summary and options, for `tribunal infer --help` and `--json` listings."""
        return {"name": self.name, "summary": self.summary, "options": list(self.options)}


def read_answer(v: Verdict, req: Request, result: bytes | None) -> None:
    """Fills in what the verdict's answer means: the settled `result` (None: no answer), the output a
    person reads, and what an honest re-execution of the request here gives, so a wrong answer is flagged
    (`wrong_answer`) whatever the chain made of it."""
    kind = req.kind
    honest, label = req.model.honest(req.x, kind)
    v.honest_result, v.honest_output = "0x" + honest.hex(), label
    v.result = None if result is None else "0x" + bytes(result).hex()
    v.output = None if result is None else req.model.read(result, kind, req.x)
    v.wrong_answer = result is not None and bytes(result) != honest


def slashed(t: "Tribunal", request_id: int, from_block: int) -> list[dict]:
    """Who lost stake over Brain request `request_id` (a minority, a silent member, an overturned majority)."""
    from contracts import events as ev
    from verifiers.chainlog import events

    return [{"node": s.event.node, "amount": s.event.amount, "block": s.block}
            for s in events(t.chain, t.deployment.nodes.address, ev.Slashed, from_block=from_block, key=request_id)]


def quietly(fn) -> None:
    """Sends a transaction a keeper may send (finalize, resolve, settle) and shrugs off a refusal: it was
    not due yet, or an agent was first; the next poll sees the outcome either way."""
    try:
        fn()
    except Exception:  # noqa: BLE001 - whatever the refusal, the chain state read next decides
        pass


def tolerance_of(req: Request) -> Tolerance:
    """The request's tolerance for disputed float nodes (exact models: exact equality, never used)."""
    given = req.options.get("tolerance")
    if req.model.exact:
        if given is not None and Tolerance.parse(given) != EXACT:
            raise InvalidRequest(f"model '{req.model.name}' is exact: its disputes end in a one-step check, "
                                 f"so a tolerance means nothing (drop it, or use '{req.model.name}@fast')")
        return EXACT
    return DEFAULT if given is None else Tolerance.parse(given)
