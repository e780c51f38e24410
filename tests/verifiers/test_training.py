"""Verified training, off chain: weights and their commitment, the store, the SML, scoring with the exact
profile, BRAIN's integer update, the non-IID split."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifiers.training import learn
from verifiers.training.data import split_nodes
from verifiers.training.errors import BadSplit, MalformedWeights, WeightsMismatch, WeightsNotFound, WeightsTooLarge
from verifiers.training.sml import Sml
from verifiers.training.store import DirectoryStore, MemoryStore
from verifiers.training.update import STALENESS_CAP, Mix, fold
from verifiers.training.roles import FILE_FAULTS
from verifiers.training.weights import INT32, Weights, file_size

SEED = b"\x5e" * 32
ALICE, BOB = "0x" + "a1" * 20, "0x" + "b2" * 20


@pytest.fixture(scope="module")
def nodes():
    return split_nodes(4, seed=1)


@pytest.fixture(scope="module")
def trained(nodes):
    """Alice's honest proposal on version 0: trained under her SML on her share."""
    sml = Sml.derive(SEED, ALICE)
    return learn.train_local(learn.into_sml(learn.initial(0), sml), nodes[0].x_train, nodes[0].y_train, sml, seed=0)


# ---------------------------------------------------------------- weights and the store


def test_weights_bytesRoundTripAndCommitmentIsSha256():
    w = learn.initial(3)
    data = w.to_bytes()
    assert Weights.from_bytes(data, learn.DIGITS_MLP_SML.shapes).equal(w)
    import hashlib
    assert w.commitment() == hashlib.sha256(data).digest()


def test_weights_otherArchitectureOrTruncated_refused():
    data = learn.initial(0).to_bytes()
    with pytest.raises(MalformedWeights):
        Weights.from_bytes(data[:-4], learn.DIGITS_MLP_SML.shapes)
    with pytest.raises(MalformedWeights):
        Weights.from_bytes(Weights((np.zeros((3, 3), np.int64),)).to_bytes(), learn.DIGITS_MLP_SML.shapes)
    with pytest.raises(MalformedWeights):
        Weights.from_bytes(b"nope" + data[4:])


@pytest.mark.parametrize("kind", ["directory", "memory"])
def test_store_fileNotMatchingCommitment_refused(kind, tmp_path):
    store = DirectoryStore(tmp_path) if kind == "directory" else MemoryStore()
    good, other = learn.initial(0).to_bytes(), learn.initial(1).to_bytes()
    uri = store.put(good)
    assert store.get(uri, learn.initial(0).commitment()) == good
    with pytest.raises(WeightsMismatch):
        store.get(uri, learn.initial(1).commitment())
    if kind == "directory":  # the file is changed behind the store's back
        (tmp_path / uri).write_bytes(other)
        with pytest.raises(WeightsMismatch):
            store.get(uri, learn.initial(0).commitment())
        with pytest.raises(WeightsNotFound):
            store.get("../etc/passwd", learn.initial(0).commitment())


@pytest.mark.parametrize("kind", ["directory", "memory"])
def test_store_fileLongerThanMaxBytes_refusedTooLarge(kind, tmp_path):
    store = DirectoryStore(tmp_path) if kind == "directory" else MemoryStore()
    good = learn.initial(0).to_bytes()
    assert len(good) == file_size(learn.DIGITS_MLP_SML.shapes)  # what a node reads at most
    assert store.get(store.put(good), learn.initial(0).commitment(), len(good)) == good
    huge = good + b"\0" * (1 << 20)
    with pytest.raises(WeightsTooLarge):
        store.get(store.put(huge), Weights.from_bytes(good).commitment(), len(good))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.booleans())
def test_weights_arbitraryBytes_decodeOrMalformedOnly(data, prefixed):
    data = b"TRW1" + data if prefixed else data
    try:
        Weights.from_bytes(data, learn.DIGITS_MLP_SML.shapes)
    except MalformedWeights:
        pass


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 31), st.sampled_from(["const", "random", "alternating"]), st.booleans()),
                min_size=6, max_size=6), st.integers(0, 2**32 - 1))
