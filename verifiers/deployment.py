"""One deployment of the whole system on one chain: BRAIN (registries, Brain, SinglePhaseBrain, consumer),
opML (models, one-step verifier, game, requests) and the hybrid court, every mode's contracts, with the
addresses to attach to it again (`save`/`attach`).

Protocol parameters default to windows short enough for a demo (blocks, not hours) and long enough for
agents that poll: `DEFAULT_CONFIG` and `DEFAULT_OPML`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from contracts.bindings import Brain, ExampleConsumer, ModelRegistry, NodeRegistry, SinglePhaseBrain
from contracts.bindings.hybrid import HybridConfig, HybridCourt
from contracts.bindings.opml import OpmlConfig, OpmlGame, OpmlModels
from contracts.bindings.jury import NodeJury
from contracts.bindings.opml_requests import OpmlRequests
from contracts.bindings.training import Training
from contracts.chain.base import Chain
from contracts.deploy import ETHER, OpmlSystem, System, SystemConfig, deploy, deploy_hybrid, deploy_jury, deploy_opml
from verifiers.errors import DeploymentError

# Windows are counted in blocks, and on the chains Tribunal starts itself (embedded, anvil) every
# transaction mines its own block: k members answering R overlapping requests use about k * R blocks
# of a commit window. 48 blocks hold about nine overlapping requests of a committee of 5; at 12, three
# overlapping requests closed the windows on honest members, who were then slashed. Rounds end as soon
# as every member has revealed, so long windows cost an honest round nothing.
DEFAULT_CONFIG = SystemConfig(min_stake=ETHER, withdrawal_delay=64, slash_amount=ETHER // 10, min_fee=ETHER // 1000,
                              committee_size=5, quorum_bps=5000, commit_window=48, reveal_window=48,
                              max_callback_gas=500_000, max_in_flight=1024)
DEFAULT_OPML = OpmlConfig(window=24, clock=24, min_bond=ETHER // 100, stride=2, callback_gas=200_000)
NODE_STAKE = 2 * ETHER
# Keys of a saved deployment's "extras" section (the file format keeps them there; in memory they are fields).
COURT = "hybrid_court"  # HybridCourt over this deployment's Brain and game
CONSUMER = "hybrid_consumer"  # an ExampleConsumer that accepts the court's final answers
REQUESTS_CONSUMER = "requests_consumer"  # an ExampleConsumer that accepts OpmlRequests' final answers
TRAINING = "training"  # a training session's Training contract


def hybrid_config(s: SystemConfig, o: OpmlConfig) -> HybridConfig:
    """The court's windows, sized from the deployment's: challenge as long as an opML window, adoption
    long enough for a fresh claim's window and both chess clocks."""
    return HybridConfig(challenge_window=o.window, defend_window=max(4, s.commit_window),
                        adopt_window=o.window + 2 * o.clock + 16, challenge_bond=o.min_bond,
                        brain_callback_gas=min(250_000, s.max_callback_gas), max_callback_gas=s.max_callback_gas)


@dataclass
class Deployment:
    """Every contract a mode or an agent uses, as a field; `deploy_all` and `attach` fill them all (a
    training session or a test that deploys only part of the system leaves the others None)."""

    chain: Chain
    system: System
    opml: OpmlSystem | None
    start_block: int
    requests: OpmlRequests | None = None  # opML requests' fee escrow
    court: HybridCourt | None = None  # the hybrid court over this Brain and game
    court_consumer: str | None = None  # an ExampleConsumer that accepts the court's final answers
    requests_consumer: str | None = None  # an ExampleConsumer that accepts OpmlRequests' final answers
    training: Training | None = None  # a training session's contract
    _jury: NodeJury | None = field(default=None, repr=False, compare=False)
    _court_config: HybridConfig | None = field(default=None, repr=False, compare=False)

    @property
    def brain(self) -> Brain:
        return self.system.brain

    @property
    def nodes(self) -> NodeRegistry:
        return self.system.nodes

    @property
    def game(self) -> OpmlGame:
        return self.opml.game

    @property
    def court_config(self) -> HybridConfig:
        """The court's windows and bonds (fixed at its deployment: read once)."""
        if self._court_config is None:
            self._court_config = self.court.config()
        return self._court_config

    @property
    def jury(self) -> NodeJury:
        """The NodeJury that decides the game's float steps (the game names it: found from the chain, and
        kept once set, since `setJury` takes no second call)."""
        if self._jury is None or int(self._jury.address, 16) == 0:
            self._jury = NodeJury(self.chain, self.game.jury())
        return self._jury

    def addresses(self) -> dict:
        s, o = self.system, self.opml
        return {"models": s.models.address, "nodes": s.nodes.address, "brain": s.brain.address,
                "single_phase": s.single_phase.address, "consumer": s.consumer.address,
                "opml_models": o.models.address, "opml_game": o.game.address, "opml_consumer": o.consumer.address,
                "onestep": o.verifier, "opml_requests": self.requests.address, "start_block": self.start_block,
                "config": asdict(s.config),
                "opml_config": asdict(o.config), "extras": self._saved_extras()}

    def _saved_extras(self) -> dict:
        """The saved file's "extras" section: the contracts beyond the fixed keys, by name."""
        named = {COURT: self.court and self.court.address, CONSUMER: self.court_consumer,
                 REQUESTS_CONSUMER: self.requests_consumer, TRAINING: self.training and self.training.address}
        return {k: v for k, v in named.items() if v}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.addresses(), indent=1))
        return path


