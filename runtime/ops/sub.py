"""Sub: Add's rule with b's multiplier negated (attrs ma, mb < 0, shift)."""
from __future__ import annotations

from .add import Add


class Sub(Add):
    op_type = "Sub"
    sign = -1
