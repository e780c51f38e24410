"""What every `tribunal bench` scenario shares: the result types, the bounds every figure must respect,
the machine description, the progress bar, and the writers of results.json, report.md and the plots.

A scenario returns a `Section`: its setup (chain, model, parameters: what stands behind its figures),
headline `Metric`s, `Table`s and `Figure`s whose `Series` carry a `kind` ("probability", "gas",
"seconds", ...). `problems()` checks every number against the bounds of its kind, so a broken
measurement shows up as a listed problem instead of a plausible-looking plot.
"""
from __future__ import annotations

import json
import math
import os
import platform
import shutil
import socket
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Lower and upper bound of each kind of figure. Gas: no transaction costs less than 21,000.
BOUNDS: dict[str, tuple[float, float]] = {
    "probability": (0.0, 1.0),
    "gas": (21_000.0, math.inf),
    "seconds": (0.0, math.inf),
    "blocks": (0.0, math.inf),
    "rate": (0.0, math.inf),  # per second
    "count": (0.0, math.inf),
    "ratio": (0.0, math.inf),
    "multiple": (0.0, math.inf),  # off-chain compute over one plain inference
    "eth": (0.0, math.inf),
    "fraction": (0.0, 1.0),
    "mib": (0.0, math.inf),  # memory, MiB
}


@dataclass
class Series:
    label: str
    x: list[float]
    y: list[float]
    kind: str  # what y is: a key of BOUNDS
    style: str = "line"  # "line" (a formula, a model) or "points" (a measurement, a simulation)
    err: list[float] | None = None  # +- per point (sampling error)


@dataclass
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: list[Series]
    logx: bool = False
    logy: bool = False


@dataclass
class Figure:
    name: str  # file stem of the PNG
    title: str
    panels: list[Panel]
    caption: str = ""


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class Metric:
    name: str
    value: float
    kind: str
    note: str = ""


@dataclass
class Section:
    scenario: str
    title: str
    setup: dict[str, Any]  # chain, model, parameters behind every figure of the section
    metrics: list[Metric] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def _bad(value: Any, kind: str) -> str | None:
    lo, hi = BOUNDS[kind]
    if not isinstance(value, (int, float)) or math.isnan(value):
        return f"{value!r} is not a number"
    if value < lo or value > hi:
        return f"{value:g} outside [{lo:g}, {hi:g}] for {kind}"
    return None


def problems(section: dict) -> list[str]:
    """Every empty series and every figure outside the bounds of its kind, as one line each."""
    out = []
    where = section["scenario"]
    for m in section["metrics"]:
        if m["kind"] not in BOUNDS:
            out.append(f"{where}: metric '{m['name']}' has unknown kind {m['kind']}")
        elif (why := _bad(m["value"], m["kind"])):
            out.append(f"{where}: metric '{m['name']}': {why}")
    for f in section["figures"]:
        if not f["panels"]:
            out.append(f"{where}: figure '{f['name']}' has no panels")
        for p in f["panels"]:
            if not p["series"]:
                out.append(f"{where}: figure '{f['name']}' panel '{p['title']}' has no series")
            for s in p["series"]:
                label = f"{where}: {f['name']} / {p['title']} / {s['label']}"
                if not s["y"] or len(s["x"]) != len(s["y"]):
                    out.append(f"{label}: empty series or x/y of different lengths")
                    continue
                if s["kind"] not in BOUNDS:
                    out.append(f"{label}: unknown kind {s['kind']}")
                    continue
                out += [f"{label}: point {i}: {why}" for i, y in enumerate(s["y"]) if (why := _bad(y, s["kind"]))]
    return out


# ---------------------------------------------------------------- the machine


