"""Deploying the whole contract system in one call.

    chain = connect()
    system = deploy(chain)                 # SystemConfig() defaults
    system.brain.request(...)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eth_account.signers.local import LocalAccount

from contracts.bindings import Brain, ExampleConsumer, ModelRegistry, NodeRegistry, ResultKind, SinglePhaseBrain
from contracts.chain.base import Chain

if TYPE_CHECKING:  # for annotations only; the deploy functions import these where they use them
    from contracts.bindings.hybrid import HybridConfig, HybridCourt
    from contracts.bindings.jury import NodeJury
    from contracts.bindings.opml import OpmlConfig, OpmlGame, OpmlModels
    from contracts.bindings.training import Training, TrainingConfig

ETHER = 10**18
# The default treasury: an address nobody holds a key to, so forfeited stake and fees are burned.
BURN = "0x000000000000000000000000000000000000dEaD"


@dataclass(frozen=True)
class SystemConfig:
    """Protocol parameters; windows and delays are in blocks."""

    min_stake: int = 1 * ETHER
    withdrawal_delay: int = 64
    slash_amount: int = ETHER // 10
    min_fee: int = ETHER // 1000
    committee_size: int = 5
    quorum_bps: int = 5000  # final when votes * 10000 > committee_size * quorum_bps: more than half
    commit_window: int = 10
    reveal_window: int = 10
    max_callback_gas: int = 500_000
    max_in_flight: int = 1024
    queue_timeout: int = 64  # blocks a request may wait for dispatch; then its requester may cancel it
    # Where stake slashed for silence and the fees of unservable requests go (DESIGN.md section 9):
    # never to whoever opened the round. By default burned.
    treasury: str = BURN


@dataclass(frozen=True)
class System:
    chain: Chain
    config: SystemConfig
    models: ModelRegistry
    nodes: NodeRegistry
    brain: Brain
    single_phase: SinglePhaseBrain
    consumer: ExampleConsumer


def deploy(chain: Chain, config: SystemConfig = SystemConfig(), *, sender: LocalAccount | None = None) -> System:
    """Deploys model registry, node registry, Brain, SinglePhaseBrain and an ExampleConsumer that
    accepts both; authorizes both protocol contracts on the node registry."""
    sender = sender or chain.accounts[0]
    c = config
    models = chain.deploy("ModelRegistry", sender=sender)
    nodes = chain.deploy("NodeRegistry", c.min_stake, c.withdrawal_delay, c.slash_amount, c.treasury, sender=sender)
    brain = chain.deploy("Brain", models, nodes, (c.min_fee, c.committee_size, c.quorum_bps, c.commit_window,
                                                  c.reveal_window, c.max_callback_gas, c.max_in_flight,
                                                  c.queue_timeout), sender=sender)
    single = chain.deploy("SinglePhaseBrain", models, nodes, c.min_fee, c.committee_size, c.quorum_bps,
                          c.max_callback_gas, sender=sender)
    consumer = chain.deploy("ExampleConsumer", [brain, single], sender=sender)
    registry = NodeRegistry(chain, nodes)
    registry.authorize(brain, sender=sender)
    registry.authorize(single, sender=sender)
    return System(chain, config, ModelRegistry(chain, models), registry, Brain(chain, brain),
                  SinglePhaseBrain(chain, single), ExampleConsumer(chain, consumer))


# ---------------------------------------------------------------- opML


@dataclass(frozen=True)
class OpmlSystem:
    chain: Chain
    config: "OpmlConfig"
    models: "OpmlModels"
    game: "OpmlGame"
    consumer: ExampleConsumer
    verifier: str  # the IOneStep the game asks


def deploy_opml(chain: Chain, config: "OpmlConfig | None" = None, *, verifier: str | None = None,
                sender: LocalAccount | None = None) -> OpmlSystem:
    """Deploys the opML models registry, the one-step verifier (`contracts.onestep.deploy_onestep`, unless
    `verifier` names one already deployed), the game, and an ExampleConsumer that accepts the game's results."""
    from contracts.bindings.opml import OpmlConfig, OpmlGame, OpmlModels

    sender = sender or chain.accounts[0]
    config = config or OpmlConfig()
    if verifier is None:
        from contracts.onestep import deploy_onestep
        verifier = deploy_onestep(chain, sender=sender)
    models = chain.deploy("OpmlModels", sender=sender)
    game = chain.deploy("OpmlGame", models, verifier, config.as_tuple(), sender=sender)
    consumer = chain.deploy("ExampleConsumer", [game], sender=sender)
    return OpmlSystem(chain, config, OpmlModels(chain, models), OpmlGame(chain, game), ExampleConsumer(chain, consumer),
                      verifier)


# ---------------------------------------------------------------- hybrid


