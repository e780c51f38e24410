"""`ChainArbiter`: the `bisection.arbiter.Arbiter` on chain (OpmlModels + OpmlGame + the one-step verifier).

    system = deploy_opml(connect("embedded"))
    arbiter = ChainArbiter(system)
    bisection.dispute.run(program, x_q, "wrong-output", 3, arbiter=arbiter)   # the same players, on chain

Players are names (as with `MemoryArbiter`); each name gets its own funded account of the chain, in
order of first use (account 0 deploys and claims timeouts). Every move is one transaction from the
mover's account; a move the contract rejects raises the `bisection.errors` class of the same name
(the `contracts.errors` classes of the opML game subclass both) and changes nothing, since the
transaction's gas is estimated, and so the revert caught, before anything is sent.

Time is the block number: `now()` is the latest block; `time.advance(dt)` lets dt blocks pass before
the next move, that move's own block included (each transaction is mined in its own block on the
embedded chain and on anvil), so `bisection.dispute.play` ticks the same on chain as in memory.

What the contract does not store, this class supplies or recovers: the disputed node's descriptor and
its program-tree path (`post_output`, from the registered program), the last reveal (re-sent by `pick`
and `step`; read from the move's events, or from the chain's logs for games played elsewhere), and the
one-step proof bundle (`step`: built from the inputs and their state paths, which the player gives).
`transcript` lists the moves made through this object, each with the `gas` its transaction used.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from bisection import errors as game_errors
from bisection.arbiter import Arbiter, GameView, Phase
from bisection.commitments import check_input, commit, node_descriptor
from bisection.step_cost import check_fits
from bisection.errors import GameError, InvalidMove, ProofRefused, UnknownModel
from bisection.types import MAX_REBASES, Bond, Claim, Clock, Position, Side, TreeNode
from contracts import events as ev
from bisection.tolerance import Tolerance
from contracts.bindings.opml import ZERO, NodePost, program_proof, registration
from contracts.deploy import OpmlSystem
from contracts.errors import ContractRevert, TransactionFailedError
from runtime.program import Program
from runtime.tensor_root import CHUNK_BYTES, bytes_root, tensor_bytes, tensor_root

ELEMENTS_PER_CHUNK = CHUNK_BYTES // 2  # every output slot is int16
SIDES = {1: Side.DEFENDER, 2: Side.CHALLENGER}
MAX_TX_BYTES = 128 * 1024  # the largest transaction a node takes into its pool (geth's txMaxSize)
STEP_ARGS_BYTES = 4 + 6 * 32  # OpmlGame.step's selector, heads and the two lengths
# Reverts of the one-step verifier (contracts/src/onestep) as the game's names.
ONESTEP_AS = {"InvalidStateProof": game_errors.InvalidPrestate, "MalformedProof": game_errors.InvalidMove,
              "ElementOutOfRange": game_errors.InvalidMove}


class ChainTime:
    """The chain's clock in blocks; `advance(dt)` mines dt - 1 blocks (the next move's block is the dt-th)."""

    def __init__(self, chain):
        self.chain = chain

    def __call__(self) -> int:
        return self.chain.block_number

    def advance(self, dt: float) -> None:
        self.chain.mine(max(0, math.ceil(dt) - 1))


def _translate(exc: ContractRevert) -> Exception:
    """The game's exception for a revert: opML game errors already are; others by name."""
    if isinstance(exc, GameError):
        return exc
    name = type(exc).__name__
    cls = ONESTEP_AS.get(name) or getattr(game_errors, name, None)
    if isinstance(cls, type) and issubclass(cls, GameError):
        err = cls(str(exc))
    else:
        err = game_errors.InvalidProof(f"the one-step verifier rejected the proof: {name}: {exc}")
    err.__cause__ = exc
    return err


