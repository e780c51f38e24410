"""The Verifier interface: one entry point for every verification mode.

    from verifiers import Tribunal
    t = Tribunal.connect("embedded")                  # or "anvil", or an RPC URL (+ deployment=FILE to attach)
    receipt = t.infer("digits-cnn", x, mode="brain", fee=10**16, deadline_blocks=64)
    verdict = receipt.wait()                          # never hangs: a deadline gives status "timed out"
    verdict.status, verdict.output, verdict.output_root, verdict.transactions, verdict.blocks, verdict.evidence

`connect` deploys the whole system (or attaches to a saved deployment), stakes `committee` nodes and,
unless `agents=False`, starts in-process agents for them (members, a submitter and a watcher) on a
`Scheduler`. `wait` then drives the chain: it ticks the agents and, when nobody had anything to do
and this process started the chain, mines an empty block (so windows pass without sleeping). Against
a chain someone else runs (a URL) it only polls: the agents are other processes (`tribunal node`).

Modes are looked up by name in `verifiers.modes`; each request picks one (`mode="auto"` lets the
policy pick and say why in `verdict.reason`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
from eth_account.signers.local import LocalAccount

from contracts.bindings.brain import ResultKind
from contracts.chain import connect as connect_chain
from contracts.chain.base import Chain
from contracts.deploy import SystemConfig
from runtime.errors import TribunalError
from verifiers import modes
from verifiers.agents.base import Scheduler
from verifiers.catalog import Catalog, ModelEntry
from verifiers.chainlog import install as install_log_index
from verifiers.deployment import (DEFAULT_CONFIG, DEFAULT_OPML, NODE_STAKE, Deployment, attach, deploy_all,
                                  register_model)
from verifiers.errors import InvalidRequest, UnknownCheat
from verifiers.modes.base import Handle, Request
from verifiers.verdict import Verdict

if TYPE_CHECKING:
    from bisection.strategy import Strategy

WALL_LIMIT = 600.0  # seconds: the last guard of `wait` when the chain itself stops moving


@dataclass(frozen=True)
class Roles:
    """Which accounts play which part: dev account 0 deploys, 1..committee are nodes, then the submitter,
    the watcher, and the requester."""

    committee: int

    def members(self, chain: Chain) -> list[LocalAccount]:
        """The committee's node accounts (dev accounts 1..committee)."""
        return chain.accounts[1:1 + self.committee]

    def submitter(self, chain: Chain) -> LocalAccount:
        """The opML submitter's account."""
        return chain.accounts[1 + self.committee]

    def watcher(self, chain: Chain) -> LocalAccount:
        """The watcher's account."""
        return chain.accounts[2 + self.committee]

    def requester(self, chain: Chain) -> LocalAccount:
        """The account that sends requests and pays their fees."""
        return chain.accounts[3 + self.committee]


