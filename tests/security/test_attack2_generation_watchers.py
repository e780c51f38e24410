"""Finding (helper attack2): a generation claim was watched only by agents in the requester's own process.
A generation's model id is the unrolled program of one request shape (prompt length, new tokens, seed),
registered on first use by whoever asks (`verifiers.generation.generation_entry`); `tribunal node --models M`
built `Catalog(M, ...)`, which knew whole-model ids only, so a node process (member, submitter, watcher)
found no entry for it: watchers skipped its claims, members declined, and a lying opML claim on a
generation became final where watchers run as `tribunal node` processes.

Now a node lists the generation shapes it serves as models ("LM:pP:nN:greedy", "LM:pP:nN:seedS"; the LM
a zoo language model or a Hugging Face directory), as it lists any model: its catalog builds the same
program, so the same id, and its agents serve and check those requests. A shape no node lists is, like a
model no node serves, watched only by whoever runs a watcher for it (README, generation).
"""
from __future__ import annotations

import pytest

from verifiers.catalog import Catalog
from verifiers.generation import generation_entry


@pytest.mark.slow
def test_nodeCatalogListingTheShape_findsAGenerationRequestsModel(hf_dirs):
    lm = str(hf_dirs["gpt2"])
    entry, x = generation_entry(Catalog(()), lm, "def add(a, b):", max_new_tokens=3)
    p = x.shape[-1]
    node = Catalog((f"{lm}:p{p}:n3:greedy",))  # what `tribunal node --models DIR:pP:n3:greedy` builds
    found = node.by_id(entry.model_id)
    assert found is not None and found.model_id == entry.model_id
    assert Catalog((f"{lm}:p{p}:n4:greedy",)).by_id(entry.model_id) is None  # another shape, another id
