"""Kernel backends of the exact profile: numpy (CPU) and torch (CPU, or CUDA when present).

Both run the same integer semantics; each op file has one kernel per backend. A backend also keeps
per-program caches of constants already moved to its device, so weights cross once, not per step.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache

import numpy as np

from .errors import BackendUnavailableError


class Backend:
    name: str
    device: str

    def constant(self, program, slot: int, value: np.ndarray):
        """The backend's form of a constant slot's value (cached per program and slot)."""
        raise NotImplementedError

    def to_numpy(self, value) -> np.ndarray:
        raise NotImplementedError

    def asarray(self, value):
        """value in this backend's array type (numpy arrays are moved, others pass through)."""
        raise NotImplementedError


class NumpyBackend(Backend):
    name, device = "numpy", "cpu"

    def constant(self, program, slot, value):
        return value

    def to_numpy(self, value):
        return np.asarray(value)

    def asarray(self, value):
        return self.to_numpy(value)


class TorchBackend(Backend):
    name = "torch"

    def __init__(self, device: str = "cpu"):
        try:
            import torch
        except ImportError:
            raise BackendUnavailableError("the torch backend needs torch (pip install 'tribunal-ml[models]')") from None
        if device == "cuda" and not torch.cuda.is_available():
            raise BackendUnavailableError("device 'cuda' was asked for but torch sees no CUDA device")
        if device not in ("cpu", "cuda"):
            raise BackendUnavailableError(f"unknown device '{device}' (cpu or cuda)")
        self.torch, self.device = torch, device

    def constant(self, program, slot, value):
        key = (self.device, slot)
        cache = program._prepared
        if key not in cache:
            import warnings

            with warnings.catch_warnings():  # a memory-mapped constant (runtime.program_cache) is read-only,
                warnings.simplefilter("ignore", UserWarning)  # and no kernel writes into a constant
                cache[key] = self.torch.from_numpy(_contiguous(value)).to(self.device)
        return cache[key]

    def to_numpy(self, value):
        if isinstance(value, np.ndarray):
            return value
        return value.detach().cpu().numpy()

    def asarray(self, value):
        if isinstance(value, np.ndarray):
            return self.torch.from_numpy(_contiguous(value)).to(self.device)
        return value


def _contiguous(value: np.ndarray) -> np.ndarray:
    """A C-contiguous copy or view; a 0-d array stays 0-d (np.ascontiguousarray makes it 1-d)."""
    return np.ascontiguousarray(value) if value.ndim else np.array(value)


@lru_cache(maxsize=None)
def get_backend(name: str = "numpy", device: str = "cpu") -> Backend:
    """A backend by name: 'numpy' (CPU only) or 'torch' on 'cpu' or 'cuda'."""
    if name == "numpy":
        if device != "cpu":
            raise BackendUnavailableError(f"the numpy backend runs on the CPU only, not '{device}'")
        return NumpyBackend()
    if name == "torch":
        return TorchBackend(device)
    raise BackendUnavailableError(f"unknown backend '{name}' (numpy or torch)")


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


@lru_cache(maxsize=1)
def _blas_libs() -> tuple:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return ()
    return tuple(ThreadpoolController().select(user_api="blas").lib_controllers)


@contextmanager
def one_blas_thread():
    """Run the enclosed numpy GEMMs on one BLAS thread (`Program.states` holds it for a whole run).

    The exact profile's GEMMs are small; OpenBLAS splits them over its threads anyway, and on a
    busy 2-core machine a split GEMM waits for a descheduled thread: a 16x72 by 72x1024 product
    took 12 ms on two threads and 0.36 ms on one. Results are exact either way. The limit is global
    to the process while it lasts (about a microsecond to set and to restore).
    """
    libs = [(lib, lib.num_threads) for lib in _blas_libs() if lib.num_threads > 1]
    for lib, _ in libs:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in libs:
            lib.set_num_threads(n)
