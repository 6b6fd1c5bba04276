"""Atomic training checkpoints (temp file + rename): a kill never leaves a half-written file."""

from __future__ import annotations

import os
import pickle
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import torch
from safetensors.torch import save as safetensors_bytes

from .._storage import raise_if_full
from ..errors import CorruptFileError, MissingFileError


def atomic_write(path: str | Path, write: Callable[[BinaryIO], Any]) -> None:
    """Writes ``path`` through ``write(file)`` into a temp file in the same folder, fsyncs it and
    renames it over ``path``: a kill or a failing ``write`` leaves the previous file (or none),
    never half of one, and no temp file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise_if_full(exc, path)
        raise
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise_if_full(exc, path)
        raise


def atomic_torch_save(obj: Any, path: str | Path) -> None:
    """``torch.save(obj)`` to ``path``, atomically (:func:`atomic_write`)."""
    atomic_write(path, lambda f: torch.save(obj, f))


def atomic_save_safetensors(tensors: dict[str, torch.Tensor], path: str | Path) -> None:
    """A state dict as safetensors at ``path``, atomically (:func:`atomic_write`); channels_last
    or otherwise strided tensors are stored contiguous, as safetensors requires."""
    data = safetensors_bytes({k: v.detach().contiguous() for k, v in tensors.items()})
    atomic_write(path, lambda f: f.write(data))


def load_training_state(path: str | Path) -> dict[str, Any]:
    """Loads a training checkpoint written by ltzoo (tensors and plain data only: no unpickling
    of arbitrary objects, ``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"no training checkpoint at {path}: nothing to resume (drop --resume to start anew)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        what = f"an object of class {found.group(1)}" if found else "objects other than tensors and plain data"
        raise CorruptFileError(
            f"training checkpoint {path} holds {what}, which ltzoo does not unpickle (its checkpoints hold "
            "tensors and plain data only): it was not written by ltzoo; delete it to start anew"
        ) from exc
    except Exception as exc:
        raise CorruptFileError(f"training checkpoint {path} cannot be read ({exc}); delete it to start anew") from exc
