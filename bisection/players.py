"""Players: an honest one and adversarial strategies, for either side. They talk only to an Arbiter.

A player believes in one execution (`Trace`), possibly tampered with, and moves by it: it posts its
own roots at midpoints, agrees with a root iff it equals its own, proves the disputed step from its
own states and picks the first revealed node that differs from its own tree. Strategies change the
trace (what it believes) and the policy (how it lies):

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

Float programs: the defender posts each disputed float step from its own trace; a challenger's
trace after the game adopted defender steps (`GameView.rebases`) is `Player.rebased(rebases)`: its
S_{L-1} plus the adopted output, later steps recomputed with the strategy's tamper (`trace.resume`).

Every strategy's trace differs from the truth, so as a defender it makes a wrong claim and as a
challenger it disputes a right one. A player that has no valid move returns False from `act` (it
stalls), and then loses on time.
"""
from __future__ import annotations

import hashlib
import random as _random
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from runtime.program import Program
from runtime.tensor_root import tensor_bytes, tensor_from_bytes

from .arbiter import Arbiter, GameView, Phase
from .commitments import is_float_step
from .errors import NothingToDispute, ProofRefused, StepOutOfRange, UnknownStrategy
from .merkle import TensorTree
from .trace import Tamper, Trace, compute, resume
from .types import Side

STEP_TRIES = 4  # elements a player offers one-step proofs for before it reports the chain's refusal
STRATEGIES = ("honest", "wrong-output", "wrong-final", "flip-lsb", "extra-slot", "bad-bisection", "inconsistent",
              "timeout", "random")


@dataclass
class Player:
    name: str
    trace: Trace
    strategy: str = "honest"
    tamper: Tamper | None = None  # what made `trace` from the program (re-applied after a re-base)
    other: Trace | None = None  # inconsistent: the untampered trace some roots come from
    mix: Callable[[int], bool] | None = None  # inconsistent: True where step k's root comes from `trace`
    garbage_mids: bool = False
    coin_verdicts: bool = False
    stall_after: int | None = None  # moves made in a game before it stops answering
    seed: int = 0
    made: dict = field(default_factory=dict)  # game id -> moves made
    _rng: _random.Random = field(default=None, repr=False)
    _rebased: dict = field(default_factory=dict, repr=False)  # rebases tuple -> (trace, other)

    def __post_init__(self):
        self._rng = _random.Random(self.seed)

    # ---- what it believes
    def traces(self, g: GameView | None = None) -> tuple[Trace, Trace | None]:
        """(trace, other) this player believes in game g. A challenger's are re-based on every step the
        game adopted (contracts/README.md, "Float steps"): a pure function of (program, input, strategy, g.rebases),
        so a restarted agent rebuilds them from the game alone. A defender's never change (the adopted
        steps are its own)."""
        if g is None or not g.rebases or g.side_of(self.name) is not Side.CHALLENGER:
            return self.trace, self.other
        return self.rebased(g.rebases)

    def rebased(self, rebases: tuple) -> tuple[Trace, Trace | None]:
        """The traces after adopting each (step, output bytes) of `rebases` in turn; cached per prefix,
        so a game's k-th re-base costs one resumed trace (steps L+1..N), not k."""
        rebases = tuple((int(k), bytes(b)) for k, b in rebases)
        if not rebases:
            return self.trace, self.other
        if rebases not in self._rebased:
            trace, other = self.rebased(rebases[:-1])
            step, output = rebases[-1]
            program = trace.program
            s = program.slots[program.nodes[step - 1].outputs[0]]
            value = tensor_from_bytes(output, s.dtype, s.shape)
            self._rebased[rebases] = (resume(trace, step, value, self.tamper),
                                      None if other is None else resume(other, step, value))
        return self._rebased[rebases]

    def source(self, k: int, g: GameView | None = None) -> Trace:
        trace, other = self.traces(g)
        return trace if other is None or self.mix is None or self.mix(k) else other

    def root_for(self, k: int, g: GameView | None = None) -> bytes:
        return self.source(k, g).root(k)

    def mid_root(self, k: int, g: GameView | None = None) -> bytes:
        if self.garbage_mids:
            return hashlib.sha256(b"garbage" + self._rng.randbytes(8)).digest()
        return self.root_for(k, g)

    def judge(self, k: int, root: bytes, g: GameView | None = None) -> bool:
        if self.coin_verdicts:
            return self._rng.random() < 0.5
        return root == self.root_for(k, g)

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
        if self.stall_after is not None and self.made.get(game_id, 0) >= self.stall_after:
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
        if self.root_for(g.position.hi, g) == g.root_hi and not self.garbage_mids:
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
        tree = self._tree(g)
        below = g.node.stride_below(g.leaf_depth, arbiter.stride)
        mine = tree.descendants(g.node.depth, g.node.index, below) if tree is not None else []
        j = next((j for j, h in enumerate(g.revealed) if j >= len(mine) or h != mine[j]), 0)
        arbiter.pick(g.id, self.name, j)
        return True

    def _reveal(self, arbiter: Arbiter, g: GameView) -> bool:
        tree = self._tree(g)
        if tree is None:
            return False
        arbiter.reveal(g.id, self.name, _reveal(tree, g.node.depth, g.node.index, arbiter.stride))
        return True

    def _step(self, arbiter: Arbiter, g: GameView) -> bool:
        step, lo = g.position.disputed_step, g.position.lo
        t = self.source(lo, g)
        program = t.program
        slot = program.nodes[step - 1].outputs[0]
        w = np.dtype(program.slots[slot].dtype).itemsize
        tree = self._tree(g)
        mine = tree.chunk(g.node.index) if tree is not None else bytes(len(g.revealed[0]))
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


