"""Digits classifiers: trained with fixed seeds on scikit-learn's digits, exported with torch."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..errors import ZooBuildError
from .export import export_torch

SEED = 0
TEST_FRACTION = 0.25
CALIBRATION_SAMPLES = 512


def split():
    """(x_train, y_train, x_test, y_test): pixels scaled to [0, 1], a seeded stratified split."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ZooBuildError("building the digits models needs scikit-learn (pip install 'tribunal-ml[models]')") from None
    d = load_digits()
    x, y = (d.data / 16.0).astype(np.float32), d.target.astype(np.int64)
    rng = np.random.default_rng(SEED)
    test = np.zeros(len(y), dtype=bool)
    for c in range(10):
        idx = np.flatnonzero(y == c)
        test[rng.choice(idx, int(round(len(idx) * TEST_FRACTION)), replace=False)] = True
    return x[~test], y[~test], x[test], y[test]


def _resnet():
    """A small ResNet: stem conv-BN-ReLU, one identity residual block, one strided block with a
    1x1 conv-BN shortcut, global average pool, linear head (8x8 -> 4x4 -> 1x1)."""
    import torch.nn as nn

    def conv_bn(cin, cout, k, stride=1):
        return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout))

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.body = nn.Sequential(conv_bn(cin, cout, 3, stride), nn.ReLU(), conv_bn(cout, cout, 3))
            self.skip = nn.Identity() if cin == cout and stride == 1 else conv_bn(cin, cout, 1, stride)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.relu(self.body(x) + self.skip(x))

    return nn.Sequential(conv_bn(1, 16, 3), nn.ReLU(), Block(16, 16, 1), Block(16, 32, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def network(kind: str):
    import torch.nn as nn

    if kind == "resnet":
        return _resnet()
    if kind == "mlp":
        return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def train(kind: str, x: np.ndarray, y: np.ndarray, epochs: int | None = None):
    try:
        import torch
    except ImportError:
        raise ZooBuildError("building the digits models needs torch (pip install 'tribunal-ml[models]')") from None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same weights on every run of this machine
    try:
        torch.manual_seed(SEED)
        net = network(kind)
        epochs = epochs or (20 if kind == "resnet" else 60)  # the ResNet's epochs cost more; 20 reach ~98%
        xt = torch.from_numpy(x if kind == "mlp" else x.reshape(-1, 1, 8, 8))
        yt = torch.from_numpy(y)
        opt = torch.optim.Adam(net.parameters(), lr=3e-3)
        gen = torch.Generator().manual_seed(SEED)
        for _ in range(epochs):
            for idx in torch.randperm(len(xt), generator=gen).split(32):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx]).backward()
                opt.step()
        return net.eval()
    finally:
        torch.set_num_threads(threads)


def build(kind: str, out: Path) -> None:
    from .. import calibration
    from ..onnx_io import load_onnx

    x_tr, y_tr, x_te, y_te = split()
    net = train(kind, x_tr, y_tr)
    shape = (1, 64) if kind == "mlp" else (1, 1, 8, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the ResNet keeps its BatchNormalization nodes (training mode off, no folding by the
        # exporter), so the exact profile's load-time folding is what runs
        export_torch(net, shape, out / "model.onnx", fold=kind != "resnet")
    x_te, x_tr = x_te.reshape((-1,) + shape[1:]), x_tr.reshape((-1,) + shape[1:])
    model = load_onnx(out / "model.onnx")
    calibration.save(out / "calibration.json", calibration.calibrate(model, "input", x_tr[:CALIBRATION_SAMPLES]))
    np.savez(out / "data.npz", x_test=x_te, y_test=y_te)
