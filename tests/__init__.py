"""Tribunal's tests. A package, so that tests/runtime, tests/bisection and tests/contracts import as
tests.runtime and so on, never shadowing the real runtime, bisection and contracts packages."""
