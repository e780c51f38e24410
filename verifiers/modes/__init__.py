"""The registry of verification modes, by name. Each mode is one module in this package whose class is
decorated with `@register`; every module here is imported on first use, so adding a mode is adding a file.

    from verifiers import modes
    modes.names()          # ('auto', 'brain', 'opml', 'single-phase', ...)
    modes.get("brain")     # the Mode instance
"""
from __future__ import annotations

import importlib
import pkgutil

from verifiers.errors import UnknownMode
from verifiers.modes.base import Handle, Mode, Request

_MODES: dict[str, Mode] = {}
_loaded = False


def register(cls: type[Mode]) -> type[Mode]:
    """Class decorator: make the mode available by its `name`."""
    _MODES[cls.name] = cls()
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for info in pkgutil.iter_modules(__path__):
        if info.name != "base":
            importlib.import_module(f"{__name__}.{info.name}")


def names() -> tuple[str, ...]:
    """The registered modes' names, sorted."""
    _load()
    return tuple(sorted(_MODES))


def get(name: str) -> Mode:
    """The registered mode `name` (UnknownMode otherwise)."""
    _load()
    if name not in _MODES:
        raise UnknownMode(f"unknown mode '{name}' (have: {', '.join(sorted(_MODES))})")
    return _MODES[name]


__all__ = ["Handle", "Mode", "Request", "get", "names", "register"]
