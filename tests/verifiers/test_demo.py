"""`tribunal demo`: every mode serves a request through the Verifier interface and the agents."""
from __future__ import annotations

import json

import pytest

from verifiers import modes
from verifiers.cli import main


@pytest.mark.slow
def test_demo_embedded_everyModeServesAndAttacksEndAsDesigned(capsys):
    assert main(["demo", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    rows = {(row["mode"], row["label"]): row for row in r["rows"]}
    for mode, label in [("brain", "honest committee"), ("single-phase", "honest (baseline)"),
                        ("opml", "honest submitter"), ("auto", "10 ETH at risk")]:
        row = rows[(mode, label)]
        assert row["status"] == "final" and row["correct"], row
    cheat = rows[("opml", "cheating submitter")]
    assert cheat["games"] >= 1 and (cheat["status"] != "final" or cheat["correct"])
    lie = rows[("brain", "3 of 5 members lie")]
    assert lie["status"] == "final" and lie["correct"] is False  # BRAIN finalizes a lying majority
    hybrid = rows[("hybrid", "3 of 5 members lie")]
    if "hybrid" in modes.names():  # hybrid never finalizes the lie (tests/verifiers/test_hybrid.py: it overturns it)
        assert hybrid["status"] != "final" or hybrid["correct"] is True, hybrid
        assert hybrid["correct"] is not False, hybrid
        floated = rows[("hybrid", "3 of 5 lie, float program")]
        assert floated["status"] == "final" and floated["correct"] is True, floated  # a node jury overturned it
    else:
        assert hybrid["status"] == "pending"
    _readable_table_flags_exactly_the_wrong_final_answer(r)


def _readable_table_flags_exactly_the_wrong_final_answer(r: dict) -> None:
    """The table a person reads (no --json) marks the brain lie, and only it, as WRONG ANSWER FINAL."""
    import io

    from rich.console import Console

    from verifiers.commands import demo

    buf = io.StringIO()
    demo.render(r, Console(file=buf, width=200))
    text = buf.getvalue()
    table = [line for line in text.splitlines() if "WRONG ANSWER FINAL)" in line]
    assert len(table) == 1 and "3 of 5 members lie" in table[0] and table[0].split("│")[1].strip() == "brain"
    assert "brain (3 of 5 members lie): WRONG ANSWER FINAL: the committee's answer differs" in text
