"""Strategies as values: what a player claims at each step and how it answers each move.

A strategy is any object with the members of the `Strategy` protocol below. `Honest` implements
each one as an honest player plays it, so a strategy of one's own subclasses `Honest` and overrides
only what it changes (the built-in strategies are such subclasses; `BUILTIN` maps each name to its
instance). Wherever Tribunal takes a strategy (`dispute.run`, `players.make_player`, the opML agents,
`tribunal dispute --cheat`, `tribunal node --cheat`, `Tribunal.set_cheats`) it takes a built-in's
name, a strategy object, or an import path `package.module:Name` / `path/to/file.py:Name` naming
one (a class is instantiated with no arguments); `resolve` turns any of these into the object.

    from bisection import dispute, Honest, Side

    class OffByOne(Honest):                     # lies about one element of step k's output
        name = "off-by-one"
        def rewrite(self, program, k, seed):
            def step(j, written, state):        # a StepRewrite
                if j != k:
                    return written, {}
                slot, v = next(iter(written.items()))
                v = v.copy(); v.flat[0] += 1
                return {slot: v}, {}
            return step

    result = dispute.run(program, x_q, OffByOne(), at_step=3)
    result.winner is Side.CHALLENGER            # a lie loses

The step rewrite (`StepRewrite`) is the one way a strategy changes what it believes. The player's
trace (`trace.compute`) calls it after every step k with the values the step wrote and the state so
far: `rewrite(k, written, state) -> (written, extra)`, where
- `written` is {slot index: numpy array} (the step's output slot and its value), to return unchanged
  or replaced: later steps compute from what it returns, so one change propagates like a real bug;
- `state` is the list of every slot's current value (read only);
- `extra` is {slot index: 32-byte leaf}: leaves of other slots to set in S_k and after (a bare leaf
  without a tensor behind it, as an `extra-slot` liar posts), usually {}.
The player then defends (or disputes with) the state roots of that trace, and answers every move from
it: the one-step check and the jury recompute the real node, so any change a rewrite makes is found.

How it answers each move (all optional to override; `rng` is the player's seeded `random.Random`):
`mid_root` (the root it posts for a midpoint), `judge` (its verdict on the opponent's root),
`reopens` (after a float re-base), `stalls` (stop answering), `honest_at` (claim the true state
instead of its own at a step, for strategies whose claims do not chain).
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import random
import sys
from pathlib import Path
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from runtime.program import Program

from .errors import UnknownStrategy

StepRewrite = Callable[[int, dict, list], tuple[dict, dict]]
"""`(k, written, state) -> (written, extra)`: see the module docstring."""


@runtime_checkable
class Strategy(Protocol):
    """What a player claims at each step and how it answers each move (see the module docstring)."""

    name: str

    def at(self, at_step: int | None, steps: int) -> int:
        """The step its lie starts at, given the one asked for (None: unspecified) and the program's N."""
        ...

    def rewrite(self, program: Program, k: int, seed: int) -> StepRewrite | None:
        """What it claims at each step: a step rewrite applied to its own execution (its lie starting at
        step k, `seed` for any choice it makes), or None for the true execution."""
        ...

    def honest_at(self, j: int, k: int, steps: int) -> bool:
        """True where it claims the true execution's S_j rather than its own (k: its lie's step)."""
        ...

    def mid_root(self, j: int, mine: bytes, rng: random.Random) -> bytes:
        """The root it posts for midpoint j; `mine` is its own S_j."""
        ...

    def judge(self, j: int, theirs: bytes, mine: bytes, rng: random.Random) -> bool:
        """Its verdict on the opponent's root for S_j: True agrees (`mine` is its own S_j)."""
        ...

    def reopens(self, agrees: bool) -> bool:
        """After a float step's re-base, as challenger: whether it disputes the claim's S_N again
        (`agrees`: its own re-based S_N equals the claim's)."""
        ...

    def stalls(self, moves: int) -> bool:
        """Whether it stops answering in a game where it made `moves` moves (it then loses on time)."""
        ...


