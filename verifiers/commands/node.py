"""tribunal node: one agent as its own OS process, acting only on what the chain says.

    tribunal node --role member --rpc http://127.0.0.1:8545 --key 0x... --deployment deployment.json

It attaches to the deployment (the file `tribunal deploy` or `Deployment.save(path)` writes; a member
stakes first with `tribunal stake`), prints one
line "ready ROLE ADDRESS" once its models are loaded, then ticks every `--poll` seconds until SIGTERM or
SIGINT. It keeps nothing on disk: killed at any point and started again, it resumes its open duties from
chain state (see verifiers.agents.base).
"""
from __future__ import annotations

import signal

from eth_account import Account

from runtime.errors import TribunalError

NAME = "node"
HELP = "run one agent (member, submitter, watcher, ...) as a process against an RPC URL"


def add_arguments(p) -> None:
    p.add_argument("--role", required=True, help="member, submitter, watcher, shard, shard-member (sharded requests), ... (see verifiers/agents/roles.py)")
    p.add_argument("--rpc", required=True, metavar="URL", help="the chain's JSON-RPC URL")
    p.add_argument("--key", required=True, metavar="KEY", help="the agent's private key (0x-hex)")
    p.add_argument("--deployment", required=True, metavar="FILE", help="the deployment to serve (a saved JSON file)")
    p.add_argument("--cheat", default="honest", metavar="STRATEGY",
                   help="a dishonest strategy of the role; submitter and watcher: also an import path "
                        "package.module:Name (on PYTHONPATH) or path/to/file.py:Name to a bisection.Strategy of one's own")
    p.add_argument("--bond", type=int, default=None, metavar="WEI", help="submitter/watcher: bond per claim or game")
    p.add_argument("--models", default="digits-mlp,digits-cnn,toy", help="comma-separated models this node serves")
    p.add_argument("--poll", type=float, default=0.2, metavar="SECONDS", help="seconds between ticks")
    p.add_argument("--shards", default=None, metavar="J,J", help="shard, shard-member roles: the shard numbers it holds (default: all)")
    p.add_argument("--store", default=None, metavar="DIR", help="shard, shard-member roles: the boundary store folder the nodes share")
    p.add_argument("--lie-on", default=None, metavar="J,J", help="shard-member with --cheat corrupt: the shards it lies on (default: all)")
    p.add_argument("--ticks", type=int, default=None, help="stop after this many ticks (default: run until signalled)")


def run(args) -> dict:
    from contracts.chain import connect
    from verifiers.agents.roles import role
    from verifiers.catalog import Catalog
    from verifiers.deployment import attach

    cls = role(args.role)
    if not cls.accepts(args.cheat):  # before touching the chain: bad input changes nothing
        from verifiers.errors import UnknownCheat

        from bisection.players import STRATEGIES

        games = set(STRATEGIES) <= set(cls.cheats)  # the opML roles also play a strategy of one's own
        raise UnknownCheat(f"--cheat '{args.cheat}': the {args.role} role has no such strategy "
                           f"(have: {', '.join(cls.cheats)}{', or package.module:Name' if games else ''})")
    try:
        account = Account.from_key(args.key)
    except (ValueError, TypeError) as e:
        raise TribunalError(f"--key is not a private key: {e}") from None
    chain = connect(args.rpc, keys=[account.key])
    deployment = attach(chain, args.deployment)
    catalog = Catalog(tuple(m for m in args.models.split(",") if m))
    extra = {"bond": args.bond} if args.bond is not None else {}
    if getattr(cls, "takes_args", False):  # a role reading its own options (shard, shard-member: --shards, --store)
        extra["args"] = args
    agent = cls(deployment, account, catalog=catalog, cheat=args.cheat, name=f"{args.role}-{account.address[:8]}", **extra)
    for name in catalog.names:
        catalog.entry(name).model_id  # load now, so "ready" means ready to serve
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print(f"ready {args.role} {account.address}", flush=True)
    ticks = 0
    while not stop and (args.ticks is None or ticks < args.ticks):
        before = len(agent.log)
        agent.tick()
        for entry in agent.log[before:]:
            print(" ".join(f"{k}={v}" for k, v in entry.items()), flush=True)
        ticks += 1
        if not stop:
            import time

            time.sleep(args.poll)
    return {"role": args.role, "address": account.address, "ticks": ticks, "log": agent.log}


def render(r, console) -> None:
    console.print(f"{r['role']} {r['address']} stopped after {r['ticks']} ticks")