def machine() -> dict[str, Any]:
    """The machine the figures come from: CPU, cores, memory, accelerator, software versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        pass
    gpu = "none"
    if shutil.which("nvidia-smi"):
        try:
            gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                                 text=True, timeout=10).stdout.strip() or "none"
        except (OSError, subprocess.SubprocessError):
            pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"host": socket.gethostname(), "cpu": cpu, "cores": cores, "memory_gib": round(mem, 1) if mem else None,
            "gpu": gpu, "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "anvil": _anvil_version()}


def _anvil_version() -> str:
    try:
        from contracts.chain.anvil import anvil_binary
        out = subprocess.run([str(anvil_binary()), "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "unknown"
    except (OSError, subprocess.SubprocessError, IndexError):
        return "not installed"


# ---------------------------------------------------------------- progress


class Context:
    """What a scenario gets: the chain to use, quick or full, where to write, and a progress hook."""

    def __init__(self, chain: str, quick: bool, out: Path, progress=None, earlier: dict | None = None):
        self.chain, self.quick, self.out = chain, quick, out
        self._progress, self._task = progress, None
        self.earlier = earlier if earlier is not None else {}  # sections already run, by scenario name

    def start(self, description: str, total: int) -> None:
        if self._progress is not None:
            self._task = self._progress.add_task(description, total=total, status="")

    def step(self, what: str = "") -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, **({"status": what} if what else {}))

    def done(self) -> None:
        if self._progress is not None and self._task is not None:
            task = self._progress.tasks[self._task]
            self._progress.update(self._task, completed=task.total or task.completed, status="done")


def progress_bar(enabled: bool):
    """A rich progress bar on stderr (so --json output stays clean); a no-op context when disabled."""
    if not enabled:
        import contextlib
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[status]}"), console=Console(stderr=True), transient=False)


# ---------------------------------------------------------------- writers


def _drawable(s: dict, logy: bool) -> list[int]:
    """The indices of a series' points that can be drawn: finite, and above zero on a log axis."""
    return [i for i, (x, y) in enumerate(zip(s["x"], s["y"]))
            if isinstance(y, (int, float)) and math.isfinite(y) and isinstance(x, (int, float)) and math.isfinite(x)
            and (y > 0 or not logy)]


def not_drawn(fig: dict) -> str | None:
    """Why a figure would be empty axes (a panel without one point that can be drawn), or None when every
    panel shows data. Such a figure is not drawn, and the report says why instead."""
    for p in fig["panels"]:
        if not any(_drawable(s, p["logy"]) for s in p["series"]):
            what = "no series" if not p["series"] else "no point that can be drawn" + (
                " (every value is zero, and the axis is logarithmic)" if p["logy"] and any(s["y"] for s in p["series"])
                else " (every series is empty)")
            return f"panel '{p['title']}' has {what}"
    return None if fig["panels"] else "it has no panels"


def plot(fig: dict, path: Path) -> None:
    """Draws `fig` into `path` (see `figure`)."""
    import matplotlib.pyplot as plt

    f = figure(fig)
    f.savefig(path, dpi=110)
    plt.close(f)


