"""Finding (helper attack2, not fixed): a generation claim is watched only by agents in the requester's
own process. A generation's model id is the unrolled program of one request shape (prompt length,
new tokens, seed), registered on first use by whoever asks (`verifiers.generation.generation_entry`).
`tribunal node --models M` builds `Catalog(M, ...)`, which knows whole-model ids only, so a node
process (member, submitter, watcher) finds no entry for a generation's model id: watchers skip its
claims (`claim_input` returns None), members decline. On a deployment whose watchers run as
`tribunal node` processes, a lying opML claim on a generation is never challenged and becomes final.

Fixing it needs a way for an agent to map a generation model id to its shape (the request or a registry
event naming the LM and the shape, or the agent deriving the shapes it serves), more than a bound check.
"""
from __future__ import annotations

import pytest

from verifiers.catalog import Catalog
from verifiers.generation import generation_entry


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="a node's catalog (`tribunal node --models`) cannot find a generation's model "
                                       "id: its watchers never check generation claims")
def test_nodeCatalogOfTheLanguageModel_findsAGenerationRequestsModel(hf_dirs):
    lm = str(hf_dirs["gpt2"])
    entry, _ = generation_entry(Catalog(()), lm, "def add(a, b):", max_new_tokens=3)
    node = Catalog((lm,))  # what `tribunal node --models DIR` builds
    found = node.by_id(entry.model_id)
    assert found is not None and found.model_id == entry.model_id
