"""Float steps on chain (contracts/README.md, "Float steps"): OpmlGame.postNode, NodeJury, and the tolerance a hybrid request
carries, on the embedded chain.

The model is a two-node float program built here in the spec's byte format (step 1 Add(x, c) with a
model constant c, step 2 Relu): its descriptors, program root, weights root and S_0 are what
bisection/commitments.py defines, so OpmlModels registers it unchanged. Jurors are the staked Brain
nodes: each decodes its task from Brain's InputPosted, recomputes the node (the op named in the posted
ONNX NodeProto; the constant from its own copy of the model, checked against the posted leaf) and votes
VOTE_EXACT (bitwise its recomputation), VOTE_WITHIN (within the claim's tolerance) or VOTE_BEYOND.

- a float game reaches OUTPUT; the claimant posts the node; the jury's vote ends the game (either side,
  either claimant) and the bonds go to the winner; gas of postNode and of the jury's finalize printed;
- every wrong piece of a postNode is refused with a named error and changes nothing;
- a jury round that times out is filed again by `retry` and then settles;
- a closed game's late verdict is ignored;
- HybridCourt refuses a defense claim stated under another tolerance;
- whole disputes on a zoo model's float program (digits-mlp, runtime.float_program) through ChainArbiter,
  the bisection players and a Brain jury of LocalJury jurors: the honest side wins by vote;
- re-base griefing (issue 16, finding 5): a dishonest challenger of an honest claim is charged every jury
  round it causes (exact verdicts) and loses after MAX_REBASES; a noisy defender is charged its own noise,
  at most MAX_REBASES rounds; every game ends within `float_game_bound` blocks.
"""
from __future__ import annotations

import functools
import hashlib
import struct
from dataclasses import replace

import numpy as np
import onnx
import pytest

from bisection import Side, dispute, trace
from bisection.jury import LocalJury, Verdict
from bisection.players import Player, _corrupt, make_player
from bisection.types import MAX_REBASES
from bisection.merkle import ZERO, StateTree
from bisection.tolerance import DEFAULT
from contracts import errors as E
from contracts import events as ev
from contracts.arbiter import ChainArbiter
from contracts.bindings import ResultKind, Status, commitment, new_salt
from contracts.bindings.hybrid import HybridConfig, HybridStatus, vote_of
from contracts.bindings.jury import VOTE_BEYOND, VOTE_EXACT, VOTE_WITHIN, JuryTask
from contracts.bindings.opml import ONNX_NODE, NodePost, OpmlConfig, OpmlGame, float_game_bound
from contracts.chain import connect
from contracts.deploy import ETHER, SystemConfig, deploy, deploy_hybrid, deploy_jury, deploy_opml
from contracts.brain_jurors import BrainJurors
from runtime.model import Model

SYSTEM = SystemConfig(min_stake=ETHER, withdrawal_delay=1000, slash_amount=ETHER // 10, min_fee=ETHER // 1000,
                      committee_size=5, quorum_bps=5000, commit_window=8, reveal_window=8, max_callback_gas=300_000,
                      max_in_flight=64, queue_timeout=32)
OPML = OpmlConfig(window=20, clock=10, min_bond=10**15, stride=2, callback_gas=100_000)
HYBRID = HybridConfig(challenge_window=10, defend_window=6, adopt_window=80, challenge_bond=10**16,
                      brain_callback_gas=250_000, max_callback_gas=200_000)
NODES = 8  # accounts 1..8 stake; 0 deploys; 10 defends; 11, 12 challenge; 13 requests
GAS = 500_000  # explicit gas for Brain moves: one EVM run each, not an estimation search
DEFENDER, CHALLENGER = 1, 2
BY_VOTE, BY_REJECTION = 3, 2


# ---------------------------------------------------------------- a float program in the spec's bytes

F32, INPUT, CONSTANT, VALUE = 4, 1, 2, 3
SHAPE = (1, 4)
X = np.array([[-1.5, 0.25, 2.0, -0.125]], dtype=np.float32)
C = np.array([[0.5, 0.5, -3.0, 1.0]], dtype=np.float32)


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


def f32_bytes(a) -> bytes:
    return np.asarray(a, dtype=">f4").tobytes()


def root(data: bytes) -> bytes:
    """Tensor root of canonical bytes: 1024-byte chunks, zero-padded to a power of two, sha256 tree."""
    chunks = [data[i:i + 1024] for i in range(0, max(len(data), 1), 1024)]
    while len(chunks) & (len(chunks) - 1):
        chunks.append(b"")
    level = [hashlib.sha256(c.ljust(1024, b"\0")).digest() for c in chunks]
    while len(level) > 1:
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def pack_tolerance(atol: float, rtol: float) -> int:
    bits = lambda v: struct.unpack(">I", struct.pack(">f", v))[0]  # noqa: E731
    return bits(atol) << 32 | bits(rtol)


def unpack_tolerance(packed: int) -> tuple[float, float]:
    f = lambda b: struct.unpack(">f", struct.pack(">I", b))[0]  # noqa: E731
    return f(packed >> 32), f(packed & 0xFFFFFFFF)


TOL = pack_tolerance(1e-5, 1e-4)  # the spec's default for float models


def slot_desc(slot: int, kind: int, shape: tuple) -> bytes:
    return u32(slot) + bytes([kind, F32, len(shape)]) + b"".join(u32(d) for d in shape)


def node_desc(step: int, op: str, inputs: list[tuple[int, int]], out: int, shape: tuple,
              op_code: int = ONNX_NODE) -> bytes:
    """bisection/commitments.py: the float node descriptor, with a canonical NodeProto at its end."""
    proto = onnx.helper.make_node(op, [f"i{i}" for i in range(len(inputs))], ["o0"], name="").SerializeToString()
    return (u32(op_code) + u32(step) + u32(len(inputs)) + b"".join(slot_desc(s, k, shape) for s, k in inputs)
            + u32(1) + slot_desc(out, VALUE, shape) + u32(0) + u32(0) + u32(17) + u32(0) + u32(len(proto)) + proto)


