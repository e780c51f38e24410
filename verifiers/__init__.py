"""Tribunal verifiers."""
