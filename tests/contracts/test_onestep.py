"""The on-chain one-step verifier recomputes exactly what the exact numpy kernels compute, from inputs
proven against S_{step-1}, and rejects every bad proof with its named error."""
from __future__ import annotations

import numpy as np
import pytest
from eth_abi import decode
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import errors as E
from contracts.chain import connect
from contracts.onestep import BUNDLE_TYPE, OneStep, deploy_onestep, encode_bundle, proof_parts, step_proof
from runtime.tensor_root import CHUNK_BYTES
from tests.runtime.graphs import FEW_EXAMPLES, OPS, program_op
from tests.runtime.test_ops import build, random_input

from .onestep_cases import ZOO, expected, prestates, roots, zoo_case


@pytest.fixture(scope="module")
def onestep():
    chain = connect("embedded")
    yield OneStep(chain, deploy_onestep(chain))
    chain.close()


def verify(onestep, program, state, step, element):
    proof = step_proof(program, state, step, element)
    return onestep.element(*roots(program, state), step, element, proof)


# ---------------------------------------------------------------- agreement with the numpy kernels


@pytest.mark.parametrize("op", sorted(set(OPS) - set(FEW_EXAMPLES)))
@settings(max_examples=8)
@given(data=st.data())
def test_element_equalsNumpyKernel_onRandomSingleOpGraphs(onestep, op, data):
    check_random_element(onestep, op, data)


@pytest.mark.parametrize("op", sorted(FEW_EXAMPLES))
@settings(max_examples=4)
@given(data=st.data())
def test_element_equalsNumpyKernel_onRandomSingleOpGraphs_fewExamples(onestep, op, data):
    """The same check with fewer examples for data-movement ops (one element read, no arithmetic)
    and variants of ops checked above; it keeps the suite's share of the chain time small."""
    check_random_element(onestep, op, data)


def check_random_element(onestep, op, data):
    m, shape, rng, _ = build(op, data)
    program = m.program(shape)
    step = max(n.index + 1 for n in program.nodes if n.op == program_op(op))
    x_q = random_input(m, program, shape, rng, data.draw(st.booleans()))
    state = prestates(program, x_q)[step - 1]
    want = expected(program, state, step)
    element = data.draw(st.integers(0, want.size - 1))
    value, slot = verify(onestep, program, state, step, element)
    assert (value, slot) == (int(want[element]), program.nodes[step - 1].outputs[0])


@pytest.mark.slow
@pytest.mark.parametrize("name", ZOO)
def test_element_equalsNumpyKernel_onEveryStepOfZooModels(onestep, name, figure):
    program, states = zoo_case(name)
    rng = np.random.default_rng(5)
    for step in range(1, program.steps + 1):
        state = states[step - 1]
        want = expected(program, state, step)
        for element in {0, want.size - 1, *rng.integers(0, want.size, 2).tolist()}:
            assert verify(onestep, program, state, step, element)[0] == int(want[element]), (name, step, element)
        node = program.nodes[step - 1]
        proof = step_proof(program, state, step, 0)
        gas = onestep.gas_used(*roots(program, state), step, 0, proof)
        figure(f"onestep gas {name} step {step} {node.op} {list(program.slots[node.inputs[0]].shape)}", gas)


def test_element_inOutputPadding_isZero_andPastItReverts(onestep):
    program, states = zoo_case("toy")
    step = 1
    size = program.slots[program.nodes[0].outputs[0]].size
    padded = CHUNK_BYTES // 2 * max(1, 1 << (-(-size * 2 // CHUNK_BYTES) - 1).bit_length())
    assert verify(onestep, program, states[0], step, size)[0] == 0
    with pytest.raises(E.ElementOutOfRange):
        verify(onestep, program, states[0], step, padded)


# ---------------------------------------------------------------- bad proofs


