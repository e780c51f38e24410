"""Run the benchmarks: python -m benchmarks [NAME ...] (default: all that are present)."""
from __future__ import annotations

import importlib
import sys

ALL = ("runtime_latency", "bisection_trace", "brain_gas", "modes_latency", "training")


def main(argv: list[str]) -> int:
    names = argv or list(ALL)
    for name in names:
        try:
            mod = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"benchmarks.{name}" and not argv:
                continue
            raise
        print(f"\n=== {name}")
        mod.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
