"""The shard node (`tribunal node --role shard --shards 1,2 --store DIR`): serves, checks and defends the
boundaries of the shards it holds, acting only on chain state and the boundary store.

Duties, recomputed on every tick from ShardLedger's state (see verifiers.agents.base):
- load: a ShardedRegistered model whose spec names a model this node serves -> rebuild the plan, check
  the sharded id, add its shards to the catalog, announce the shards it holds (memory, throughput);
- serve: an open request whose next boundary is a shard it holds, routed to it (or stalled past the
  ledger's `stall` blocks: re-routing) -> fetch the previous boundary from the store (refused with
  BoundaryMismatch unless it hashes to the posted root), run the shard, write the output to the store,
  post its root with the bond;
- check: a posted boundary of a shard it holds, posted by another node -> recompute it from the previous
  boundary; a different root -> dispute it; the same root with no good blob in the store -> write it
  (repair: the root fixes the content);
- defend: its own post disputed -> submit an OpmlGame claim on the shard (input: the previous boundary)
  and bind it, then play that game as defender (the dispute game library's players, unchanged);
- challenge: a dispute bound to a claim whose output its own run of the shard contradicts (its own dispute,
  or anybody's: a liar's sybil opens one and never plays) -> open an OpmlGame game on the claim and play it;
- resolve: a dispute whose claim is decided (or never bound in time), or a request past its window -> resolve.

Cheats: corrupt (its boundaries carry a lie in the middle step of its shard, defended as such: it loses),
forward-other (posts the right root but writes another tensor to the store: the next node refuses it),
slow (waits `SLOW_S` seconds before each post: routing learns to avoid it). `lie_on` limits corrupt to
some shards. In hybrid (verifiers/shard/hybrid.py) a routed node posts the boundary its committee round
decided (`forward`), not its own computation.
"""
from __future__ import annotations

import time
from collections import OrderedDict

import numpy as np

from bisection.errors import NothingToDispute
from bisection.shards import sharded_id
from contracts import events as ev
from contracts.bindings.shard import OPEN, ShardLedger
from runtime.tensor_root import tensor_root
from verifiers.agents.opml_duties import OpmlAgent
from verifiers.views import CLAIM_PENDING

from . import plans
from .errors import BoundaryMismatch, BoundaryNotFound, BoundaryTooLarge, ShardError, ShardSpecError
from .store import BoundaryStore

SLOW_S = 3.0
MAX_VERIFIED = 64  # boundaries kept after their blob was verified (least recently used out)
LEDGER_KEY = "shard_ledger"  # the saved deployment's extras key of the ShardLedger address


def ledger_address(deployment_file) -> str:
    from verifiers.deployment import read

    extras = read(deployment_file).get("extras", {})
    if LEDGER_KEY not in extras:
        raise ShardSpecError(f"deployment {deployment_file} names no shard ledger (deploy one: verifiers.shard.pipeline)")
    return extras[LEDGER_KEY]


