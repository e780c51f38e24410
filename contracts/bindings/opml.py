"""Bindings of the opML contracts: `OpmlModels` (models with what S_0 needs) and `OpmlGame` (claims,
games, bonds). Blocks count time: challenge windows and chess clocks.

    models = OpmlModels(chain, address); models.register_program(program)     # -> Receipt
    game = OpmlGame(chain, address)
    game.submit_claim(model_id, input_bytes, final_root, output_root, proof, bond=..., sender=...)
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from eth_account.signers.local import LocalAccount

from bisection.commitments import commit, header_descriptor, node_descriptor, program_leaves
from bisection.merkle import StateTree
from bisection.types import BOND_GROWTH, bond_at
from contracts.abi_types import OpmlGameClaim, OpmlModelsModel
from contracts.bindings.base import MOVE_GAS, SimulatedBinding, tx, view
from contracts.chain.base import Receipt
from runtime.program import Program

ZERO = bytes(32)
PHASES = ("bisect", "output", "pick", "reveal", "step", "over", "vote")  # vote: a float node awaits its jury
ONNX_NODE = 1000  # op code of a float node (bisection/commitments.py): postNode and a jury, not postOutput and step
STATUSES = ("pending", "final", "rejected")
_LOW = 2**128 - 1  # OpmlGame packs two 128-bit numbers in a word: (lo, hi) and (node depth, node index)


@dataclass(frozen=True)
class OpmlConfig:
    """OpmlGame's parameters; window and clock are in blocks."""

    window: int = 100  # blocks a claim stays open to challenges
    clock: int = 100  # blocks each side has per game (MemoryArbiter's DEFAULT_CLOCK, in blocks)
    min_bond: int = 10**15  # wei: claim bond and opening bond at least; each move's is bond_at(depth)
    stride: int = 2  # tree levels per level-two reveal
    callback_gas: int = 200_000
    gas_price: int = 10**9  # wei per gas the bonds are priced at; min_bond >= MOVE_GAS * gas_price
    bond_growth: int = BOND_GROWTH  # bps: bond_at(d + 1) = bond_at(d) * bond_growth // 10000

    def as_tuple(self) -> tuple:
        return (self.window, self.clock, self.min_bond, self.stride, self.callback_gas, self.gas_price,
                self.bond_growth)

    def bond_at(self, depth: int) -> int:
        return bond_at(self.min_bond, self.bond_growth, depth)


# OpmlModels.Model and OpmlGame.Claim, fields by name (generated from the ABI); `claim` gives the status
# as one of STATUSES. A claim's `tolerance` is the packed float32 atol << 32 | rtol (bisection/tolerance.py;
# 0 for exact claims); `float_steps` says the model is a float program (its steps go to the jury).
OpmlModelInfo = OpmlModelsModel
ClaimInfo = OpmlGameClaim


@dataclass(frozen=True)
class NodePost:
    """A `postNode` move (OpmlGame.NodePost): a float step's node, its inputs proven in S_lo, its output."""

    output_root: bytes
    proof: list  # the output slot's path in S_hi
    node: bytes  # the disputed step's descriptor
    node_proof: list  # its path in the program tree
    input_leaves: list  # each listed input's tensor root in S_lo
    input_proofs: list  # each one's path in S_lo
    inputs: list  # each one's canonical bytes; b"" for a constant
    output: bytes  # the written output's canonical bytes

    def as_tuple(self) -> tuple:
        return (self.output_root, list(self.proof), self.node, list(self.node_proof), list(self.input_leaves),
                [list(p) for p in self.input_proofs], list(self.inputs), self.output)


@dataclass(frozen=True)
class GameInfo:
    claim_id: int
    defender: str
    challenger: str
    phase: str
    turn: int  # 0 nobody, 1 defender, 2 challenger
    claimant: int
    winner: int
    leaf_depth: int
    charged_defender: int  # jury rounds charged to the defender (its noise): more than MAX_REBASES lost it the game
    charged_challenger: int  # jury rounds charged to the challenger (it disputed a correct value): likewise
    moves: int
    output_slot: int
    turn_since: int
    clock_defender: int
    clock_challenger: int
    challenger_bond: int  # every bond the challenger posted in this game
    defender_bond: int  # every bond the defender posted in this game
    lo: int
    hi: int
    node_depth: int
    node_index: int
    root_lo: bytes
    root_hi: bytes
    pending_root: bytes
    output_root: bytes
    node_hash: bytes


