"""Invariants of the opML game under random play, in the style of Optimism's invariant tests: a
Hypothesis state machine drives OpmlGame on the embedded chain with random sequences of claims (honest
or wrong), games (from an honest challenger, a lying one, a staller), moves (bisection's players,
honest or not), blocks passing, timeouts, lazy closes, resolutions and withdrawals from several
parties, and after every step checks:

- bonds are conserved: the contract's balance is what is owed plus what is locked (pending claims'
  bonds, open games' bonds); everything ever paid in (the bonds the contract records) is that balance
  plus what was withdrawn; each account's paid - owed is exactly what it withdrew (nothing twice);
- a claim with a wrong output never ends final while the honest challenger plays (it opens a game on
  every wrong claim and moves before any block passes), and an honest defender's claim is never
  rejected;
- a claim-rejecting move costs the same whatever the number of other games on the claim: rejecting
  timeouts stay within a narrow band and under a fixed bound (the exact 1-vs-300 comparison is
  test_opml_attacks' job).

The chain is deployed and the model registered once; each example runs from a snapshot, reverted at
its end. Few examples, short sequences.
"""
from __future__ import annotations

from eth_utils import keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from bisection import Side, make_player, trace
from bisection.errors import GameError, NothingToDispute
from contracts import errors as E
from contracts import events as ev
from contracts.arbiter import ChainArbiter
from contracts.bindings.opml import OpmlConfig
from contracts.chain import connect
from contracts.deploy import deploy_opml

from .test_opml import case

CONFIG = OpmlConfig(window=48, clock=16, stride=2, callback_gas=200_000)  # a clock longer than a step's honest moves
MAX_CLAIMS = 3
PAID_SLOT, OWED_SLOT = 5, 6  # OpmlGame's storage: config (0, 1), _claims, _games, _claimGames, paid, owed
REJECT_TIMEOUT_BAND = 40_000  # storage first written or not (a new payee) is the only difference
REJECT_TIMEOUT_MAX = 160_000  # ~105k measured; the old settlement loop added >= 30k per other open game


class _World:
    """What every example shares: one chain, the system, the players' traces."""

    def __init__(self):
        self.chain = connect("embedded")
        self.system = deploy_opml(self.chain, CONFIG)
        self.program, self.x_q = case("toy")
        self.honest = trace.compute(self.program, self.x_q)
        ChainArbiter(self.system).register_model(self.program)
        self.base = self.chain.snapshot()


_WORLD: _World | None = None


def world() -> _World:
    global _WORLD
    if _WORLD is None:
        _WORLD = _World()
    return _WORLD


class OpmlGameMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        w = self.w = world()
        self.chain, self.game = w.chain, w.system.game
        self.chain.revert(w.base)
        w.base = self.chain.snapshot()  # eth-tester snapshots are single use once reverted to
        self.arb = ChainArbiter(w.system)
        self.model_id = self.arb.register_model(w.program)

        def player(name, strategy="honest", k=None):
            p = make_player(name, w.program, w.x_q, strategy, k, seed=len(name), honest=w.honest)
            p.name = name
            return p

        self.players = {"alice": player("alice"), "mallory": player("mallory", "wrong-output", 5),
                        "carol": player("carol"), "eve": player("eve", "bad-bisection", 3),
                        "stan": player("stan", "timeout", 7)}
        self.honest = {"alice", "carol"}
        for name in self.players:
            self.arb.account(name)
        self.claims: dict[int, str] = {}  # claim id -> defender
        self.games: dict[int, str] = {}  # game id -> challenger
        self.withdrawn: dict[str, int] = {n: 0 for n in self.players}
        self.reject_timeouts: list[tuple[int, int]] = []  # (gas, other open games on the claim)

    def teardown(self):
        import os
        if os.environ.get("OPML_INVARIANTS_DEBUG"):
            print("claims", self.claims, "games", self.games, "reject timeouts", self.reject_timeouts,
                  "statuses", [self.game.claim(c).status for c in self.claims])
        for name in self.players:
            address = self.arb.account(name).address
            assert self._ledger(name) == (self.game.owed(address), self.game.paid(address)), "storage layout"
        self.chain.revert(self.w.base)
        self.w.base = self.chain.snapshot()

    # ---- helpers
    def _ledger(self, name: str) -> tuple[int, int]:
        """(owed, paid) of a party, read from the contract's storage (a tenth of a view call's time on
        py-evm); teardown checks them against the views, so a layout change fails loudly."""
        key = bytes.fromhex(self.arb.account(name).address[2:]).rjust(32, b"\0")
        read = self.chain.w3.eth.get_storage_at
        return tuple(int.from_bytes(read(self.game.address, int.from_bytes(keccak(key + slot.to_bytes(32, "big")),
                                                                             "big")), "big")
                     for slot in (OWED_SLOT, PAID_SLOT))

    def _claim_of(self, gid: int) -> int:
        return self.game.game(gid).claim_id

    def _honest_moves(self) -> None:
        """The honest parties are diligent (as op-challenger is): every move they owe is made, and every
        timeout they are owed claimed, before anything else happens."""
        moved = True
        while moved:
            moved = False
            pending = {c for c in self.claims if self.game.claim(c).status == "pending"}
            for gid in self.games:
                g = self.game.game(gid)
                if g.phase == "over" or g.claim_id not in pending:
                    continue
                defender, challenger = self.claims[g.claim_id], self.games[gid]
                mover, waiter = (defender, challenger) if g.turn == 1 else (challenger, defender)
                if mover in self.honest:
                    assert self.players[mover].act(self.arb, gid)
                    moved = True
                    break  # a move may have ended a claim: look again
                left = g.clock_defender if g.turn == 1 else g.clock_challenger
                if waiter in self.honest and self.chain.block_number + 1 - g.turn_since > left:
                    self._rejecting(gid, lambda: self.arb.claim_timeout(gid))
                    moved = True
                    break

    def _open(self, cid: int, name: str) -> None:
        try:
            gid = self.players[name].challenge(self.arb, cid)
        except NothingToDispute:
            return
        self.games[gid] = name

    def _rejecting(self, gid: int, move) -> None:
        """Runs a move that may end the game; records the gas of a move that rejects the claim."""
        cid = self._claim_of(gid)
        others = self.game.claim(cid).open_games - 1
        before = len(self.arb.gas)
        try:
            move()
        except GameError:
            return
        if self.game.claim(cid).status == "rejected" and len(self.arb.gas) > before:
            t = self.arb.gas[-1]
            if t["kind"] == "timeout":
                self.reject_timeouts.append((t["gas"], others))

    # ---- rules
    @initialize(griefer=st.sampled_from(["eve", "stan"]))
    def start(self, griefer):
        """A wrong claim that the honest challenger disputes, and an honest claim that a griefer disputes."""
        self.submit(False)
        self.submit(True)
        self._open(max(self.claims), griefer)

    @precondition(lambda self: len(self.claims) < MAX_CLAIMS)
    @rule(honest=st.booleans())
    def submit(self, honest):
        self._honest_moves()
        name = "alice" if honest else "mallory"
        cid = self.players[name].submit(self.arb, self.model_id)
        self.claims[cid] = name
        if not honest:  # the honest challenger watches every claim
            self._open(cid, "carol")

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), name=st.sampled_from(["eve", "stan", "carol"]))
    def challenge(self, data, name):
        self._honest_moves()
        cid = data.draw(st.sampled_from(sorted(self.claims)))
        try:
            self._open(cid, name)
        except (E.ChallengeWindowClosed, E.NotYourTurn):
            pass

    @precondition(lambda self: self.games)
    @rule(data=st.data())
    def move(self, data):
        self._honest_moves()
        gid = data.draw(st.sampled_from(sorted(self.games)))
        g = self.game.game(gid)
        if g.phase == "over":
            return
        mover = self.claims[g.claim_id] if g.turn == 1 else self.games[gid]
        self._rejecting(gid, lambda: self.players[mover].act(self.arb, gid))

    @rule(blocks=st.sampled_from([1, 4, CONFIG.clock + 2]))  # a full clock often, so timeouts happen
    def wait(self, blocks):
        self._honest_moves()
        self.chain.mine(blocks)

    @precondition(lambda self: self.games)
    @rule(data=st.data())
    def timeout(self, data):
        self._honest_moves()
        gid = data.draw(st.sampled_from(sorted(self.games)))
        self._rejecting(gid, lambda: self.arb.claim_timeout(gid))

    @precondition(lambda self: self.games)
    @rule(data=st.data())
    def close(self, data):
        self._honest_moves()
        gid = data.draw(st.sampled_from(sorted(self.games)))
        try:
            self.arb.close_game(gid)
        except (E.ClaimPending, E.GameOver):
            pass

    @precondition(lambda self: self.claims)
    @rule(data=st.data())
    def resolve(self, data):
        self._honest_moves()
        cid = data.draw(st.sampled_from(sorted(self.claims)))
        try:
            self.arb.resolve_claim(cid)
        except E.ClaimNotFinalizable:
            pass

    @rule(name=st.sampled_from(["alice", "mallory", "carol", "eve", "stan"]))
    def withdraw(self, name):
        self._honest_moves()
        account = self.arb.account(name)
        if self.game.owed(account.address) == 0:
            return
        r = self.game.withdraw(sender=account)
        self.withdrawn[name] += r.one(ev.BondWithdrawn).amount

    # ---- invariants (one pass over the chain's state per step)
    @invariant()
    def invariants(self):
        claims = {c: self.game.claim(c) for c in self.claims}
        games = [self.game.game(g) for g in self.games]
        self._bonds_conserved(claims, games)
        self._wrong_claims_never_final(claims)
        self._rejecting_move_gas_independent_of_games()

    def _bonds_conserved(self, claims, games):
        locked = sum(c.bond for c in claims.values() if c.status == "pending")
        locked += sum(g.challenger_bond + g.defender_bond for g in games if g.phase != "over")
        posted = sum(c.bond for c in claims.values()) + sum(g.challenger_bond + g.defender_bond for g in games)
        owed = paid = 0
        for name in self.players:
            o, p = self._ledger(name)
            assert p - o == self.withdrawn[name], name  # paid once, withdrawn once
            owed, paid = owed + o, paid + p
        balance = self.chain.balance(self.game.address)
        assert balance == owed + locked
        assert posted == balance + sum(self.withdrawn.values()) == paid + locked

    def _wrong_claims_never_final(self, claims):
        for cid, c in claims.items():
            if self.claims[cid] == "mallory":
                assert c.status != "final", cid
            else:  # and an honest defender that plays is never refuted
                assert c.status != "rejected", cid

    def _rejecting_move_gas_independent_of_games(self):
        gas = [g for g, _ in self.reject_timeouts]
        if gas:
            assert max(gas) <= REJECT_TIMEOUT_MAX, self.reject_timeouts
            assert max(gas) - min(gas) <= REJECT_TIMEOUT_BAND, self.reject_timeouts


OpmlGameMachine.TestCase.settings = settings(max_examples=3, stateful_step_count=10, deadline=None,
                                             suppress_health_check=list(HealthCheck))
test_opml_game_invariants_underRandomPlay = OpmlGameMachine.TestCase
