"""Typed bindings of Tribunal's contracts: one class per contract, a method per transaction (returns a
`Receipt` whose events are dataclasses from `contracts.events`) and per view."""
from contracts.bindings.brain import Brain, BrainConfig, RequestInfo, ResultKind, Status, commitment, new_salt
from contracts.bindings.consumer import ExampleConsumer
from contracts.bindings.hybrid import HybridConfig, HybridCourt, HybridStatus, vote_of
from contracts.bindings.models import ModelInfo, ModelRegistry, model_id_of
from contracts.bindings.nodes import NodeInfo, NodeRegistry
from contracts.bindings.single_phase import SinglePhaseBrain
from contracts.bindings.training import ProposalStatus, Training, TrainingConfig, score_commitment

__all__ = ["Brain", "BrainConfig", "ExampleConsumer", "HybridConfig", "HybridCourt", "HybridStatus", "ModelInfo",
           "ModelRegistry", "NodeInfo", "NodeRegistry", "ProposalStatus", "RequestInfo", "ResultKind",
           "SinglePhaseBrain", "Status", "Training", "TrainingConfig", "commitment", "model_id_of", "new_salt",
           "score_commitment", "vote_of"]