def deploy_all(chain: Chain, config: SystemConfig = DEFAULT_CONFIG, opml: OpmlConfig = DEFAULT_OPML) -> Deployment:
    start = chain.block_number
    system = deploy(chain, config)
    o = deploy_opml(chain, opml)
    requests = chain.deploy("OpmlRequests", o.game.address, config.min_fee, config.max_callback_gas)
    deploy_jury(system, o)  # NodeJury: Brain rounds that decide the game's float steps
    court = deploy_hybrid(system, o, hybrid_config(config, opml))
    return Deployment(chain, system, o, start, requests=OpmlRequests(chain, requests), court=court.court,
                      court_consumer=court.consumer.address,
                      requests_consumer=chain.deploy("ExampleConsumer", [requests]))


def read(path: str | Path) -> dict:
    """A `save`d deployment file's addresses and parameters, read without a chain (so a command can refuse
    a bad file before it connects anywhere)."""
    try:
        a = json.loads(Path(path).read_text())
        missing = [k for k in ("config", "opml_config", "start_block", *_CONTRACTS) if k not in a]
        if missing:
            raise KeyError(f"no {', '.join(missing)}")
        SystemConfig(**a["config"]), OpmlConfig(**a["opml_config"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DeploymentError(f"cannot read deployment {path}: {type(e).__name__}: {e}") from None
    return a


_CONTRACTS = ("models", "nodes", "brain", "single_phase", "consumer", "opml_models", "opml_game", "onestep",
              "opml_requests")


def attach(chain: Chain, source: str | Path | dict) -> Deployment:
    """The deployment a `save`d file (or its dict) describes, checked to have code at every address."""
    try:
        a = source if isinstance(source, dict) else read(source)
        config, ocfg = SystemConfig(**a["config"]), OpmlConfig(**a["opml_config"])
        for key in _CONTRACTS:
            if not chain.w3.eth.get_code(a[key]):
                raise DeploymentError(f"deployment names {key} at {a[key]}, but the chain has no contract there")
        extras = a.get("extras", {})
        if COURT not in extras:
            raise DeploymentError("deployment names no hybrid court (saved before every deployment had one): "
                                  "deploy the system again")
        for key, address in extras.items():
            if isinstance(address, str) and address.startswith("0x") and not chain.w3.eth.get_code(address):
                raise DeploymentError(f"deployment names {key} at {address}, but the chain has no contract there")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DeploymentError(f"cannot read deployment {source if not isinstance(source, dict) else '(dict)'}: {e}") from None
    system = System(chain, config, ModelRegistry(chain, a["models"]), NodeRegistry(chain, a["nodes"]),
                    Brain(chain, a["brain"]), SinglePhaseBrain(chain, a["single_phase"]),
                    ExampleConsumer(chain, a["consumer"]))
    opml = OpmlSystem(chain, ocfg, OpmlModels(chain, a["opml_models"]), OpmlGame(chain, a["opml_game"]),
                      ExampleConsumer(chain, a["opml_consumer"]), a["onestep"])
    return Deployment(chain, system, opml, int(a["start_block"]), OpmlRequests(chain, a["opml_requests"]),
                      court=HybridCourt(chain, extras[COURT]), court_consumer=extras.get(CONSUMER),
                      requests_consumer=extras.get(REQUESTS_CONSUMER),
                      training=Training(chain, extras[TRAINING]) if TRAINING in extras else None)


def register_model(deployment: Deployment, entry, *, sender=None, holders_only: bool | None = None) -> dict:
    """Registers a catalog entry's model in the BRAIN registry (and, when disputable, proves its input size
    there, so Brain refuses an OUTPUT_ROOT request whose input has another length, and registers its program
    in the opML one) unless done; returns the receipts written ("models", "input_size", "opml_models").
    `holders_only=True` registers it so that Brain draws its committees only among the nodes that declared
    they hold it (`NodeRegistry.declare_holding`; a sharded model's shards); the flag is fixed by the first
    registration, so a model already registered with the other flag raises DeploymentError (None: either).
    Asked of the chain every time, never cached: a snapshot reverted under us, or another process, may
    have changed what is registered."""
    from bisection.step_cost import check_fits
    from contracts.bindings.opml import registration
    from contracts.errors import ContractRevert

    if entry.disputable:  # StepProofTooLarge before any transaction: a step no one could prove on chain
        check_fits(entry.program)
    written = {}
    s = deployment.system
    if not s.models.exists(entry.model_id):
        register = s.models.register_holders_only if holders_only else s.models.register
        written["models"] = register(*entry.roots, sender=sender)
    elif holders_only is not None and s.models.holders_only(entry.model_id) != holders_only:
        rule = "only among its holders" if not holders_only else "from every staked node"
        raise DeploymentError(f"model 0x{entry.model_id.hex()} is already registered with its committees drawn "
                              f"{rule} (fixed at registration): it cannot be registered "
                              f"{'holders-only' if holders_only else 'ordinary'}")
    if entry.disputable:
        if not s.models.input_bytes_of(entry.model_id):
            written["input_size"] = s.models.prove_input_size(entry.program, sender=sender)
        try:
            deployment.opml.models.model(entry.model_id)
        except ContractRevert:
            written["opml_models"] = deployment.opml.models.register(*registration(entry.program), sender=sender)
    return written