class ShardNode(OpmlAgent):
    """A node holding some shards of sharded models (module docstring)."""
    role = "shard"
    cheats = ("honest", "corrupt", "forward-other", "slow")
    takes_args = True  # `tribunal node` hands it its parsed arguments (--shards, --store)

    def __init__(self, deployment, account, *, args=None, ledger: ShardLedger | None = None, store=None,
                 shards=None, lie_on=None, **kw):
        super().__init__(deployment, account, **kw)
        self.lie_on = None if lie_on is None else set(lie_on)  # the corrupt cheat lies on these shards (None: all)
        if args is not None:
            ledger = ledger or ShardLedger(deployment.chain, ledger_address(args.deployment))
            store = store or args.store
            shards = shards or args.shards
        if ledger is None or store is None:
            raise ShardSpecError("a shard node needs the ledger and a boundary store (--store DIR)")
        self.ledger, self.store = ledger, BoundaryStore(store)
        self.holds = parse_shards(shards) if isinstance(shards, str) else (set(shards) if shards else None)
        self.ledger_bond = ledger.bond
        self._plans: dict[bytes, tuple] = {}  # sharded id -> (spec, plan, entries)
        self._announced: set[bytes] = set()
        self._verified: OrderedDict[tuple, np.ndarray] = OrderedDict()  # (root, dtype, shape) -> boundary read
        self._refused: set[bytes] = set()  # sharded ids whose registration this node examined and does not serve
        self._agreed: set[tuple] = set()  # (request, shard, root) recomputed and found right
        self._contradicted: set[tuple] = set()  # (request, shard, root) recomputed and found wrong
        self.timings: dict[tuple, float] = {}  # (request, shard) -> seconds this node computed
        # hybrid (verifiers/shard/hybrid.py): (shard, input root) -> the output root a committee round decided
        # and this node voted for; when routed it posts that boundary (the store's blob), not its own
        self.forward: dict[tuple[int, bytes], bytes] = {}

    # ---------------------------------------------------------------- tick
    def tick(self) -> int:
        sent = 0
        addr = self.ledger.address
        for s in self.recent(addr, ev.ShardedRegistered):
            if bytes(s.event.sharded_id) not in self._refused:
                sent += self.isolated("load sharded model", s.event.sharded_id.hex()[:16], lambda: self.load(s))
        for s in self.recent(addr, ev.ShardRequested):
            if s.event.sharded_id in self._plans:
                sent += self.isolated(f"sharded request {s.event.id}", s.event.id, lambda: self.serve(s))
        return sent

    def mine(self, k: int) -> set[int]:
        return set(range(1, k + 1)) if self.holds is None else {j for j in self.holds if j <= k}

    def load(self, seen) -> int:
        e = seen.event
        if e.sharded_id in self._plans:
            return self.announce(e.sharded_id)
        # INVARIANT: a registration is examined once: a refused one (anybody may register) is never rebuilt.
        self._refused.add(bytes(e.sharded_id))
        spec = plans.Spec.parse(e.model)
        if spec.model not in self.catalog.names:
            return 0
        plan = plans.plan_of(spec)
        # INVARIANT: a node serves only the shards whose ids the registration commits to.
        if sharded_id(plan) != bytes(e.sharded_id):
            raise ShardSpecError(f"sharded model 0x{bytes(e.sharded_id).hex()[:16]}...: its spec '{e.model}' "
                                 f"rebuilds another model (0x{sharded_id(plan).hex()[:16]}...)")
        entries = plans.entries(spec)
        for entry in entries:
            self.catalog._entries[entry.name] = entry  # the opML duties find shards by model id
        self._plans[bytes(e.sharded_id)] = (spec, plan, entries)
        self._refused.discard(bytes(e.sharded_id))
        return self.announce(e.sharded_id)

    def announce(self, sid: bytes) -> int:
        if sid in self._announced:
            return 0
        mine = [a for a in self.recent(self.ledger.address, ev.ShardNodeAnnounced) if a.event.node == self.address
                and bytes(a.event.sharded_id) == bytes(sid)]
        if mine:
            self._announced.add(sid)
            return 0
        _, plan, _ = self._plans[sid]
        held = sorted(self.mine(plan.k))
        memory = sum(v.nbytes for j in held for v in plan.shards[j - 1].constants.values())
        steps = sum(plan.shards[j - 1].steps for j in held)
        t0 = time.perf_counter()
        for j in held:  # throughput measured on the node itself: one run of its shards on a zero boundary
            s = plan.shards[j - 1]
            slot = s.slots[s.input_slot]
            s.run(np.zeros(slot.shape, dtype=slot.dtype))
        throughput = int(steps / max(time.perf_counter() - t0, 1e-6))
        mask = sum(1 << (j - 1) for j in held)
        r = self.send(f"announce shards {held}", lambda: self.ledger.announce(sid, mask, memory, throughput,
                                                                              sender=self.account))
        if r is not None:
            self._announced.add(sid)
        return int(r is not None)

    # ---------------------------------------------------------------- one request
    def serve(self, seen) -> int:
        e = seen.event
        rid = e.id
        info = self.ledger.request_info(rid)
        if info.status != OPEN:
            return 0
        _, plan, entries = self._plans[bytes(e.sharded_id)]
        held, head = self.mine(plan.k), self.chain.block_number
        d = self.ledger.dispute_of(rid)
        if d.open:
            return self.dispute_duties(rid, d, e, plan, entries)
        for j in sorted(held):
            if j <= info.posted:
                sent = self.isolated(f"check boundary {j} of request {rid}", (rid, j),
                                     lambda: self.check(rid, j, info, e, plan))
                if sent:
                    return sent
        nxt = info.posted + 1
        if nxt <= plan.k and nxt in held and not self.ledger.banned(rid, self.address):
            routed = info.route[nxt - 1] == self.address
            if routed or head > info.last_progress + self.ledger.stall:
                return self.post_next(rid, nxt, e, plan, entries)
        if info.posted == plan.k and head > info.done_block + self.ledger.window:
            return bool(self.send(f"finalize request {rid}", lambda: self.ledger.resolve(rid, sender=self.account)))
        return 0

    def boundary(self, rid: int, j: int, e, plan) -> np.ndarray:
        """Boundary j of request rid (0: the request input), from the store, checked against its posted root."""
        s = plan.shards[j] if j < plan.k else plan.shards[-1]
        slot = s.slots[s.input_slot] if j < plan.k else s.slots[s.output_slots[0]]
        if j == 0:
            return plans.ShardEntry("input", plan.shards[0], 1).decode(e.input)
        root = self.ledger.post_of(rid, j).root
        key = (bytes(root), str(slot.dtype), tuple(slot.shape))
        # INVARIANT: a boundary verified once is kept (a root names one tensor): anybody may overwrite the
        # shared store's blob, e.g. the input of a post it disputes, so that its honest node cannot defend it.
        if key in self._verified:
            self._verified.move_to_end(key)
            return self._verified[key]
        arr = self.store.get(root, slot.dtype, tuple(slot.shape))
        self._verified[key] = arr
        while len(self._verified) > MAX_VERIFIED:
            self._verified.popitem(last=False)
        return arr

    def compute(self, entries, j: int, x: np.ndarray) -> np.ndarray:
        """Shard j's output on x as this node claims it (a corrupt node: its lying player's trace)."""
        entry = entries[j - 1]
        if self.lies_on(j):
            p = self.liar(entry, x)
            return np.asarray(p.trace.value(p.trace.steps, entry.program.output_slots[0]))
        return np.asarray(entry.program.run(x)[0])

    def liar(self, entry, x: np.ndarray):
        """The corrupt node's player on shard `entry` (`lying_player`), cached per input."""
        import hashlib

        key = ("liar", entry.model_id, hashlib.sha256(x.tobytes()).digest())
        if key not in self._players:
            self.arbiter._programs[entry.model_id] = entry.program
            self._players[key] = lying_player(self.name, entry, x)
        return self._players[key]

    def lies_on(self, j: int) -> bool:
        """Whether this node's boundary of shard j is a lie (the corrupt cheat, on `lie_on` or every shard)."""
        return self.cheat == "corrupt" and (self.lie_on is None or j in self.lie_on)

    def post_next(self, rid: int, j: int, e, plan, entries) -> int:
        x = self.boundary(rid, j - 1, e, plan)  # BoundaryMismatch: a bad blob is refused, named
        t0 = time.perf_counter()
        decided = self.forward.get((j, tensor_root(x)))
        if decided is not None:  # the committee's boundary, as the store holds it under its root
            s = plan.shards[j - 1]
            slot = s.slots[s.output_slots[0]]
            try:
                out = self.store.get(decided, slot.dtype, tuple(slot.shape))
            except (BoundaryMismatch, BoundaryNotFound, BoundaryTooLarge) as bad:  # recompute what it voted for
                self.log.append({"duty": f"post boundary {j} of request {rid}",
                                 "refused": f"{type(bad).__name__}: {bad}"})
                out = self.compute(entries, j, x)
        else:
            out = self.compute(entries, j, x)
        seconds = time.perf_counter() - t0
        if self.cheat == "slow":
            time.sleep(SLOW_S)
            seconds += SLOW_S
        root = self.store.put(out)
        if self.cheat == "forward-other":  # the right root on chain, another tensor in the store
            other = out.copy()
            other.reshape(-1)[0] ^= 1
            from runtime.tensor_root import tensor_bytes

            self.store.put_bytes(root, tensor_bytes(other))
        self.timings[(rid, j)] = seconds
        r = self.send(f"post boundary {j} of request {rid}",
                      lambda: self.ledger.post(rid, j, root, int(seconds * 1000), sender=self.account,
                                               bond=self.ledger_bond))
        return int(r is not None)

    def check(self, rid: int, j: int, info, e, plan) -> int:
        post = self.ledger.post_of(rid, j)
        key = (rid, j, bytes(post.root))
        if post.node == self.address or key in self._agreed:
            return 0
        x = self.boundary(rid, j - 1, e, plan)
        _, _, entries = self._plans[bytes(e.sharded_id)]
        out = np.asarray(entries[j - 1].program.run(x)[0])
        if self.store.path(post.root).exists():
            try:
                slot = plan.shards[j - 1].slots[plan.shards[j - 1].output_slots[0]]
                self.store.get(post.root, slot.dtype, tuple(slot.shape))  # the store's blob itself, not the kept one
            except ShardError as bad:  # INVARIANT: a bad blob (anybody writes the store) never skips the dispute
                if self.store.put(out) == bytes(post.root):  # repair: the right tensor under its root
                    self.log.append({"duty": f"repair boundary {j} of request {rid}",
                                     "refused": f"{type(bad).__name__}: {bad}"})
        if tensor_root(out) == bytes(post.root):
            if not self.store.has(post.root):
                self.store.put(out)
            self._agreed.add(key)
            return 0
        if info.done_block and self.chain.block_number > info.done_block + self.ledger.window:
            return 0
        return bool(self.send(f"dispute boundary {j} of request {rid}",
                              lambda: self.ledger.dispute(rid, j, sender=self.account, bond=self.ledger_bond)))

    # ---------------------------------------------------------------- disputes
    def dispute_duties(self, rid: int, d, e, plan, entries) -> int:
        j, head = d.shard, self.chain.block_number
        post = self.ledger.post_of(rid, j)
        entry = entries[j - 1]
        sent = 0
        if post.node == self.address:
            x = self.boundary(rid, j - 1, e, plan)
            player = self.liar(entry, x) if self.lies_on(j) else self.player(entry, x, "honest")
            if not d.bound:
                cid = player.submit(self.arbiter, entry.model_id, self.bond)
                self.log.append({"duty": f"claim shard {j} of request {rid}", "claim": cid})
                r = self.send(f"bind claim {cid} to request {rid}",
                              lambda: self.ledger.bind(rid, cid, sender=self.account))
                return 1 + int(r is not None)
            sent += self.play_claim(d.claim_id, player, as_defender=True)
        elif d.bound and (d.challenger == self.address or self.contradicts(rid, j, post, e, plan, entries)):
            # INVARIANT: whoever opened the dispute (the liar's own sybil, who never plays), a holder of the
            # shard plays the bound claim its own run contradicts: no lying claim goes final unplayed.
            x = self.boundary(rid, j - 1, e, plan)
            player = self.player(entry, x, "honest")
            self.arbiter._programs[entry.model_id] = entry.program
            self.arbiter._inputs[d.claim_id] = x
            sent += self.play_claim(d.claim_id, player, as_defender=False)
        # anyone: resolve once the shard claim is decided, or the bind window passed unbound
        if d.bound:
            status = self.d.game.claim(d.claim_id).status
            resolvable = status != CLAIM_PENDING
        else:
            resolvable = head > d.opened + self.ledger.bind_window
        if resolvable:
            sent += bool(self.send(f"resolve dispute of request {rid}", lambda: self.ledger.resolve(rid, sender=self.account)))
        return sent

    def contradicts(self, rid: int, j: int, post, e, plan, entries) -> bool:
        """Whether this node holds shard j and its run from boundary j-1 gives another root than post j's
        (recomputed once per posted root)."""
        key = (rid, j, bytes(post.root))
        if j not in self.mine(plan.k) or key in self._agreed:
            return False
        if key not in self._contradicted:
            out = np.asarray(entries[j - 1].program.run(self.boundary(rid, j - 1, e, plan))[0])
            if tensor_root(out) == bytes(post.root):
                self._agreed.add(key)
                return False
            self._contradicted.add(key)
        return True

    def play_claim(self, cid: int, player, *, as_defender: bool) -> int:
        st = self.state()
        sent = 0
        games = st.open_games(cid)
        if not as_defender and not [g for g in st.games.get(cid, []) if st.challenger[g] == self.address]:
            try:
                gid = player.challenge(self.arbiter, cid, self.bond)
            except NothingToDispute:
                return 0
            self.log.append({"duty": f"open game {gid} on claim {cid}", "block": self.chain.block_number})
            return 1
        for gid in games:
            if as_defender or st.challenger[gid] == self.address:
                sent += self.isolated(f"move game {gid}", gid, lambda: self.play(gid, player))
        if cid in st.claims and st.status[cid] == CLAIM_PENDING:
            sent += self.isolated(f"resolve claim {cid}", cid, lambda: self.resolve_claim(st, cid))
        return sent


def lying_player(name: str, entry, x: np.ndarray):
    """A player whose shard output is a lie: one element wrong at the shard's middle step (or the first later
    step whose lie survives to the boundary: compression can round a small lie away), defended as such. The
    same lie for the same shard and input whoever tells it (a lying committee bloc and its poster agree)."""
    from bisection.players import make_player
    from bisection.trace import compute

    program = entry.program
    honest = compute(program, x)
    out = program.output_slots[0]
    for at in range(max(1, program.steps // 2), program.steps + 1):
        p = make_player(name, program, x, "wrong-output", at, honest=honest)
        if p.trace.leaf(p.trace.steps, out) != honest.leaf(honest.steps, out):
            break
    return p


def parse_shards(text: str) -> set[int]:
    """"1,2" -> {1, 2}: the 1-based shard indices a node holds."""
    try:
        out = {int(p) for p in text.split(",") if p.strip()}
    except ValueError:
        raise ShardSpecError(f"--shards {text!r}: want comma-separated shard numbers from 1, e.g. 1,3") from None
    if not out or min(out) < 1:
        raise ShardSpecError(f"--shards {text!r}: want comma-separated shard numbers from 1, e.g. 1,3")
    return out