def float_game_bound(config: OpmlConfig, commit_window: int, reveal_window: int) -> int:
    """The most blocks a float game can last from its open to the block that can end it, when its jury's
    committee acts in each round (contracts/README.md, "Float steps"): the moves fit the two clocks, which
    re-bases do not refill (2 * clock, plus the block a timeout needs), and the game has at most
    2 * MAX_REBASES + 1 jury rounds (each side's MAX_REBASES charged re-based rounds, then one that ends
    it), each a dispatch block, Brain's commit and reveal windows and the finalize."""
    from bisection.types import MAX_REBASES

    return 2 * config.clock + 1 + (2 * MAX_REBASES + 1) * (commit_window + reveal_window + 2)


def program_proof(program: Program, leaf: int) -> list[bytes]:
    """Sibling path of program-tree leaf `leaf` (0: the header, K: step K's node)."""
    return StateTree(program_leaves(program)).proof(leaf)


def registration(program: Program) -> tuple[bytes, bytes, tuple]:
    """(program root, weights root, OpmlModels.Registration) for a program."""
    c = commit(program)
    tree = StateTree(program_leaves(program))
    step = next(n.index + 1 for n in program.nodes if program.input_slot in n.inputs)
    reg = (header_descriptor(program), tree.proof(0), list(c.input_path), step, node_descriptor(program, step),
           tree.proof(step))
    return c.program_root, c.weights_root, reg


class OpmlModels(SimulatedBinding):
    artifact_name = "OpmlModels"

    register = tx("register", "(program_root, weights_root, registration): see `registration(program)`.")

    def register_program(self, program: Program, *, sender: LocalAccount | None = None) -> Receipt:
        return self.register(*registration(program), sender=sender)

    model = view("model", "The registered model (OpmlModelInfo).")
    initial_root = view("initialRoot", "(model_id, input): S_0 for a request input.")

    def input_path(self, model_id: bytes) -> list[bytes]:
        return list(self._view("inputPath", model_id))

    def initial_state(self, model_id: bytes, input: bytes) -> tuple[bytes, bytes]:
        """(the input's tensor root, S_0) for a request input."""
        return tuple(self._view("initialState", model_id, input))


