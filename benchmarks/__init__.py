"""Tribunal benchmarks."""
