"""Tribunal contracts."""
