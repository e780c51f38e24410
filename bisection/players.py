"""Players: one class for either side, moving by a strategy. They talk only to an Arbiter.

A player believes in one execution (`Trace`), possibly rewritten by its strategy, and moves by it: it
posts its own roots at midpoints, agrees with a root iff it equals its own, proves the disputed step
from its own states and picks the first revealed node that differs from its own tree. A strategy
(`bisection.strategy`: the `Strategy` protocol, the built-ins, and how to write one) changes the
trace (what it believes: its step rewrite) and the policy (how it answers each move):

    honest          the true execution
    wrong-output    one element of step K's output corrupted; later steps computed from it
    wrong-final     one element of the final output corrupted (step N), nothing else
    flip-lsb        the least significant bit of one element of step K's output flipped (a float: one ulp,
                    within a float claim's default tolerance: a defender doing so is an honest one on
                    other hardware and wins after a re-base; a challenger doing so still loses)
    extra-slot      step K also changes a slot its node does not write (the input or a constant)
    bad-bisection   wrong-output at K, and a fresh garbage root at every midpoint it posts
    inconsistent    roots from the true trace at even steps >= K and from the wrong one at odd steps:
                    states that do not chain
    timeout         wrong-output at K, then stops answering after its first move
    random          wrong-output at K, then garbage midpoints and coin-flip verdicts

`make_player(name, program, x_q, strategy, at_step)` builds one; `strategy` is a name, a `Strategy`
object or an import path (`strategy.resolve`).

Float programs: the defender posts each disputed float step from its own trace; a challenger's
trace after the game adopted defender steps (`GameView.rebases`) is `Player.rebased(rebases)`: its
S_{L-1} plus the adopted output, later steps recomputed with the strategy's rewrite (`trace.resume`).

Every strategy's trace differs from the truth, so as a defender it makes a wrong claim and as a
challenger it disputes a right one. A player that has no valid move returns False from `act` (it
stalls), and then loses on time.
"""
from __future__ import annotations

import random as _random
from dataclasses import dataclass, field

import numpy as np

from runtime.program import Program
from runtime.tensor_root import tensor_bytes, tensor_from_bytes

from .arbiter import Arbiter, GameView, Phase
from .commitments import is_float_step
from .errors import NothingToDispute, ProofRefused, StepOutOfRange
from .merkle import TensorTree
from .strategy import BUILTIN, Honest, Strategy, corrupt, extra_slot, resolve
from .trace import Tamper, Trace, compute, resume
from .types import Side, TreeNode

STEP_TRIES = 4  # elements a player offers one-step proofs for before it reports the chain's refusal
STRATEGIES = tuple(BUILTIN)
"""The built-in strategies' names, "honest" first (`strategy.BUILTIN` holds the objects)."""