class OpmlGame(SimulatedBinding):
    artifact_name = "OpmlGame"

    # ---- claims
    def submit_claim(self, model_id: bytes, input: bytes, final_root: bytes, output_root: bytes,
                     output_proof: list[bytes], *, bond: int, consumer: str | None = None,
                     sender: LocalAccount | None = None, tolerance: int = 0) -> Receipt:
        """`tolerance`: packed (float32 atol << 32 | float32 rtol), what the jury allows a float step."""
        args = (model_id, input, final_root, output_root, list(output_proof), consumer or "0x" + "00" * 20)
        if tolerance:
            return self._tx("submitClaimWithTolerance", *args, tolerance, sender=sender, value=bond)
        return self._tx("submitClaim", *args, sender=sender, value=bond)

    def claim(self, claim_id: int) -> ClaimInfo:
        c = self._view("claim", claim_id)
        return replace(c, status=STATUSES[c.status])

    def claim_games(self, claim_id: int) -> list[int]:
        return list(self._view("claimGames", claim_id))

    result = view("result")
    resolve_claim = tx("resolveClaim")

    # ---- games
    def open_game(self, claim_id: int, mid_root: bytes | None, *, bond: int,
                  sender: LocalAccount | None = None) -> Receipt:
        return self._tx("openGame", claim_id, mid_root or ZERO, sender=sender, value=bond)

    def game(self, game_id: int) -> GameInfo:
        g = self._view("game", game_id)
        derived = {"phase": PHASES[g.phase], "lo": g.position >> 128, "hi": g.position & _LOW,
                   "node_depth": g.node >> 128, "node_index": g.node & _LOW}
        return GameInfo(**{f.name: derived[f.name] if f.name in derived else getattr(g, f.name)
                           for f in fields(GameInfo)})

    game_count = view("gameCount")
    bond_at = view("bondAt")
    move_bond = view("moveBond", "The least bond the game's next move must carry (what the moves below send by "
                     "default).")

    def _move(self, name: str, game_id: int, *args, sender: LocalAccount, bond: int | None) -> Receipt:
        return self._tx(name, game_id, *args, sender=sender, value=self.move_bond(game_id) if bond is None else bond)

    def bisect(self, game_id: int, agree: bool, mid_root: bytes | None, *, sender: LocalAccount,
               bond: int | None = None) -> Receipt:
        return self._move("bisect", game_id, bool(agree), mid_root or ZERO, sender=sender, bond=bond)

    def post_output(self, game_id: int, output_root: bytes, proof: list[bytes], hashes: list[bytes], chunk: bytes,
                    node: bytes, node_proof: list[bytes], *, sender: LocalAccount, bond: int | None = None) -> Receipt:
        return self._move("postOutput", game_id, (output_root, list(proof), list(hashes), chunk, node, list(node_proof)),
                          sender=sender, bond=bond)

    def post_node(self, game_id: int, post: NodePost, *, sender: LocalAccount, bond: int | None = None,
                  fee: int | None = None, gas: int | None = None) -> Receipt:
        """The claimant's move on a float step; sends the move's bond plus the jury's fee (`jury_fee()`).
        Its gas grows with the posted bytes (about 33 gas a byte over ~390k: calldata, hashing, Brain's
        InputPosted); the default limit allows 64 a byte."""
        value = (self.move_bond(game_id) if bond is None else bond) + (self.jury_fee() if fee is None else fee)
        size = len(post.node) + len(post.output) + sum(len(b) + 96 for b in post.inputs)
        return self._tx("postNode", game_id, post.as_tuple(), sender=sender, value=value,
                        gas=gas or max(MOVE_GAS, 1_000_000 + 64 * size))

    def float_step(self) -> "FloatStep":
        """The game's float-step machine (IFloatStep): postNode's checks and the jury behind them."""
        return FloatStep(self.chain, self._view("floatStep"))

    def jury(self) -> str:
        """The NodeJury that decides float steps (the zero address until `set_jury`)."""
        return self.float_step().jury()

    def jury_fee(self) -> int:
        """Wei a jury round costs (0 while no jury is bound: postNode then reverts JuryNotSet)."""
        step = self.float_step()
        return 0 if int(step.jury(), 16) == 0 else step.fee()

    def set_jury(self, jury: str, *, sender: LocalAccount | None = None) -> Receipt:
        """Binds the jury once (the game's deployer only); the jury itself is bound to `float_step()`."""
        return self.float_step().set_jury(jury, sender=sender)

    def pick(self, game_id: int, index: int, revealed: list[bytes], *, sender: LocalAccount,
             bond: int | None = None) -> Receipt:
        return self._move("pick", game_id, index, list(revealed), sender=sender, bond=bond)

    def reveal(self, game_id: int, hashes: list[bytes], chunk: bytes, *, sender: LocalAccount,
               bond: int | None = None) -> Receipt:
        return self._move("reveal", game_id, list(hashes), chunk, sender=sender, bond=bond)

    def step(self, game_id: int, element: int, chunk: bytes, proof: bytes, *, sender: LocalAccount,
             bond: int | None = None) -> Receipt:
        return self._move("step", game_id, element, chunk, proof, sender=sender, bond=bond)

    claim_timeout = tx("claimTimeout")
    close_game = tx("closeGame", "Ends an open game of a rejected claim; each side's bonds go back to it.")

    # ---- bonds
    paid = view("paid")
    owed = view("owed")
    withdraw = tx("withdraw")

    def config(self) -> OpmlConfig:
        return OpmlConfig(**self._named("config"))


class FloatStep(SimulatedBinding):
    """OpmlGame's float-step machine: it checks a postNode, files it with its jury and relays the verdict."""

    artifact_name = "FloatStep"

    jury = view("jury")
    set_jury = tx("setJury")
    def fee(self) -> int:
        """The jury's fee for a round filed now, read on the pending block, the one a move sent now lands in (it
        holds the jury callback's allowance at that block's base fee; JuryNotSet while none is bound)."""
        return self.chain.call(self.contract.functions.fee(), block="pending")
