"""`MemoryArbiter`: the `Arbiter` in process. The rules are written in `arbiter`'s docstring.

Float steps (`post_node`, `ask_jury`) follow contracts/README.md, "Float steps": the defender's step is judged
three ways (`jury.Verdict`); beyond loses it, and an exact or within verdict before the last step re-bases
the game on it (`_rebase`) and play goes on, the round charged to the side that caused it (at most
`max_rebases` per side).

Each move method first checks everything (turn, clock, phase, shape of the move, proofs) and only
then writes; a rejected move raises and changes nothing. Time comes from an injectable source
(`ManualTime` by default, so games are fast and deterministic; pass `time.monotonic` for real time).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from runtime.program import Program
from runtime.tensor_root import CHUNK_BYTES, bytes_root, tensor_root

from . import onestep
from .arbiter import Arbiter, GameView, Phase
from .commitments import DTYPE_WIDTH, check_input, commit, is_float_step, node_descriptor
from .errors import (ChallengeWindowClosed, ClaimNotFinalizable, ClaimPending, ClockNotExpired, ClockTimeExceeded, GameOver,
                     InsufficientBond, InvalidClaim, InvalidMove, InvalidNodeInput, InvalidNodeOutput, InvalidPrestate, InvalidProof,
                     JuryNotSet, NotYourTurn, UnknownClaim, UnknownGame, UnknownModel, VotePending, WrongNodeKind,
                     WrongPhase)
from .jury import Jury, NodeTask, Verdict
from .merkle import ZERO, chunk_hash, fold, fold_level, next_pow2
from .step_cost import check_fits
from .tolerance import EXACT, Tolerance
from .types import BOND_GROWTH, BPS, MAX_REBASES, Bond, Claim, Clock, Position, Side, TreeNode, bond_at

DEFAULT_CLOCK = 100.0  # per side per game
DEFAULT_WINDOW = 1000.0
DEFAULT_STRIDE = 2  # levels per level-two reveal (4 hashes, 128 bytes)


class ManualTime:
    """A clock that moves only when told to: `advance(dt)`."""

    def __init__(self, start: float = 0.0):
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        """Move the clock on by `dt` seconds."""
        self.t += dt


@dataclass
class _Registered:
    program: Program
    commitment: object


class MemoryArbiter(Arbiter):
    """The in-process arbiter: every rule of `arbiter`, checked before anything changes.

    clock: each side's time per game; window: a claim's challenge window; min_bond and bond_growth:
    the bonds (`types.bond_at`); stride: levels per level-two reveal; time: the clock function (a
    `ManualTime` makes games deterministic); jury: settles float steps (`LocalJury`); max_rebases:
    jury rounds a side may be charged before it loses."""

    def __init__(self, clock: float = DEFAULT_CLOCK, window: float = DEFAULT_WINDOW, min_bond: int = 1,
                 stride: int = DEFAULT_STRIDE, time: Callable[[], float] | None = None, bond_growth: int = BOND_GROWTH,
                 jury: Jury | None = None, max_rebases: int = MAX_REBASES):
        if stride < 1:
            raise ValueError("stride must be at least 1")
        if min_bond < 1 or not BPS <= bond_growth <= 2 * BPS:
            raise ValueError("min_bond must be positive and bond_growth within 10000..20000")
        self.clock, self.window, self.min_bond, self.stride = clock, window, min_bond, stride
        self.bond_growth = bond_growth
        self.jury = jury  # settles float steps (post_node); None: float steps cannot be settled
        self.max_rebases = max_rebases  # re-basing jury rounds each side may cause (OpmlGame.MAX_REBASES)
        self.tasks: dict[int, NodeTask] = {}  # game id -> the float step filed with the jury
        self._nodes: dict[int, tuple[bytes, bytes]] = {}  # game id -> (S_L with the posted step, its bytes)
        self.time = time or ManualTime()
        self.models: dict[bytes, _Registered] = {}
        self.claims: dict[int, Claim] = {}
        self.games: dict[int, GameView] = {}
        self.inputs: dict[int, np.ndarray] = {}
        self.payouts: dict[str, int] = {}
        self._posted: dict[int, dict[Side, int]] = {}  # game id -> each side's bonds in that game
        self._rejected_by: dict[int, int] = {}  # claim id -> the game that refuted it

    # ---- time, money
    def now(self) -> float:
        """The current time (`time()`)."""
        return self.time()

    def balance(self, who: str) -> int:
        return self.payouts.get(who, 0)

    def _pay(self, who: str, amount: int) -> None:
        self.payouts[who] = self.payouts.get(who, 0) + amount

    def move_bond(self, game_id: int) -> int:
        """The bond the game's next move carries (taken from the mover with the move)."""
        return bond_at(self.min_bond, self.bond_growth, self.game(game_id).moves)

    def posted(self, game_id: int) -> dict[Side, int]:
        """Each side's bonds in the game so far."""
        self.game(game_id)
        return dict(self._posted[game_id])

    # ---- models and claims
    def register_model(self, program: Program) -> bytes:
        check_fits(program)  # StepProofTooLarge: a step no one could prove is never registered
        c = commit(program)
        self.models[c.model_id] = _Registered(program, c)
        return c.model_id

    def program(self, model_id: bytes) -> Program:
        """The registered program of `model_id` (UnknownModel otherwise)."""
        if model_id not in self.models:
            raise UnknownModel(f"model {model_id.hex()[:16]} is not registered")
        return self.models[model_id].program

    def submit_claim(self, defender, model_id, x_q, final_root, output_root, output_proof, bond,
                     tolerance: Tolerance | int = EXACT) -> int:
        """`tolerance` (a Tolerance or its packed uint64) applies to float steps' jury verdicts."""
        program = self.program(model_id)
        tolerance = tolerance if isinstance(tolerance, Tolerance) else Tolerance.unpack(tolerance)
        c = self.models[model_id].commitment
        x_q = check_input(program, x_q)
        # INVARIANT: bonds are at least the minimum, so losing always costs something.
        if bond < self.min_bond:
            raise InsufficientBond(f"claim bond {bond} is below the minimum {self.min_bond}")
        out_slot = program.output_slots[0]
        # INVARIANT: S_N's output slot is the claimed result (the trace's far end is pinned).
        if len(output_proof) != _depth(len(program.slots)) or fold(output_root, out_slot, list(output_proof)) != final_root:
            raise InvalidClaim(f"output root is not slot {out_slot} of the claimed final state")
        cid = len(self.claims)
        # INVARIANT: S_0 comes from the registered model and the request input alone.
        self.claims[cid] = Claim(cid, model_id, tensor_root(x_q), c.initial_root(x_q), final_root, output_root,
                                 program.steps, Bond(defender, bond), self.now(), self.window,
                                 tolerance=tolerance.packed)
        self.inputs[cid] = x_q
        return cid

    def claim(self, claim_id: int) -> Claim:
        """The claim `claim_id` (UnknownClaim otherwise)."""
        if claim_id not in self.claims:
            raise UnknownClaim(f"no claim {claim_id}")
        return self.claims[claim_id]

    def claim_games(self, claim_id: int) -> list[GameView]:
        """Every game opened on claim `claim_id`."""
        return [g for g in self.games.values() if g.claim_id == claim_id]

    def resolve_claim(self, claim_id: int) -> Claim:
        cl = self.claim(claim_id)
        if cl.status != "pending":
            return cl
        open_games = [g.id for g in self.claim_games(claim_id) if not g.over]
        # INVARIANT: a claim is final only after its window, with no game open.
        if self.now() < cl.created + cl.window or open_games:
            raise ClaimNotFinalizable(f"claim {claim_id}: window ends at {cl.created + cl.window}, now {self.now()}; "
                                      f"open games {open_games}")
        self.claims[claim_id] = cl.with_status("final")
        self._pay(cl.bond.owner, cl.bond.amount)
        return self.claims[claim_id]

    # ---- games
    def game(self, game_id: int) -> GameView:
        """A snapshot of game `game_id` (UnknownGame otherwise)."""
        if game_id not in self.games:
            raise UnknownGame(f"no game {game_id}")
        return self.games[game_id]

    def open_game(self, claim_id, challenger, bond, mid_root) -> int:
        cl = self.claim(claim_id)
        # INVARIANT: games open only on a pending claim inside its window.
        if cl.status != "pending" or self.now() >= cl.created + cl.window:
            raise ChallengeWindowClosed(f"claim {claim_id} is {cl.status}; its window ended at {cl.created + cl.window}")
        if bond < self.min_bond:
            raise InsufficientBond(f"challenge bond {bond} is below the minimum {self.min_bond}")
        if challenger == cl.bond.owner:
            raise NotYourTurn(f"{challenger} defends claim {claim_id} and cannot challenge it")
        pos = Position(0, cl.steps)
        _check_mid(pos, mid_root)
        gid = len(self.games)
        g = GameView(gid, claim_id, cl.bond.owner, challenger, Phase.BISECT, Side.DEFENDER, pos, cl.initial_root,
                     cl.final_root, Side.DEFENDER, mid_root, None, None, None, 0, (),
                     {Side.DEFENDER: Clock(self.clock), Side.CHALLENGER: Clock(self.clock)}, self.now(), None, "", 0, ())
        g = _log(g, Side.CHALLENGER, "open", self.now(), bond=bond, mid_root=_hex(mid_root))
        self._posted[gid] = {Side.DEFENDER: 0, Side.CHALLENGER: bond}
        self.games[gid] = g if not pos.is_final else self._to_output(g)
        return gid

    def _to_output(self, g: GameView) -> GameView:
        """Phase OUTPUT at a final position: a float step is the defender's to post (whoever claims
        S_hi: the defender's own step is what the jury judges), an exact step the claimant's."""
        program = self.program(self.claims[g.claim_id].model_id)
        float_step = is_float_step(program, g.position.disputed_step)
        return replace(g, phase=Phase.OUTPUT, turn=Side.DEFENDER if float_step else g.claimant, pending_root=None)

    def _mover(self, game_id: int, player: str, phase: Phase) -> tuple[GameView, Side, float]:
        """The game, the side moving and the time it took; raises unless the move may be made now."""
        g = self._live(game_id)
        side = g.side_of(player)
        # INVARIANT: only the side whose turn it is moves.
        if side is None or side is not g.turn:
            raise NotYourTurn(f"game {game_id}: it is the {g.turn.value}'s turn, not {player}'s")
        elapsed = self.now() - g.turn_since
        # INVARIANT: a side whose clock ran out cannot move any more.
        if g.clocks[side].expired(elapsed):
            raise ClockTimeExceeded(f"game {game_id}: the {side.value}'s clock ran out "
                                    f"({elapsed:g} taken, {g.clocks[side].remaining:g} left)")
        # INVARIANT: each phase accepts one kind of move.
        if g.phase is not phase:
            raise WrongPhase(f"game {game_id} is in phase {g.phase.value}, not {phase.value}")
        return g, side, elapsed

    def _live(self, game_id: int) -> GameView:
        g = self.game(game_id)
        # INVARIANT: a resolved game, or one whose claim another game refuted, takes no more moves.
        if g.over:
            raise GameOver(f"game {game_id} is over: {g.reason}")
        if g.claim_id in self._rejected_by:
            raise GameOver(f"game {game_id} is over: claim {g.claim_id} was rejected by game "
                           f"{self._rejected_by[g.claim_id]}; close_game({game_id}) returns its bonds")
        return g

    def _commit(self, g: GameView, side: Side, elapsed: float, bonded: bool = True, **changes) -> GameView:
        if bonded:  # INVARIANT: every move is bonded, more deeply deeper (the mover pays move_bond)
            self._posted[g.id][side] += bond_at(self.min_bond, self.bond_growth, self.games[g.id].moves)
        clocks = dict(g.clocks)
        clocks[side] = clocks[side].charge(elapsed)
        g = replace(g, clocks=clocks, turn_since=self.now(), **changes)
        self.games[g.id] = g
        if g.phase is Phase.OVER:
            self._settle(g)
        return self.games[g.id]

    def bisect(self, game_id, player, agree, mid_root) -> GameView:
        g, side, elapsed = self._mover(game_id, player, Phase.BISECT)
        if g.pending_root is None:
            return self._reopen(g, side, elapsed, agree, mid_root)
        if agree:
            pos, root_lo, root_hi, claimant = g.position.agree(), g.pending_root, g.root_hi, g.claimant
        else:
            pos, root_lo, root_hi, claimant = g.position.disagree(), g.root_lo, g.pending_root, side.other
        _check_mid(pos, mid_root)
        g = _log(g, side, "bisect", self.now(), agree=bool(agree), mid_root=_hex(mid_root), lo=pos.lo, hi=pos.hi)
        g = replace(g, position=pos, root_lo=root_lo, root_hi=root_hi, claimant=claimant, pending_root=mid_root,
                    turn=side.other)
        return self._commit(self._to_output(g) if pos.is_final else g, side, elapsed)

    def _reopen(self, g: GameView, side: Side, elapsed: float, agree, mid_root) -> GameView:
        """After a re-base: the challenger disputes the claim's S_N again from the new S_lo, carrying its
        root at the midpoint, as open_game does (no root is pending to judge)."""
        # INVARIANT: a reopen judges nothing: there is no pending root to agree with.
        if agree:
            raise InvalidMove(f"game {g.id}: after a re-base the challenger reopens (agree=False) with its "
                              f"root for step {g.position.mid}")
        _check_mid(g.position, mid_root)
        g = _log(g, side, "reopen", self.now(), mid_root=_hex(mid_root), lo=g.position.lo, hi=g.position.hi)
        return self._commit(g, side, elapsed, pending_root=mid_root, turn=side.other)

    def post_output(self, game_id, player, output_root, proof, reveal) -> GameView:
        """See `Arbiter.post_output`."""
        g, side, elapsed = self._mover(game_id, player, Phase.OUTPUT)
        program = self.program(self.claims[g.claim_id].model_id)
        step = g.position.disputed_step
        # INVARIANT: a float node has no kernel to check it: the jury does (post_node).
        if is_float_step(program, step):
            raise WrongNodeKind(f"game {game_id}: step {step} is a float node (ONNX_NODE): post_node settles it")
        slot = program.nodes[step - 1].outputs[0]
        proof = list(proof)
        # INVARIANT: S_hi is S_lo with only the node's output slot set: one path folds to both roots.
        if len(proof) != _depth(len(program.slots)) or fold(ZERO, slot, proof) != g.root_lo:
            raise InvalidPrestate(f"game {game_id}: slot {slot} is not unwritten in S_{step - 1} under this path")
        if fold(output_root, slot, proof) != g.root_hi:
            raise InvalidProof(f"game {game_id}: S_{step} is not S_{step - 1} with only slot {slot} set to the output root")
        nbytes = program.slots[slot].size * onestep.element_width(program, slot)
        depth = next_pow2(max(1, -(-nbytes // CHUNK_BYTES))).bit_length() - 1
        node = TreeNode(0, 0)
        revealed = self._check_reveal(game_id, node, output_root, depth, reveal)
        g = _log(g, side, "post_output", self.now(), output_root=_hex(output_root), slot=slot, items=len(revealed))
        return self._commit(g, side, elapsed, output_root=output_root, node=node, node_hash=output_root,
                            leaf_depth=depth, revealed=revealed, **_after_reveal(g, node, depth))

    def post_node(self, game_id, player, output, output_proof, inputs) -> GameView:
        g, side, elapsed = self._mover(game_id, player, Phase.OUTPUT)
        cl = self.claims[g.claim_id]
        program = self.program(cl.model_id)
        step = g.position.disputed_step
        # INVARIANT: only a float node's step goes to the jury; a kernel's step is checked by post_output.
        if not is_float_step(program, step):
            raise WrongNodeKind(f"game {game_id}: step {step} ({program.nodes[step - 1].op}) has a one-step "
                                f"kernel: post_output settles it")
        # INVARIANT: a float step is posted only where a jury can settle it (else the game could never end).
        if self.jury is None:
            raise JuryNotSet(f"game {game_id}: this arbiter has no jury to settle float step {step}")
        node = program.nodes[step - 1]
        slot = node.outputs[0]
        output, proof = bytes(output), list(output_proof)
        # INVARIANT: the output bytes are a whole tensor of the output slot's dtype and shape.
        if len(output) != _nbytes(program, slot):
            raise InvalidNodeOutput(f"game {game_id}: step {step} writes {_nbytes(program, slot)} bytes, "
                                    f"{len(output)} posted")
        output_root = bytes_root(output)
        # INVARIANT: S_hi is S_lo with only the node's output slot set: one path folds to both roots.
        if len(proof) != _depth(len(program.slots)) or fold(ZERO, slot, proof) != g.root_lo:
            raise InvalidPrestate(f"game {game_id}: slot {slot} is not unwritten in S_{step - 1} under this path")
        node_root = fold(output_root, slot, proof)
        # INVARIANT: a defender that claims S_hi posts exactly S_hi's step; against a challenger's S_hi it
        # posts its own step (not linked to root_hi: it must later reach the claim's S_N from it).
        if g.claimant is Side.DEFENDER and node_root != g.root_hi:
            raise InvalidProof(f"game {game_id}: S_{step} is not S_{step - 1} with only slot {slot} set to the output")
        # INVARIANT: one posted input per listed input of the node.
        if len(inputs) != len(node.inputs):
            raise InvalidNodeInput(f"game {game_id}: step {step} reads {len(node.inputs)} inputs, {len(inputs)} posted")
        leaves, datas = [], []
        for i, (data, leaf, path) in zip(node.inputs, inputs):
            data, leaf = bytes(data), bytes(leaf)
            # INVARIANT: every input's leaf is the one S_lo holds at its slot.
            if len(path) != _depth(len(program.slots)) or fold(leaf, i, list(path)) != g.root_lo:
                raise InvalidNodeInput(f"game {game_id}: input slot {i} does not verify against S_{step - 1}")
            if program.slots[i].kind == "constant":
                # INVARIANT: constants travel by model, not by move: the jurors hold them.
                if data:
                    raise InvalidNodeInput(f"game {game_id}: input slot {i} is a constant: post empty bytes")
            elif len(data) != _nbytes(program, i) or bytes_root(data) != leaf:
                # INVARIANT: a computed input's bytes are the tensor its leaf commits to.
                raise InvalidNodeInput(f"game {game_id}: input slot {i}'s bytes are not the tensor of its leaf")
            leaves.append(leaf)
            datas.append(data)
        task = NodeTask(game_id, step, cl.tolerance, node_descriptor(program, step), tuple(leaves), tuple(datas),
                        output_root, output, cl.model_id)
        self.tasks[game_id] = task
        self._nodes[game_id] = (node_root, output)
        g = _log(g, side, "post_node", self.now(), output_root=_hex(output_root), slot=slot, step=step)
        g = self._commit(g, side, elapsed, output_root=output_root, phase=Phase.VOTE, turn=None)
        return self.ask_jury(game_id)

    def ask_jury(self, game_id: int) -> GameView:
        """Ask the jury for the verdict on the game's float step (anyone, any time in Phase.VOTE); the game
        ends or re-bases when it gives one and stays in VOTE while it abstains."""
        g = self._live(game_id)
        # INVARIANT: only a game whose float step was posted awaits a verdict.
        if g.phase is not Phase.VOTE:
            raise WrongPhase(f"game {game_id} is in phase {g.phase.value}, not vote")
        task = self.tasks[game_id]
        verdict = self.jury.verdict(task)
        if verdict is None:
            return g
        verdict = Verdict(verdict)
        step, steps = task.step, self.claims[g.claim_id].steps
        entry = {"move": None, "side": None, "kind": "verdict", "time": self.now(), "verdict": verdict.name.lower(),
                 "step": step}
        g = replace(g, transcript=g.transcript + (entry,), turn_since=self.now())
        node_root = self._nodes[game_id][0]
        winner, why = Side.CHALLENGER, "beyond tolerance of"  # BEYOND: not the node on the agreed inputs
        more = ""
        if verdict is not Verdict.BEYOND:
            why = "bitwise equal to" if verdict is Verdict.EXACT else "within tolerance (not bitwise) of"
            # the side that caused the round: the defender's noise, or whoever was wrong about an exact value
            charged = (Side.DEFENDER if verdict is Verdict.WITHIN
                       else g.claimant.other if node_root == g.root_hi else g.claimant)
            if step == steps:
                winner = Side.DEFENDER  # INVARIANT: a claim stands when its last step does
            else:
                sides = (Side.DEFENDER, Side.CHALLENGER)
                g = replace(g, charged=tuple(n + (s is charged) for n, s in zip(g.charged, sides)))
                if g.charged_to(charged) <= self.max_rebases:
                    g = self._rebase(g, step, charged)  # INVARIANT: each side buys at most max_rebases rounds
                else:
                    winner = charged.other
                    more = f"; {charged.value} already charged the {self.max_rebases} re-based rounds a side may cause"
        if not g.over and g.phase is Phase.VOTE:
            tol = Tolerance.unpack(task.tolerance)
            why = (f"{winner.value} won by vote: the jury found the defender's step {step} {why} its recomputation "
                   f"({tol}){more}" + (f", after {len(g.rebases)} re-base(s)" if g.rebases else ""))
            g = replace(g, phase=Phase.OVER, turn=None, winner=winner, reason=why)
        self.games[game_id] = g
        if g.over:
            self._settle(g)
        return g

    def _rebase(self, g: GameView, step: int, charged: Side) -> GameView:
        """An exact or within verdict before the last step: the defender's step L is adopted and the game
        goes on over (L, N): S_lo = the posted S_L, S_hi = the claim's S_N claimed by the defender. The clocks
        are not refilled (the whole game fits each side's one clock); the round counts against `charged`."""
        cl = self.claims[g.claim_id]
        node_root, output = self._nodes[g.id]
        pos = Position(step, cl.steps)
        g = replace(g, position=pos, root_lo=node_root, root_hi=cl.final_root, claimant=Side.DEFENDER,
                    pending_root=None, output_root=None, node=None, node_hash=None, leaf_depth=0, revealed=(),
                    rebases=g.rebases + ((step, output),),
                    transcript=g.transcript + ({"move": None, "side": None, "kind": "rebase", "time": self.now(),
                                                "step": step, "root_lo": _hex(node_root),
                                                "charged": charged.value},))
        if pos.is_final:
            return self._to_output(g)
        return replace(g, phase=Phase.BISECT, turn=Side.CHALLENGER)

    def _check_reveal(self, game_id: int, node: TreeNode, node_hash: bytes, depth: int, items) -> tuple:
        items = tuple(bytes(i) for i in items)
        if node.depth == depth:
            # INVARIANT: at a leaf, the reveal is the chunk whose hash the tree commits to.
            if len(items) != 1 or len(items[0]) != CHUNK_BYTES:
                raise InvalidMove(f"game {game_id}: a leaf reveal is one {CHUNK_BYTES}-byte chunk")
            if chunk_hash(items[0]) != node_hash:
                raise InvalidProof(f"game {game_id}: the chunk does not hash to tree node {node}")
            return items
        below = node.stride_below(depth, self.stride)
        if len(items) != 1 << below or any(len(i) != 32 for i in items):
            raise InvalidMove(f"game {game_id}: a reveal at {node} is {1 << below} 32-byte hashes")
        # INVARIANT: the revealed nodes are the committed node's descendants.
        if fold_level(list(items)) != node_hash:
            raise InvalidProof(f"game {game_id}: the revealed hashes do not fold to tree node {node}")
        return items

    def pick(self, game_id, player, index) -> GameView:
        """See `Arbiter.pick`."""
        g, side, elapsed = self._mover(game_id, player, Phase.PICK)
        if not 0 <= index < len(g.revealed):
            raise InvalidMove(f"game {game_id}: pick {index} is not one of the {len(g.revealed)} revealed nodes")
        below = g.node.stride_below(g.leaf_depth, self.stride)
        node = g.node.child(below, index)
        g = _log(g, side, "pick", self.now(), index=index, depth=node.depth, node=node.index)
        return self._commit(g, side, elapsed, node=node, node_hash=g.revealed[index], phase=Phase.REVEAL, turn=g.claimant)

    def reveal(self, game_id, player, items) -> GameView:
        """See `Arbiter.reveal`."""
        g, side, elapsed = self._mover(game_id, player, Phase.REVEAL)
        revealed = self._check_reveal(game_id, g.node, g.node_hash, g.leaf_depth, items)
        g = _log(g, side, "reveal", self.now(), depth=g.node.depth, node=g.node.index, items=len(revealed))
        return self._commit(g, side, elapsed, revealed=revealed, **_after_reveal(g, g.node, g.leaf_depth))

    def step(self, game_id, player, element, inputs) -> GameView:
        """See `Arbiter.step`: the whole node is recomputed here."""
        g, side, elapsed = self._mover(game_id, player, Phase.STEP)
        program = self.program(self.claims[g.claim_id].model_id)
        step = g.position.disputed_step
        slot = program.nodes[step - 1].outputs[0]
        w = onestep.element_width(program, slot)
        if not 0 <= element < CHUNK_BYTES // w:
            raise InvalidMove(f"game {game_id}: element {element} is outside a chunk of {CHUNK_BYTES // w}")
        arrays = onestep.check_inputs(program, step, g.root_lo, inputs)
        want = onestep.element_bytes(program, step, arrays, g.node.index, element)
        got = g.revealed[0][element * w:(element + 1) * w]
        winner = g.claimant if want == got else g.disputer
        why = (f"{winner.value} won: step {step} recomputed: element {element} of chunk {g.node.index} is "
               f"{int.from_bytes(want, 'big', signed=True)}, the claimant revealed {int.from_bytes(got, 'big', signed=True)}")
        g = _log(g, side, "step", self.now(), element=element, chunk=g.node.index, step=step,
                 recomputed=int.from_bytes(want, "big", signed=True), revealed=int.from_bytes(got, "big", signed=True))
        return self._commit(g, side, elapsed, phase=Phase.OVER, turn=None, winner=winner, reason=why)

    def claim_timeout(self, game_id) -> GameView:
        """See `Arbiter.claim_timeout` (VotePending while a jury decides: no clock runs)."""
        g = self._live(game_id)
        # INVARIANT: no clock runs while the jury decides.
        if g.phase is Phase.VOTE:
            raise VotePending(f"game {game_id} awaits the jury's verdict: no clock runs")
        elapsed = self.now() - g.turn_since
        # INVARIANT: a timeout is won only once the side to move has used up its clock.
        if not g.clocks[g.turn].expired(elapsed):
            raise ClockNotExpired(f"game {game_id}: the {g.turn.value} has {g.clocks[g.turn].remaining - elapsed:g} left")
        loser = g.turn
        g = _log(g, loser.other, "timeout", self.now(), loser=loser.value)
        return self._commit(g, loser, elapsed, bonded=False, phase=Phase.OVER, turn=None, winner=loser.other,
                            reason=f"{loser.other.value} won: the {loser.value}'s clock ran out in phase {g.phase.value}")

    def close_game(self, game_id: int) -> GameView:
        """Ends an open game of a rejected claim: no winner, each side's bonds back to it."""
        g = self.game(game_id)
        if g.over:
            raise GameOver(f"game {game_id} is over: {g.reason}")
        # INVARIANT: only a refuted claim's games end without a winner; a pending claim's games are played out.
        if g.claim_id not in self._rejected_by:
            raise ClaimPending(f"game {game_id}: claim {g.claim_id} is {self.claims[g.claim_id].status}; "
                               f"its games end by a move or a timeout")
        self.games[game_id] = g = replace(g, phase=Phase.OVER, turn=None, winner=None,
                                          reason=f"claim rejected by game {self._rejected_by[g.claim_id]}")
        for side, owner in ((Side.CHALLENGER, g.challenger), (Side.DEFENDER, g.defender)):
            if self._posted[game_id][side]:
                self._pay(owner, self._posted[game_id][side])
        return g

    # ---- bonds
    def _settle(self, g: GameView) -> None:
        """The winner takes every bond of the game; a challenger's win also rejects the claim (O(1):
        the claim's other games are left to `close_game`)."""
        cl, pot = self.claims[g.claim_id], sum(self._posted[g.id].values())
        if g.winner is Side.DEFENDER:
            self._pay(cl.bond.owner, pot)
            return
        self.claims[cl.id] = cl.with_status("rejected")
        self._rejected_by[cl.id] = g.id
        self._pay(g.challenger, pot + cl.bond.amount)


def _nbytes(program: Program, slot: int) -> int:
    return program.slots[slot].size * DTYPE_WIDTH[program.slots[slot].dtype]


def _depth(slots: int) -> int:
    return next_pow2(slots).bit_length() - 1


def _check_mid(pos: Position, mid_root) -> None:
    # INVARIANT: a midpoint root comes exactly when the interval can still be halved.
    if pos.is_final and mid_root is not None:
        raise InvalidMove(f"position {pos.lo}..{pos.hi} is final: no midpoint root")
    if not pos.is_final and (mid_root is None or len(mid_root) != 32):
        raise InvalidMove(f"position {pos.lo}..{pos.hi} needs a 32-byte root for step {pos.mid}")


def _after_reveal(g: GameView, node: TreeNode, depth: int) -> dict:
    if node.depth == depth:
        return {"phase": Phase.STEP, "turn": g.claimant.other}
    return {"phase": Phase.PICK, "turn": g.claimant.other}


def _hex(b: bytes | None) -> str | None:
    return None if b is None else b.hex()


def _log(g: GameView, side: Side, kind: str, now: float, **data) -> GameView:
    entry = {"move": g.moves + 1, "side": side.value, "kind": kind, "time": now, **data}
    return replace(g, moves=g.moves + 1, transcript=g.transcript + (entry,))