def figure(fig: dict):
    """`fig` as a matplotlib figure. A line needs two points: a series with fewer (a quick run measures one
    rate) is drawn as points, so a single measurement is never an invisible line."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(fig["panels"])
    cols = n if n <= 3 else 2
    rows = -(-n // cols)
    f, axes = plt.subplots(rows, cols, figsize=(5.6 * cols, 4.4 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, p in zip(axes.flat, fig["panels"]):
        colors: dict[str, str] = {}  # a formula and its simulation share a colour
        for s in p["series"]:
            stem = s["label"].replace(" formula", "").replace(" simulation", "").replace(" measured", "").replace(" model", "")
            color = colors.setdefault(stem, f"C{len(colors) % 10}")
            keep = _drawable(s, p["logy"])  # a zero cannot be drawn on a log axis: those points are left out
            x, y = [s["x"][i] for i in keep], [s["y"][i] for i in keep]
            err = [s["err"][i] for i in keep] if s["err"] else None
            if err and p["logy"]:  # the lower bar stops above zero
                err = [[min(e, v * 0.9) for e, v in zip(err, y)], err]
            if s["style"] == "points" or len(x) < 2:
                ax.errorbar(x, y, yerr=err, fmt="o", ms=4, capsize=2, label=s["label"], color=color)
            else:
                ax.plot(x, y, "-", label=s["label"], color=color)
        ax.set_title(p["title"], fontsize=10)
        ax.set_xlabel(p["xlabel"])
        ax.set_ylabel(p["ylabel"])
        if p["logx"]:
            ax.set_xscale("log")
        if p["logy"]:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    f.suptitle(fig["title"], fontsize=11)
    f.tight_layout()
    return f


UNITS = {"rate": "/s", "seconds": "s", "gas": "gas", "blocks": "blocks", "ratio": "x", "multiple": "x", "eth": "ETH", "mib": "MiB"}


def with_unit(value: float, kind: str) -> str:
    unit = UNITS.get(kind, "")
    return f"{_fmt(value)}{unit}" if unit in ("x", "/s") else f"{_fmt(value)} {unit}".rstrip()


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if v == 0 or math.isnan(v) or math.isinf(v):
            return f"{v:g}"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 0.01:
            return f"{v:.3g}"
        return f"{v:.2e}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [f"# Tribunal benchmark report", "",
             f"Command: `{results['command']}`  ",
             f"Started {results['started']} UTC; took {results['seconds']:.0f} s; "
             f"{'quick' if results['quick'] else 'full'} run; chain `{results['chain']}`.", "",
             "Machine: " + f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, GPU: {m['gpu']}; {m['os']}; "
             f"Python {m['python']}; {m['anvil']}; host `{m['host']}`.", ""]
    for name, why in results.get("left_out", {}).items():
        lines += [f"Scenario `{name}` left out: {why}.", ""]
    bad = [p for s in results["scenarios"].values() for p in s["problems"]]
    lines += ["Bounds check: " + ("every figure within its physical bounds, no empty series." if not bad
                                 else f"{len(bad)} problems:"), ""]
    lines += [f"- {p}" for p in bad] + ([""] if bad else [])
    for name, s in results["scenarios"].items():
        lines += [f"## {s['title']} (`{name}`)", "", f"Took {s['seconds']:.1f} s. Setup:", ""]
        lines += [f"- {k}: {_fmt(v) if not isinstance(v, (list, dict)) else json.dumps(v)}" for k, v in s["setup"].items()]
        lines.append("")
        if s["metrics"]:
            lines += ["| figure | value | note |", "| --- | --- | --- |"]
            lines += [f"| {x['name']} | {with_unit(x['value'], x['kind'])} | {x['note']} |" for x in s["metrics"]]
            lines.append("")
        for t in s["tables"]:
            lines += [f"**{t['title']}**", "", "| " + " | ".join(t["columns"]) + " |",
                      "| " + " | ".join("---" for _ in t["columns"]) + " |"]
            lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in t["rows"]]
            lines.append("")
        for f in s["figures"]:
            why = not_drawn(f)
            if why:
                lines += [f"Figure `{f['name']}` ({f['title']}) is not drawn: {why}.", ""]
                continue
            single = all(len(x["y"]) < 2 for p in f["panels"] for x in p["series"])
            lines += [f"![{f['title']}]({f['name']}.png)", "", f"*{f['title']}.* {f['caption']}"
                      + (" (One point per series in this run: the full run measures more.)" if single else ""), ""]
        lines += [f"{n}" for n in s["notes"]] + ([""] if s["notes"] else [])
    return "\n".join(lines)


def write(results: dict, out: Path) -> dict[str, Any]:
    """Writes results.json, one PNG per figure that shows data and report.md into `out`; returns their
    paths, and why each figure left undrawn was (its stale PNG from an earlier run is removed)."""
    out.mkdir(parents=True, exist_ok=True)
    plots, skipped = [], {}
    for s in results["scenarios"].values():
        for f in s["figures"]:
            path = out / f"{f['name']}.png"
            why = not_drawn(f)
            if why:
                skipped[f["name"]] = why
                path.unlink(missing_ok=True)
                continue
            plot(f, path)
            plots.append(str(path))
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    (out / "report.md").write_text(markdown(results))
    return {"report": str(out / "report.md"), "json": str(out / "results.json"), "plots": plots, "not_drawn": skipped}


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
