"""Agents as separate OS processes on anvil: three members, a submitter and a watcher (`tribunal node`).
One member is SIGKILLed right after its commit and started again; the request still finalizes with the
exact output root, the restarted member's reveal among the votes. No process outlives the test."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from contracts.chain import connect
from contracts.deploy import ETHER, SystemConfig

from tests.processes import die_with_parent, stop

from .conftest import MODEL, OPML

pytestmark = [pytest.mark.anvil, pytest.mark.slow]
# Long windows: a restarted node loads its model again (seconds on a busy machine) while blocks go on.
CONFIG = SystemConfig(min_stake=ETHER, withdrawal_delay=400, slash_amount=ETHER // 10, min_fee=ETHER // 1000,
                      committee_size=3, quorum_bps=5000, commit_window=60, reveal_window=300,
                      max_callback_gas=500_000, max_in_flight=64)
READY_S = 180


def _spawn(role: str, url: str, key: bytes, deployment) -> subprocess.Popen:
    argv = [sys.executable, "-m", "verifiers.cli", "node", "--role", role, "--rpc", url, "--key", "0x" + key.hex(),
            "--deployment", str(deployment), "--models", MODEL, "--poll", "0.1"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ),
                            preexec_fn=die_with_parent)


def _wait_ready(procs: list[subprocess.Popen]) -> None:
    pending, deadline = {p.stdout: p for p in procs}, time.monotonic() + READY_S
    while pending:
        assert time.monotonic() < deadline, "a node did not get ready"
        readable, _, _ = select.select(list(pending), [], [], 1.0)
        for f in readable:
            line = f.readline()
            assert line, f"node exited early (status {pending[f].poll()})"
            if line.startswith("ready "):
                del pending[f]


def test_nodes_memberKilledAfterCommit_requestFinalizesAndNoProcessOutlives(tmp_path, sample):
    from verifiers import Tribunal

    chain = connect("anvil")
    t = Tribunal.connect("anvil", chain=chain, committee=3, agents=False, config=CONFIG,
                         opml_config=replace(OPML, window=200), models=(MODEL,), drive_blocks=True)
    procs: list[subprocess.Popen] = []
    try:
        t.ensure_registered(t.model(MODEL))
        path = t.deployment.save(tmp_path / "deployment.json")
        members = t.roles.members(chain)
        # The victim runs alone at first: with the other members' commitments missing, reveals cannot
        # open, so it is killed between its commit and its reveal whatever the machine's speed.
        procs = [_spawn("member", chain.process.url, members[0].key, path),
                 _spawn("submitter", chain.process.url, t.roles.submitter(chain).key, path),
                 _spawn("watcher", chain.process.url, t.roles.watcher(chain).key, path)]
        _wait_ready(procs)

        receipt = t.infer(MODEL, sample, mode="brain", deadline_blocks=CONFIG.commit_window + CONFIG.reveal_window + 8)
        rid, victim = receipt.request_id, members[0]
        index = t.deployment.nodes.index_of(victim.address)
        deadline = time.monotonic() + 120
        while not t.deployment.brain.request_info(rid).committed >> index & 1:  # blocks pass until it commits
            assert time.monotonic() < deadline, "the member never committed"
            chain.mine(1)
            time.sleep(0.3)
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait(10)
        assert t.deployment.brain.request_info(rid).revealed >> index & 1 == 0
        procs[0] = _spawn("member", chain.process.url, victim.key, path)
        others = [_spawn("member", chain.process.url, m.key, path) for m in members[1:]]
        procs += others
        _wait_ready([procs[0], *others])

        v = receipt.wait(poll=0.3)
        assert v.status == "final", v.reason
        assert v.output_root == "0x" + t.model(MODEL).model.run_exact(sample).output_root.hex()
        assert victim.address in {r["member"] for r in v.evidence["reveals"]}
        assert v.evidence["votes"] == 3
    finally:
        stop(procs)
        t.close()
        chain.close()
    assert all(p.poll() is not None for p in procs)
    assert not chain.process.alive()
