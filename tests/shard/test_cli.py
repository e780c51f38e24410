"""`tribunal infer MODEL --shards K` refuses bad arguments with one line and status 2 before deploying
anything, and serves a good request through K nodes, showing the pipeline."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest


def cli(*args, cwd="/tmp"):
    return subprocess.run([sys.executable, "-m", "verifiers.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


@pytest.mark.parametrize("args, says", [
    (["--shards", "0"], "--shards must be at least 1"),
    (["--shards", "3", "--cuts", "20,72"], "cut 20: 3 values are live"),
    (["--shards", "3", "--cuts", "5"], "3 shards need 2"),
    (["--shards", "2", "--block", "3"], "--block must be 0 or an even divisor of 512"),
    (["--shards", "2", "--cuts", "x"], "want comma-separated step numbers"),
    (["--shards", "3", "--mode", "single-phase"], "does not serve a sharded request"),
    (["--shards", "3", "--mode", "opml", "--liars", "1"], "--liars is for a committee"),
    (["--shards", "3", "--liars", "9"], "--liars must be in 0..5"),
    (["--shards", "3", "--liars", "3", "--liar-shard", "4"], "--liar-shard must be in 1..3"),
    (["--shards", "3", "--mode", "auto", "--deployment", "d.json"], "brain, hybrid (--role shard-member) or opml"),
    (["--shards", "3", "--mode", "hybrid", "--deployment", "d.json"], "give --store DIR"),
    (["--shards", "3", "--deployment", "d.json", "--store", "b", "--liars", "2"], "processes' strategies are their own"),
    (["--shards", "3", "--store", "b"], "give it with --deployment FILE"),
    (["--shards", "3", "--prompt", "hi"], "drop --prompt"),
])
def test_badShardArguments_oneLine_status2(args, says):
    r = cli("infer", "gpt2-tiny", *args)
    assert r.returncode == 2 and says in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.mark.slow
def test_inferThroughThreeShards_showsThePipeline():
    r = cli("infer", "gpt2-tiny", "--shards", "3", "--mode", "opml", "--json")
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)["sharded"]
    assert v["status"] == "final" and v["output_root"] == v["registered_output_root"] and v["mode"] == "opml"
    assert [s["shard"] for s in v["shards"]] == [1, 2, 3] and len({s["node"] for s in v["shards"]}) == 3
    assert all(s["bytes"] < s["bytes_uncompressed"] for s in v["shards"][:2])
    r = cli("infer", "gpt2-tiny", "--shards", "2", "--block", "0")  # brain: a committee round per shard
    assert r.returncode == 0 and "the same" in r.stdout and "committee round" in r.stdout, r.stdout + r.stderr


@pytest.mark.slow
def test_inferOnShards_inAuto_picksHybrid_andOverturnsALyingShardMajority():
    r = cli("infer", "gpt2-tiny", "--shards", "2", "--block", "0", "--mode", "auto", "--value-at-risk", str(10**21),
            "--liars", "3", "--liar-shard", "1", "--json")
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)["sharded"]
    assert v["mode"] == "auto (hybrid)" and v["overturned"] == 1 and v["status"] == "final"
    assert v["output_root"] == v["unsharded_output_root"] != v["shards"][0]["committee_root"]
    assert len(v["slashed"]) == 3
