"""`tribunal infer` without --json, as a person reads it: one test per mode and outcome, each through the
command line (`verifiers.cli.main`) on the embedded chain, checking the table's content: the label, the
status, the dispute story, and the alarm when a wrong answer is final.

The expected label is computed here from the model's exact run (`Model.run_exact`), not through the
catalog code that the command uses for its own re-execution."""
from __future__ import annotations

import json

import numpy as np
import pytest

from runtime.model import Model
from verifiers import cli
from verifiers.inputs import sample_input

MODEL = "digits-mlp"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps at the terminal width; a wide one keeps each row on one line


@pytest.fixture(scope="module")
def label() -> int:
    """The honest top-1 of sample 0, from the exact profile's own run."""
    m = Model.load(MODEL, profile="exact")
    return int(np.asarray(m.run_exact(sample_input(m, 0)).floats()[0]).argmax())


@pytest.fixture(scope="module")
def fast_label() -> int:
    m = Model.load(MODEL, profile="fast")
    return int(np.asarray(m.run_fast(sample_input(m, 0))[0]).argmax())


def infer(capsys, *args: str) -> tuple[int, str, str]:
    rc = cli.main(["infer", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def row(out: str, name: str) -> str:
    """The value cell of the summary table's row `name` (the first such row), with its folded lines."""
    found = None
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if found is not None:
            if len(cells) != 2 or cells[0]:
                return found
            found += " " + cells[1]
        elif len(cells) == 2 and cells[0] == name:
            found = cells[1]
    if found is None:
        raise AssertionError(f"no row '{name}' in:\n{out}")
    return found


def full_root(out: str, name: str = "output root:") -> str:
    line = next(x for x in out.splitlines() if x.startswith(name))
    root = line.split()[-1]
    assert root.startswith("0x") and len(root) == 66, line
    return root


# ---------------------------------------------------------------- brain


def test_brain_honest_showsLabelFinalAndFullRoot(capsys, label):
    rc, out, _ = infer(capsys, MODEL, "--committee", "3")
    assert rc == 0
    assert row(out, "status") == "final" and row(out, "output") == f"label {label}"
    assert row(out, "honest re-execution").startswith(f"label {label} (matches)")
    assert full_root(out) == full_root(out, "honest root:")
    assert "WRONG" not in out and row(out, "committee vote") == "3 of 3 members for the final answer"
    assert row(out, "slashed") == "nobody"


def test_brain_threeOfFiveLie_wrongAnswerFinalIsImpossibleToMiss(capsys, label):
    rc, out, _ = infer(capsys, MODEL, "--liars", "3")
    assert rc == 0
    first = out.splitlines()[0]
    assert first.startswith("WRONG ANSWER FINAL: the committee's answer differs from an honest re-execution")
    assert f"(label unknown vs {label}; root" in first
    assert row(out, "status") == "final" and row(out, "WRONG ANSWER").startswith("final: differs")
    assert row(out, "output").startswith("unknown: the root on chain is not the root of an honest run")
    assert f"label {label} (DIFFERS)" in row(out, "honest re-execution")
    assert full_root(out) != full_root(out, "honest root:")
    assert row(out, "slashed").count("(outvoted)") == 2  # the honest minority


def test_brainFloatModel_twoOfThreeLie_showsBothLabels(capsys, fast_label):
    rc, out, _ = infer(capsys, MODEL + "@fast", "--committee", "3", "--liars", "2")
    assert rc == 0
    lie = fast_label ^ 1  # a liar votes the honest 32 bytes with the last bit flipped: for ARGMAX, label ^ 1
    assert out.splitlines()[0].startswith("WRONG ANSWER FINAL") and f"(label {lie} vs {fast_label})" in out
    assert row(out, "output") == f"label {lie}" and "output root:" not in out


def test_brain_deadlinePassed_timedOutWithNoAnswer(capsys, label):
    rc, out, _ = infer(capsys, MODEL, "--committee", "3", "--deadline", "2")
    assert rc == 0
    assert row(out, "status") == "timed out" and row(out, "output") == "none: the chain settled no answer"
    assert "no majority within 2 blocks" in row(out, "why") and "WRONG" not in out


# ---------------------------------------------------------------- single-phase and opml


def test_singlePhase_honest_final(capsys, label):
    rc, out, _ = infer(capsys, MODEL, "--mode", "single-phase", "--committee", "3")
    assert rc == 0 and row(out, "status") == "final" and row(out, "output") == f"label {label}"
    assert "request+respond" in out and "WRONG" not in out


def test_opml_cheatingSubmitter_rejectedAndHonestAnswerFinal(capsys, label):
    rc, out, _ = infer(capsys, MODEL, "--mode", "opml", "--cheat", "wrong-output")
    assert rc == 0
    assert row(out, "status") == "final" and row(out, "output") == f"label {label}" and "WRONG" not in out
    cheat, stand_in = row(out, "opML claim 0"), row(out, "opML claim 1")
    assert cheat.startswith("by submitter (") and cheat.endswith("): rejected (its bond went to the challenger)")
    assert stand_in.startswith("by watcher (") and stand_in.endswith("): final, never challenged")
    assert row(out, "game 0").startswith("watcher (") and "winner challenger" in row(out, "game 0")


def test_opmlFloatModel_honest_finalWithTheFloatLabel(capsys, fast_label):
    rc, out, _ = infer(capsys, MODEL + "@fast", "--mode", "opml")
    assert rc == 0 and row(out, "status") == "final" and row(out, "output") == f"label {fast_label}"
    assert full_root(out) == full_root(out, "honest root:") and "WRONG" not in out


def test_opml_noTimeToStandIn_rejected(capsys):
    rc, out, _ = infer(capsys, MODEL, "--mode", "opml", "--cheat", "wrong-output", "--deadline", "6")
    assert rc == 0
    assert row(out, "status") == "rejected" and row(out, "output") == "none: the chain settled no answer"
    assert "every answer was proven wrong on chain" in row(out, "why") and "refund" in out


# ---------------------------------------------------------------- hybrid and auto


def test_hybrid_honest_provisionalThenFinal(capsys, label):
    rc, out, err = infer(capsys, MODEL, "--mode", "hybrid", "--committee", "3")
    assert rc == 0, err
    assert row(out, "status") == "final" and row(out, "output") == f"label {label}"
    assert row(out, "provisional after").endswith(" s") and row(out, "challenged").startswith("no (")
    assert row(out, "overturned") == "no: the committee's answer stood" and "WRONG" not in out


def test_hybrid_untilProvisional_showsTheUsableAnswer(capsys, label):
    rc, out, _ = infer(capsys, MODEL, "--mode", "hybrid", "--committee", "3", "--until", "provisional")
    assert rc == 0 and row(out, "status") == "provisional" and row(out, "output") == f"label {label}"


def test_hybrid_untilProvisional_lyingMajority_wrongProvisionalAnswerIsFlagged(capsys, label):
    rc, out, _ = infer(capsys, MODEL, "--mode", "hybrid", "--committee", "3", "--liars", "2", "--until", "provisional")
    status = row(out, "status")  # the watcher may challenge in the very block the answer turns provisional
    assert rc == 0 and status in ("provisional", "disputed")
    assert out.splitlines()[0].startswith(f"WRONG ANSWER ({status}, not final yet): the committee's answer differs")
    assert f"label {label} (DIFFERS)" in row(out, "honest re-execution") and row(out, "output") != f"label {label}"


def test_hybrid_lyingMajority_overturnedSlashedAndHonestFinal(capsys, label):
    rc, out, _ = infer(capsys, MODEL, "--mode", "hybrid", "--committee", "3", "--liars", "2")
    assert rc == 0
    assert row(out, "status") == "final" and row(out, "output") == f"label {label}" and "WRONG ANSWER" not in out
    assert row(out, "challenged").startswith("yes, by watcher")
    assert row(out, "overturned").startswith("yes: ")
    # the overturn slashes the lying majority; the outvoted honest member loses nothing (issue 16)
    slashed = row(out, "slashed")
    assert slashed.count("(voted the overturned answer)") == 2 and "(outvoted)" not in slashed


def test_hybridFloatModel_readmeCommand_juryOverturnsTheLie(capsys, fast_label):
    rc, out, err = infer(capsys, MODEL + "@fast", "--mode", "hybrid", "--committee", "3", "--liars", "2")
    assert rc == 0, err
    assert row(out, "status") == "final" and row(out, "output") == f"label {fast_label}"
    assert row(out, "overturned").startswith("yes: ") and "a node jury judged the last step" in out


def test_auto_highValueAtRisk_picksHybridAndSaysWhy(capsys, label):
    rc, out, _ = infer(capsys, MODEL, "--mode", "auto", "--committee", "3", "--value-at-risk", str(10**19))
    assert rc == 0
    assert "mode auto (hybrid)" in out and row(out, "status") == "final" and row(out, "output") == f"label {label}"
    assert "value at risk" in row(out, "why")


def test_json_carriesTheHonestReexecution(capsys, label):
    rc, out, _ = infer(capsys, MODEL, "--committee", "3", "--liars", "2", "--json")
    assert rc == 0
    r = json.loads(out)
    assert r["wrong_answer"] is True and r["honest_output"] == label and r["output"] is None
    assert r["result"] == r["output_root"] != r["honest_result"]


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize("args, says", [
    ([MODEL, "--mode", "hybrid", "--input", "/nonexistent.npy"], "/nonexistent.npy"),
    ([MODEL, "--mode", "nope"], "nope"),
    ([MODEL, "--liars", "4", "--committee", "3"], "--liars"),
])
def test_refusedInput_exits2WithOneLineAndNoTable(capsys, args, says):
    rc, out, err = infer(capsys, *args)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err


def test_wrongArgument_fromAnotherDirectory_isOneLineExit2(tmp_path):
    """As a person runs it: the installed command, from a directory outside the checkout."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(cli.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    for args, says in ((["demo", "--model", "nosuch"], "invalid choice: 'nosuch'"),
                       (["infer", "digits-mlp", "--mode", "nope"], "nope")):
        p = subprocess.run([sys.executable, "-m", "verifiers.cli", *args], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 2 and p.stdout == "", p.stderr
        assert p.stderr.count("\n") == 1 and p.stderr.startswith("error: ") and says in p.stderr


def test_trace_narrowTerminal_foldsRootsNeverCutsThem(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert cli.main(["trace", "toy"]) == 0
    text = capsys.readouterr().out
    assert "…" not in text
    cells = "".join(line.split("│")[-2].strip() for line in text.splitlines() if line.count("│") == 5)
    assert cli.main(["trace", "toy", "--json"]) == 0
    for s in json.loads(capsys.readouterr().out)["states"]:
        assert s["root"] in cells