@dataclass(frozen=True)
class HybridSystem:
    chain: Chain
    config: "HybridConfig"
    court: "HybridCourt"
    consumer: ExampleConsumer  # accepts the court's final answers


def deploy_hybrid(system: System, opml: OpmlSystem, config: "HybridConfig | None" = None, *,
                  sender: LocalAccount | None = None) -> HybridSystem:
    """Deploys a HybridCourt over `system.brain` and `opml.game`, authorizes it on the node registry
    (it locks and slashes majorities there; `sender` must be the registry's and Brain's deployer, who binds
    Brain's RAW result kind to it) and an ExampleConsumer
    that accepts its answers. The court locks a decided majority's stake there until the answer settles."""
    from contracts.bindings.hybrid import HybridConfig, HybridCourt

    sender = sender or system.chain.accounts[0]
    config = config or HybridConfig()
    court = system.chain.deploy("HybridCourt", system.brain.address, opml.game.address, config.as_tuple(),
                                sender=sender)
    system.nodes.authorize(court, sender=sender)
    system.brain.bind_kind(court, ResultKind.RAW, sender=sender)  # its committee votes on (output, final) pairs
    consumer = system.chain.deploy("ExampleConsumer", [court], sender=sender)
    return HybridSystem(system.chain, config, HybridCourt(system.chain, court), ExampleConsumer(system.chain, consumer))


# ---------------------------------------------------------------- float-node jury


JURY_CALLBACK_GAS = 200_000  # gas Brain gives NodeJury.onResult; ending a game by verdict measured ~116k (tests)
JURY_MIN_CALLBACK_GAS = 140_000  # below this a verdict could run out of gas in the callback (then only `retry` ends it)


def deploy_jury(system: System, opml: OpmlSystem, *, callback_gas: int = JURY_CALLBACK_GAS,
                sender: LocalAccount | None = None) -> "NodeJury":
    """Deploys a NodeJury over `system.brain` for `opml.game` and binds them both ways (the jury to the
    game's float-step machine, whose `setJury` binds it back: `sender` must be the game's and Brain's deployer, by default account 0, who
    binds Brain's NODE_CHECK result kind to it). Float steps of
    that game are then decided by Brain committees. `callback_gas` is capped by Brain's maxCallbackGas;
    below JURY_MIN_CALLBACK_GAS it raises `JuryGasTooLow` before any transaction."""
    from contracts.bindings.jury import NodeJury

    from contracts.errors import JuryGasTooLow

    sender = sender or system.chain.accounts[0]
    gas = min(callback_gas, system.config.max_callback_gas)
    if gas < JURY_MIN_CALLBACK_GAS:
        raise JuryGasTooLow(f"the jury's callback would get {gas} gas (Brain's maxCallbackGas "
                            f"{system.config.max_callback_gas}); ending a game by verdict needs {JURY_MIN_CALLBACK_GAS}")
    jury = NodeJury(system.chain, system.chain.deploy("NodeJury", system.brain.address, gas, sender=sender))
    jury.bind(opml.game.float_step().address, sender=sender)
    system.brain.bind_kind(jury.address, ResultKind.NODE_CHECK, sender=sender)
    opml.game.set_jury(jury.address, sender=sender)
    return jury


def register_hybrid_model(system: System, opml: OpmlSystem, program, *, sender: LocalAccount | None = None) -> bytes:
    """Registers an exact program with both registries a hybrid request needs (Brain's ModelRegistry and
    OpmlModels; the model id is the same in both); skips a registry that has it. Returns the model id."""
    from bisection.commitments import commit
    from contracts.errors import UnknownModel

    c = commit(program)
    if not system.models.exists(c.model_id):
        system.models.register(c.program_root, c.weights_root, sender=sender)
    if not system.models.input_bytes_of(c.model_id):
        system.models.prove_input_size(program, sender=sender)
    try:
        opml.models.model(c.model_id)
    except UnknownModel:
        opml.models.register_program(program, sender=sender)
    return c.model_id
# ---------------------------------------------------------------- verified training


def deploy_training(chain: Chain, nodes: NodeRegistry, config: "TrainingConfig", *, initial_uri: str = "",
                    fund: int = 0, sender: LocalAccount | None = None) -> "Training":
    """Deploys a Training task on an existing node registry (funding its reward pool with `fund` wei) and
    authorizes it there; `sender` must be the registry's admin (by default account 0, who deployed it)."""
    from contracts.bindings.training import Training

    sender = sender or chain.accounts[0]
    a = chain.deploy("Training", nodes.address, config.as_tuple(), initial_uri, sender=sender)
    nodes.authorize(a, sender=sender)
    training = Training(chain, a)
    if fund:
        training.fund(fund, sender=sender)
    return training
