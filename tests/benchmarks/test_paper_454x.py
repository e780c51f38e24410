"""The paper's 454x experiment (benchmarks/scenarios/paper_454x.py) at tiny scale: code-lm's real
generation on anvil, a few seconds per mode. Checks the experiment's structure, not its speed: the
single-phase generations run inside the blocks that carry them, every figure comes from what the run
measured. The real-size run (GPT-2 124M) is marked realsize."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import brain_454x
from benchmarks.scenarios import paper_454x as exp


BLOCK = 0.25  # seconds: quarter-second blocks so that two-phase fills its pipeline in a couple of seconds


@pytest.fixture(scope="module")
def tiny():
    lm = exp.load_lm("code-lm", prompts=3, prompt_len=8, new_tokens=8)
    lm.measure_pool()
    env = exp.Env(lm, window=20)
    try:
        rows = [exp.phase(env, lm, "two-phase", 8.0, 2.5, 2.0, seed=1, block_time=BLOCK),
                exp.phase(env, lm, "single-phase", 8.0, 0.5, 2.0, seed=1, block_time=BLOCK)]
    finally:
        env.close()
    return lm, rows


def test_single_phase_generation_runs_inside_the_block_that_carries_it(tiny):
    _, (_, single) = tiny
    assert single.done and single.generations
    per_block: dict[int, float] = {}
    for block, seconds in single.generations:
        assert seconds > 0
        per_block[block] = per_block.get(block, 0.0) + seconds
    sealed = {number: (opened, at) for opened, at, number, _ in single.blocks}
    for block, seconds in per_block.items():
        if block in sealed:  # the last open block may be cut by the end of the phase
            opened, at = sealed[block]
            assert at - opened >= seconds  # the block waited for its generations
    # each served request was generated once, live, before its block was sealed
    assert len(single.generations) >= len(single.done)
    assert all(n == sum(1 for b, _ in single.generations if b == number) for _, _, number, n in single.blocks)


def test_two_phase_members_answer_after_the_measured_generation_of_their_prompt(tiny):
    lm, (two, _) = tiny
    assert len(lm.pool) == 3 and all(p.seconds > 0 for p in lm.pool)
    assert len({p.result for p in lm.pool}) == 3  # three prompts, three generations voted on
    assert two.done and two.timed_out == 0
    # a request is final no sooner than request, dispatch, commit (after the generation), reveal, finalize
    assert min(d for _, d in two.done) >= min(p.seconds for p in lm.pool) + 3 * BLOCK


def test_the_ratio_is_the_measured_peaks_and_the_paper_time_follows_from_them(tiny):
    lm, rows = tiny
    f = exp.figures(lm, rows)
    two, single = rows
    window = two.window[1] - two.window[0]
    assert two.tasks_per_s == sum(1 for s, _ in two.done if two.window[0] <= s < two.window[1]) / window
    r = f["ratios"]["members unbounded"]
    assert math.isclose(r["ratio"], two.tasks_per_s / single.tasks_per_s)
    gens = [g for _, g in single.generations]
    assert math.isclose(f["single_generation_s_mean"], sum(gens) / len(gens))
    assert math.isclose(r["generation_s_for_paper"], exp.PAPER_RATIO / two.tasks_per_s - f["single_overhead_s"])
    assert f["pool_generation_s"] == [p.seconds for p in lm.pool]


def test_markdown_renders_a_saved_run(tiny, tmp_path, capsys):
    import json

    lm, rows = tiny
    run = {"model": lm.name, "prompt_len": 8, "new_tokens": 8, "nodes": exp.NODES, "load": 1.0, **exp.figures(lm, rows)}
    (tmp_path / "run.json").write_text(json.dumps(run))
    assert brain_454x.main(["--markdown", str(tmp_path / "run.json")]) == 0
    out = capsys.readouterr().out
    assert f"**{run['ratios']['members unbounded']['ratio']:.1f}x**" in out
    assert out.count("| code-lm |") == 1 + len(rows)  # the summary row, then one per phase


@given(two=st.floats(0.01, 1000), t=st.floats(1e-3, 1e4), overhead=st.floats(0, 10), slots=st.integers(1, 64))
def test_paper_needs_is_what_gives_the_paper_ratio(two, t, overhead, slots):
    free = exp.paper_needs(two, t, overhead, None)["generation_s_for_paper"]
    if free > 0:  # single-phase at that generation time serves exactly two / 454.4293 per second
        assert math.isclose(two * (free + overhead), exp.PAPER_RATIO)
    bound = exp.paper_needs(two, t, overhead, slots)
    assert bound["ratio_bound"] == pytest.approx(exp.NODES * slots / exp.K * (t + overhead) / t)
    nodes = bound["nodes_for_paper"]  # the fewest nodes whose bound reaches the paper's ratio
    assert nodes * slots / exp.K * (t + overhead) / t >= exp.PAPER_RATIO * (1 - 1e-12)
    assert (nodes - 1) * slots / exp.K * (t + overhead) / t < exp.PAPER_RATIO * (1 + 1e-12)


@pytest.mark.parametrize("argv, says", [(["--rates", "0"], "--rates must be positive"),
                                        (["--seconds", "-1"], "--seconds must be positive"),
                                        (["--warmup", "-2"], "--warmup must not be negative")])
def test_bad_arguments_are_one_line_and_exit_2(argv, says, capsys):
    assert brain_454x.main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_an_unknown_model_is_one_line_and_exit_2(capsys):
    assert brain_454x.main(["--model", "no-such-lm", "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert "no-such-lm" in err and err.count("\n") == 1


@pytest.mark.realsize
def test_gpt2_124m_generation_on_the_critical_path_puts_two_phase_ahead():
    """GPT-2 124M takes seconds a generation here: two-phase's peak must pass single-phase's."""
    f = exp.experiment(brain_454x.gpt2_124m_folder(), [10.0], warmup=8.0, seconds=15.0, prompts=3,
                       member_slots=(None,))
    assert f["single_generation_s_mean"] > 0.1
    assert f["ratios"]["members unbounded"]["ratio"] > 1
