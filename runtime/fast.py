"""The fast profile: onnxruntime, with the CUDA execution provider when it is available."""
from __future__ import annotations

import onnxruntime as ort


def providers(device: str = "auto") -> list[str]:
    """Execution providers for a device: 'auto' takes CUDA when this onnxruntime has it."""
    have = ort.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device == "cuda":
        from .errors import BackendUnavailableError

        if "CUDAExecutionProvider" not in have:
            raise BackendUnavailableError("device 'cuda' was asked for but onnxruntime has no CUDA provider "
                                          "(install tribunal-ml[gpu] on a machine with CUDA)")
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return (["CUDAExecutionProvider"] if "CUDAExecutionProvider" in have else []) + ["CPUExecutionProvider"]


def session(model_bytes: bytes | str, device: str = "auto", threads: int = 0) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
    return ort.InferenceSession(model_bytes, opts, providers=providers(device))
