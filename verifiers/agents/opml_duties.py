"""What the opML roles share: reading a claim's input from the chain's events (never calldata), a player per (claim, strategy), and
moving in games. Not a role itself (it registers nothing).

Every player move goes through `contracts.arbiter.ChainArbiter`, the same arbiter `tribunal dispute
--chain` uses, so the agents play exactly the dispute-game library's players (`bisection.players`),
honest or with any of its strategies. The arbiter's per-object reveal cache is dropped on every tick:
the last reveal is re-read from the chain's logs, as a restarted agent would.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

from bisection.errors import UnknownStrategy
from bisection.players import STRATEGIES, Player, make_player
from bisection.strategy import Strategy, name_of, resolve
from bisection.trace import compute
from contracts import events as ev
from contracts.arbiter import ChainArbiter
from bisection.arbiter import Phase
from contracts.bindings.brain import ResultKind, Status as BrainStatus
from runtime.errors import TribunalError
from runtime.tensor_root import tensor_bytes
from verifiers.agents.base import Agent
from verifiers.chainlog import events
from verifiers.errors import BondBelowMinimum, ClaimInputUnreadable, UnknownCheat
from verifiers.views import CLAIM_FINAL, CLAIM_PENDING, CLAIM_REJECTED, OpmlState, read_state

GAME_STRATEGIES = STRATEGIES  # every dispute-game strategy of the library
# Caches are bounded (least recently used out): a trace holds every value its program computed, so one kept per
# claim ever seen let anyone grow every watcher's memory without bound with honest claims (bond refunded).
MAX_PLAYERS = 32  # players (each with its traces) of games, requests and claims in play
MAX_ROOTS = 4096  # S_N of inputs already checked (32 bytes each): a claim that matches needs no trace kept
MAX_INPUTS = 1024  # (entry, x_q) of claims, read from their ClaimInput events

class OpmlAgent(Agent):
    """An agent that plays opML games: the submitter (defender) and the watcher (challenger) derive from it."""

    def __init__(self, *a, bond: int | None = None, **kw):
        super().__init__(*a, **kw)
        min_bond = self.d.opml.config.min_bond
        self.bond = min_bond if bond is None else int(bond)
        if self.bond < min_bond:
            raise BondBelowMinimum(f"the {self.role}'s bond {self.bond} wei is below the game's minimum {min_bond} wei")
        self.arbiter = ChainArbiter(self.d.opml, accounts={self.name: self.account})
        self._players: OrderedDict[tuple, Player] = OrderedDict()
        self._roots: OrderedDict[tuple, bytes] = OrderedDict()  # player key -> its S_N
        self._inputs: OrderedDict[tuple, tuple] = OrderedDict()  # (claim's tx hash, claim id) -> (entry, x_q): chain reads

    @classmethod
    def accepts(cls, cheat) -> bool:
        """A name in `cheats`, or a dispute-game `Strategy` object or import path (`package.module:Name`,
        `file.py:Name`): one of the player's own, played as any built-in is."""
        if not set(GAME_STRATEGIES) <= set(cls.cheats):  # a role that plays no games (a hybrid member)
            return cheat in cls.cheats
        if isinstance(cheat, str) and (cheat in cls.cheats or ":" not in cheat):
            return cheat in cls.cheats
        try:
            resolve(cheat)
        except UnknownStrategy as e:
            raise UnknownCheat(f"the {cls.role} role cannot play {cheat!r}: {e}") from None
        return True

    @property
    def strategy(self) -> Strategy | str:
        """The dispute-game strategy this agent plays: a built-in's name ("honest" unless its cheat is
        one), or the `Strategy` object its cheat names."""
        c = self.cheat
        if isinstance(c, str) and ":" not in c:
            return c if c in GAME_STRATEGIES else "honest"
        return resolve(c)

    def _key(self, entry, x_q: np.ndarray, strategy) -> tuple:
        return entry.model_id, hashlib.sha256(x_q.tobytes()).digest(), name_of(strategy)

    def _make(self, entry, x_q: np.ndarray, strategy) -> Player:
        program = entry.program
        self.arbiter._programs[entry.model_id] = program
        honest = compute(program, x_q)
        at = max(1, program.steps // 2)
        return make_player(self.name, program, x_q, strategy, at, honest=honest)

    def player(self, entry, x_q: np.ndarray, strategy: Strategy | str | None = None) -> Player:
        strategy = strategy or self.strategy
        key = self._key(entry, x_q, strategy)
        if key not in self._players:
            self._players[key] = self._make(entry, x_q, strategy)
        _used(self._players, key, MAX_PLAYERS)
        return self._players[key]

    def final_root(self, entry, x_q: np.ndarray) -> bytes:
        """S_N of this agent's trace on x_q: the trace is kept only while a game or request needs it (`player`);
        checking a claim that matches it keeps 32 bytes."""
        key = self._key(entry, x_q, self.strategy)
        if key in self._players:
            return self._players[key].root_for(entry.program.steps)
        if key not in self._roots:
            self._roots[key] = self._make(entry, x_q, self.strategy).root_for(entry.program.steps)
        _used(self._roots, key, MAX_ROOTS)
        return self._roots[key]

    def claim_input(self, claim_id: int, seen) -> tuple | None:
        """(entry, x_q) of a claim, from its ClaimInput event (emitted with ClaimSubmitted by the same
        `_submit`), never from calldata: a claim sent through a contract, a proxy or a multicall reads the
        same. None for a model this agent does not serve; a claim on a served model whose input cannot be
        rebuilt raises ClaimInputUnreadable: an error logged with the claim's id, never a silent skip."""
        key = (seen.tx_hash, claim_id)
        if key not in self._inputs:
            entry = self.catalog.by_id(seen.event.model_id)
            if entry is None or not entry.disputable:
                return None
            posted = events(self.chain, self.d.game.address, ev.ClaimInput, from_block=seen.block,
                            to_block=seen.block, key=claim_id)
            data = bytes(posted[0].event.input) if posted else None
            # INVARIANT: the bytes re-executed are the claim's input (its hash is on chain with the claim).
            if data is None or hashlib.sha256(data).digest() != bytes(seen.event.input_hash):
                raise ClaimInputUnreadable(f"claim {claim_id}: no ClaimInput event matching its input hash")
            try:
                x_q = entry.decode(data, ResultKind.OUTPUT_ROOT)
            except TribunalError as e:
                raise ClaimInputUnreadable(f"claim {claim_id}: its input does not decode for "
                                           f"'{entry.name}': {e}") from None
            # INVARIANT: the watcher's S_0 is the claim's: the decoded input re-encodes to the posted bytes.
            if tensor_bytes(np.asarray(x_q)) != data:
                raise ClaimInputUnreadable(f"claim {claim_id}: its input bytes are not canonical for '{entry.name}'")
            self._inputs[key] = (entry, x_q)
        _used(self._inputs, key, MAX_INPUTS)
        entry, x_q = self._inputs[key]
        self.arbiter._programs[entry.model_id] = entry.program
        self.arbiter._inputs[claim_id] = x_q
        return entry, x_q

    def play(self, game_id: int, player: Player) -> int:
        """One move in game `game_id` if it is this agent's turn, or a timeout claim if the other side's
        clock ran out. Returns transactions sent (0 or 1)."""
        self.arbiter._revealed.clear()  # re-read the last reveal from the chain
        try:
            g = self.arbiter.game(game_id)
        except TribunalError:
            return 0
        if g.over:
            return 0
        if g.phase == Phase.VOTE:
            return self.jury_duty(game_id)
        head = self.chain.block_number
        mine = g.side_of(self.name)
        if g.turn != mine:
            if g.clocks[g.turn].expired(head + 1 - g.turn_since):
                return bool(self.send(f"timeout game {game_id}", lambda: self.arbiter.claim_timeout(game_id)))
            return 0
        if self.cheat == "late" and not g.clocks[mine].expired(head + 3 - g.turn_since):
            return 0  # moves only when its clock is about to run out
        try:
            moved = player.act(self.arbiter, game_id)
        except TribunalError as e:
            self.log.append({"duty": f"move game {game_id}", "refused": f"{type(e).__name__}: {e}"})
            return 0
        if moved:
            self.log.append({"duty": f"move game {game_id} ({g.phase.value})", "block": self.chain.block_number})
        return int(bool(moved))

    def jury_duty(self, game_id: int) -> int:
        """A float step waits for its jury: a round that ended without a verdict reaching the game (timed
        out, never dispatched, or a callback that did not get through) is filed again (either side may)."""
        jury = self.d.jury
        case = jury.case(game_id)
        if case.request == 0 or case.settled:
            return 0
        b = self.d.brain.request_info(case.request)
        timeout = self.d.system.config.queue_timeout
        stale = b.status == BrainStatus.QUEUED and self.chain.block_number > b.request_block + timeout
        ended = (BrainStatus.TIMED_OUT, BrainStatus.CANCELLED, BrainStatus.FINALIZED, BrainStatus.UNSERVABLE)
        if b.status not in ended and not stale:
            return 0
        return bool(self.send(f"retry jury of game {game_id}", lambda: jury.retry(game_id, sender=self.account)))

    def close_games(self, st: OpmlState) -> int:
        """Bonds back from games left open on a claim another game refuted: each such game in which this
        agent has bonds is ended with `closeGame` (anyone may; the side with money in it does)."""
        sent = 0
        for cid, games in st.games.items():
            if st.status.get(cid) != CLAIM_REJECTED:
                continue
            defender = self.linked(st, [cid])[cid][0]  # a claim older than the window: from the view
            for gid in games:
                if gid in st.over or self.address not in (defender, st.challenger[gid]):
                    continue
                sent += self.isolated(f"close game {gid}", gid, lambda: bool(self.send(
                    f"close game {gid}", lambda: self.d.game.close_game(gid, sender=self.account))))
        return sent

    def state(self) -> OpmlState:
        return read_state(self.chain, self.d, self.from_block())

    def resolve_claim(self, st: OpmlState, claim_id: int) -> int:
        if st.status[claim_id] != CLAIM_PENDING or st.open_games(claim_id):
            return 0
        if self.chain.block_number < st.claims[claim_id].event.deadline:
            return 0
        return bool(self.send(f"resolve claim {claim_id}", lambda: self.d.game.resolve_claim(claim_id, sender=self.account)))

    def answer(self, seen, entry, x_q) -> int:
        """Submit this agent's claim for an open opML request and link it as the request's answer."""
        rid = seen.event.request_id
        p = self.player(entry, x_q)
        r = self.send(f"claim for request {rid}", lambda: p.submit(self.arbiter, entry.model_id, self.bond,
                                                                     tolerance=seen.event.tolerance))
        if r is None:
            return 0
        return 1 + bool(self.send(f"answer request {rid}", lambda: self.d.requests.answer(rid, r, sender=self.account)))

    def serve_all(self, st: OpmlState, *, answer_always: bool) -> int:
        """`serve` on every open opML request, each alone (a request that fails is logged, never the others)."""
        return sum(self.isolated(f"serve request {rid}", rid, lambda: self.serve(st, rid, answer_always=answer_always))
                   for rid in st.requests)

    def linked(self, st: OpmlState, answers: list[int]) -> dict[int, tuple[str, str]]:
        """(defender, status) of each claim id: from the event window, or from the `claim` view for one
        submitted before it (a request, or a game, may name a claim older than LOOKBACK)."""
        out = {}
        for c in answers:
            if c in st.claims:
                out[c] = (st.claims[c].event.defender, st.status[c])
            else:
                info = self.d.game.claim(c)
                out[c] = (info.defender, info.status)
        return out

    def serve(self, st: OpmlState, rid: int, *, answer_always: bool) -> int:
        """Every duty on one open opML request: answer it (always, or with `answer_always=False` only once
        every answer was refuted), link a claim a crash left unlinked, defend, resolve, settle."""
        seen = st.requests[rid]
        e, reqs = seen.event, self.d.requests
        if rid in st.settled:
            return 0
        entry = self.catalog.by_id(e.model_id)
        if entry is None or not entry.disputable:
            return 0
        answers = st.answers.get(rid, [])
        linked = self.linked(st, answers)
        mine = [c for c in answers if linked[c][0] == self.address]
        live = [c for c in answers if linked[c][1] != CLAIM_REJECTED]
        unlinked = [c for c, s in st.claims.items() if s.event.defender == self.address and c not in answers
                    and s.event.initial_root == e.initial_root and st.status[c] == CLAIM_PENDING]
        if unlinked:
            c = unlinked[0]
            return bool(self.send(f"answer request {rid}", lambda: reqs.answer(rid, c, sender=self.account)))
        x_q = entry.decode(e.input, ResultKind.OUTPUT_ROOT)
        wants = (bool(answers) and not live) if not answer_always else not mine  # one answer per submitter
        if wants and self.chain.block_number <= e.deadline:
            return self.answer(seen, entry, x_q)
        sent, player = 0, None
        for c in mine:
            if linked[c][1] != CLAIM_PENDING:
                continue
            player = player or self.player(entry, x_q)
            for gid in st.open_games(c):
                sent += self.isolated(f"move game {gid}", gid, lambda: self.play(gid, player))
            if c in st.claims:  # its deadline is in its ClaimSubmitted event
                sent += self.isolated(f"resolve claim {c}", c, lambda: self.resolve_claim(st, c))
        if any(linked[c][1] == CLAIM_FINAL for c in mine):
            sent += bool(self.send(f"settle request {rid}", lambda: reqs.settle(rid, sender=self.account)))
        return sent


def _used(cache: OrderedDict, key, limit: int) -> None:
    """Marks `key` most recently used and drops the least recently used entries past `limit`."""
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)
