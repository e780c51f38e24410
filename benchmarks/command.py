"""tribunal bench: the comparative benchmarks, written as report.md, PNG plots and results.json.

    tribunal bench                         every scenario, full size (see benchmarks/results/report.md)
    tribunal bench security scale --quick  two scenarios, small sizes (what the test suite runs)
    tribunal bench --out DIR --json        write into DIR; print the results as JSON

Scenarios (benchmarks/scenarios/, one module each): security, dispute, two-phase, modes, scale, peers
(EZKL beside the modes; needs `pip install -e '.[peers]'`, otherwise left out).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from runtime.errors import TribunalError

from benchmarks import harness
from benchmarks.scenarios import MISSING, SCENARIOS, available, load

NAME = "bench"
HELP = "compare the verification modes: security, disputes, two-phase throughput, modes, chain scale, a zkML peer; writes a report with plots"


class UnknownScenario(TribunalError):
    """Raised when a scenario name on the command line is not one of benchmarks/scenarios."""


def add_arguments(p) -> None:
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=f"any of {', '.join(SCENARIOS)} (default: all)")
    p.add_argument("--chain", default="anvil", choices=["anvil", "embedded"],
                   help="chain for the on-chain scenarios (two-phase always runs on anvil: it needs interval mining)")
    p.add_argument("--quick", action="store_true", help="small sizes: seconds per scenario (the test suite runs this)")
    p.add_argument("--out", default="bench-out", help="folder for report.md, results.json and the plots (default bench-out)")


def _selected(names: list[str]) -> list[str]:
    have = available()
    for n in names:
        if n not in SCENARIOS:
            raise UnknownScenario(f"unknown scenario '{n}' (have: {', '.join(SCENARIOS)})")
        if n not in have:
            raise UnknownScenario(f"scenario '{n}' cannot run here: {MISSING.get(n, 'its module')} is missing "
                                  f"(have: {', '.join(have)})")
    wanted = set(names or have)
    return [n for n in SCENARIOS if n in wanted]  # the registry's order: scale reads what ran before it


def run(args) -> dict:
    names = _selected(args.scenarios)
    out = Path(args.out)
    t0 = time.perf_counter()
    results = {"command": "tribunal bench " + " ".join(sys.argv[2:] if sys.argv[1:2] == ["bench"] else names),
               "started": harness.now(), "quick": args.quick, "chain": args.chain, "machine": harness.machine(),
               "scenarios": {}}
    earlier: dict = {}
    with harness.progress_bar(not getattr(args, "no_progress", False)) as bar:
        for name in names:
            ctx = harness.Context(args.chain, args.quick, out, bar, earlier)
            t = time.perf_counter()
            section = load(name).run(ctx)
            ctx.done()
            section.seconds = time.perf_counter() - t
            d = section.as_dict()
            d["problems"] = harness.problems(d)
            results["scenarios"][name] = earlier[name] = d
    results["left_out"] = {n: f"{m} is missing" for n, m in MISSING.items() if not args.scenarios}
    results["seconds"] = time.perf_counter() - t0
    results["files"] = harness.write(results, out)
    return results


def render(result, console) -> None:
    from rich.table import Table

    t = Table("scenario", "figure", "value", "note", title=f"tribunal bench ({result['seconds']:.0f} s)")
    for name, s in result["scenarios"].items():
        for m in s["metrics"]:
            t.add_row(name, m["name"], harness.with_unit(m["value"], m["kind"]), m["note"])
    console.print(t)
    bad = [p for s in result["scenarios"].values() for p in s["problems"]]
    for p in bad:
        console.print(f"[red]out of bounds[/] {p}")
    files = result["files"]
    console.print(f"report: {files['report']}  data: {files['json']}  plots: {len(files['plots'])} PNG in "
                  f"{Path(files['report']).parent}")
    for name, why in files.get("not_drawn", {}).items():
        console.print(f"[yellow]not drawn[/] {name}.png: {why}")
