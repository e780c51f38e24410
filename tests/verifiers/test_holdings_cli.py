"""`tribunal models register --holders-only` and `tribunal models hold` (issue 22: committees drawn among the
nodes that hold a model), as a person runs them against a deployment on anvil; bad input is one line, exit 2."""
from __future__ import annotations

import json

import pytest

from contracts.chain import connect
from verifiers.cli import main

from .conftest import MODEL


def _key(account) -> str:
    return "0x" + bytes(account.key).hex()


def _run(capsys, *argv) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("argv, words", [
    (["models", "hold", MODEL], ["models hold", "--deployment", "--rpc", "--key"]),
    (["models", "hold", MODEL, "--holders-only", "--deployment", "D", "--rpc", "http://127.0.0.1:9", "--key", "K"],
     ["--holders-only", "models register"]),
    (["models", "register", MODEL, "--withdraw", "--deployment", "D", "--rpc", "http://127.0.0.1:9", "--key", "K"],
     ["--withdraw", "models hold"]),
    (["models", "--withdraw"], ["--withdraw"]),
], ids=["hold-missing-args", "hold-holders-only", "register-withdraw", "list-withdraw"])
def test_holdingArgs_badInput_exit2OneLine(capsys, argv, words):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and all(w in err for w in words), err


@pytest.mark.anvil
@pytest.mark.slow
def test_registerHoldersOnly_thenHoldAndWithdraw_onAnvil(capsys, tmp_path):
    from verifiers.deployment import DEFAULT_CONFIG, NODE_STAKE, deploy_all

    chain = connect("anvil")
    try:
        d = deploy_all(chain, DEFAULT_CONFIG)
        op = ["--deployment", str(d.save(tmp_path / "deployment.json")), "--rpc", chain.process.url]
        node, stranger, publisher = chain.accounts[1], chain.accounts[2], chain.accounts[10]
        d.nodes.register(NODE_STAKE, sender=node)
        r = _run(capsys, "models", "register", MODEL, "--holders-only", *op, "--key", _key(publisher))
        mid = bytes.fromhex(r["model_id"][2:])
        assert r["holders_only"] and d.system.models.holders_only(mid)
        # the rule is fixed: registering it ordinary now is refused by name, nothing sent
        assert main(["models", "register", MODEL, *op, "--key", _key(publisher)]) == 2
        assert "holders" in capsys.readouterr().err
        h = _run(capsys, "models", "hold", MODEL, *op, "--key", _key(node))
        assert (h["changed"], h["holders_only"], h["holders"]) == (True, True, 1) and d.nodes.holds(mid, node.address)
        assert _run(capsys, "models", "hold", MODEL, *op, "--key", _key(node))["transactions"] == []  # already
        w = _run(capsys, "models", "hold", MODEL, "--withdraw", *op, "--key", _key(node))
        assert w["changed"] and w["holders"] == 0 and not d.nodes.holds(mid, node.address)
        # the declaration it withdrew still counts as of the blocks it was in force
        assert d.nodes.holders_at(mid, h["transactions"][0]["block"]) == 1
        nonce = chain.w3.eth.get_transaction_count(stranger.address)
        assert main(["models", "hold", MODEL, *op, "--key", _key(stranger)]) == 2
        assert "tribunal stake" in capsys.readouterr().err
        assert chain.w3.eth.get_transaction_count(stranger.address) == nonce
    finally:
        chain.close()
