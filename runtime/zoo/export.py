"""Exporting torch modules to ONNX with a dynamic batch: input 'input', output 'output'."""
from __future__ import annotations

from pathlib import Path


def export_torch(net, shape: tuple[int, ...], path: Path, dynamo: bool = False, example=None,
                 fold: bool = True) -> None:
    """Export `net` at an example input of `shape` (batch dim 0 dynamic), opset 17 for the
    TorchScript exporter, the exporter's default for dynamo. fold=False keeps BatchNormalization
    nodes (TorchScript exporter: no constant folding, eval mode preserved)."""
    import torch

    # batch 2 in the example: torch.export specializes dims of size 1
    x = example if example is not None else torch.zeros((2,) + tuple(shape[1:]) if dynamo else shape)
    if dynamo:
        batch = torch.export.Dim("batch", min=1, max=4096)
        prog = torch.onnx.export(net, (x,), dynamo=True, input_names=["input"], output_names=["output"],
                                 dynamic_shapes={_first_arg(net): {0: batch}}, verbose=False)
        prog.save(str(path))
    else:
        torch.onnx.export(net, (x,), str(path), dynamo=False, opset_version=17, input_names=["input"],
                          output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                          do_constant_folding=fold, training=torch.onnx.TrainingMode.EVAL if fold
                          else torch.onnx.TrainingMode.PRESERVE)


def _first_arg(net) -> str:
    import inspect

    return next(iter(inspect.signature(net.forward).parameters))