class Honest:
    """The honest strategy, and the base of every other: each member plays as an honest player does."""

    name = "honest"

    def at(self, at_step: int | None, steps: int) -> int:
        """`at_step`, or N when it is None."""
        return steps if at_step is None else int(at_step)

    def rewrite(self, program: Program, k: int, seed: int) -> StepRewrite | None:
        """None: the true execution."""
        return None

    def honest_at(self, j: int, k: int, steps: int) -> bool:
        """False: it claims its own execution's states everywhere."""
        return False

    def mid_root(self, j: int, mine: bytes, rng: random.Random) -> bytes:
        """Its own S_j."""
        return mine

    def judge(self, j: int, theirs: bytes, mine: bytes, rng: random.Random) -> bool:
        """Agrees iff the opponent's root is its own."""
        return theirs == mine

    def reopens(self, agrees: bool) -> bool:
        """Disputes again unless it agrees."""
        return not agrees

    def stalls(self, moves: int) -> bool:
        """Never stalls."""
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    @property
    def honest(self) -> bool:
        """Whether this is the honest strategy itself (a subclass is not, whatever its name)."""
        return type(self) is Honest


class WrongOutput(Honest):
    """One element of step K's output corrupted; later steps computed from it."""

    name = "wrong-output"

    def rewrite(self, program: Program, k: int, seed: int) -> StepRewrite | None:
        """Adds 37 (int) or max(1, |x|) (float) to one seeded element of step k's output."""
        return corrupt(program, k, "add", seed)


class WrongFinal(WrongOutput):
    """One element of the final output corrupted (step N), nothing else."""

    name = "wrong-final"

    def at(self, at_step: int | None, steps: int) -> int:
        """Always N."""
        return steps


class FlipLsb(Honest):
    """The least significant bit of one element of step K's output flipped (a float: one ulp, within a
    float claim's default tolerance: a defender doing so is an honest one on other hardware and wins
    after a re-base; a challenger doing so still loses)."""

    name = "flip-lsb"

    def rewrite(self, program: Program, k: int, seed: int) -> StepRewrite | None:
        """Flips the lowest bit of one seeded element of step k's output."""
        return corrupt(program, k, "lsb", seed)


class ExtraSlot(Honest):
    """Step K also changes a slot its node does not write (a constant, or the input)."""

    name = "extra-slot"

    def rewrite(self, program: Program, k: int, seed: int) -> StepRewrite | None:
        """Sets a bare leaf of another slot at step k."""
        return extra_slot(program, k)


class BadBisection(WrongOutput):
    """wrong-output at K, and a fresh garbage root at every midpoint it posts."""

    name = "bad-bisection"

    def mid_root(self, j: int, mine: bytes, rng: random.Random) -> bytes:
        """A random root."""
        return _garbage(rng)

    def reopens(self, agrees: bool) -> bool:
        """Always disputes again."""
        return True


class Inconsistent(WrongOutput):
    """Roots from the true trace at even steps >= K and from the wrong one at odd steps: states that do
    not chain."""

    name = "inconsistent"

    def honest_at(self, j: int, k: int, steps: int) -> bool:
        """The true S_j before k and at even j < N from k on."""
        return not (j >= k and bool(j % 2 or j == steps))


class Timeout(WrongOutput):
    """wrong-output at K, then stops answering after its first move."""

    name = "timeout"

    def stalls(self, moves: int) -> bool:
        """After one move."""
        return moves >= 1


class CoinFlip(BadBisection):
    """wrong-output at K, then garbage midpoints and coin-flip verdicts (the strategy named "random")."""

    name = "random"

    def judge(self, j: int, theirs: bytes, mine: bytes, rng: random.Random) -> bool:
        """Heads or tails."""
        return rng.random() < 0.5


BUILTIN: dict[str, Strategy] = {s.name: s for s in (
    Honest(), WrongOutput(), WrongFinal(), FlipLsb(), ExtraSlot(), BadBisection(), Inconsistent(), Timeout(),
    CoinFlip())}
"""Every built-in strategy by name, "honest" first."""

HONEST: Strategy = BUILTIN["honest"]


