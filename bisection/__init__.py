"""Tribunal bisection."""