@dataclass
class Player:
    """One side's player: `name` (as the arbiter knows it), the `trace` it believes, and the `strategy`
    it answers moves by (a `Strategy`; a str is a built-in's name, or a label for the honest policy on
    a trace rewritten by hand). Build one with `make_player`."""

    name: str
    trace: Trace
    strategy: Strategy | str = "honest"
    tamper: Tamper | None = None  # what made `trace` from the program (re-applied after a re-base)
    other: Trace | None = None  # the true trace, for a strategy that claims it at some steps (`honest_at`)
    seed: int = 0
    at_step: int | None = None  # the step its lie starts at (the strategy's `at`)
    made: dict = field(default_factory=dict)  # game id -> moves made
    _rng: _random.Random = field(default=None, repr=False)  # type: ignore[assignment]
    _rebased: dict = field(default_factory=dict, repr=False)  # (rebases, own?) -> the re-based trace

    def __post_init__(self):
        self._rng = _random.Random(self.seed)
        s = self.strategy
        self.policy: Strategy = BUILTIN.get(s, _Label(s)) if isinstance(s, str) else resolve(s)

    # ---- what it believes
    def traces(self, g: GameView | None = None) -> tuple[Trace, Trace | None]:
        """(trace, other) this player believes in game g. A challenger's are re-based on every step the
        game adopted (contracts/README.md, "Float steps"): a pure function of (program, input, strategy, g.rebases),
        so a restarted agent rebuilds them from the game alone. A defender's never change (the adopted
        steps are its own)."""
        return self._own(g), self._believed(g, own=False)

    def rebased(self, rebases: tuple) -> tuple[Trace, Trace | None]:
        """The traces (own, true) after adopting each (step, output bytes) of `rebases` in turn; cached per
        prefix, so a game's k-th re-base costs one resumed trace (steps L+1..N), not k."""
        rebases = tuple((int(k), bytes(b)) for k, b in rebases)
        return self._own(None, rebases), self._resumed(rebases, False)

    def _own(self, g: GameView | None, rebases: tuple | None = None) -> Trace:
        own = self._believed(g, own=True) if rebases is None else self._resumed(rebases, True)
        assert own is not None  # INVARIANT: a player always has its own trace
        return own

    def _believed(self, g: GameView | None, own: bool) -> Trace | None:
        if g is None or not g.rebases or g.side_of(self.name) is not Side.CHALLENGER:
            return self.trace if own else self.other
        return self._resumed(tuple((int(k), bytes(b)) for k, b in g.rebases), own)

    def _resumed(self, rebases: tuple, own: bool) -> Trace | None:
        """One of the two traces after `rebases`, computed only when asked for (the true one rarely is)."""
        base = self.trace if own else self.other
        if not rebases or base is None:
            return base
        key = (rebases, own)
        if key not in self._rebased:
            before = self._resumed(rebases[:-1], own)
            assert before is not None
            step, output = rebases[-1]
            program = before.program
            s = program.slots[program.nodes[step - 1].outputs[0]]
            value = tensor_from_bytes(output, s.dtype, s.shape)
            self._rebased[key] = resume(before, step, value, self.tamper if own else None)
        return self._rebased[key]

    def source(self, k: int, g: GameView | None = None) -> Trace:
        """The trace whose S_k this player claims (its own, or the true one where its strategy says so)."""
        n = self.trace.steps
        if self.other is not None and self.policy.honest_at(k, n if self.at_step is None else self.at_step, n):
            true = self._believed(g, own=False)
            assert true is not None
            return true
        return self._own(g)

    def root_for(self, k: int, g: GameView | None = None) -> bytes:
        """The S_k this player claims."""
        return self.source(k, g).root(k)

    def mid_root(self, k: int, g: GameView | None = None) -> bytes:
        """The root it posts for midpoint k (its strategy's `mid_root`)."""
        return self.policy.mid_root(k, self.root_for(k, g), self._rng)

    def judge(self, k: int, root: bytes, g: GameView | None = None) -> bool:
        """Its verdict on the opponent's root for S_k (its strategy's `judge`): True agrees."""
        return self.policy.judge(k, root, self.root_for(k, g), self._rng)

    # ---- opening moves
    def submit(self, arbiter: Arbiter, model_id: bytes, bond: int | None = None, tolerance=None) -> int:
        """As defender: claim this player's result for the trace's input (bond: the arbiter's minimum;
        tolerance: the request's, for float steps, else the arbiter's default)."""
        t, n = self.trace, self.trace.steps
        out = t.program.output_slots[0]
        extra = {} if tolerance is None else {"tolerance": tolerance}
        return arbiter.submit_claim(self.name, model_id, t.x_q, self.root_for(n), t.leaf(n, out), t.proof(n, out),
                                    arbiter.min_bond if bond is None else bond, **extra)

    def challenge(self, arbiter: Arbiter, claim_id: int, bond: int | None = None) -> int:
        """As challenger: open a game on the claim, or raise NothingToDispute if it agrees."""
        cl = arbiter.claim(claim_id)
        if cl.final_root == self.root_for(cl.steps):
            raise NothingToDispute(f"claim {claim_id}: the challenger's own S_{cl.steps} equals the claimed one "
                                   f"(output {cl.output_root.hex()[:16]}): there is nothing to dispute")
        mid = None if cl.steps <= 1 else self.mid_root(cl.steps // 2)
        gid = arbiter.open_game(claim_id, self.name, arbiter.min_bond if bond is None else bond, mid)
        self.made[gid] = 1
        return gid

    # ---- one move
    def act(self, arbiter: Arbiter, game_id: int) -> bool:
        """Make this player's move in the game; False when it stalls (no valid move, or by choice)."""
        g = arbiter.game(game_id)
        if self.policy.stalls(self.made.get(game_id, 0)):
            return False
        move = getattr(self, "_" + g.phase.value)
        done = move(arbiter, g)
        if done:
            self.made[game_id] = self.made.get(game_id, 0) + 1
        return done

    def _bisect(self, arbiter: Arbiter, g: GameView) -> bool:
        if g.pending_root is None:
            return self._reopen(arbiter, g)
        agree = self.judge(g.position.mid, g.pending_root, g)
        pos = g.position.agree() if agree else g.position.disagree()
        arbiter.bisect(g.id, self.name, agree, None if pos.is_final else self.mid_root(pos.mid, g))
        return True

    def _reopen(self, arbiter: Arbiter, g: GameView) -> bool:
        """After a re-base (the challenger's move): dispute the claim's S_N again from the adopted state,
        or stall when this player's re-based trace reaches the claimed S_N (nothing left to dispute)."""
        if not self.policy.reopens(self.root_for(g.position.hi, g) == g.root_hi):
            return False
        arbiter.bisect(g.id, self.name, False, self.mid_root(g.position.mid, g))
        return True

    def _output(self, arbiter: Arbiter, g: GameView) -> bool:
        step = g.position.disputed_step
        t = self.source(step, g)
        if is_float_step(t.program, step):
            return self._node(arbiter, g)
        slot = t.program.nodes[step - 1].outputs[0]
        tree = t.tensor(step, slot)
        if tree is None:
            return False
        arbiter.post_output(g.id, self.name, tree.root, t.proof(step, slot), _reveal(tree, 0, 0, arbiter.stride))
        return True

    def _node(self, arbiter: Arbiter, g: GameView) -> bool:
        """A float step (the defender's move, whoever claims S_hi): post this player's own output of the
        step and its inputs (constants by leaf only) for the jury."""
        step, lo = g.position.disputed_step, g.position.lo
        t, before = self.source(step, g), self.source(lo, g)
        program = t.program
        node = program.nodes[step - 1]
        out = t.value(step, node.outputs[0])
        if out is None:
            return False
        inputs = []
        for i in node.inputs:
            if program.slots[i].kind == "constant":
                data = b""
            else:
                v = before.value(lo, i)
                if v is None:
                    return False
                data = tensor_bytes(v)
            inputs.append((data, before.leaf(lo, i), before.proof(lo, i)))
        arbiter.post_node(g.id, self.name, tensor_bytes(out), t.proof(step, node.outputs[0]), inputs)
        return True

    def _vote(self, arbiter: Arbiter, g: GameView) -> bool:
        return False  # the jury decides; no player moves

    def _tree(self, g: GameView) -> TensorTree | None:
        step = g.position.disputed_step
        t = self.source(step, g)
        return t.tensor(step, t.program.nodes[step - 1].outputs[0])

    def _pick(self, arbiter: Arbiter, g: GameView) -> bool:
        tree, node = self._tree(g), _node_of(g)
        below = node.stride_below(g.leaf_depth, arbiter.stride)
        mine = tree.descendants(node.depth, node.index, below) if tree is not None else []
        j = next((j for j, h in enumerate(g.revealed) if j >= len(mine) or h != mine[j]), 0)
        arbiter.pick(g.id, self.name, j)
        return True

    def _reveal(self, arbiter: Arbiter, g: GameView) -> bool:
        tree = self._tree(g)
        if tree is None:
            return False
        node = _node_of(g)
        arbiter.reveal(g.id, self.name, _reveal(tree, node.depth, node.index, arbiter.stride))
        return True

    def _step(self, arbiter: Arbiter, g: GameView) -> bool:
        step, lo = g.position.disputed_step, g.position.lo
        t = self.source(lo, g)
        program = t.program
        slot = program.nodes[step - 1].outputs[0]
        w = np.dtype(program.slots[slot].dtype).itemsize
        tree = self._tree(g)
        mine = tree.chunk(_node_of(g).index) if tree is not None else bytes(len(g.revealed[0]))
        theirs = g.revealed[0]
        differ = [e for e in range(len(theirs) // w) if mine[e * w:(e + 1) * w] != theirs[e * w:(e + 1) * w]] or [0]
        inputs = []
        for i in program.nodes[step - 1].inputs:
            v = t.value(lo, i)
            if v is None:
                return False
            inputs.append((v, t.proof(lo, i)))
        # a proof the chain refuses is no move: try the next element that differs (another proof,
        # other chunks), and report the refusal when none is taken
        for n, element in enumerate(differ[:STEP_TRIES]):
            try:
                arbiter.step(g.id, self.name, element, inputs)
                return True
            except ProofRefused:
                if n + 1 == min(len(differ), STEP_TRIES):
                    raise
        return False


def _node_of(g: GameView) -> TreeNode:
    """The disputed tree node of a game at level two (PICK, REVEAL, STEP)."""
    assert g.node is not None, f"game {g.id} in phase {g.phase.value} has no tree node"
    return g.node


def _reveal(tree: TensorTree, depth: int, index: int, stride: int) -> list[bytes]:
    if depth == tree.depth:
        return [tree.chunk(index)]
    return tree.descendants(depth, index, min(stride, tree.depth - depth))


# ---- strategies -------------------------------------------------------------------------------

class _Label(Honest):
    """The honest policy under another name (a `Player` built by hand on a rewritten trace)."""

    def __init__(self, name: str):
        self.name = name


_corrupt, _extra = corrupt, extra_slot  # the built-in rewrites (strategy.corrupt, strategy.extra_slot)


def make_player(name: str, program: Program, x_q: np.ndarray, strategy: Strategy | str = "honest",
                at_step: int | None = None, seed: int = 0, honest: Trace | None = None) -> Player:
    """A player named `name` of `strategy` (a built-in's name, a `Strategy` object or an import path;
    see `strategy.resolve`) whose lie starts at step `at_step` in 1..N (the strategy's `at`: by default
    N); `honest`: the true trace when already computed (saves recomputing it)."""
    s = resolve(strategy)
    n = program.steps
    k = s.at(at_step, n)
    if not 1 <= k <= n:
        raise StepOutOfRange(f"step {k} is outside 1..{n}: the program has {n} steps")
    honest = honest or compute(program, x_q)
    tamper = s.rewrite(program, k, seed)
    trace = honest if tamper is None else compute(program, x_q, tamper)
    return Player(name, trace, s, tamper, None if trace is honest else honest, seed, k)