class FloatModel:
    """Slots 0 x (input), 1 c (constant), 2 a = Add(x, c), 3 y = Relu(a) (the output); two steps.
    `relu_code` names step 2's op code (ONNX_NODE; an exact op's code makes a step with a kernel); tensors
    are float32 (1, n): X and C for n = 4, else random."""

    def __init__(self, relu_code: int = ONNX_NODE, n: int = 4):
        rng = np.random.default_rng(n)
        self.x, self.c = (X, C) if n == 4 else rng.standard_normal((2, 1, n)).astype(np.float32)
        shape = (1, n)
        tag = b"TRIBUNAL/PROGRAM/F" if relu_code == ONNX_NODE else b"TRIBUNAL/PROGRAM/1"  # a float program, or not
        self.header = (tag + u32(4) + u32(2) + u32(0) + struct.pack(">d", 1.0) + u32(1) + u32(3))
        self.nodes = [node_desc(1, "Add", [(0, INPUT), (1, CONSTANT)], 2, shape),
                      node_desc(2, "Relu", [(2, VALUE)], 3, shape, relu_code)]
        self.program = StateTree([hashlib.sha256(d).digest() for d in [self.header, *self.nodes]])
        self.weights = StateTree([ZERO, root(f32_bytes(self.c)), ZERO, ZERO])
        self.model_id = hashlib.sha256(self.program.root + self.weights.root).digest()
        self.constants = {1: self.c}  # what every juror holds of the model

    def registration(self) -> tuple:
        return (self.header, self.program.proof(0), self.weights.proof(0), 1, self.nodes[0], self.program.proof(1))

    def trace(self, a=None, y=None) -> list[StateTree]:
        """S_0, S_1, S_2 with the honest values unless `a` or `y` are given."""
        a = (self.x + self.c) if a is None else np.asarray(a, np.float32)
        y = np.maximum(self.x + self.c, 0) if y is None else np.asarray(y, np.float32)
        leaves = [root(f32_bytes(self.x)), root(f32_bytes(self.c)), ZERO, ZERO]
        states = [StateTree(list(leaves))]
        leaves[2] = root(f32_bytes(a))
        states.append(StateTree(list(leaves)))
        leaves[3] = root(f32_bytes(y))
        states.append(StateTree(list(leaves)))
        return states


def parse_node(d: bytes) -> tuple[list[int], bytes]:
    """(input slots, NodeProto bytes) of a float node descriptor."""
    at4 = lambda at: struct.unpack(">I", d[at:at + 4])[0]  # noqa: E731
    slots, at = [], 12
    for _ in range(at4(8)):
        slots.append(at4(at))
        at += 7 + 4 * d[at + 6]
    at += 4  # u32 1: one written output
    at += 7 + 4 * d[at + 6]  # its slot descriptor
    at += 12  # u32 0 (no int attrs), output index, opset
    at += 4 + at4(at)  # domain
    return slots, d[at + 4:at + 4 + at4(at)]


def juror_vote(task: JuryTask, model: FloatModel) -> bytes | None:
    """What an honest juror votes: recompute the node from the task (None: it cannot evaluate)."""
    slots, raw_proto = parse_node(task.node)
    proto = onnx.NodeProto()
    proto.ParseFromString(raw_proto)
    args = []
    for slot, leaf, raw in zip(slots, task.input_leaves, task.inputs):
        if raw == b"":
            const = model.constants.get(slot)
            if const is None or root(f32_bytes(const)) != leaf:
                return None
            args.append(const.astype(np.float64).ravel())
        else:
            args.append(np.frombuffer(raw, dtype=">f4").astype(np.float64))
    want = {"Add": lambda a, b: a + b, "Relu": lambda a: np.maximum(a, 0)}[proto.op_type](*args)
    if f32_bytes(want) == task.output:  # Add and Relu of float32s in float64, rounded once: the float32 result
        return VOTE_EXACT
    got = np.frombuffer(task.output, dtype=">f4").astype(np.float64)
    atol, rtol = unpack_tolerance(task.tolerance)
    return VOTE_WITHIN if np.all(np.abs(got - want) <= atol + rtol * np.abs(want)) else VOTE_BEYOND


# ---------------------------------------------------------------- the deployment and the players


@pytest.fixture(scope="module")
def deployed():
    chain = connect("embedded")
    system = deploy(chain, SYSTEM)
    opml = deploy_opml(chain, OPML)
    jury = deploy_jury(system, opml)
    hybrid = deploy_hybrid(system, opml, HYBRID)
    for account in chain.accounts[1:1 + NODES]:
        system.nodes.register(2 * ETHER, sender=account)
    models = {"float": FloatModel(), "mixed": FloatModel(relu_code=9)}
    for m in models.values():
        system.models.register(m.program.root, m.weights.root)
        opml.models.register(m.program.root, m.weights.root, m.registration())
    yield system, opml, jury, hybrid, models
    chain.close()


@pytest.fixture
def env(deployed):
    chain = deployed[0].chain
    snap = chain.snapshot()
    yield Env(deployed)
    chain.revert(snap)


