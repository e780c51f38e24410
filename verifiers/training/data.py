"""The digits data split across nodes non-IID: per class, shares drawn from Dirichlet(alpha), as in
BRAIN's public federated-learning code (alpha 3.0). Each node keeps a validation part of its share:
its scorer evaluates proposals on it and nothing else. The zoo's held-out test split measures the
global model and never reaches a node."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import BadSplit

ALPHA = 3.0  # BRAIN's default Dirichlet concentration
VALIDATION_FRACTION = 0.3
CLASSES = 10


@dataclass(frozen=True)
class NodeData:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray

    def class_counts(self) -> list[int]:
        return np.bincount(np.concatenate([self.y_train, self.y_val]), minlength=CLASSES).tolist()


def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test) of the zoo's digits split (pixels in [0, 1], 64 features)."""
    from runtime.zoo.digits import split

    return split()


def split_nodes(nodes: int, *, alpha: float = ALPHA, seed: int = 0, x=None, y=None) -> list[NodeData]:
    """`nodes` shares of the training split, non-IID by Dirichlet(alpha) per class."""
    if nodes < 1:
        raise BadSplit(f"need at least one node, got {nodes}")
    if not alpha > 0:
        raise BadSplit(f"the Dirichlet alpha must be positive, got {alpha}")
    if x is None:
        x, y, _, _ = digits()
    if len(y) < 8 * nodes:
        raise BadSplit(f"{len(y)} samples are too few for {nodes} nodes")
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(nodes)]
    for c in range(CLASSES):
        idx = rng.permutation(np.flatnonzero(y == c))
        cuts = (np.cumsum(rng.dirichlet([alpha] * nodes))[:-1] * len(idx)).astype(int)
        for k, chunk in enumerate(np.split(idx, cuts)):
            parts[k].extend(chunk.tolist())
    out = []
    for k, part in enumerate(parts):
        part = rng.permutation(np.asarray(part, dtype=int))
        if len(part) < 4:
            raise BadSplit(f"node {k} drew only {len(part)} samples; use fewer nodes or a larger alpha")
        n_val = max(2, int(round(len(part) * VALIDATION_FRACTION)))
        val, train = part[:n_val], part[n_val:]
        out.append(NodeData(x[train], y[train], x[val], y[val]))
    return out
