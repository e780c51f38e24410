"""tribunal deploy: deploy the whole system on a chain and write the deployment file.

    tribunal deploy --chain http://127.0.0.1:8545 [--out deployment.json] [--key 0x...] [--committee 5 ...]

Every mode's contracts: the registries, Brain, SinglePhaseBrain, the opML models, one-step verifier,
game and request escrow, the NodeJury that settles float steps, and the HybridCourt, with an example
consumer for each; and the ShardLedger and ShardRounds of sharded requests. The file it writes is what
`tribunal node`, `stake`, `withdraw`, `claim`, `models register` and `tribunal infer --deployment` read
(`verifiers.deployment.save`/`attach`).

The same deployment runs first on an in-process chain (about 2 s), so parameters a contract refuses
stop the command before it sends anything to the real one. The deploying account becomes the node
registry's admin (it authorizes the protocol contracts there).
"""
from __future__ import annotations

import sys
from dataclasses import asdict, replace
from pathlib import Path

from runtime.errors import TribunalError
from verifiers.node_ops import account_of, check_url, wei

NAME = "deploy"
HELP = "deploy every mode's contracts on a chain and write the deployment file nodes and requests read"

# flag -> (config field, help); defaults come from verifiers.deployment DEFAULT_CONFIG / DEFAULT_OPML
SYSTEM_FLAGS = {
    "committee": ("committee_size", "nodes drawn per request"),
    "quorum_bps": ("quorum_bps", "votes needed, in basis points of the committee (final above it)"),
    "commit_window": ("commit_window", "blocks a committee has to commit"),
    "reveal_window": ("reveal_window", "blocks a committee has to reveal"),
    "min_stake": ("min_stake", "wei a node stakes at least"),
    "slash": ("slash_amount", "wei taken from a node per fault"),
    "withdrawal_delay": ("withdrawal_delay", "blocks a leaving node's stake stays slashable"),
    "min_fee": ("min_fee", "wei a request pays at least"),
    "max_callback_gas": ("max_callback_gas", "most gas a consumer's callback may ask for"),
    "queue_timeout": ("queue_timeout", "blocks a request may wait for dispatch"),
}
OPML_FLAGS = {
    "opml_window": ("window", "blocks an opML claim stays open to challenges (also the hybrid challenge window)"),
    "opml_clock": ("clock", "blocks each side of a dispute game has on its chess clock"),
    "min_bond": ("min_bond", "wei an opML claim or challenge bonds at least"),
}


def add_arguments(p) -> None:
    from verifiers.deployment import DEFAULT_CONFIG, DEFAULT_OPML

    p.add_argument("--chain", required=True, metavar="URL", help="the chain's JSON-RPC URL (http:// or https://)")
    p.add_argument("--out", type=Path, default=Path("deployment.json"), metavar="FILE",
                   help="where to write the deployment (default: deployment.json)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument("--key", default=None, metavar="KEY",
                   help="the deployer's private key (default: the first development key, funded only on dev chains)")
    g = p.add_argument_group("protocol parameters (windows in blocks)")
    for flags, defaults in ((SYSTEM_FLAGS, DEFAULT_CONFIG), (OPML_FLAGS, DEFAULT_OPML)):
        for flag, (field, text) in flags.items():
            default = getattr(defaults, field)
            g.add_argument("--" + flag.replace("_", "-"), type=int, default=default, metavar="N",
                           help=f"{text} (default {default})")


def configs(args):
    """(SystemConfig, OpmlConfig) from the flags."""
    from verifiers.deployment import DEFAULT_CONFIG, DEFAULT_OPML

    for flag in (*SYSTEM_FLAGS, *OPML_FLAGS):
        if getattr(args, flag) < 0:
            raise TribunalError(f"--{flag.replace('_', '-')} must not be negative, got {getattr(args, flag)}")
    return (replace(DEFAULT_CONFIG, **{f: getattr(args, k) for k, (f, _) in SYSTEM_FLAGS.items()}),
            replace(DEFAULT_OPML, **{f: getattr(args, k) for k, (f, _) in OPML_FLAGS.items()}))


def deploy_everything(chain, config, opml):
    """Every mode's contracts on `chain`, deployed by its first account; the hybrid court included."""
    from verifiers.deployment import deploy_all

    return deploy_all(chain, config, opml)