class Env:
    """Plays defender, challengers and jurors of float games."""

    def __init__(self, deployed):
        self.s, self.opml, self.jury, self.h, self.models = deployed
        self.chain, self.game, self.brain = self.s.chain, self.opml.game, self.s.brain
        self.model = self.models["float"]
        self.accounts = {a.address: a for a in self.chain.accounts}
        self.defender, self.challenger, self.other, self.user = (self.chain.accounts[i] for i in (10, 11, 12, 13))

    def claim(self, *, model: FloatModel | None = None, a=None, y=None, tolerance: int = TOL) -> tuple[int, list]:
        """The defender's claim on input X with step values `a`, `y` (honest by default); (claim id, its trace)."""
        m = model or self.model
        states = m.trace(a=a, y=y)
        r = self.game.submit_claim(m.model_id, f32_bytes(m.x), states[2].root, states[2].leaf(3), states[2].proof(3),
                                   bond=OPML.min_bond, sender=self.defender, tolerance=tolerance)
        return r.one(ev.ClaimSubmitted).claim_id, states

    def open(self, claim_id: int, mid: StateTree, challenger=None) -> int:
        r = self.game.open_game(claim_id, mid.root, bond=OPML.min_bond, sender=challenger or self.challenger)
        return r.one(ev.GameOpened).game_id

    def to_step(self, game_id: int, agree: bool) -> None:
        """The defender's verdict on the challenger's S_1: agree disputes step 2, disagree step 1."""
        self.game.bisect(game_id, agree, None, sender=self.defender)
        assert self.game.game(game_id).phase == "output"

    def post(self, step: int, lo: StateTree, hi: StateTree, *, a=None, y=None, model: FloatModel | None = None,
             **wrong) -> NodePost:
        """The claimant's NodePost for `step` between S_lo and S_hi, with slot 2 holding `a` and slot 3 `y`
        (honest by default) as those states do; fields named in `wrong` replaced."""
        m = model or self.model
        a = m.x + m.c if a is None else np.asarray(a, np.float32)
        y = np.maximum(m.x + m.c, 0) if y is None else np.asarray(y, np.float32)
        if step == 1:
            ins, out, inputs, output = [0, 1], 2, [f32_bytes(m.x), b""], f32_bytes(a)
        else:
            ins, out, inputs, output = [2], 3, [f32_bytes(a)], f32_bytes(y)
        post = dict(output_root=hi.leaf(out), proof=hi.proof(out), node=m.nodes[step - 1],
                    node_proof=m.program.proof(step), input_leaves=[lo.leaf(s) for s in ins],
                    input_proofs=[lo.proof(s) for s in ins], inputs=inputs, output=output)
        post.update(wrong)
        return NodePost(**post)

    def jury_round(self, request_id: int, vote=juror_vote, *, voters: int | None = None, finalize: bool = True,
                   model: FloatModel | None = None):
        """Dispatches the round (the oldest queued one), each member votes `vote(task, model)` (first `voters`
        only), then Brain finalizes (unless not `finalize`). Returns (finalize receipt, the task jurors read)."""
        if self.brain.status(request_id) == Status.QUEUED:
            self.chain.mine(1)
            self.brain.dispatch(1, gas=2 * GAS)
        committee = [self.accounts[a] for a in self.brain.committee(request_id)][:voters]
        task = JuryTask.decode(self._input(request_id))
        votes = {m.address: vote(task, model or self.model) for m in committee}
        salts = {a: new_salt() for a in votes}
        for m in committee:
            self.brain.commit(request_id, commitment(votes[m.address], m.address, salts[m.address]), sender=m, gas=GAS)
        info = self.brain.request_info(request_id)
        if len(committee) < SYSTEM.committee_size:
            self.chain.mine(max(0, info.commit_deadline - self.chain.block_number + 1))
        for m in committee:
            self.brain.reveal(request_id, votes[m.address], salts[m.address], sender=m, gas=GAS)
        if len(committee) < SYSTEM.committee_size:
            self.chain.mine(max(0, info.reveal_deadline - self.chain.block_number + 1))
        return (self.brain.finalize(request_id, gas=2 * GAS) if finalize else None), task

    def _input(self, request_id: int) -> bytes:
        return self.jury.task_of(self.jury.game_of(request_id)).encode()

    def callback_gas(self, request_id: int, vote: bytes) -> int:
        """Gas NodeJury.onResult uses for this round's vote now (estimated as a call from Brain)."""
        data = self.jury.contract.functions.onResult(request_id, vote)._encode_transaction_data()
        est = self.chain.w3.eth.estimate_gas({"from": self.brain.address, "to": self.jury.address, "data": data,
                                              "gas": 1_000_000, "gasPrice": 0})
        return est - 21_000 - 16 * (len(data) // 2 - 1)


def show_gas(what: str, gas: int) -> None:
    print(f"\nnode jury: gas {what}: {gas}")


# ---------------------------------------------------------------- the game, decided by the jury


def test_float_step_within_tolerance_claimant_wins_by_jury_vote(env):
    y = np.maximum(X + C, 0) + np.float32(2e-6)  # float noise: within atol 1e-5 of the jury's Relu
    cid, states = env.claim(y=y)
    honest = env.model.trace()
    gid = env.open(cid, honest[1])
    env.to_step(gid, agree=True)  # the dispute is step 2 (Relu); the defender claims S_2
    g = env.game.game(gid)
    assert (g.lo, g.hi, g.claimant) == (1, 2, DEFENDER)
    post = env.post(2, honest[1], states[2], y=y)
    fee, bond, before = env.game.jury_fee(), env.game.move_bond(gid), g.defender_bond
    # Brain's fee and the allowance of the jury's onResult (its gas at the base fee of the block postNode lands in).
    allowance = env.jury.callback_gas() * env.chain.next_base_fee()
    assert fee == SYSTEM.min_fee + allowance and allowance > 0
    r = env.game.post_node(gid, post, sender=env.defender)
    posted, convened, requested = r.one(ev.NodePosted), r.one(ev.JuryConvened), r.one(ev.Requested)
    assert (posted.game_id, posted.step, posted.slot, posted.output_root) == (gid, 2, 3, states[2].leaf(3))
    assert (convened.game_id, convened.brain_request_id, convened.step) == (gid, posted.jury_request, 2)
    assert (requested.result_kind, requested.model_id, requested.fee) == (ResultKind.NODE_CHECK, env.model.model_id, SYSTEM.min_fee)
    assert env.brain.request_info(posted.jury_request).allowance == allowance
    assert requested.requester == requested.consumer == env.jury.address
    task = JuryTask.decode(r.one(ev.InputPosted).input)
    assert task == JuryTask(gid, 2, TOL, post.node, tuple(post.input_leaves), tuple(post.inputs), post.output_root,
                            post.output)
    g = env.game.game(gid)
    assert (g.phase, g.turn, g.output_slot, g.output_root) == ("vote", 0, 3, post.output_root)
    assert g.defender_bond == before + bond  # the fee went to the jury, not into the game's pot
    show_gas(f"postNode (input {len(post.inputs[0])} B, output {len(post.output)} B, task {len(task.encode())} B)",
             r.gas_used)
    env.chain.mine(OPML.clock + 2)
    with pytest.raises(E.VotePending):  # no clock runs while the jury votes
        env.game.claim_timeout(gid)
    used = env.callback_gas(posted.jury_request, VOTE_WITHIN)
    show_gas("NodeJury.onResult ending the game (claimant wins)", used)
    assert used < env.jury.callback_gas()
    fin, _ = env.jury_round(posted.jury_request)
    show_gas("jury finalize (Brain.finalize, verdict delivered, game ended)", fin.gas_used)
    assert fin.one(ev.JuryVerdict).verdict == Verdict.WITHIN  # noise at the last step: the claim stands
    assert [c.success for c in fin.of(ev.CallbackExecuted)] == [True]
    resolved = fin.one(ev.GameResolved)
    assert (resolved.game_id, resolved.winner, resolved.reason) == (gid, DEFENDER, BY_VOTE)
    assert env.game.paid(env.defender.address) == g.challenger_bond + g.defender_bond
    env.chain.mine(OPML.window)
    env.game.resolve_claim(cid)
    assert env.game.claim(cid).status == "final" and env.game.claim(cid).tolerance == TOL


def test_float_step_beyond_tolerance_disputer_wins_and_claim_is_rejected(env):
    y = np.maximum(X + C, 0) + np.float32(0.5)
    cid, states = env.claim(y=y)
    honest = env.model.trace()
    gid = env.open(cid, honest[1])
    env.to_step(gid, agree=True)
    r = env.game.post_node(gid, env.post(2, honest[1], states[2], y=y), sender=env.defender)
    rid = r.one(ev.NodePosted).jury_request
    g = env.game.game(gid)
    used = env.callback_gas(rid, VOTE_BEYOND)
    show_gas("NodeJury.onResult ending the game (disputer wins, claim rejected)", used)
    assert used < env.jury.callback_gas()
    fin, task = env.jury_round(rid)
    assert juror_vote(task, env.model) == VOTE_BEYOND
    assert fin.one(ev.JuryVerdict).verdict == Verdict.BEYOND
    resolved = fin.one(ev.GameResolved)
    assert (resolved.winner, resolved.reason) == (CHALLENGER, BY_VOTE)
    assert fin.one(ev.ClaimRejected).claim_id == cid
    assert env.game.claim(cid).status == "rejected"
    assert env.game.paid(env.challenger.address) == g.challenger_bond + g.defender_bond + OPML.min_bond


def test_float_step_challenger_claimant_defender_posts_exact_value_rebased_charged_to_challenger(env):
    """The defender disputes the challenger's S_1: the defender still posts step 1 (its own value, not the
    challenger's root). Voted exact (bitwise the recomputation): the challenger claimed an S_1 that is not
    S_0 with that value, so the round is charged to it and the game re-bases on the defender's S_1; the
    defender's exact step 2 then ends it (the last step: the claim stands)."""
    wrong_a = X + C + np.float32(1.0)  # the challenger's S_1 is wrong: the defender disagrees with it
    cid, states = env.claim()
    honest, theirs = env.model.trace(), env.model.trace(a=wrong_a)
    gid = env.open(cid, theirs[1])
    env.to_step(gid, agree=False)
    g = env.game.game(gid)
    assert (g.lo, g.hi, g.claimant, g.turn) == (0, 1, CHALLENGER, DEFENDER)
    with pytest.raises(E.NotYourTurn):  # a float step is the defender's to post, whoever claims S_hi
        env.game.post_node(gid, env.post(1, honest[0], theirs[1], a=wrong_a), sender=env.challenger)
    with pytest.raises(E.InvalidNodeInput):  # a constant travels as its leaf only
        env.game.post_node(gid, env.post(1, honest[0], honest[1], inputs=[f32_bytes(X), f32_bytes(C)]),
                           sender=env.defender)
    r = env.game.post_node(gid, env.post(1, honest[0], honest[1]), sender=env.defender)  # not linked to S_hi
    show_gas("NodeJury.onResult, exact verdict before the last step", env.callback_gas(r.one(ev.NodePosted).jury_request,
                                                                                       VOTE_EXACT))
    fin, task = env.jury_round(r.one(ev.NodePosted).jury_request)
    show_gas("jury finalize, exact verdict before the last step (re-base)", fin.gas_used)
    assert task.inputs == (f32_bytes(X), b"") and task.input_leaves[1] == root(f32_bytes(C))
    assert fin.one(ev.JuryVerdict).verdict == Verdict.EXACT and not fin.of(ev.GameResolved)
    rebased = fin.one(ev.Rebased)
    assert (rebased.game_id, rebased.step, rebased.root_lo, rebased.charged) == (gid, 1, states[1].root, CHALLENGER)
    g = env.game.game(gid)
    assert (g.phase, g.lo, g.hi, g.claimant, g.charged_defender, g.charged_challenger) == ("output", 1, 2, DEFENDER,
                                                                                           0, 1)
    r = env.game.post_node(gid, env.post(2, states[1], states[2]), sender=env.defender)
    fin, _ = env.jury_round(r.one(ev.NodePosted).jury_request)
    assert fin.one(ev.JuryVerdict).verdict == Verdict.EXACT
    assert (fin.one(ev.GameResolved).winner, fin.one(ev.GameResolved).reason) == (DEFENDER, BY_VOTE)
    assert env.game.claim(cid).status == "pending"  # the defender's claim stands (final after its window)


def test_float_step_noisy_defender_rebased_clocks_not_refilled_then_wins(env):
    """The defender's step 1 is one float noise off (within tolerance, not bitwise): the game is re-based
    on it (the round charged to the defender) with the clocks as they were, and goes on to step 2, where the
    defender's Relu of its own noisy value is exact: the claim stands."""
    noisy = X + C + np.float32(2e-6)
    cid, states = env.claim(a=noisy, y=np.maximum(noisy, 0))
    honest = env.model.trace()
    gid = env.open(cid, honest[1])
    env.to_step(gid, agree=False)  # the defender disputes the honest S_1: step 1 is disputed
    before = env.game.game(gid)
    r = env.game.post_node(gid, env.post(1, honest[0], states[1], a=noisy), sender=env.defender)
    used = env.callback_gas(r.one(ev.NodePosted).jury_request, VOTE_WITHIN)
    show_gas("NodeJury.onResult, within verdict before the last step (re-base)", used)
    assert used < env.jury.callback_gas()
    fin, _ = env.jury_round(r.one(ev.NodePosted).jury_request)
    show_gas("jury finalize, within verdict before the last step (re-base)", fin.gas_used)
    assert fin.one(ev.JuryVerdict).verdict == Verdict.WITHIN
    rebased = fin.one(ev.Rebased)
    assert (rebased.game_id, rebased.step, rebased.root_lo, rebased.charged) == (gid, 1, states[1].root, DEFENDER)
    g = env.game.game(gid)  # (1, 2] is final: the defender posts step 2 at once
    assert (g.phase, g.lo, g.hi, g.turn, g.claimant, g.root_hi) == ("output", 1, 2, DEFENDER, DEFENDER, states[2].root)
    assert (g.charged_defender, g.charged_challenger) == (1, 0)
    assert g.clock_challenger == before.clock_challenger  # not refilled
    assert g.clock_defender < OPML.clock
    r = env.game.post_node(gid, env.post(2, states[1], states[2], a=noisy, y=np.maximum(noisy, 0)),
                           sender=env.defender)
    fin, _ = env.jury_round(r.one(ev.NodePosted).jury_request)
    assert fin.one(ev.JuryVerdict).verdict == Verdict.EXACT
    assert (fin.one(ev.GameResolved).winner, fin.one(ev.GameResolved).reason) == (DEFENDER, BY_VOTE)
    assert env.game.claim(cid).status == "pending"


# ---------------------------------------------------------------- refusals


def test_post_node_each_wrong_piece_is_refused_by_name_and_changes_nothing(env):
    y = np.maximum(X + C, 0)
    cid, states = env.claim()
    honest = env.model.trace()
    gid = env.open(cid, honest[1])
    env.to_step(gid, agree=True)
    lo, hi, a = honest[1], states[2], X + C
    other = f32_bytes(a + 1)
    wrong = [
        (E.InvalidProof, dict(node=env.model.nodes[0], node_proof=env.model.program.proof(1))),  # another step's
        (E.InvalidProof, dict(node_proof=env.model.program.proof(1))),
        (E.InvalidNodeInput, dict(input_leaves=[root(other)], inputs=[other])),  # not S_lo's value
        (E.InvalidNodeInput, dict(input_proofs=[lo.proof(3)])),  # another slot's path
        (E.InvalidNodeInput, dict(inputs=[other])),  # bytes not the leaf's
        (E.InvalidNodeInput, dict(inputs=[f32_bytes(a)[:-4]])),  # wrong size
        (E.InvalidNodeInput, dict(inputs=[], input_leaves=[], input_proofs=[])),  # an input missing
        (E.InvalidNodeOutput, dict(output=f32_bytes(y) + bytes(4))),  # wrong size
        (E.InvalidNodeOutput, dict(output=f32_bytes(y + 1))),  # not the output root's bytes
        (E.InvalidProof, dict(output_root=root(f32_bytes(y + 1)), output=f32_bytes(y + 1))),  # not S_hi's
        (E.InvalidPrestate, dict(proof=hi.proof(2))),
    ]
    before, next_id = env.game.game(gid), env.brain.next_request_id()
    for exc, fields in wrong:
        with pytest.raises(exc):
            env.game.post_node(gid, env.post(2, lo, hi, **fields), sender=env.defender)
    good = env.post(2, lo, hi)
    with pytest.raises(E.InsufficientBond):
        env.game.post_node(gid, good, sender=env.defender, fee=SYSTEM.min_fee - 1)
    with pytest.raises(E.InsufficientBond):
        env.game.post_node(gid, good, sender=env.defender, bond=env.game.move_bond(gid) - 1)
    with pytest.raises(E.NotYourTurn):
        env.game.post_node(gid, good, sender=env.challenger)
    with pytest.raises(E.WrongNodeKind):  # a float step has no one-step kernel
        env.game.post_output(gid, good.output_root, good.proof, [], bytes(1024), good.node, good.node_proof,
                             sender=env.defender)
    assert env.game.game(gid) == before and env.brain.next_request_id() == next_id
    env.game.post_node(gid, good, sender=env.defender)
    assert env.game.game(gid).phase == "vote"


def test_post_node_on_a_step_with_a_kernel_is_refused(env):
    mixed = env.models["mixed"]  # step 2 is op code 9 (the exact Relu): settled by postOutput and step
    cid, states = env.claim(model=mixed)
    gid = env.open(cid, mixed.trace()[1])
    env.to_step(gid, agree=True)
    with pytest.raises(E.WrongNodeKind):
        env.game.post_node(gid, env.post(2, mixed.trace()[1], states[2], model=mixed), sender=env.defender)


def test_jury_binding_and_callers_are_checked(env):
    bare = OpmlGame(env.chain, env.chain.deploy("OpmlGame", env.opml.models.address, env.opml.verifier,
                                                OPML.as_tuple()))
    states = env.model.trace()
    cid = bare.submit_claim(env.model.model_id, f32_bytes(X), states[2].root, states[2].leaf(3), states[2].proof(3),
                            bond=OPML.min_bond, sender=env.defender, tolerance=TOL).one(ev.ClaimSubmitted).claim_id
    gid = bare.open_game(cid, states[1].root, bond=OPML.min_bond, sender=env.challenger).one(ev.GameOpened).game_id
    bare.bisect(gid, True, None, sender=env.defender)
    with pytest.raises(E.JuryNotSet):
        bare.post_node(gid, env.post(2, states[1], states[2]), sender=env.defender)
    with pytest.raises(E.UnauthorizedCaller):
        bare.set_jury(env.jury.address, sender=env.defender)
    with pytest.raises(E.JuryAlreadySet):
        env.game.set_jury(env.defender.address)
    with pytest.raises(E.JuryAlreadySet):
        env.jury.bind(bare.address)
    with pytest.raises(E.UnauthorizedCaller):
        env.game._tx("onVerdict", 0, Verdict.WITHIN, sender=env.defender)
    with pytest.raises(E.UnauthorizedCaller):
        env.jury._tx("convene", 0, env.model.model_id, bytes(64), sender=env.defender, value=SYSTEM.min_fee)
    with pytest.raises(E.UnauthorizedCaller):
        env.jury._tx("onResult", 1, VOTE_WITHIN, sender=env.defender)
    with pytest.raises(E.UnknownJuryCase):
        env.jury.retry(0, b"", sender=env.defender)
    with pytest.raises(E.JuryGasTooLow):
        deploy_jury(env.s, env.opml, callback_gas=100_000)


# ---------------------------------------------------------------- rounds without a verdict, late verdicts


def test_timed_out_jury_round_is_filed_again_by_retry_then_settles(env):
    y = np.maximum(X + C, 0) + np.float32(0.5)
    cid, states = env.claim(y=y)
    honest = env.model.trace()
    gid = env.open(cid, honest[1])
    env.to_step(gid, agree=True)
    first = env.game.post_node(gid, env.post(2, honest[1], states[2], y=y), sender=env.defender)
    rid = first.one(ev.NodePosted).jury_request
    fin, task = env.jury_round(rid, voters=0)  # nobody votes: no quorum
    assert fin.one(ev.TimedOut).request_id == rid and env.game.game(gid).phase == "vote"
    # The silent jurors' stake goes to the treasury; the jury is refunded its fee only (DESIGN.md section 9).
    assert fin.one(ev.Forfeited).amount == SYSTEM.committee_size * SYSTEM.slash_amount
    old = env.brain.request_info(rid).allowance  # no callback ran: it comes back with the fee
    assert fin.one(ev.Refunded).account == env.jury.address and fin.one(ev.Refunded).amount == SYSTEM.min_fee + old
    with pytest.raises(E.JuryTaskMismatch):
        env.jury.retry(gid, task.encode() + b"\0", sender=env.other)
    r = env.jury.retry(gid, sender=env.other)  # anyone; the task is read back from InputPosted
    again = r.one(ev.JuryConvened)
    new = env.brain.request_info(again.brain_request_id).allowance  # the refund pays the new round's allowance too
    assert again.game_id == gid and again.brain_request_id != rid and r.one(ev.Requested).fee == SYSTEM.min_fee + old - new
    assert JuryTask.decode(r.one(ev.InputPosted).input) == task
    assert env.chain.balance(env.jury.address) == 0  # nothing of anyone's stake sticks in the jury
    with pytest.raises(E.JuryRoundOpen):
        env.jury.retry(gid, sender=env.other)
    fin, _ = env.jury_round(again.brain_request_id)
    assert (fin.one(ev.GameResolved).winner, fin.one(ev.GameResolved).reason) == (CHALLENGER, BY_VOTE)
    assert env.jury.case(gid).settled
    with pytest.raises(E.NothingToRetry):
        env.jury.retry(gid, task, sender=env.other)


def test_closed_games_late_verdict_is_ignored(env):
    y = np.maximum(X + C, 0) + np.float32(0.5)
    cid, states = env.claim(y=y)
    honest = env.model.trace()
    ga, gb = env.open(cid, honest[1]), env.open(cid, honest[1], challenger=env.other)
    rids = {}
    for gid in (ga, gb):
        env.to_step(gid, agree=True)
        r = env.game.post_node(gid, env.post(2, honest[1], states[2], y=y), sender=env.defender)
        rids[gid] = r.one(ev.NodePosted).jury_request
    env.jury_round(rids[ga], finalize=False)  # game A's jury votes; Brain finalizes it later
    fin, _ = env.jury_round(rids[gb])  # game B refutes the claim
    assert fin.one(ev.ClaimRejected).game_id == gb
    closed = env.game.close_game(ga).one(ev.GameResolved)
    assert (closed.game_id, closed.winner, closed.reason) == (ga, 0, BY_REJECTION)
    paid = env.game.paid(env.challenger.address), env.game.paid(env.defender.address)
    fin = env.brain.finalize(rids[ga], gas=2 * GAS)  # game A's verdict arrives after it closed
    assert fin.one(ev.JuryVerdict).game_id == ga and not fin.of(ev.GameResolved)
    assert [c.success for c in fin.of(ev.CallbackExecuted)] == [True]
    assert (env.game.paid(env.challenger.address), env.game.paid(env.defender.address)) == paid
    assert env.game.game(ga).winner == 0


# ---------------------------------------------------------------- hybrid: the request's tolerance


def test_hybrid_defense_claim_with_another_tolerance_is_refused(env):
    court, m, states = env.h.court, env.model, env.model.trace()
    out, final, proof = states[2].leaf(3), states[2].root, states[2].proof(3)
    r = court.request(m.model_id, f32_bytes(X), fee=SYSTEM.min_fee, sender=env.user, tolerance=TOL)
    rid = r.one(ev.HybridRequested).request_id
    assert r.one(ev.HybridRequested).tolerance == TOL and court.request_info(rid).tolerance == TOL
    env.chain.mine(1)
    env.brain.dispatch(1, gas=2 * GAS)
    committee = [env.accounts[a] for a in env.brain.committee(rid)]
    salts = {c.address: new_salt() for c in committee}
    for c in committee:
        env.brain.commit(rid, commitment(vote_of(out, final), c.address, salts[c.address]), sender=c, gas=GAS)
    for c in committee:
        env.brain.reveal(rid, vote_of(out, final), salts[c.address], sender=c, gas=GAS)
    court.publish(rid, out, final, proof, sender=committee[0])
    env.brain.finalize(rid, gas=2 * GAS)
    assert court.status(rid) == HybridStatus.PROVISIONAL
    court.challenge(rid, bond=HYBRID.challenge_bond, sender=env.other)
    member = committee[0]
    claims = {}
    for tol in (0, pack_tolerance(1e-3, 0.0), TOL):
        claims[tol] = env.game.submit_claim(m.model_id, f32_bytes(X), final, out, proof, bond=OPML.min_bond,
                                            sender=member, tolerance=tol).one(ev.ClaimSubmitted).claim_id
    for tol in (0, pack_tolerance(1e-3, 0.0)):
        with pytest.raises(E.ClaimDoesNotMatch, match="another tolerance"):
            court.defend(rid, claims[tol], sender=member)
    assert court.defend(rid, claims[TOL], sender=member).one(ev.AnswerDefended).claim_id == claims[TOL]


@pytest.mark.parametrize("n", [4096])
def test_post_node_and_jury_gas_by_tensor_size(env, n):
    """Figures: postNode and the jury's finalize for float32 (1, n) tensors (n * 4 bytes each)."""
    m = FloatModel(n=n)
    env.s.models.register(m.program.root, m.weights.root)
    env.opml.models.register(m.program.root, m.weights.root, m.registration())
    y = np.maximum(m.x + m.c, 0) * np.float32(1 + 5e-5)  # within rtol 1e-4
    cid, states = env.claim(model=m, y=y)
    gid = env.open(cid, m.trace()[1])
    env.to_step(gid, agree=True)
    post = env.post(2, m.trace()[1], states[2], y=y, model=m)
    r = env.game.post_node(gid, post, sender=env.defender)
    show_gas(f"postNode, input and output {4 * n} B each", r.gas_used)
    fin, task = env.jury_round(r.one(ev.NodePosted).jury_request, model=m)
    show_gas(f"jury finalize, {4 * n} B tensors", fin.gas_used)
    assert len(task.inputs[0]) == len(task.output) == 4 * n
    assert (fin.one(ev.GameResolved).winner, fin.one(ev.GameResolved).reason) == (DEFENDER, BY_VOTE)


# ---------------------------------------------------------------- whole disputes: a zoo model's float program


@functools.lru_cache(maxsize=None)
def gpt2_float():
    m = Model.load("gpt2-tiny")
    program = m.float_program(m.default_shape())
    return program, np.random.default_rng(7).integers(0, m.id_limit(), m.default_shape()).astype(np.int64)


@functools.lru_cache(maxsize=None)
def digits_float():
    m = Model.load("digits-mlp")
    program = m.float_program(m.default_shape())
    return program, np.random.default_rng(7).standard_normal(m.default_shape()).astype(np.float32)


@pytest.mark.parametrize("strategy, cheater", [("wrong-output", "defender"), ("inconsistent", "challenger")])
def test_float_dispute_through_chain_arbiter_and_brain_jury_honest_side_wins(env, strategy, cheater):
    program, x = digits_float()
    jurors = BrainJurors(env.s, env.jury, LocalJury(program), env.chain.accounts[1:1 + NODES])
    arbiter = ChainArbiter(env.opml, {"defender": env.defender, "challenger": env.challenger}, jurors=jurors)
    r = dispute.run(program, x, cheat=strategy, at_step=3, cheater=cheater, arbiter=arbiter, tolerance=DEFAULT)
    assert r.winner == ("challenger" if cheater == "defender" else "defender"), r.reason
    kinds = [e.kind for e in r.transcript]
    assert "post_node" in kinds and kinds.index("post_node") < len(kinds) - 1
    if cheater == "defender":  # its lie is found beyond tolerance at once
        assert kinds[-2:] == ["post_node", "verdict"] and "won by vote" in r.reason
    else:  # the honest defender's step is voted exact: re-based, charged to the lying challenger, which loses
        assert r.charged[0] == 0 and r.charged[1] >= len(r.rebases) and r.claim_status == "pending", r.reason
    assert r.claim_status == ("rejected" if cheater == "defender" else "pending")
    show_gas(f"whole float dispute ({strategy} {cheater}, {r.moves} moves) plus its jury round",
             sum(g["gas"] for g in arbiter.gas) + sum(g["gas"] for g in jurors.gas))


def _noise(program, steps, lie: int | None = None):
    """A tamper one ulp off at each of `steps` (harmless noise under the default tolerance), and far off at
    `lie` (a real lie)."""
    changes = [_corrupt(program, k, "lsb", 0) for k in steps] + ([_corrupt(program, lie, "add", 0)] if lie else [])

    def tamper(k, written, state):
        extra = {}
        for c in changes:
            written, more = c(k, written, state)
            extra.update(more)
        return written, extra
    return tamper


def _float_game(env, defender: Player, challenger: Player, program=None) -> tuple:
    """One float game on `program` (digits-mlp's by default) through ChainArbiter and a Brain jury; (game,
    blocks from open to end, jury rounds, the arbiter)."""
    program = program or digits_float()[0]
    jurors = BrainJurors(env.s, env.jury, LocalJury(program), env.chain.accounts[1:1 + NODES])
    arbiter = ChainArbiter(env.opml, {"defender": env.defender, "challenger": env.challenger}, jurors=jurors)
    cid = defender.submit(arbiter, arbiter.register_model(program), tolerance=DEFAULT)
    gid = challenger.challenge(arbiter, cid)
    opened = env.chain.block_number
    dispute.play(arbiter, gid, {Side.DEFENDER: defender, Side.CHALLENGER: challenger})
    ended = env.game.game(gid)
    rounds = [t for t in arbiter.gas if t["kind"] == "post_node" and t["game"] == gid]
    return ended, env.chain.block_number - opened, len(rounds), arbiter


def _float_steps(program):
    return [k for k in range(1, program.steps + 1)
            if np.dtype(program.slots[program.nodes[k - 1].outputs[0]].dtype).kind == "f"]


def test_rebase_griefing_challenger_charged_every_round_game_within_bound(env):
    """Issue 16, finding 5, replayed: a dishonest challenger one ulp off the honest claim at every float step
    of digits-mlp (under the first rule each step was a free jury round and a refilled clock). Each of the
    honest defender's posted steps is voted exact, re-based and charged to the challenger (digits-mlp has
    at most MAX_REBASES steps before N), the last one ends the game for the defender, the griefer's bonds
    (more than the jury fees and the postNode gas the defender spent) go to the defender, and the game ends
    within its bound."""
    program, x = digits_float()
    steps = _float_steps(program)
    early = [k for k in steps if k < program.steps]
    assert len(early) <= MAX_REBASES
    honest = make_player("defender", program, x, "honest")
    tamper = _noise(program, steps)
    griefer = Player("challenger", trace.compute(program, x, tamper), "bent", tamper)
    g, blocks, rounds, arbiter = _float_game(env, honest, griefer)
    assert (g.winner, g.charged_defender, g.charged_challenger, rounds) == (DEFENDER, 0, len(early), len(early) + 1)
    bound = float_game_bound(OPML, SYSTEM.commit_window, SYSTEM.reveal_window)
    assert blocks <= bound, (blocks, bound)
    post_gas = [t["gas"] for t in arbiter.gas if t["kind"] == "post_node"]
    spent = rounds * SYSTEM.min_fee + sum(post_gas) * OPML.gas_price  # the rounds' cost to the defender
    assert g.challenger_bond >= spent, (g.challenger_bond, spent)  # the griefer's bonds, all the defender's now
    assert env.game.paid(env.defender.address) == g.challenger_bond + g.defender_bond
    show_gas(f"griefing game: {blocks} blocks (bound {bound}), {rounds} rounds, postNode (max)", max(post_gas))


@pytest.mark.parametrize("side", ["defender", "challenger"])
def test_side_charged_more_than_max_rebases_loses_game_within_bound(env, side):
    """gpt2-tiny, one side one ulp off at MAX_REBASES + 1 float steps before the last, the other honest: a
    noisy defender's rounds (within) or a noisy challenger's (exact: it disputed correct values) are charged
    to it; the first MAX_REBASES are adopted, the next one loses it the game by vote, and the whole game,
    re-bases included, ends within its bound."""
    program, x = gpt2_float()
    # gpt2-tiny's many steps need more blocks of moves than OPML's 10-block clock (re-bases do not refill it):
    # a game on the default clock, with its own jury, on the same Brain (the snapshot drops both after)
    config = replace(OPML, clock=OpmlConfig().clock)
    env.opml = deploy_opml(env.chain, config, verifier=env.opml.verifier)
    env.jury, env.game = deploy_jury(env.s, env.opml), env.opml.game
    noisy = [k for k in _float_steps(program) if k < program.steps - 1][:MAX_REBASES + 1]
    assert len(noisy) == MAX_REBASES + 1
    tamper = _noise(program, noisy)
    bent = Player(side, trace.compute(program, x, tamper), "bent", tamper)
    fair = make_player("challenger" if side == "defender" else "defender", program, x, "honest")
    g, blocks, rounds, _ = _float_game(env, *((bent, fair) if side == "defender" else (fair, bent)), program=program)
    charged = (MAX_REBASES + 1, 0) if side == "defender" else (0, MAX_REBASES + 1)
    assert (g.winner, (g.charged_defender, g.charged_challenger), rounds) == (
        CHALLENGER if side == "defender" else DEFENDER, charged, MAX_REBASES + 1)
    assert blocks <= float_game_bound(config, SYSTEM.commit_window, SYSTEM.reveal_window), blocks


# ---------------------------------------------------------------- widths: LibProgram against bisection.commitments


def one_node_program(dtype: int, shape: tuple) -> tuple[bytes, bytes, tuple]:
    """(program root, weights root, registration) of a one-step program whose input slot has `dtype`."""
    desc = lambda slot, kind: u32(slot) + bytes([kind, dtype, len(shape)]) + b"".join(u32(d) for d in shape)  # noqa: E731
    header = b"TRIBUNAL/PROGRAM/1" + u32(2) + u32(1) + u32(0) + struct.pack(">d", 1.0) + u32(1) + u32(1)
    node = u32(ONNX_NODE) + u32(1) + u32(1) + desc(0, INPUT) + u32(1) + desc(1, VALUE) + u32(0)
    program, weights = StateTree([hashlib.sha256(header).digest(), hashlib.sha256(node).digest()]), StateTree([ZERO, ZERO])
    return program.root, weights.root, (header, program.proof(0), weights.proof(0), 1, node, program.proof(1))


def test_libprogram_widths_match_python_dtype_widths_for_every_code(env):
    from bisection.commitments import DTYPE_CODES, DTYPE_WIDTH

    for name, code in DTYPE_CODES.items():
        for shape in [(3,), (2, 3, 5)]:
            program_root, weights_root, reg = one_node_program(code, shape)
            env.opml.models.register(program_root, weights_root, reg)
            m = env.opml.models.model(hashlib.sha256(program_root + weights_root).digest())
            assert m.input_bytes == DTYPE_WIDTH[name] * int(np.prod(shape)), (name, shape)
    for unknown in (0, 10):  # a dtype the chain does not know has no size: no input can match it
        with pytest.raises(E.InvalidModelProof):
            env.opml.models.register(*one_node_program(unknown, (3,)))


def test_verdict_whose_callback_starved_is_delivered_by_retry_never_refiled(env):
    from contracts.bindings.jury import NodeJury

    # A jury deployed by hand with too little callback gas (deploy_jury refuses that): Brain's callback fails.
    starved = NodeJury(env.chain, env.chain.deploy("NodeJury", env.brain.address, 30_000))
    bare = OpmlGame(env.chain, env.chain.deploy("OpmlGame", env.opml.models.address, env.opml.verifier,
                                                OPML.as_tuple()))
    starved.bind(bare.float_step().address)
    env.brain.bind_kind(starved.address, ResultKind.NODE_CHECK)  # as deploy_jury does
    bare.set_jury(starved.address)
    env.game, env.jury = bare, starved
    cid, states = env.claim()
    gid = env.open(cid, states[1])
    env.to_step(gid, agree=True)
    rid = bare.post_node(gid, env.post(2, states[1], states[2]), sender=env.defender).one(ev.NodePosted).jury_request
    fin, _ = env.jury_round(rid)
    assert [c.success for c in fin.of(ev.CallbackExecuted)] == [False] and bare.game(gid).phase == "vote"
    with pytest.raises(E.FeeNotNeeded):  # a paid retry cannot trade the committee's verdict for a new round
        starved.retry(gid, sender=env.challenger, value=SYSTEM.min_fee)
    r = starved.retry(gid, b"", sender=env.challenger)
    assert r.one(ev.JuryVerdict).verdict == Verdict.EXACT and not r.of(ev.JuryConvened)
    assert (r.one(ev.GameResolved).winner, r.one(ev.GameResolved).reason) == (DEFENDER, BY_VOTE)
