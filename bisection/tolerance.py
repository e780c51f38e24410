"""`Tolerance`: how far a float claim may be from a juror's recomputation and still stand.

A request on a float model states atol and rtol; a float node's output is within tolerance of the
recomputed one when every element satisfies |got - want| <= atol + rtol * |want| (numpy's isclose
rule, computed in float64), NaN matches only NaN and an infinity only itself. Non-float dtypes
must be equal. On chain the pair travels as one uint64, float32 bits of atol in the high half and of
rtol in the low half (`packed`); the contracts store it opaquely and only jurors read it.
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

from .errors import InvalidTolerance

MAX_U64 = (1 << 64) - 1


def _f32(x: float) -> float:
    return struct.unpack(">f", struct.pack(">f", x))[0]


@dataclass(frozen=True)
class Tolerance:
    """How far a float step's output may be from a juror's recomputation: |got - want| <= atol + rtol * |want|."""
    atol: float
    rtol: float

    def __post_init__(self):
        for name in ("atol", "rtol"):
            v = getattr(self, name)
            # INVARIANT: a tolerance is a finite, non-negative float32 pair, so it packs exactly into 64 bits.
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
                raise InvalidTolerance(f"tolerance {name} must be a number, got {v!r}")
            v = float(v)
            if not math.isfinite(v) or v < 0:
                raise InvalidTolerance(f"tolerance {name} must be finite and >= 0, got {v}")
            v = v + 0.0  # -0.0 -> 0.0: one packing per tolerance
            try:
                f = _f32(v)
            except OverflowError:
                raise InvalidTolerance(f"tolerance {name} = {v} does not fit a float32") from None
            object.__setattr__(self, name, f)  # the value the chain carries, float32-rounded

    @property
    def packed(self) -> int:
        """uint64: float32 bits of atol << 32 | float32 bits of rtol."""
        a, r = (struct.unpack(">I", struct.pack(">f", v))[0] for v in (self.atol, self.rtol))
        return a << 32 | r

    @classmethod
    def parse(cls, value) -> "Tolerance":
        """A tolerance from what a caller gives: a Tolerance, an (atol, rtol) pair, or "ATOL,RTOL" (the
        CLI's --tolerance); InvalidTolerance names what is wrong."""
        if isinstance(value, Tolerance):
            return value
        if isinstance(value, str):
            parts = value.split(",")
            try:
                if len(parts) != 2:
                    raise ValueError
                value = tuple(float(p) for p in parts)
            except ValueError:
                raise InvalidTolerance(f"tolerance '{value}' is not ATOL,RTOL (two numbers, e.g. 1e-5,1e-4)") from None
        if isinstance(value, (tuple, list)) and len(value) == 2:
            return cls(*value)
        raise InvalidTolerance(f"tolerance {value!r} is not a Tolerance, an (atol, rtol) pair or 'ATOL,RTOL'")

    @classmethod
    def unpack(cls, packed: int) -> "Tolerance":
        """The tolerance a uint64 packs (`packed`: two float32s), as claims and requests carry it."""
        if isinstance(packed, bool) or not isinstance(packed, (int, np.integer)) or not 0 <= int(packed) <= MAX_U64:
            raise InvalidTolerance(f"a packed tolerance is a uint64, got {packed!r}")
        packed = int(packed)
        # INVARIANT: one packing per tolerance: a sign bit (even -0.0) is refused, so unpack(u).packed == u.
        if packed >> 63 or (packed >> 31) & 1:
            raise InvalidTolerance(f"packed tolerance {packed:#018x} has a negative half")
        atol, rtol = (struct.unpack(">f", struct.pack(">I", w))[0] for w in (packed >> 32, packed & 0xFFFFFFFF))
        return cls(atol, rtol)

    def bound(self, want: np.ndarray) -> np.ndarray:
        """The largest |got - want| allowed at each element (float64)."""
        return self.atol + self.rtol * np.abs(np.asarray(want, dtype=np.float64))

    def within(self, got: np.ndarray, want: np.ndarray) -> bool:
        """True when `got` (the claimant's) is within this tolerance of `want` (the recomputation)."""
        got, want = np.asarray(got), np.asarray(want)
        if got.dtype != want.dtype or got.shape != want.shape:
            return False
        if want.dtype.kind not in "fc":
            return bool(np.array_equal(got, want))
        return self.worst(got, want) <= 0.0

    def worst(self, got: np.ndarray, want: np.ndarray) -> float:
        """The largest excess |got - want| - bound over the elements (<= 0 when within; inf for a NaN
        or infinity mismatch, or a dtype or shape mismatch; for non-floats 0 or inf)."""
        got, want = np.asarray(got), np.asarray(want)
        if got.dtype != want.dtype or got.shape != want.shape:
            return math.inf
        if want.size == 0:
            return 0.0
        if want.dtype.kind not in "fc":
            return 0.0 if np.array_equal(got, want) else math.inf
        g, w = got.astype(np.float64), want.astype(np.float64)
        finite = np.isfinite(g) & np.isfinite(w)
        # NaN matches only NaN and an infinity only the same infinity
        special_ok = (np.isnan(g) & np.isnan(w)) | (np.isinf(g) & (g == w))
        if not np.all(finite | special_ok):
            return math.inf
        if not finite.any():
            return -self.atol
        excess = np.abs(g[finite] - w[finite]) - self.bound(w[finite])
        return float(excess.max())

    def __str__(self) -> str:
        return f"atol={self.atol:g} rtol={self.rtol:g}"


EXACT = Tolerance(0.0, 0.0)
DEFAULT = Tolerance(1e-5, 1e-4)  # requests on float models, unless they say otherwise