def resolve(spec: "str | Strategy") -> Strategy:
    """The strategy `spec` names: a built-in's name, an import path `package.module:Name` or
    `path/to/file.py:Name`, a strategy object itself, or a strategy class (a class is instantiated
    with no arguments).
    Raises UnknownStrategy, naming what is wrong, for anything else."""
    if isinstance(spec, type):
        return _checked(_instance(spec, repr(spec)), repr(spec))
    if not isinstance(spec, str):
        return _checked(spec, repr(spec))
    if spec in BUILTIN:
        return BUILTIN[spec]
    module, sep, attr = spec.rpartition(":")
    if not sep or not module or not attr:
        raise UnknownStrategy(f"unknown strategy '{spec}' (have: {', '.join(BUILTIN)}, "
                              f"or an import path package.module:Name)")
    mod = _import(spec, module)
    try:
        obj = getattr(mod, attr)
    except AttributeError:
        raise UnknownStrategy(f"strategy '{spec}': module '{module}' has no '{attr}'") from None
    if isinstance(obj, type):
        obj = _instance(obj, spec)
    return _checked(obj, spec)


def _instance(cls: type, what: str):
    try:
        return cls()
    except TypeError as e:
        raise UnknownStrategy(f"strategy {what}: the class does not instantiate without arguments: {e}") from None


def name_of(spec: "str | Strategy") -> str:
    """The name results and logs show for `spec` (a built-in's name, or the object's `name`)."""
    return spec if isinstance(spec, str) and spec in BUILTIN else resolve(spec).name


def _import(spec: str, module: str):
    if module.endswith(".py") or "/" in module:
        path = Path(module).expanduser().resolve()
        if not path.is_file():
            raise UnknownStrategy(f"strategy '{spec}': no file {path}")
        key = "tribunal_strategy_" + hashlib.sha256(str(path).encode()).hexdigest()[:16]
        if key in sys.modules:
            return sys.modules[key]
        loader = importlib.util.spec_from_file_location(key, path)
        if loader is None or loader.loader is None:
            raise UnknownStrategy(f"strategy '{spec}': {path} is not a Python file")
        mod = importlib.util.module_from_spec(loader)
        sys.modules[key] = mod
        try:
            loader.loader.exec_module(mod)
        except Exception as e:
            del sys.modules[key]
            raise UnknownStrategy(f"strategy '{spec}': {path} failed to import: {type(e).__name__}: {e}") from None
        return mod
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise UnknownStrategy(f"strategy '{spec}': cannot import module '{module}' ({e}; is it on PYTHONPATH?)") from None


def _checked(obj, what: str) -> Strategy:
    # INVARIANT: whatever plays has every member of the protocol, so a game never fails mid-way on a missing one.
    if not isinstance(obj, Strategy) or not isinstance(getattr(obj, "name", None), str):
        missing = [m for m in ("name", "at", "rewrite", "honest_at", "mid_root", "judge", "reopens", "stalls")
                   if not hasattr(obj, m)]
        raise UnknownStrategy(f"strategy {what} is not a Strategy (missing: {', '.join(missing) or 'a str name'}); "
                              f"subclass bisection.Honest")
    return obj


def _garbage(rng: random.Random) -> bytes:
    return hashlib.sha256(b"garbage" + rng.randbytes(8)).digest()


def corrupt(program: Program, at: int, how: str, seed: int) -> StepRewrite:
    """A step rewrite that changes one element of step `at`'s output: 'add' (far off: 37 for ints,
    max(1, |x|) for floats, a bool negated) or 'lsb' (the lowest bit: one ulp for a float)."""
    def rewrite(k, written, state):
        if k != at:
            return written, {}
        slot, v = next(iter(written.items()))
        v = np.array(v, copy=True, order="C")
        flat = v.reshape(-1)
        if flat.size == 0:
            return written, {}
        e = random.Random(seed).randrange(flat.size)
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
    return rewrite


def extra_slot(program: Program, at: int) -> StepRewrite:
    """A step rewrite that, at step `at`, also sets a leaf of a slot the node does not write."""
    node = program.nodes[at - 1]
    target = next((i for i in sorted(program.constants) if i not in node.outputs), program.input_slot)

    def rewrite(k, written, state):
        if k != at:
            return written, {}
        return written, {target: hashlib.sha256(b"extra-slot %d" % k).digest()}
    return rewrite


__all__ = ["BUILTIN", "BadBisection", "CoinFlip", "ExtraSlot", "FlipLsb", "HONEST", "Honest", "Inconsistent",
           "StepRewrite", "Strategy", "Timeout", "WrongFinal", "WrongOutput", "corrupt", "extra_slot", "name_of",
           "resolve"]
