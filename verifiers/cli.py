"""`tribunal`: the command line. Each subcommand is a module in verifiers/commands.

A command module exposes NAME, HELP, add_arguments(parser), run(args) -> dict and
render(result, console). The core adds --json to every command, prints the dict as JSON or through
render, and turns every TribunalError into one line on stderr with exit status 2.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

from runtime.errors import TribunalError

# Command modules in the order `tribunal --help` lists them. `bench` lives with the benchmarks, which
# sit above verifiers in the import order (runtime <- ... <- verifiers <- benchmarks).
COMMANDS = (
    "verifiers.commands.models", "verifiers.commands.run", "verifiers.commands.trace",
    "verifiers.commands.dispute", "verifiers.commands.infer", "verifiers.commands.prove", "verifiers.commands.node",
    "verifiers.commands.deploy", "verifiers.commands.stake", "verifiers.commands.withdraw", "verifiers.commands.claim",
    "benchmarks.command", "verifiers.commands.train", "verifiers.commands.demo",
)


def _modules():
    for path in COMMANDS:
        try:
            yield importlib.import_module(path)
        except ModuleNotFoundError as e:  # a command still being written: leave it out
            if e.name != path:
                raise


class Parser(argparse.ArgumentParser):
    """argparse, but a wrong argument is one line on stderr (exit 2) like every other refusal; the usage
    is one `--help` away."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see `{self.prog} --help`)\n")


def parser() -> tuple[argparse.ArgumentParser, dict]:
    p = Parser(prog="tribunal", description="Verified ML inference on EVM chains.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    mods = {}
    for mod in _modules():
        sp = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(sp)
        sp.add_argument("--json", action="store_true", help="print one JSON object for machines")
        mods[mod.NAME] = mod
    return p, mods


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    p, mods = parser()
    args = p.parse_args(argv)
    if not args.command:
        p.print_help()
        return 2
    mod = mods[args.command]
    try:
        result = mod.run(args)
    except TribunalError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    if args.json:
        json.dump(result, sys.stdout, default=str)
        sys.stdout.write("\n")
    else:
        from rich.console import Console

        mod.render(result, Console())
    return 0


if __name__ == "__main__":
    sys.exit(main())