@pytest.fixture(scope="module")
def mlp_step():
    """(program, state, step, element, bundle) for a Gemm step of digits-mlp."""
    program, states = zoo_case("digits-mlp")
    step = next(n.index + 1 for n in program.nodes if n.op == "Gemm")
    state = states[step - 1]
    bundle, _ = proof_parts(program, state, step, 3)
    return program, state, step, 3, bundle


def call(onestep, case, bundle=None, **over):
    program, state, step, element, good = case
    p_root, s_root = roots(program, state)
    args = dict(program_root=p_root, state_root=s_root, step=step, element=element)
    args.update(over)
    return onestep.element(args["program_root"], args["state_root"], args["step"], args["element"],
                           encode_bundle(bundle or good))


def replace_input(bundle, i, **fields):
    names = ("root", "statePath", "chunkIndex", "chunks", "chunkPaths")
    inputs = list(bundle[4])
    inp = dict(zip(names, inputs[i]))
    inp.update(fields)
    inputs[i] = tuple(inp[n] for n in names)
    return bundle[:4] + (inputs,)


def test_goodProof_verifies(onestep, mlp_step):
    program, state, step, element, _ = mlp_step
    assert call(onestep, mlp_step)[0] == int(expected(program, state, step)[element])


def test_wrongDescriptor_reverts(onestep, mlp_step):
    from bisection.commitments import node_descriptor
    program, state, step, *_ = mlp_step
    b = mlp_step[4]
    other = step + 1 if step < program.steps else step - 1
    with pytest.raises(E.InvalidDescriptorProof):  # another step's descriptor at this leaf
        call(onestep, mlp_step, (b[0], b[1], node_descriptor(program, other), b[3], b[4]))
    with pytest.raises(E.InvalidDescriptorProof):  # the right descriptor, claimed for another step
        call(onestep, mlp_step, step=other)
    with pytest.raises(E.InvalidDescriptorProof):  # another program
        call(onestep, mlp_step, program_root=b"\x01" * 32)
    with pytest.raises(E.InvalidDescriptorProof):  # a tampered header
        call(onestep, mlp_step, (b[0][:-1] + bytes([b[0][-1] ^ 1]), b[1], b[2], b[3], b[4]))


def test_wrongStatePath_reverts(onestep, mlp_step):
    b = mlp_step[4]
    path = list(b[4][0][1])
    with pytest.raises(E.InvalidStateProof):
        call(onestep, mlp_step, replace_input(b, 0, statePath=[bytes(32)] + path[1:]))
    with pytest.raises(E.InvalidStateProof):  # a short path: an inner node passed off as a leaf
        call(onestep, mlp_step, replace_input(b, 0, statePath=path[1:]))
    with pytest.raises(E.InvalidStateProof):  # another state
        call(onestep, mlp_step, state_root=b"\x02" * 32)


def test_tamperedChunk_reverts(onestep, mlp_step):
    b = mlp_step[4]
    chunk = bytearray(b[4][1][3][0])
    chunk[5] ^= 0x40
    with pytest.raises(E.InvalidChunkProof):
        call(onestep, mlp_step, replace_input(b, 1, chunks=[bytes(chunk)] + list(b[4][1][3][1:])))
    with pytest.raises(E.InvalidChunkProof):  # a short chunk
        call(onestep, mlp_step, replace_input(b, 1, chunks=[bytes(chunk[:-2])] + list(b[4][1][3][1:])))


def test_missingChunk_reverts(onestep, mlp_step):
    b = mlp_step[4]
    with pytest.raises(E.MissingChunk):
        call(onestep, mlp_step, replace_input(b, 1, chunkIndex=[], chunks=[], chunkPaths=[]))


def test_malformedBundle_reverts(onestep, mlp_step):
    b = mlp_step[4]
    with pytest.raises(E.MalformedProof):
        call(onestep, mlp_step, b[:4] + (b[4][:-1],))


def test_bundle_roundTripsThroughAbi(mlp_step):
    program, state, step, element, _ = mlp_step
    (decoded,) = decode([BUNDLE_TYPE], step_proof(program, state, step, element))
    assert len(decoded[4]) == len(program.nodes[step - 1].inputs)