class Tribunal:
    """A deployment on one chain with its in-process agents: `connect` to get one, `infer` to send a request."""

    def __init__(self, deployment: Deployment, *, catalog: Catalog, scheduler: Scheduler, requester: LocalAccount,
                 drive_blocks: bool, owns_chain: bool, roles: Roles):
        self.deployment, self.chain = deployment, deployment.chain
        self.catalog, self.scheduler, self.requester = catalog, scheduler, requester
        self.drive_blocks, self.owns_chain, self.roles = drive_blocks, owns_chain, roles

    # ------------------------------------------------------------ connecting
    @classmethod
    def connect(cls, target: str = "embedded", *, committee: int = 5, agents: bool = True,
                member_cheats: list[str] | tuple[str, ...] = (), submitter_cheat: "Strategy | str" = "honest",
                watcher_cheat: "Strategy | str" = "honest", watcher: bool = True, bond: int | None = None, deployment: str | Path | dict | None = None,
                config: SystemConfig | None = None, opml_config=None, models: tuple[str, ...] | None = None,
                drive_blocks: bool | None = None, chain: Chain | None = None, catalog: Catalog | None = None,
                requester: LocalAccount | None = None, **chain_options) -> "Tribunal":
        """Deploy (or attach to `deployment`) on `target` and start the in-process agents.

        committee: nodes staked, and the committee size (every node sits on every committee, so
        `member_cheats[i]` is exactly what member i does); member_cheats / submitter_cheat /
        watcher_cheat: the agents' strategies (see verifiers.agents; the submitter's and the watcher's
        may be a `bisection.Strategy` object or an import path to one); agents=False starts none (nobody
        answers: requests time out); drive_blocks: mine a block when idle (default: when this process
        started the chain); requester: who sends requests and pays their fees (default: the dev role's)."""
        if committee < 1:
            raise InvalidRequest(f"a committee needs at least one member, got {committee}")
        if len(member_cheats) > committee:
            raise InvalidRequest(f"{len(member_cheats)} member strategies for a committee of {committee}")
        owns = chain is None and target in ("embedded", "anvil")
        chain = chain or connect_chain(target, **chain_options)
        install_log_index(chain)
        try:
            roles = Roles(committee)
            if deployment is not None:
                d = attach(chain, deployment)
            else:
                d = deploy_all(chain, replace(config or DEFAULT_CONFIG, committee_size=committee),
                               opml_config or DEFAULT_OPML)
                for node in roles.members(chain):
                    d.nodes.register(NODE_STAKE, sender=node)
            catalog = catalog or (Catalog(tuple(models)) if models else Catalog())
            scheduler = Scheduler()
            t = cls(d, catalog=catalog, scheduler=scheduler, requester=requester or roles.requester(chain),
                    drive_blocks=owns if drive_blocks is None else drive_blocks, owns_chain=owns, roles=roles)
            if agents:
                t.start_agents(list(member_cheats), submitter_cheat, watcher_cheat if watcher else None, bond=bond)
            return t
        except BaseException:
            if owns:
                chain.close()
            raise

    def start_agents(self, member_cheats: list[str], submitter_cheat: str = "honest",
                     watcher_cheat: str | None = "honest", bond: int | None = None) -> None:
        """Start the in-process agents: a member per committee seat (`member_cheats[i]` for member i), the
        submitter and, unless `watcher_cheat` is None, the watcher."""
        from verifiers.agents.roles import role  # the class of each role (hybrid extends member, watcher)

        c = self.chain
        for i, acct in enumerate(self.roles.members(c)):
            cheat = member_cheats[i] if i < len(member_cheats) else "honest"
            self.scheduler.add(role("member")(self.deployment, acct, catalog=self.catalog, cheat=cheat,
                                              name=f"member-{i + 1}"))
        self.scheduler.add(role("submitter")(self.deployment, self.roles.submitter(c), catalog=self.catalog,
                                             cheat=submitter_cheat, name="submitter", bond=bond))
        if watcher_cheat is not None:
            self.scheduler.add(role("watcher")(self.deployment, self.roles.watcher(c), catalog=self.catalog,
                                               cheat=watcher_cheat, name="watcher", bond=bond))

    def set_cheats(self, *, liars: int = 0, submitter: "Strategy | str" = "honest",
                   watcher: "Strategy | str" = "honest") -> None:
        """Re-arm the in-process agents: the first `liars` members vote one wrong answer (`wrong-output`),
        the others are honest; the submitter and the watcher play `submitter` and `watcher`: a strategy's
        name (a dispute-game strategy or `late`), a `bisection.Strategy` object, or an import path
        `package.module:Name` to one. Raises UnknownCheat (and changes nothing) for one a role does not play."""
        for a in self.scheduler.agents:
            cheat = {"submitter": submitter, "watcher": watcher}.get(a.role)
            if cheat is not None and not a.accepts(cheat):
                raise UnknownCheat(f"the {a.role} role has no strategy '{cheat}' (have: {', '.join(a.cheats)})")
        members = [a for a in self.scheduler.agents if a.role == "member"]
        for i, m in enumerate(members):
            m.cheat = "wrong-output" if i < liars else "honest"
        for a in self.scheduler.agents:
            if a.role == "submitter":
                a.cheat = submitter
            elif a.role == "watcher":
                a.cheat = watcher

    def close(self) -> None:
        """Close the chain when this object started it (embedded, anvil)."""
        if self.owns_chain:
            self.chain.close()

    def __enter__(self) -> "Tribunal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ requests
    def model(self, name: str) -> ModelEntry:
        """The catalog entry of model `name` (a zoo name, `NAME@fast`, or an .onnx path)."""
        return self.catalog.entry(name)

    def ensure_registered(self, entry: ModelEntry) -> None:
        """Registers the model in the BRAIN registry (and, when disputable, the opML one) unless it is there
        (`verifiers.deployment.register_model`)."""
        register_model(self.deployment, entry)

    def request(self, model: str, x, *, mode: str = "brain", fee: int | None = None, deadline_blocks: int | None = None,
                value_at_risk: int = 0, result_kind: ResultKind | str | None = None, **options) -> Request:
        """The checked `Request` that `infer` would send (nothing is sent)."""
        m = modes.get(mode)
        unknown = set(options) - set(m.options)
        if unknown:
            raise InvalidRequest(f"mode '{mode}' takes no option {', '.join(sorted(unknown))} "
                                 f"(it takes: {', '.join(m.options) or 'none'})")
        entry = self.model(model)
        kind = _kind(result_kind) if result_kind is not None else m.default_kind(entry)
        if kind == ResultKind.OUTPUT_ROOT and not entry.exact and not m.float_roots:
            raise InvalidRequest(f"model '{model}' has no exact program: in mode '{mode}' its committee votes on "
                                 f"ARGMAX, not an output root")
        x = entry.check(np.asarray(x))
        if deadline_blocks is not None and deadline_blocks < 1:
            raise InvalidRequest(f"deadline_blocks must be at least 1, got {deadline_blocks}")
        req = Request(entry, x, mode, self.deployment.system.config.min_fee * 10 if fee is None else int(fee),
                      deadline_blocks, int(value_at_risk), kind, dict(options))
        m.check(self, req)
        if req.deadline_blocks is None:
            req.deadline_blocks = m.default_deadline(self, req)
        return req

    def infer(self, model: str, x=None, *, mode: str = "brain", fee: int | None = None, deadline_blocks: int | None = None,
              value_at_risk: int = 0, result_kind: ResultKind | str | None = None, prompt: str | None = None,
              max_new_tokens: int = 16, seed: int | None = None, **options) -> "Receipt":
        """Send one inference request verified by `mode`; returns a `Receipt` (call `wait()` for the verdict).
        With `prompt` (or token ids as `x`) on a language model (a zoo one, a Hugging Face directory), the
        request is a generation of `max_new_tokens` (greedy, or sampled with `seed`): its verdict's output
        is {"ids", "text"} (verifiers.generation)."""
        if prompt is not None or _is_language_model(model):
            from verifiers.generation import generation_entry

            ids = None if x is None else [int(i) for i in np.asarray(x).reshape(-1)]
            entry, x = generation_entry(self.catalog, model, prompt, ids, max_new_tokens, seed)
            model = entry.name
        req = self.request(model, x, mode=mode, fee=fee, deadline_blocks=deadline_blocks,
                           value_at_risk=value_at_risk, result_kind=result_kind, **options)
        self.ensure_registered(req.model)
        t0 = time.perf_counter()
        handle = modes.get(req.mode).submit(self, req)
        return Receipt(self, req, handle, t0)

    def follow(self, model: str, x, receipt, *, mode: str = "brain", **request_args) -> "Receipt":
        """A `Receipt` for a request a contract filed (a dapp's transaction `receipt`, about `model` and input
        `x`): `wait()` drives the agents and the requester's pokes to the verdict, as for `infer`."""
        req = self.request(model, x, mode=mode, **request_args)
        return Receipt(self, req, modes.get(mode).handle(self, receipt), time.perf_counter())

    # ------------------------------------------------------------ the clock
    def step(self) -> int:
        """One tick of the in-process agents; mines a block when they sent nothing and we drive blocks."""
        sent = self.scheduler.tick()
        if sent == 0 and self.drive_blocks:
            self.chain.mine(1)
        return sent


