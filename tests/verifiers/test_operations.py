"""Node operations from the command line: `tribunal deploy`, `stake`, `models register`, `withdraw`, `claim`.

The must-hold test runs every step as its own OS process (`python -m verifiers.cli ...`, from another
directory) against anvil: deploy writes the file, three keys stake, three `tribunal node` members serve,
`tribunal infer --deployment --key` sends a request (from the key given) that ends final with the exact output root, then the example
dapp (BrainLabelBounty, deployed against the file's Brain) files one: the nodes serve it, its callback gets the
exact root, and it pays on the label that `tribunal prove --request` (a process too) proves. Nothing but the
file and the chain passes between the processes. Refusals are checked to send nothing (the account's
nonce is unchanged).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from contracts.chain import connect
from tests.processes import stop
from verifiers.cli import main

from .conftest import MODEL
from .test_node_processes import _spawn, _wait_ready

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _fails(capsys, argv, *words) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # progress lines may come first
    assert err.startswith("error: ")
    for w in words:
        assert w in err, err
    return err


def _cli(cwd, *argv, ok: bool = True) -> dict | str:
    """One command as a person runs it: its own process, from `cwd`, JSON out (or the error line)."""
    env = {**os.environ, "PYTHONPATH": ROOT}
    p = subprocess.run([sys.executable, "-m", "verifiers.cli", *argv, *(["--json"] if ok else [])], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=600)
    if not ok:
        assert p.returncode == 2, p.stdout + p.stderr
        return p.stderr.strip().splitlines()[-1]
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def _key(account) -> str:
    return "0x" + bytes(account.key).hex()


# ---------------------------------------------------------------- bad input, no chain needed


@pytest.mark.parametrize("argv, words", [
    (["deploy", "--chain", "anvil"], ["--chain 'anvil'", "http"]),
    (["deploy", "--chain", "http://127.0.0.1:9"], ["http://127.0.0.1:9"]),
    (["deploy", "--chain", "http://127.0.0.1:9", "--commit-window", "-1"], ["--commit-window", "-1"]),
    (["deploy", "--chain", "http://127.0.0.1:9", "--key", "0x12"], ["--key"]),
    (["stake", "--deployment", "missing.json", "--rpc", "http://127.0.0.1:9", "--key", "0x12"], ["missing.json"]),
    (["stake", "--deployment", "D", "--rpc", "http://127.0.0.1:9", "--key", "0x12", "--amount", "0"], ["--amount"]),
    (["stake", "--deployment", "D", "--rpc", "http://127.0.0.1:9", "--key", "0x12"], ["--key"]),
    (["stake", "--deployment", "D", "--rpc", "127.0.0.1:9", "--key", "K"], ["--rpc", "http"]),
    (["stake", "--deployment", "D", "--rpc", "http://127.0.0.1:9", "--key", "K"], ["http://127.0.0.1:9"]),
    (["withdraw", "--deployment", "D", "--rpc", "http://127.0.0.1:9", "--key", "K"], ["http://127.0.0.1:9"]),
    (["claim", "--deployment", "D", "--rpc", "http://127.0.0.1:9", "--key", "K"], ["http://127.0.0.1:9"]),
    (["models", "register", "no-such-model", "--deployment", "D", "--rpc", "http://127.0.0.1:9", "--key", "K"],
     ["no-such-model"]),
    (["models", "register", MODEL], ["--deployment", "--rpc", "--key"]),
    (["models", "--deployment", "D"], ["models register"]),
    (["infer", MODEL, "--deployment", "D", "--chain", "http://127.0.0.1:9", "--key", "0x12"], ["--key"]),
    (["infer", MODEL, "--key", "K"], ["--key", "--deployment", "--chain"]),
    (["infer", MODEL, "--deployment", "D", "--chain", "anvil", "--key", "K"], ["--chain 'anvil'", "http"]),
], ids=["deploy-not-url", "deploy-unreachable", "deploy-negative", "deploy-key", "stake-no-file", "stake-amount",
        "stake-key", "stake-not-url", "stake-unreachable", "withdraw-unreachable", "claim-unreachable",
        "register-unknown-model", "register-missing-args", "list-with-register-args", "infer-key", "infer-key-alone",
        "infer-key-not-url"])
def test_operations_badInput_exit2OneLine(capsys, tmp_path, monkeypatch, argv, words):
    from dataclasses import asdict

    from verifiers.deployment import DEFAULT_CONFIG, DEFAULT_OPML

    deployment = tmp_path / "d.json"  # well formed, so the check after reading the file is the one that fails
    deployment.write_text(json.dumps({k: "0x" + "11" * 20 for k in (
        "models", "nodes", "brain", "single_phase", "consumer", "opml_models", "opml_game", "onestep", "opml_requests")}
        | {"config": asdict(DEFAULT_CONFIG), "opml_config": asdict(DEFAULT_OPML), "start_block": 0}))
    key = "0x" + "22" * 32
    argv = [str(deployment) if a == "D" else key if a == "K" else a for a in argv]
    monkeypatch.chdir(tmp_path)  # deploy's default --out would land here, never in the repository
    _fails(capsys, argv, *words)
    assert not (tmp_path / "deployment.json").exists()


def test_deploy_outExists_refusedWithoutForce(capsys, tmp_path):
    out = tmp_path / "deployment.json"
    out.write_text("{}")
    _fails(capsys, ["deploy", "--chain", "http://127.0.0.1:9", "--out", str(out)], "exists", "--force")
    assert out.read_text() == "{}"


def test_models_list_unchanged(capsys):
    assert main(["models", "--json"]) == 0
    names = [m["name"] for m in json.loads(capsys.readouterr().out)["models"]]
    assert MODEL in names


# ---------------------------------------------------------------- on anvil


@pytest.mark.anvil
@pytest.mark.slow
def test_operations_refusalsOnAnvil_sendNothing(capsys, tmp_path):
    with connect("anvil") as chain:
        url, deployer, node = chain.process.url, chain.accounts[0], chain.accounts[1]
        out = tmp_path / "d.json"

        nonce = chain.w3.eth.get_transaction_count(deployer.address)
        _fails(capsys, ["deploy", "--chain", url, "--out", str(out), "--key", _key(deployer), "--quorum-bps", "20"],
               "quorumBps")
        assert chain.w3.eth.get_transaction_count(deployer.address) == nonce and not out.exists()

        assert main(["deploy", "--chain", url, "--out", str(out), "--key", _key(deployer), "--committee", "3",
                     "--json"]) == 0
        capsys.readouterr()
        head = chain.block_number  # a request would mine a block: a refused one mines none
        _fails(capsys, ["infer", MODEL, "--deployment", str(out), "--chain", url, "--key", "0x12"], "--key")
        assert chain.block_number == head

        args = ["--deployment", str(out), "--rpc", url, "--key", _key(node)]
        nonce = chain.w3.eth.get_transaction_count(node.address)
        _fails(capsys, ["stake", *args, "--amount", "5"], "below the minimum")
        _fails(capsys, ["withdraw", *args], "no stake")
        assert chain.w3.eth.get_transaction_count(node.address) == nonce

        assert main(["claim", *args, "--json"]) == 0
        r = json.loads(capsys.readouterr().out)
        assert r["claimed"] == 0 and not r["transactions"]
        assert {s["contract"] for s in r["sources"]} == {"node registry", "opML game", "opML requests", "hybrid court"}
        assert chain.w3.eth.get_transaction_count(node.address) == nonce


@pytest.mark.anvil
@pytest.mark.slow
def test_operations_deployStakeNodesInfer_separateProcesses_requestFinal(tmp_path):
    from runtime import zoo
    from verifiers.catalog import Catalog

    chain = connect("anvil")
    procs: list[subprocess.Popen] = []
    try:
        url, (deployer, *members), publisher = chain.process.url, chain.accounts[:4], chain.accounts[10]
        d = _cli(tmp_path, "deploy", "--chain", url, "--out", "deployment.json", "--key", _key(deployer),
                 "--committee", "3")
        path = tmp_path / "deployment.json"
        assert d["out"] == "deployment.json" and path.exists()
        assert {"hybrid_court", "hybrid_consumer"} <= set(json.loads(path.read_text())["extras"])
        op = ["--deployment", "deployment.json", "--rpc", url]
        for i, m in enumerate(members):
            s = _cli(tmp_path, "stake", *op, "--key", _key(m))
            assert (s["index"], s["stake"], s["eligible"]) == (i, d["config"]["min_stake"], True)
        r = _cli(tmp_path, "models", "register", MODEL, *op, "--key", _key(publisher))
        assert r["model_id"] == "0x" + Catalog(()).entry(MODEL).model_id.hex()
        assert r["registered"] == ["models", "input_size", "opml_models"]

        chain._rpc("evm_setIntervalMining", [1])  # agents wait for blocks, as on a real chain
        procs = [_spawn("member", url, m.key, path) for m in members]
        _wait_ready(procs)
        requester = chain.accounts[12]  # a key of the person's own, not the dev role's (--key)
        v = _cli(tmp_path, "infer", MODEL, "--sample", "3", "--deployment", "deployment.json", "--chain", url,
                 "--committee", "3", "--mode", "brain", "--key", _key(requester))
        assert v["status"] == "final", v["reason"]
        assert [x["sender"] for x in v["transactions"] if x["name"] == "request"] == [requester.address]
        x = zoo.test_data(MODEL)[0][3:4]
        assert v["output_root"] == "0x" + Catalog(()).entry(MODEL).model.run_exact(x).output_root.hex()
        assert {x["sender"] for x in v["transactions"] if x["name"] == "reveal"} == {m.address for m in members}
        _dappRequest_servedByTheNodes_paysOnTheProvenLabel(chain, tmp_path, path, url, d["config"]["min_fee"])

        paid = _cli(tmp_path, "claim", *op, "--key", _key(members[0]))
        assert paid["claimed"] > 0 and paid["transactions"]
        w = _cli(tmp_path, "withdraw", *op, "--key", _key(members[0]))
        assert w["step"] == "requested" and w["unlock_block"] == w["block"] + d["config"]["withdrawal_delay"]
        err = _cli(tmp_path, "withdraw", *op, "--key", _key(members[0]), ok=False)
        assert f"unlocks at block {w['unlock_block']}" in err
    finally:
        stop(procs)
        chain.close()
    assert all(p.poll() is not None for p in procs)


def _dappRequest_servedByTheNodes_paysOnTheProvenLabel(chain, cwd, path, url: str, min_fee: int) -> None:
    """A requester asks BrainLabelBounty (a contract, the Brain request's consumer); the `tribunal node`
    members serve the request; `tribunal prove` reads the request's input and delivered root from the chain
    and proves the logits; the dapp pays on label 7."""
    import time

    from contracts import events as ev
    from contracts.bindings.examples import deploy_bounty
    from runtime import zoo
    from verifiers.catalog import Catalog
    from verifiers.deployment import attach

    from .test_dapps import PRIZE, SAMPLE, TARGET

    brain, entry = attach(chain, path).brain, Catalog(()).entry(MODEL)
    out = entry.program.slots[entry.program.output_slots[0]]
    dapp = deploy_bounty(chain, "brain", brain.address, entry.model_id, out.size, round(out.scale * 10**18), TARGET,
                         PRIZE, fund=PRIZE, sender=chain.accounts[0])
    asker = chain.accounts[11]
    x = zoo.test_data(MODEL)[0][SAMPLE:SAMPLE + 1]
    rid = dapp.ask(entry.encode(x, entry.default_kind()), fee=10 * min_fee, sender=asker).one(ev.Asked).request_id
    deadline = time.monotonic() + 300
    while dapp.root_of(rid) == bytes(32):  # the members dispatch, commit, reveal, finalize: the callback
        assert time.monotonic() < deadline, f"request {rid} was never delivered: {brain.request_info(rid)}"
        time.sleep(0.5)
    assert dapp.root_of(rid) == entry.model.run_exact(x).output_root

    p = _cli(cwd, "prove", MODEL, "--request", str(rid), "--mode", "brain", "--rpc", url, "--deployment",
             "deployment.json", "--element", str(TARGET))
    assert p["matches_delivered"] and p["delivered_root"] == "0x" + dapp.root_of(rid).hex() and p["label"] == TARGET
    before = chain.balance(asker.address)
    paid = dapp.pay_out(rid, bytes.fromhex(p["output_bytes"][2:]), sender=chain.accounts[0]).one(ev.PaidOut)
    assert (paid.request_id, paid.asker, paid.label, paid.amount) == (rid, asker.address, TARGET, PRIZE)
    assert chain.balance(asker.address) == before + PRIZE and dapp.paid_out(rid)
