"""tribunal models: the zoo, with what each model covers."""
from __future__ import annotations

from runtime import zoo

NAME = "models"
HELP = "list the zoo's models"


def add_arguments(p) -> None:
    pass


def run(args) -> dict:
    return {"models": [{"name": e.name, "description": e.description, "profiles": ["fast", "exact"] if e.exact else ["fast"]}
                       for e in zoo.ENTRIES.values()]}


def render(result, console) -> None:
    from rich.table import Table

    t = Table("model", "profiles", "description", title="Tribunal zoo (built on first use, cached)")
    for m in result["models"]:
        t.add_row(m["name"], ", ".join(m["profiles"]), m["description"])
    console.print(t)
