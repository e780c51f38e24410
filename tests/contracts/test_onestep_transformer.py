"""The one-step verifier on a torch-exported causal language model (token-id input, Gather, Split as
Slices, attention MatMuls, Where with finfo.min, masked Softmax, Concat, Neg, Unsqueeze/Squeeze):
every step's elements equal the numpy kernels' on chain, and a cheating submitter loses the whole
dispute against the opML contracts."""
from __future__ import annotations

import numpy as np
import pytest

from bisection import Side, dispute
from contracts.chain import connect
from contracts.onestep import OneStep, deploy_onestep, prestates, step_proof
from tests.runtime.test_real_files import tiny_lm_once

from .onestep_cases import expected, roots


@pytest.fixture(scope="module")
def lm():
    m, xs = tiny_lm_once()
    x_q = m.quantize_input(xs[0])
    program = m.program(x_q.shape)
    return m, program, x_q


def test_everyStep_elementEqualsNumpyKernel_onChain(lm):
    """One random element per step (the random single-op tests cover elements more widely; gas
    figures come from `python -m benchmarks.onestep_gas_gpt2`)."""
    _, program, x_q = lm
    chain = connect("embedded")
    try:
        onestep = OneStep(chain, deploy_onestep(chain))
        rng = np.random.default_rng(3)
        for step, state in enumerate(prestates(program, x_q), start=1):
            want = expected(program, state, step)
            node = program.nodes[step - 1]
            element = int(rng.integers(0, want.size))
            value, slot = onestep.element(*roots(program, state), step, element, step_proof(program, state, step, element))
            assert (value, slot) == (int(want[element]), node.outputs[0]), (step, node.op, element)
    finally:
        chain.close()


def test_cheatingSubmitter_losesOnChain(lm):
    from contracts.arbiter import ChainArbiter
    from contracts.bindings.opml import OpmlConfig
    from contracts.deploy import deploy_opml

    _, program, x_q = lm
    chain = connect("embedded")
    try:
        r = dispute.run(program, x_q, "wrong-output", program.steps // 2, "defender", 0,
                        ChainArbiter(deploy_opml(chain, OpmlConfig())))
    finally:
        chain.close()
    assert r.winner is Side.CHALLENGER