def check_out(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise TribunalError(f"{out} exists (another deployment's addresses?); pass --force to replace it, "
                            f"or --out FILE")
    if not out.parent.is_dir():
        raise TribunalError(f"cannot write {out}: no directory {out.parent}")


def run(args) -> dict:
    from contracts.chain import connect

    url = check_url(args.chain, "--chain")
    config, opml = configs(args)
    check_out(args.out, args.force)
    keys = [account_of(args.key).key] if args.key else None
    chain = connect(url, **({"keys": keys} if keys else {}))
    deployer = chain.accounts[0].address
    nonce, balance = chain.w3.eth.get_transaction_count(deployer), chain.balance(deployer)
    if balance == 0:
        raise TribunalError(f"the deployer {deployer} holds no ether on {url}; pass --key with a funded account's key "
                            f"(a local `anvil` prints ten)")
    _say(args, "checking the parameters on an in-process chain ...")
    with connect("embedded") as rehearsal:  # the contracts' own checks, before anything is sent for real
        deploy_everything(rehearsal, config, opml)
    _say(args, f"deploying from {deployer} to {url} ...")
    d = deploy_everything(chain, config, opml)
    from verifiers.deployment import read
    from verifiers.shard.pipeline import deploy_ledger_for, save_ledger
    from verifiers.shard.rounds import deploy_rounds_for, save_rounds

    ledger = deploy_ledger_for(d)  # sharded requests (`tribunal infer --shards K`): opml, and brain/hybrid rounds
    path = save_rounds(save_ledger(d.save(args.out), ledger), deploy_rounds_for(d, ledger))
    end = chain.block_number
    addresses = {**d.addresses(), "jury": d.jury.address}
    addresses["extras"].update(read(path)["extras"])
    return {"chain": url, "chain_id": chain.chain_id, "deployer": deployer, "out": str(path), "addresses": addresses,
            "blocks": [d.start_block + 1, end], "transactions": chain.w3.eth.get_transaction_count(deployer) - nonce,
            "gas_total": _gas_of(chain, deployer, d.start_block + 1, end), "spent": balance - chain.balance(deployer),
            "config": asdict(config), "opml_config": asdict(opml)}


def _gas_of(chain, sender: str, first: int, last: int) -> int:
    """Gas used by `sender`'s transactions in blocks first..last."""
    total = 0
    for n in range(first, last + 1):
        for t in chain.w3.eth.get_block(n, full_transactions=True).transactions:
            if t["from"] == sender:
                total += chain.w3.eth.get_transaction_receipt(t["hash"])["gasUsed"]
    return total


def _say(args, line: str) -> None:
    if not args.json:
        print(line, file=sys.stderr, flush=True)


LABELS = {"models": "ModelRegistry", "nodes": "NodeRegistry", "brain": "Brain", "single_phase": "SinglePhaseBrain",
          "consumer": "ExampleConsumer (Brain, single-phase)", "opml_models": "OpmlModels", "opml_game": "OpmlGame",
          "opml_consumer": "ExampleConsumer (opML)", "onestep": "OneStep verifier", "opml_requests": "OpmlRequests",
          "hybrid_court": "HybridCourt", "hybrid_consumer": "ExampleConsumer (hybrid)",
          "jury": "NodeJury (float steps)", "shard_ledger": "ShardLedger (sharded requests)",
          "shard_rounds": "ShardRounds (brain/hybrid shard rounds)"}


def render(r, console) -> None:
    from rich.table import Table

    a = r["addresses"]
    t = Table(title=f"deployed on chain {r['chain_id']} ({r['chain']}) by {r['deployer']}")
    t.add_column("contract")
    t.add_column("address", no_wrap=True, min_width=42)
    for key, value in {**{k: v for k, v in a.items() if isinstance(v, str)}, **a["extras"]}.items():
        t.add_row(LABELS.get(key, key), value)
    console.print(t)
    c, o = r["config"], r["opml_config"]
    console.print(f"committees of {c['committee_size']}, commit/reveal windows "
                  f"{c['commit_window']}/{c['reveal_window']} "
                  f"blocks, min stake {wei(c['min_stake'])}, min fee {wei(c['min_fee'])}; opML window {o['window']} "
                  f"blocks, clock {o['clock']}, min bond {wei(o['min_bond'])}")
    console.print(f"{r['transactions']} transactions in blocks {r['blocks'][0]}..{r['blocks'][1]}, "
                  f"{r['gas_total']:,} gas, {wei(r['spent'])} spent")
    console.print(f"wrote {r['out']}. Next, for each node: `tribunal stake --deployment {r['out']} --rpc {r['chain']} "
                  f"--key KEY`, then `tribunal node --role member ...` (see README).")
