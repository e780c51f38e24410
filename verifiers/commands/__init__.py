"""CLI subcommands, one module each (see verifiers/cli.py for the shape of a module)."""
