"""A whole federated session on anvil (started here), every node a trainer, a scorer and a follower (agents
on the scheduler), with cheating trainers and a lying scorer: what the issue says must hold."""
from __future__ import annotations

import pytest

from contracts.chain import connect
from verifiers.training import learn
from verifiers.training.roles import Follower
from verifiers.training.session import SessionConfig, run_session
from verifiers.training.store import DirectoryStore

# Six nodes, committees of three: node 1's scorer reports SCORE_MAX for everything (one liar, always a
# minority); trainers 2..5 cheat, 0 and 1 are honest.
CHEATS = {2: "random", 3: "flipped", 4: "copy", 5: "foreign-sml"}
CONFIG = SessionConfig(nodes=6, rounds=1, committee=3, epochs=8, staleness=0, trainer_cheats=CHEATS,
                       scorer_cheats={1: "inflate"})

pytestmark = [pytest.mark.slow, pytest.mark.anvil]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    chain = connect("anvil")
    store = DirectoryStore(tmp_path_factory.mktemp("weights"))
    result = run_session(chain, CONFIG, store)
    yield chain, store, result
    chain.close()


def test_session_honestAccepted_poisonedCopiedForeignRejected_despiteLyingScorer(session):
    _, _, r = session
    outcome = {p["cheat"]: p["status"] for p in r["proposals"]}
    assert outcome == {"honest": "accepted", "random": "rejected", "flipped": "rejected", "copy": "rejected",
                       "foreign-sml": "rejected"}
    assert all(p["status"] == "accepted" for p in r["proposals"] if p["cheat"] == "honest")
    assert r["accepted"] == 2 and r["rejected"] == 4
    assert all(p["score"] < CONFIG.threshold for p in r["proposals"] if p["cheat"] != "honest")


def test_session_everyFollowerAndARestartedOne_bitIdenticalGlobal(session):
    chain, store, r = session
    assert r["followers_identical"]
    followers = r["_followers"]
    restarted = Follower(followers[0].d, chain.accounts[9], store=store)  # a node that joins after the fact
    assert restarted.catch_up().to_bytes() == followers[0].globals[-1].to_bytes()
    assert "0x" + restarted.globals[-1].commitment().hex() == r["global_sha256"]


def test_session_globalImprovesOnInitialModel(session):
    _, _, r = session
    assert r["curve"][-1]["accuracy"] > r["curve"][0]["accuracy"] + 0.3
    assert [c["version"] for c in r["curve"]] == list(range(r["accepted"] + 1))
    assert set(r["gas"]) >= {"propose", "dispatch", "commit", "reveal", "finalize_accept", "finalize_reject"}


def test_cli_train_onAnvil_writesPngAndResultsJson(tmp_path, capsys):
    import json

    from verifiers.cli import main
    assert main(["train", "--chain", "anvil", "--nodes", "3", "--rounds", "1", "--epochs", "4",
                 "--out", str(tmp_path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((tmp_path / "results.json").read_text())
    for r in (printed, saved):
        assert {"accuracy", "accepted", "rejected", "gas"} <= set(r) and r["accepted"] + r["rejected"] >= 1
    assert (tmp_path / "convergence.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list((tmp_path / "weights").glob("*.trw"))  # the directory store the nodes shared
