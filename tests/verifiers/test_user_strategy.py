"""A strategy from a user's own module (`user_strategy.py`, beside this file) plays wherever a built-in
does: in memory (`dispute.run`), against the opML contracts on the embedded chain (`ChainArbiter`, and
the in-process agents via `Tribunal.set_cheats`), and through `tribunal node` processes on anvil; it
loses whenever it lies, on either side."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bisection import MemoryArbiter, Side, dispute, make_player, resolve
from bisection.errors import NothingToDispute, UnknownStrategy
from contracts.arbiter import ChainArbiter
from contracts.chain import connect
from contracts.deploy import deploy_opml
from tests.bisection.bisection_cases import case
from tests.processes import die_with_parent, stop
from verifiers.errors import UnknownCheat

from .conftest import MODEL, OPML, cheat
from .user_strategy import Agreeable, BitRot

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MODULE_PATH = "tests.verifiers.user_strategy:BitRot"
FILE_PATH = f"{HERE / 'user_strategy.py'}:BitRot"


@pytest.mark.parametrize("spec", [BitRot(), BitRot, MODULE_PATH, FILE_PATH], ids=["object", "class", "module", "file"])
@pytest.mark.parametrize("side", ["defender", "challenger"])
def test_inMemory_userStrategy_anyForm_losesOnEitherSide(spec, side):
    program, x_q = case("digits-mlp", 1)
    for k in (1, program.steps // 2, program.steps):
        r = dispute.run(program, x_q, spec, at_step=k, cheater=side, seed=k)
        assert r.winner is Side(side).other and r.cheater is Side(side), (k, r.reason, r.rejected)
        assert r.strategy == "bit-rot" and r.moves <= r.max_moves and r.gas is None


def test_inMemory_userStrategyThatDoesNotLie_nothingToDispute():
    program, x_q = case("digits-mlp", 1)
    with pytest.raises(NothingToDispute):
        dispute.run(program, x_q, Agreeable())
    assert make_player("p", program, x_q, Agreeable()).trace.final_root == make_player("q", program, x_q).trace.final_root


@pytest.mark.parametrize("spec,why", [("nope", "unknown strategy"), ("tests.verifiers.nowhere:X", "cannot import"),
                                      ("tests.verifiers.user_strategy:Missing", "has no 'Missing'"),
                                      ("/nonexistent/lies.py:X", "no file"), (object(), "not a Strategy")])
def test_resolve_badSpec_namesWhatIsWrong(spec, why):
    with pytest.raises(UnknownStrategy, match=why):
        resolve(spec)


@pytest.mark.parametrize("side", ["defender", "challenger"])
def test_embeddedChain_chainArbitersPlayers_userStrategyLoses_sameAsInMemory(side):
    program, x_q = case("digits-mlp", 1)
    chain = connect("embedded")
    try:
        system = deploy_opml(chain, OPML)
        k = program.steps // 2
        on_chain = dispute.run(program, x_q, MODULE_PATH, k, side, arbiter=ChainArbiter(system))
    finally:
        chain.close()
    memory = dispute.run(program, x_q, BitRot(), k, side, arbiter=MemoryArbiter(
        stride=OPML.stride, min_bond=OPML.min_bond, bond_growth=OPML.bond_growth))
    assert on_chain.winner is memory.winner is Side(side).other, on_chain.reason
    assert [m.kind for m in on_chain.transcript] == [m.kind for m in memory.transcript]
    assert on_chain.gas == sum(m.gas for m in on_chain.transcript) > 0


@pytest.mark.slow
def test_embeddedChain_agents_userStrategySubmitter_rejected_watcherAnswerFinal(tribunal, sample):
    cheat(tribunal, submitter=BitRot())
    v = tribunal.infer(MODEL, sample, mode="opml").wait()
    assert v.status == "final" and not v.wrong_answer, v.reason
    assert any(g["winner"] == Side.CHALLENGER for g in v.evidence["games"])
    submitter = tribunal.roles.submitter(tribunal.chain).address
    assert any(c["defender"] == submitter and c["status"] == "rejected" for c in v.evidence["claims"])


@pytest.mark.slow
def test_embeddedChain_agents_userStrategyWatcher_losesItsGame_honestAnswerFinal(tribunal, sample):
    cheat(tribunal, watcher=MODULE_PATH)
    v = tribunal.infer(MODEL, sample, mode="opml").wait()
    assert v.status == "final" and not v.wrong_answer, v.reason
    assert v.evidence["games"] and all(g["winner"] == Side.DEFENDER for g in v.evidence["games"])


def test_setCheats_badImportPath_refusedAndNothingChanged(tribunal):
    before = [a.cheat for a in tribunal.scheduler.agents]
    with pytest.raises(UnknownCheat, match="cannot import"):
        tribunal.set_cheats(submitter="tests.verifiers.nowhere:Lie")
    assert [a.cheat for a in tribunal.scheduler.agents] == before


def _node(role: str, url: str, key: bytes, deployment, cheat: str, cwd) -> subprocess.Popen:
    argv = [sys.executable, "-m", "verifiers.cli", "node", "--role", role, "--rpc", url, "--key", "0x" + key.hex(),
            "--deployment", str(deployment), "--models", MODEL, "--poll", "0.1", "--cheat", cheat]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd,
                            preexec_fn=die_with_parent)


@pytest.mark.anvil
@pytest.mark.slow
def test_anvil_nodeProcess_userStrategyFromAFile_submitterLosesItsGame(tmp_path, sample):
    """`tribunal node --role submitter --cheat path/to/user_strategy.py:BitRot`, run from another directory,
    against an honest watcher process: the submitter's claim is refuted on chain."""
    from verifiers import Tribunal

    from .test_node_processes import _wait_ready

    chain = connect("anvil")
    t = Tribunal.connect("anvil", chain=chain, committee=1, agents=False, opml_config=replace(OPML, window=400, clock=200),
                         models=(MODEL,), drive_blocks=True)
    procs: list[subprocess.Popen] = []
    try:
        t.ensure_registered(t.model(MODEL))
        path = t.deployment.save(tmp_path / "deployment.json")
        submitter, watcher = t.roles.submitter(chain), t.roles.watcher(chain)
        procs = [_node("submitter", chain.process.url, submitter.key, path, FILE_PATH, tmp_path),
                 _node("watcher", chain.process.url, watcher.key, path, "honest", tmp_path)]
        _wait_ready(procs)
        receipt = t.infer(MODEL, sample, mode="opml")
        game, d = t.deployment.game, t.deployment
        deadline = time.monotonic() + 240
        while True:
            claims = [game.claim(c) for c in d.requests.answers(receipt.request_id)]
            mine = [c for c in claims if c.defender == submitter.address]
            if mine and mine[0].status == "rejected":
                break
            assert time.monotonic() < deadline, ("the lying submitter's claim was not refuted", claims)
            assert all(p.poll() is None for p in procs), "a node exited"
            t.step()
            time.sleep(0.2)
        lost = [game.game(g) for c in d.requests.answers(receipt.request_id) for g in game.claim_games(c)]
        assert any(g.phase == "over" and g.winner == 2 and g.challenger == watcher.address for g in lost)
    finally:
        stop(procs)
        t.close()
        chain.close()
    out = procs[0].stdout.read() if procs else ""
    assert "error=" not in out, out


@pytest.mark.parametrize("role,spec,why", [("submitter", "tests.verifiers.nowhere:Lie", "cannot import module"),
                                           ("watcher", f"{HERE / 'user_strategy.py'}:Nope", "has no 'Nope'"),
                                           ("member", MODULE_PATH, "the member role has no such strategy")])
def test_nodeCli_badStrategy_oneLineExit2_beforeTouchingTheChain(capsys, role, spec, why):
    from verifiers.cli import main

    key = "0x" + "11" * 32  # no node answers at port 9: the strategy is refused before any connection
    assert main(["node", "--role", role, "--cheat", spec, "--rpc", "http://127.0.0.1:9", "--key", key,
                 "--deployment", "/nonexistent.json"]) == 2
    err = capsys.readouterr().err.strip()
    assert why in err and len(err.splitlines()) == 1, err