def test_score_arbitraryValuesOfTheRightShape_aScoreOrAFileFault(tensors, seed):
    """Once size and shapes are bounded, what a file's values can make scoring raise is one of FILE_FAULTS
    (the scorer scores such a file 0), never anything else (which a scorer would take for its own fault)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for s, (bits, pattern, negative) in zip(learn.DIGITS_MLP_SML.shapes, tensors):
        top = min((1 << bits), INT32[1])
        a = {"const": np.full(s, top), "random": rng.integers(-top, top + 1, s),
             "alternating": (np.indices(s).sum(0) % 2 * 2 - 1) * top}[pattern]
        arrays.append(np.asarray(-a if negative else a, np.int64))
    sml = Sml.derive(SEED, ALICE)
    d = split_nodes(4, seed=1)[1]
    try:
        score = learn.score_exact(Weights(tuple(arrays)), sml, d.x_val, d.y_val)
    except FILE_FAULTS:
        return
    assert 0 <= score <= learn.SCORE_MAX


# ---------------------------------------------------------------- the SML


@settings(max_examples=20)
@given(st.binary(min_size=32, max_size=32), st.integers(0, 2**160 - 1))
def test_sml_intoThenOutOf_isExactIdentity(seed, trainer):
    sml = Sml.derive(seed, "0x" + f"{trainer:040x}")
    assert sorted(sml.perm) == list(range(32)) and set(sml.signs) <= {1, -1}
    w = learn.initial(int.from_bytes(seed[:2], "big"))
    assert learn.out_of_sml(learn.into_sml(w, sml), sml).equal(w)
    np.testing.assert_array_equal(sml.matrix() @ sml.matrix().T, np.eye(32))


def test_sml_dependsOnSeedAndTrainer():
    assert Sml.derive(SEED, ALICE) != Sml.derive(SEED, BOB)
    assert Sml.derive(SEED, ALICE) != Sml.derive(b"\x01" * 32, ALICE)


def test_score_honestUnderOwnSml_aboveThresholdUnderAnotherAtChance(nodes, trained):
    alice, bob = Sml.derive(SEED, ALICE), Sml.derive(SEED, BOB)
    val = nodes[1]
    own = learn.score_exact(trained, alice, val.x_val, val.y_val)
    copied = learn.score_exact(trained, bob, val.x_val, val.y_val)  # Bob submits Alice's file as his own
    precomputed = learn.score_exact(trained, Sml.derive(b"\x02" * 32, ALICE), val.x_val, val.y_val)  # another round
    assert own > 5000 and copied < 1250 and precomputed < 1250
    # the exact profile agrees with the float model on the accuracy (to a sample or two)
    n, majority = len(val.y_val), int(np.bincount(val.y_val).max())
    fast = learn.score_of(int(round(learn.accuracy(trained, val.x_val, val.y_val, alice) * n)), n, majority)
    assert abs(own - fast) <= 2 * 10_000 // (n - majority)


def test_score_poisoned_belowThreshold(nodes, trained):
    val = nodes[2]
    sml = Sml.derive(SEED, ALICE)
    flipped = learn.train_local(learn.into_sml(learn.initial(0), sml), nodes[0].x_train, (nodes[0].y_train + 1) % 10,
                                sml, seed=0)
    assert learn.score_exact(flipped, sml, val.x_val, val.y_val) < 1250
    assert learn.score_exact(learn.initial(7), sml, val.x_val, val.y_val) < 1250


def test_scoreOf_majorityGuessIsZeroAllRightIsMax():
    assert learn.score_of(20, 100, 20) == 0 and learn.score_of(0, 100, 20) == 0
    assert learn.score_of(100, 100, 20) == 10_000 and learn.score_of(60, 100, 20) == 5000
    assert learn.score_of(5, 5, 5) == 0


# ---------------------------------------------------------------- BRAIN's update


@settings(max_examples=40)
@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=6),
       st.one_of(st.integers(0, 4), st.integers(5, STALENESS_CAP + 100)),  # versions accepted while scored add
       st.lists(st.integers(*INT32), min_size=4, max_size=4), st.lists(st.integers(*INT32), min_size=4, max_size=4))
def test_fold_isTheExactRationalMixRoundedHalfUp(scores, staleness, g, w):
    mix = Mix.of(scores, staleness)
    a = Fraction(scores[-1], sum(scores[-4:]) * (1 + min(staleness, STALENESS_CAP)))
    assert Fraction(mix.num, mix.den) == a and 0 < a <= 1
    out = fold(Weights((np.array(g, np.int64),)), Weights((np.array(w, np.int64),)), mix).tensors[0]
    for gi, wi, oi in zip(g, w, out):
        exact = (1 - a) * gi + a * wi
        assert exact - Fraction(1, 2) < oi <= exact + Fraction(1, 2)


def test_fold_windowOfFourAndStalenessLowerTheWeight():
    assert Mix.of([5000], 0).value == 1.0
    assert Mix.of([1000, 1000, 1000, 1000, 1000], 0).value == 0.25
    assert Mix.of([1000, 1000, 1000, 1000], 3).value == 0.0625


# ---------------------------------------------------------------- the split


def test_split_nonIidDisjointAndComplete():
    from verifiers.training.data import digits
    x, y, _, _ = digits()
    parts = split_nodes(5, seed=0)
    assert sum(len(p.y_train) + len(p.y_val) for p in parts) == len(y)
    counts = np.array([p.class_counts() for p in parts])
    assert (counts.std(axis=0) > 0).all()  # every class is spread unevenly over the nodes
    with pytest.raises(BadSplit):
        split_nodes(5, alpha=0)
    with pytest.raises(BadSplit):
        split_nodes(1000)


# ---------------------------------------------------------------- the CLI refuses bad arguments before any chain


@pytest.mark.parametrize("argv", [["--rounds", "0"], ["--cheat", "9:random"], ["--cheat", "x"], ["--cheat", "0:bogus"],
                                  ["--cheat", "0:scorer:bogus"], ["--committee", "0"], ["--committee", "3"],
                                  ["--epochs", "0"], ["--staleness", "-1"], ["--staleness", "9"], ["--nodes", "40"],
                                  ["--out", "FILE"]])
def test_cli_train_badArguments_exitTwoWithOneLine(argv, capsys, tmp_path):
    from verifiers.cli import main
    (tmp_path / "FILE").write_text("a file, not a folder")
    argv = [str(tmp_path / a) if a == "FILE" else a for a in argv]
    assert main(["train", "--nodes", "3", "--out", str(tmp_path / "out"), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert not (tmp_path / "out" / "results.json").exists()