class ChainArbiter(Arbiter):
    def __init__(self, system: OpmlSystem, accounts: dict | None = None, prover=None, jurors=None):
        """`prover(program, step, flat_element, inputs) -> bytes` builds the one-step proof; the default
        is `step_proof` (the bundle of contracts/src/onestep's verifier). `jurors` (a
        `contracts.brain_jurors.BrainJurors`) plays the game's jury in this process: `ask_jury` then runs the
        Brain round of a float step; without it a float step waits for jurors elsewhere."""
        self.system, self.chain, self.game_contract = system, system.chain, system.game
        self.models_contract = system.models
        cfg = self.game_contract.config()
        self.stride, self.clock, self.window, self.min_bond = cfg.stride, cfg.clock, cfg.window, cfg.min_bond
        self.bond_growth = cfg.bond_growth
        self.time = ChainTime(self.chain)
        self.keeper = self.chain.accounts[0]
        self.accounts = dict(accounts or {})  # name -> LocalAccount
        self._programs: dict[bytes, Program] = {}
        self._inputs: dict[int, np.ndarray] = {}
        self._transcripts: dict[int, tuple] = {}
        self._revealed: dict[int, tuple] = {}  # the last reveal of games moved through this object
        self._from_logs: dict[int, tuple] = {}  # game id -> (moves, last reveal) read from the logs
        self._reasons: dict[int, str] = {}
        self._rebases: dict[int, tuple] = {}
        self.prover = prover or self.step_proof
        self.gas: list[dict] = []  # every transaction: {"kind", "game", "gas"}
        self.jurors = jurors

    # ---- accounts, time, money
    def account(self, name: str):
        if name not in self.accounts:
            used = {a.address for a in self.accounts.values()} | {self.keeper.address}
            self.accounts[name] = next(a for a in self.chain.accounts if a.address not in used)
        return self.accounts[name]

    def _name(self, address: str) -> str:
        return next((n for n, a in self.accounts.items() if a.address == address), address)

    def now(self) -> float:
        return self.time()

    def balance(self, who: str) -> int:
        return self.game_contract.paid(self.account(who).address)

    @property
    def payouts(self) -> dict[str, int]:
        return {n: p for n in self.accounts if (p := self.balance(n))}

    @staticmethod
    def _call(fn, *args, **kw):
        """fn(*args, **kw) with contract reverts raised as the game's errors of the same name."""
        try:
            return fn(*args, **kw)
        except ContractRevert as e:
            raise _translate(e) from e

    def _tx(self, kind: str, game_id: int | None, fn, *args, **kw):
        r = self._call(fn, *args, **kw)
        self.gas.append({"kind": kind, "game": game_id, "gas": r.gas_used})
        return r

    # ---- models and claims
    def register_model(self, program: Program) -> bytes:
        check_fits(program)  # StepProofTooLarge, before any transaction: a step no one could prove
        c = commit(program)
        self._programs[c.model_id] = program
        if self.jurors is not None:  # a jury round is a Brain request: Brain must know the model too
            self.jurors.register(program)
        try:
            self.models_contract.model(c.model_id)
        except ContractRevert:
            self._tx("register", None, self.models_contract.register, *registration(program), sender=self.keeper)
        return c.model_id

    def program(self, model_id: bytes) -> Program:
        if model_id not in self._programs:
            raise UnknownModel(f"model {model_id.hex()[:16]}: register it through this arbiter first")
        return self._programs[model_id]

    def submit_claim(self, defender, model_id, x_q, final_root, output_root, output_proof, bond,
                     tolerance: Tolerance | int = 0) -> int:
        """`tolerance` (a Tolerance or its packed uint64): what the jury allows the claim's float steps."""
        if model_id in self._programs:  # the canonical encoding needs the slot's dtype and shape
            x_q = check_input(self._programs[model_id], x_q)
        packed = tolerance.packed if isinstance(tolerance, Tolerance) else Tolerance.unpack(tolerance).packed
        r = self._tx("submit", None, self.game_contract.submit_claim, model_id, tensor_bytes(np.asarray(x_q)),
                     final_root, output_root, list(output_proof), bond=bond, consumer=self.system.consumer.address,
                     sender=self.account(defender), tolerance=packed)
        cid = r.one(ev.ClaimSubmitted).claim_id
        self._inputs[cid] = np.asarray(x_q)
        return cid

    def claim(self, claim_id: int) -> Claim:
        c = self._call(self.game_contract.claim, claim_id)
        return Claim(claim_id, c.model_id, c.input_root, c.initial_root, c.final_root,
                     c.output_root, c.steps, Bond(self._name(c.defender), c.bond), c.created, self.window, c.status)

    def claim_games(self, claim_id: int) -> list[GameView]:
        return [self.game(g) for g in self.game_contract.claim_games(claim_id)]

    def resolve_claim(self, claim_id: int) -> Claim:
        self._tx("resolve", None, self.game_contract.resolve_claim, claim_id, sender=self.keeper)
        return self.claim(claim_id)

    # ---- games
    def open_game(self, claim_id, challenger, bond, mid_root) -> int:
        _check_root(mid_root)
        r = self._tx("open", None, self.game_contract.open_game, claim_id, mid_root, bond=bond,
                     sender=self.account(challenger))
        gid = r.one(ev.GameOpened).game_id
        self.gas[-1]["game"] = gid
        self._log(gid, Side.CHALLENGER, "open", r, bond=bond, mid_root=_hex(mid_root))
        return gid

    def game(self, game_id: int) -> GameView:
        g = self._call(self.game_contract.game, game_id)
        over = g.phase == "over"
        started = g.output_root != ZERO
        return GameView(
            id=game_id, claim_id=g.claim_id, defender=self._name(g.defender), challenger=self._name(g.challenger),
            phase=Phase(g.phase), turn=SIDES.get(g.turn), position=Position(g.lo, g.hi), root_lo=g.root_lo,
            root_hi=g.root_hi, claimant=SIDES[g.claimant],
            pending_root=g.pending_root if g.phase == "bisect" and g.pending_root != ZERO else None,
            output_root=g.output_root if started else None,
            node=TreeNode(g.node_depth, g.node_index) if started else None,
            node_hash=g.node_hash if started else None, leaf_depth=g.leaf_depth,
            revealed=self._last_reveal(game_id, g.moves) if started else (),
            clocks={Side.DEFENDER: Clock(g.clock_defender), Side.CHALLENGER: Clock(g.clock_challenger)},
            turn_since=g.turn_since, winner=SIDES.get(g.winner) if over else None,
            reason=self._reasons.get(game_id, "") if over else "", moves=g.moves,
            transcript=self._transcripts.get(game_id, ()), rebases=self.rebases(game_id, g),
            charged=(g.charged_defender, g.charged_challenger))

    def bisect(self, game_id, player, agree, mid_root) -> GameView:
        _check_root(mid_root)
        r = self._tx("bisect", game_id, self.game_contract.bisect, game_id, agree, mid_root,
                     sender=self.account(player))
        e = r.one(ev.Bisected)
        self._log(game_id, SIDES[e.side], "bisect", r, agree=bool(agree), mid_root=_hex(mid_root), lo=e.lo, hi=e.hi)
        return self.game(game_id)

    def post_output(self, game_id, player, output_root, proof, reveal) -> GameView:
        g = self.game_contract.game(game_id)
        program = self.program(self.game_contract.claim(g.claim_id).model_id)
        hashes, chunk = _split(game_id, reveal)
        step = min(max(g.hi, 1), program.steps)
        r = self._tx("post_output", game_id, self.game_contract.post_output, game_id, output_root, list(proof),
                     hashes, chunk, node_descriptor(program, step), program_proof(program, step),
                     sender=self.account(player))
        e = r.one(ev.OutputPosted)
        self._revealed[game_id] = _items(e.hashes, e.chunk)
        self._log(game_id, SIDES[g.turn], "post_output", r, output_root=_hex(output_root), slot=e.slot,
                  items=len(self._revealed[game_id]))
        return self.game(game_id)

    def post_node(self, game_id, player, output, output_proof, inputs) -> GameView:
        """A float step: the node's descriptor and program path come from the registered program; the
        move's bond and the jury's fee are sent with it. The game then waits for the jury (Phase.VOTE)."""
        g = self.game_contract.game(game_id)
        program = self.program(self.game_contract.claim(g.claim_id).model_id)
        step = min(max(g.hi, 1), program.steps)
        output = bytes(output)
        post = NodePost(bytes_root(output), [bytes(p) for p in output_proof], node_descriptor(program, step),
                        program_proof(program, step), [bytes(leaf) for _, leaf, _ in inputs],
                        [[bytes(p) for p in path] for _, _, path in inputs], [bytes(d) for d, _, _ in inputs], output)
        r = self._tx("post_node", game_id, self.game_contract.post_node, game_id, post, sender=self.account(player))
        self._log(game_id, SIDES[g.turn], "post_node", r, step=step, output_root=_hex(post.output_root),
                  output_bytes=len(output), input_bytes=sum(len(d) for d in post.inputs))
        return self.game(game_id)

    def ask_jury(self, game_id: int) -> GameView:
        """A game in Phase.VOTE: with `jurors`, plays its Brain round(s) until the verdict ends the game
        (or the jurors give none); the game as it stands after."""
        g = self.game(game_id)
        # INVARIANT: only a game whose float step was posted awaits a verdict.
        if g.phase is not Phase.VOTE:
            raise game_errors.WrongPhase(f"game {game_id} is in phase {g.phase.value}, not vote")
        if self.jurors is None or not self.jurors.decide(game_id):
            return g
        g = self.game(game_id)
        if g.over:
            verdict = self.verdict(game_id, g.claim_id)
            self._reasons[game_id] = (f"{g.winner.value} won by vote: the jury found the defender's step "
                                      f"{g.position.hi} {verdict} (exact: bitwise its recomputation; within: noise "
                                      f"under the claim's tolerance)"
                                      + (f" after {len(g.rebases)} re-base(s)" if g.rebases else "")
                                      + (f"; {g.winner.other.value} was charged more than {MAX_REBASES} rounds"
                                         if g.charged_to(g.winner.other) > MAX_REBASES else ""))
            entry = {"move": None, "side": None, "kind": "verdict", "time": self.now(), "verdict": verdict}
            self._transcripts[game_id] = self._transcripts.get(game_id, ()) + (entry,)
        return g

    def verdict(self, game_id: int, claim_id: int) -> str | None:
        """The last verdict the jury gave in the game ("exact", "within", "beyond"), from its JuryVerdict log."""
        from bisection.jury import Verdict

        said = self.chain.w3.eth.get_logs({
            "address": self.game_contract.jury(), "fromBlock": self.game_contract.claim(claim_id).created,
            "toBlock": "latest", "topics": [ev.topic_of(ev.JuryVerdict), game_id.to_bytes(32, "big")]})
        return Verdict(ev.decode_log(said[-1]).verdict).name.lower() if said else None

    def pick(self, game_id, player, index) -> GameView:
        if index < 0:
            raise InvalidMove(f"game {game_id}: pick {index} is not one of the revealed nodes")
        revealed = self._last_reveal(game_id)
        hashes = [h for h in revealed if len(h) == 32]
        r = self._tx("pick", game_id, self.game_contract.pick, game_id, index, hashes, sender=self.account(player))
        e = r.one(ev.Picked)
        side = self.game(game_id).disputer  # the picker is the disputer; the turn is the claimant's now
        self._log(game_id, side, "pick", r, index=index, depth=e.depth, node=e.node)
        return self.game(game_id)

    def reveal(self, game_id, player, items) -> GameView:
        hashes, chunk = _split(game_id, items)
        r = self._tx("reveal", game_id, self.game_contract.reveal, game_id, hashes, chunk, sender=self.account(player))
        e = r.one(ev.TreeRevealed)
        self._revealed[game_id] = _items(e.hashes, e.chunk)
        g = self.game(game_id)
        self._log(game_id, g.claimant, "reveal", r, depth=e.depth, node=e.node, items=len(self._revealed[game_id]))
        return self.game(game_id)

    def step(self, game_id, player, element, inputs) -> GameView:
        g = self.game_contract.game(game_id)
        program = self.program(self.game_contract.claim(g.claim_id).model_id)
        if element < 0:
            raise InvalidMove(f"game {game_id}: element {element} is outside a chunk of {ELEMENTS_PER_CHUNK}")
        proof = b""  # an element past the chunk: the contract rejects it before it reads a proof
        if element < ELEMENTS_PER_CHUNK:
            proof = self.prover(program, g.hi, g.node_index * ELEMENTS_PER_CHUNK + element, inputs)
        revealed = self._last_reveal(game_id)
        chunk = revealed[0] if len(revealed) == 1 and len(revealed[0]) == CHUNK_BYTES else b""
        # INVARIANT (client side): a transaction a node refuses is not sent; a refusal is ProofRefused, no move.
        if len(proof) + len(chunk) + STEP_ARGS_BYTES > MAX_TX_BYTES:
            raise ProofRefused(f"game {game_id}: the one-step transaction for element {element} of step {g.hi} would "
                               f"be {len(proof) + len(chunk) + STEP_ARGS_BYTES} bytes, over the {MAX_TX_BYTES} a node takes")
        try:
            r = self._tx("step", game_id, self.game_contract.step, game_id, element, chunk, proof,
                         sender=self.account(player))
        except TransactionFailedError as e:
            raise ProofRefused(f"game {game_id}: the chain refused the one-step transaction for element {element} of "
                               f"step {g.hi} ({len(proof)} bytes of proof): {e}") from e
        e = r.one(ev.Stepped)
        winner = next(SIDES[x.winner] for x in r.of(ev.GameResolved) if x.game_id == game_id)
        self._reasons[game_id] = (f"{winner.value} won: step {e.step} recomputed on chain: element {e.element} of "
                                  f"chunk {e.chunk} is {e.recomputed}, the claimant revealed {e.revealed}")
        self._log(game_id, SIDES[g.turn], "step", r, element=e.element, chunk=e.chunk, step=e.step,
                  recomputed=e.recomputed, revealed=e.revealed)
        return self.game(game_id)

    @staticmethod
    def step_proof(program: Program, step: int, flat: int, inputs) -> bytes:
        """The one-step proof bundle (contracts.onestep) for output element `flat` of `step`, from the
        node's input arrays and their paths in S_{step-1} as the player gives them."""
        from contracts import onestep

        node = program.nodes[step - 1]
        if len(inputs) != len(node.inputs):
            raise InvalidMove(f"step {step} (node '{node.name}') reads {len(node.inputs)} inputs, {len(inputs)} given")
        state: list = [None] * len(program.slots)
        for slot, (arr, _) in zip(node.inputs, inputs):
            s, arr = program.slots[slot], np.asarray(arr)
            # INVARIANT (client side, as in bisection.onestep): an input has its slot's dtype and shape.
            if arr.dtype != np.dtype(s.dtype) or tuple(arr.shape) != tuple(s.shape):
                raise InvalidMove(f"step {step}: input slot {slot} must be {s.dtype} {s.shape}, got {arr.dtype} {arr.shape}")
            state[slot] = arr
        bundle, _ = onestep.proof_parts(program, state, step, flat)
        header, header_path, desc, desc_path, proven = bundle
        proven = [(root, [bytes(p) for p in path], idx, chunks, paths)
                  for (root, _, idx, chunks, paths), (_, path) in zip(proven, inputs)]
        return onestep.encode_bundle((header, header_path, desc, desc_path, proven))

    def claim_timeout(self, game_id) -> GameView:
        before = self.game(game_id)
        r = self._tx("timeout", game_id, self.game_contract.claim_timeout, game_id, sender=self.keeper)
        loser = before.turn
        self._reasons[game_id] = (f"{loser.other.value} won: the {loser.value}'s clock ran out in phase "
                                  f"{before.phase.value}")
        self._log(game_id, loser.other, "timeout", r, loser=loser.value)
        return self.game(game_id)

    def close_game(self, game_id) -> GameView:
        self._tx("close", game_id, self.game_contract.close_game, game_id, sender=self.keeper)
        rejected = self.game_contract.contract.events.ClaimRejected.get_logs(
            from_block=0, argument_filters={"claimId": self.game_contract.game(game_id).claim_id})
        by = rejected[0]["args"]["gameId"] if rejected else "?"
        self._reasons[game_id] = f"claim rejected by game {by}"
        return self.game(game_id)

    def move_bond(self, game_id) -> int:
        return self._call(self.game_contract.move_bond, game_id)

    # ---- what the contract keeps in events only
    HISTORY = {ev.GameOpened: "open", ev.Bisected: "bisect", ev.OutputPosted: "post_output", ev.Picked: "pick",
               ev.TreeRevealed: "reveal", ev.Stepped: "step", ev.GameResolved: "resolved"}

    def history(self, game_id: int) -> list[dict]:
        """Every move of a game in order, from the chain's logs alone (what an agent that restarts reads,
        as op-challenger does): the open and each bisect with its midpoint root, the output and every
        tree reveal with its items (hashes, or the chunk), each pick, the step and the resolution.
        One log query: every event of a game has the game id as its first indexed topic."""
        g = self._call(self.game_contract.game, game_id)  # UnknownGame for an id that does not exist
        start = self.game_contract.claim(g.claim_id).created
        logs = self.chain.w3.eth.get_logs({"address": self.game_contract.address, "fromBlock": start,
                                           "toBlock": "latest", "topics": [None, game_id.to_bytes(32, "big")]})
        out = []
        for log in logs:
            e = ev.decode_log(log)
            kind = self.HISTORY.get(type(e))
            if kind is None:
                continue
            entry = {"kind": kind, "block": log["blockNumber"]}
            data = {k: v for k, v in vars(e).items() if k not in ("game_id", "emitter", "block_number")}
            if "hashes" in data:
                entry["items"] = _items(data.pop("hashes"), data.pop("chunk"))
            out.append({**entry, **data})
        return out

    def rebases(self, game_id: int, g=None) -> tuple:
        """((step, defender's output bytes), ...) the game was re-based on, oldest first, from the chain:
        each `Rebased` follows the `NodePosted` of its step, whose jury round's input (Brain's
        InputPosted) is the task holding the output bytes. Read again only when the game's move count or
        phase changed (a re-base changes the phase), and only for a float program's claim, from the
        claim's block on (log queries are costly on the embedded chain)."""
        g = g or self._call(self.game_contract.game, game_id)
        key = (g.moves, g.phase)
        hit = self._rebases.get(game_id)
        if hit is not None and hit[0] == key:
            return hit[1]
        claim = self.game_contract.claim(g.claim_id)
        out = []
        if claim.float_steps:
            from bisection.jury import NodeTask
            from contracts.bindings.jury import NodeJury

            def logs(address, cls, key_topic: int, start: int):
                return self.chain.w3.eth.get_logs({"address": address, "fromBlock": start, "toBlock": "latest",
                                                   "topics": [ev.topic_of(cls), key_topic.to_bytes(32, "big")]})

            rebased = logs(self.game_contract.address, ev.Rebased, game_id, claim.created)
            if rebased:
                posted = {e.step: e for e in map(ev.decode_log, logs(self.game_contract.address, ev.NodePosted,
                                                                      game_id, claim.created))}
                brain = NodeJury(self.chain, self.game_contract.jury()).brain()
                for log in rebased:
                    step = ev.decode_log(log).step
                    task = logs(brain, ev.InputPosted, posted[step].jury_request, claim.created)
                    out.append((step, NodeTask.decode(ev.decode_log(task[0]).input).output))
        self._rebases[game_id] = (key, tuple(out))
        return self._rebases[game_id][1]

    def _last_reveal(self, game_id: int, moves: int | None = None) -> tuple:
        if game_id in self._revealed:
            return self._revealed[game_id]
        if moves is not None and self._from_logs.get(game_id, (None,))[0] == moves:
            return self._from_logs[game_id][1]  # read at this move count already
        reveals = [e["items"] for e in self.history(game_id) if "items" in e]
        last = reveals[-1] if reveals else ()
        if moves is not None:
            self._from_logs[game_id] = (moves, last)
        return last

    def _log(self, game_id: int, side: Side, kind: str, receipt, **data) -> None:
        t = self._transcripts.get(game_id, ())
        entry = {"move": len(t) + 1, "side": side.value, "kind": kind, "time": receipt.block_number, **data,
                 "gas": receipt.gas_used}
        self._transcripts[game_id] = t + (entry,)


def _check_root(root) -> None:
    if root is not None and len(root) != 32:
        raise InvalidMove(f"a midpoint root is 32 bytes, got {len(root)}")


def _split(game_id: int, items) -> tuple[list[bytes], bytes]:
    """A reveal as the contract takes it: 32-byte hashes, or one chunk."""
    items = [bytes(i) for i in items]
    if len(items) == 1 and len(items[0]) != 32:
        return [], items[0]
    if any(len(i) != 32 for i in items):
        raise InvalidMove(f"game {game_id}: a reveal is 32-byte hashes or one {CHUNK_BYTES}-byte chunk")
    return items, b""


def _items(hashes, chunk) -> tuple:
    return (bytes(chunk),) if len(chunk) else tuple(bytes(h) for h in hashes)


def _hex(b) -> str | None:
    return None if b is None else bytes(b).hex()


__all__ = ["ChainArbiter", "ChainTime"]