class Receipt:
    """A sent request. `status()` reads the chain once; `wait()` drives it to a verdict."""

    def __init__(self, tribunal: Tribunal, request: Request, handle: Handle, t0: float):
        self.tribunal, self.request, self.handle, self.t0 = tribunal, request, handle, t0
        self.mode = modes.get(request.mode)
        self._provisional_seconds: float | None = None  # wall time at the first poll that saw a provisional answer

    @property
    def request_id(self) -> int | None:
        """The request's id on chain (None for a mode without one)."""
        return self.handle.request_id

    def status(self) -> Verdict:
        """The verdict as the chain has it now (one read, nothing sent)."""
        return self._stamp(self.mode.poll(self.tribunal, self.request, self.handle))

    def wait(self, *, until: tuple[str, ...] = ("final", "timed out", "rejected"), poll: float = 0.2,
             wall_limit: float = WALL_LIMIT, progress: Callable[[int, Verdict], None] | None = None) -> Verdict:
        """Drive or poll until the verdict's status is in `until`, or the deadline passes ("timed out")."""
        t = self.tribunal
        deadline = self.handle.block + self.request.deadline_blocks
        while True:
            v = self.status()
            head = t.chain.block_number
            if progress:
                progress(head - self.handle.block, v)
            if v.status in until or v.settled:
                return v
            if head > deadline:
                return self._stamp(self.mode.expire(t, self.request, self.handle))
            if time.perf_counter() - self.t0 > wall_limit:
                v.status, v.reason = "timed out", f"the chain did not settle the request within {wall_limit:.0f} s"
                return v
            self.mode.keep(t, self.request, self.handle)
            sent = t.step()
            if not sent and (not t.drive_blocks or not t.scheduler.agents):
                time.sleep(poll)  # other processes serve the request: give them time between blocks

    def _stamp(self, v: Verdict) -> Verdict:
        v.seconds = time.perf_counter() - self.t0
        if v.provisional_blocks is not None:
            if self._provisional_seconds is None:
                self._provisional_seconds = v.seconds
            v.provisional_seconds = self._provisional_seconds
        if v.request_id is None:
            v.request_id = self.handle.request_id
        v.evidence.setdefault("request_block", self.handle.block)
        return v


def _is_language_model(model: str) -> bool:
    from runtime import zoo
    from runtime.generation.hf import is_hf_directory

    base = model.split("@")[0]
    return base in zoo.LANGUAGE_MODELS or is_hf_directory(base)


def _kind(k: ResultKind | str) -> ResultKind:
    if isinstance(k, ResultKind):
        return k
    try:
        return ResultKind[str(k).upper().replace("-", "_")]
    except KeyError:
        raise InvalidRequest(f"unknown result kind '{k}' (have: {', '.join(r.name.lower() for r in ResultKind)})") from None


__all__ = ["Receipt", "Roles", "Tribunal", "TribunalError"]
