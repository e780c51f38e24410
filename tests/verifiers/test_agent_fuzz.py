"""Agents never die on chain data (issue 16, finding 2; DESIGN.md section 11).

Whatever an attacker gets onto the chain (a request on a model nobody holds, input bytes of any length,
any result kind, a claim with a junk root, a hybrid request with junk input), the in-process agents of
`Tribunal.connect` keep serving: an honest request made alongside, in every mode, ends final with the
exact output root, no agent's tick raises, and no member is slashed on an honest request's round.

On the embedded chain every transaction mines a block, so three requests at once (and the junk's own
transactions) need longer commit and reveal windows than the shared fixture's: this module runs its own
Tribunal with 16-block windows (a round still ends as soon as every member revealed).

The contracts may refuse some junk (a refusal is fine: the property is that agents survive whatever
reaches the chain), so the junk also includes what no contract can refuse: a request by hash with a
junk URI, and a model registered with roots nobody holds ("toy", registered on chain but not in the
agents' catalog).
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from bisection.merkle import fold
from contracts import events as ev
from contracts.bindings.brain import ResultKind, Status as BrainStatus
from contracts.bindings.opml import registration
from runtime.errors import TribunalError
from verifiers.catalog import Catalog
from verifiers.chainlog import events

from .conftest import CONFIG, MODEL, OPML

pytestmark = pytest.mark.slow
MODES = ("brain", "opml", "hybrid")
ATTACKER = 12  # a dev account no role of `Tribunal.connect` uses
UNHELD = "toy"  # registered on chain in the tests below, never in the agents' catalog


@pytest.fixture(scope="module")
def roomy():
    from verifiers import Tribunal

    t = Tribunal.connect("embedded", committee=3, config=replace(CONFIG, commit_window=16, reveal_window=16),
                         opml_config=OPML, models=(MODEL,))
    t.ensure_registered(t.model(MODEL))  # before any junk: a request on it is not refused as UnknownModel
    yield t
    t.close()


@contextmanager
def reverted(t):
    snap = t.chain.snapshot()
    try:
        yield t
    finally:
        t.chain.revert(snap)


class Attacker:
    """Sends junk straight to the contracts; remembers the Brain rounds it opened (the only rounds on
    which a member may be slashed: nobody can serve them)."""

    def __init__(self, t):
        self.t, self.d, self.acct = t, t.deployment, t.chain.accounts[ATTACKER]
        self.fee = self.d.system.config.min_fee
        self.rounds: set[int] = set()
        self.models = {"held": t.model(MODEL).model_id, "unheld": self._register_unheld(),
                       "unregistered": hashlib.sha256(b"no such model").digest()}

    def _register_unheld(self) -> bytes:
        entry = Catalog((UNHELD,)).entry(UNHELD)  # a catalog of its own: the agents' never learns this model
        if not self.d.system.models.exists(entry.model_id):
            self.d.system.models.register(*entry.roots)
            self.d.opml.models.register(*registration(entry.program))
        return entry.model_id

    def input_bytes(self, model: str) -> int:
        return self.d.opml.models.model(self.models[model]).input_bytes if model != "unregistered" else 128

    def fit(self, model: str, data: bytes, exact: bool) -> bytes:
        """`data`, or (exact) `data` repeated to the model's input length: what a length check passes."""
        if not exact:
            return data
        n = self.input_bytes(model)
        return (data * (n // len(data) + 1))[:n]

    def send(self, fn) -> None:
        try:
            r = fn()
        except TribunalError:
            return  # refused on chain: nothing reached the agents
        self.rounds.update(e.request_id for e in r.of(ev.Requested))

    # ---- junk, one transaction each
    def brain(self, model: str, data: bytes, kind: int) -> None:
        self.send(lambda: self.d.brain.request(self.models[model], data, fee=self.fee, sender=self.acct,
                                               result_kind=kind))

    def by_hash(self, model: str, digest: bytes, uri: str, kind: int) -> None:
        self.send(lambda: self.d.brain.request_by_hash(self.models[model], digest, uri, fee=self.fee,
                                                       sender=self.acct, result_kind=kind))

    def opml(self, model: str, data: bytes, tolerance: int) -> None:
        self.send(lambda: self.d.requests.request(self.models[model], data, 24, fee=self.d.requests.min_fee,
                                                  sender=self.acct, tolerance=tolerance))

    def claim(self, model: str, data: bytes, output_root: bytes) -> None:
        """A claim of a junk output root, with a proof that pins it in S_N (so the game accepts it)."""
        def submit():
            m = self.d.opml.models.model(self.models[model])
            proof = [b"\x00" * 32] * m.state_depth
            return self.d.game.submit_claim(self.models[model], data, fold(output_root, m.output_slot, proof),
                                            output_root, proof, bond=self.d.opml.config.min_bond, sender=self.acct)
        self.send(submit)

    def hybrid(self, model: str, data: bytes, tolerance: int) -> None:
        court = self.d.court
        self.send(lambda: court.request(self.models[model], data, fee=self.fee, sender=self.acct, tolerance=tolerance))


def serve_honestly(t, x, modes=MODES) -> None:
    """One honest request per mode, concurrent with whatever is on chain: each ends final with the exact
    root and no agent's tick raised (callers check who was slashed: `slashed_rounds`)."""
    receipts = [t.infer(MODEL, x, mode=m) for m in modes]
    root = "0x" + t.model(MODEL).model.run_exact(x).output_root.hex()
    for r in receipts:
        v = r.wait()
        assert (v.status, v.output_root) == ("final", root), f"{r.request.mode}: {v.status}, {v.reason}"
    raised = [(a.name, e) for a in t.scheduler.agents for e in a.log if e.get("duty") == "tick"]
    assert not raised


def slashed_rounds(t, since: int) -> set[int]:
    return {s.event.request_id for s in events(t.chain, t.deployment.nodes.address, ev.Slashed, from_block=since)}


# ---- finding 2, one input at a time (each raised inside every member's tick before)
FINDING_2 = {
    "three-byte input": lambda a, e, x: a.brain("held", b"\x01\x02\x03", ResultKind.OUTPUT_ROOT),
    "unknown result kind": lambda a, e, x: a.brain("held", e.encode(x, ResultKind.OUTPUT_ROOT), 77),
    # queued since generation exists (Brain accepts TOKEN_IDS); a classifier's members decline it (KIND)
    "token ids": lambda a, e, x: a.brain("held", e.encode(x, ResultKind.ARGMAX), ResultKind.TOKEN_IDS),
}


def test_member_tokenIdsOfAModelThatDoesNotGenerate_declinedAsKind(roomy, sample):
    with reverted(roomy) as t:
        a = Attacker(t)
        FINDING_2["token ids"](a, t.model(MODEL), sample)
        serve_honestly(t, sample, modes=("brain",))
        refused = [e["refused"] for ag in t.scheduler.agents for e in ag.log if "refused" in e]
        assert refused and all(r.endswith("(KIND)") for r in refused), refused


@pytest.mark.parametrize("junk", FINDING_2.values(), ids=FINDING_2.keys())
def test_member_malformedRequest_honestConcurrentRequestServed_noHonestRoundSlashes(roomy, sample, junk):
    with reverted(roomy) as t:
        a, since = Attacker(t), t.chain.block_number
        junk(a, t.model(MODEL), sample)
        serve_honestly(t, sample, modes=("brain",))
        assert slashed_rounds(t, since) <= a.rounds


def junk_logger(t) -> str:
    """A contract whose every call (a result callback too) emits a log under Brain's `Finalized`
    signature with 3 bytes of data, which no decoder can read as that event's fields."""
    runtime = b"\x7f" + ev.topic_of(ev.Finalized) + bytes.fromhex("60036000a100")  # LOG1(topic, mem[0:3]); STOP
    init = bytes([0x60, len(runtime), 0x60, 12, 0x60, 0, 0x39, 0x60, len(runtime), 0x60, 0, 0xF3])  # 12 bytes
    factory = t.chain.w3.eth.contract(abi=[], bytecode=init + runtime)
    return t.chain.transact(factory.constructor(), sender=t.chain.accounts[ATTACKER]).contract_address


def test_member_consumerEmitsUndecodableLog_roundFinalizedAndConcurrentRequestServed(roomy, sample):
    """The member that finalizes a round whose consumer logs junk reads its own receipt: before, the
    undecodable log raised there and ended every member's tick."""
    with reverted(roomy) as t:
        e, a = t.model(MODEL), Attacker(t)
        r = t.deployment.brain.request(e.model_id, e.encode(sample, ResultKind.OUTPUT_ROOT), fee=a.fee, sender=a.acct,
                                       consumer=junk_logger(t), callback_gas=50_000)
        rid = r.one(ev.Requested).request_id
        serve_honestly(t, sample, modes=("brain",))
        for _ in range(4 * CONFIG.queue_timeout):  # blocks enough for any round to end
            if t.deployment.brain.status(rid) not in (BrainStatus.QUEUED, BrainStatus.DISPATCHED):
                break
            t.step()
        assert t.deployment.brain.status(rid) == BrainStatus.FINALIZED
        assert any(s.event.success for s in events(t.chain, t.deployment.brain.address, ev.CallbackExecuted, key=rid))


# ---- the fuzz: arbitrary junk of every kind, then one honest request per mode
MODELS = st.sampled_from(("held", "unheld", "unregistered"))
DATA = st.tuples(st.binary(min_size=1, max_size=300), st.booleans())  # (bytes, repeated to the model's length)
U64 = st.integers(0, 2**64 - 1)
JUNK = st.one_of(
    st.tuples(st.just("brain"), MODELS, DATA, st.integers(0, 255)),
    st.tuples(st.just("by_hash"), MODELS, st.binary(min_size=32, max_size=32), st.text(max_size=40), st.integers(0, 255)),
    st.tuples(st.just("opml"), MODELS, DATA, U64 | st.just(0)),
    st.tuples(st.just("claim"), MODELS, DATA, st.binary(min_size=32, max_size=32)),
    st.tuples(st.just("hybrid"), MODELS, DATA, U64 | st.just(0)),
)


def play(a: Attacker, junk: tuple) -> None:
    kind, model, *args = junk
    if kind in ("brain", "opml", "claim", "hybrid"):
        (data, exact), rest = args[0], args[1:]
        args = [a.fit(model, data, exact), *rest]
    getattr(a, kind)(model, *args)


# No shrinking: an example costs seconds of chain time, and three junk items at most are short already.
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(junk=st.lists(JUNK, min_size=1, max_size=3))
def test_agents_arbitraryChainData_everyHonestDutyCompletes(roomy, sample, junk):
    with reverted(roomy) as t:
        a, since = Attacker(t), t.chain.block_number
        for j in junk:
            play(a, j)
        serve_honestly(t, sample)
        assert slashed_rounds(t, since) <= a.rounds
