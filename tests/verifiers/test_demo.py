"""`tribunal demo`: one inference verified by a BRAIN committee and by an opML dispute on the embedded chain."""
from __future__ import annotations

import json

from verifiers.cli import main


def test_demo_embedded_committeeAgreesAndCheaterLoses(capsys):
    assert main(["demo", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    root = r["runtime"]["output_root"]
    b = r["brain"]
    assert b["result"] == root and b["agrees_with_exact"] and b["consumer_has"] == root and b["callback_ok"]
    assert b["slashed"] == [b["liar"]] and b["votes"] == len(b["committee"]) - 1
    o = r["opml"]
    assert o["winner"] == "challenger" and o["claim_status"] == "rejected" and o["moves"] <= o["max_moves"]