def _reveal(tree: TensorTree, depth: int, index: int, stride: int) -> list[bytes]:
    if depth == tree.depth:
        return [tree.chunk(index)]
    return tree.descendants(depth, index, min(stride, tree.depth - depth))


# ---- strategies -------------------------------------------------------------------------------

def _corrupt(program: Program, at: int, how: str, seed: int):
    """A tamper that changes one element of step `at`'s output ('add' or 'lsb')."""
    def tamper(k, written, state):
        if k != at:
            return written, {}
        slot, v = next(iter(written.items()))
        v = np.array(v, copy=True, order="C")
        flat = v.reshape(-1)
        if flat.size == 0:
            return written, {}
        e = _random.Random(seed).randrange(flat.size)
        if v.dtype.kind == "f":  # float programs
            if how == "lsb":
                flat.view(np.dtype(f"u{v.dtype.itemsize}"))[e] ^= 1  # one ulp: the least change there is
            else:
                x = float(flat[e])
                flat[e] = x + max(1.0, abs(x)) if np.isfinite(x) else 0.0  # far beyond any sane tolerance
        elif v.dtype == np.bool_:
            flat[e] = not flat[e]
        elif how == "lsb":
            flat[e] ^= 1
        else:
            flat[e] = flat[e] - 37 if flat[e] > 0 else flat[e] + 37  # stays in int8/int16/uint8, never equal
        return {slot: v}, {}
    return tamper


def _extra(program: Program, at: int):
    node = program.nodes[at - 1]
    target = next((i for i in sorted(program.constants) if i not in node.outputs), program.input_slot)

    def tamper(k, written, state):
        if k != at:
            return written, {}
        return written, {target: hashlib.sha256(b"extra-slot %d" % k).digest()}
    return tamper


def make_player(name: str, program: Program, x_q: np.ndarray, strategy: str = "honest", at_step: int | None = None,
                seed: int = 0, honest: Trace | None = None) -> Player:
    """A player of `strategy` (see the module docstring); at_step K in 1..N (default N)."""
    if strategy not in STRATEGIES:
        raise UnknownStrategy(f"unknown strategy '{strategy}' (have: {', '.join(STRATEGIES)})")
    n = program.steps
    k = n if at_step is None or strategy == "wrong-final" else int(at_step)
    if not 1 <= k <= n:
        raise StepOutOfRange(f"step {k} is outside 1..{n}: the program has {n} steps")
    honest = honest or compute(program, x_q)
    if strategy == "honest":
        return Player(name, honest, strategy, seed=seed)
    if strategy == "extra-slot":
        tamper = _extra(program, k)
        return Player(name, compute(program, x_q, tamper), strategy, tamper, seed=seed)
    tamper = _corrupt(program, k, "lsb" if strategy == "flip-lsb" else "add", seed)
    p = Player(name, compute(program, x_q, tamper), strategy, tamper, seed=seed)
    if strategy == "bad-bisection":
        p.garbage_mids = True
    elif strategy == "inconsistent":
        p.other, p.mix = honest, lambda j: j >= k and bool(j % 2 or j == n)
    elif strategy == "timeout":
        p.stall_after = 1
    elif strategy == "random":
        p.garbage_mids, p.coin_verdicts = True, True
    return p
