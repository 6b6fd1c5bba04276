"""Atomic training checkpoints (temp file + rename): a kill never leaves a half-written file."""

from __future__ import annotations

import os
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any

import torch

from ..errors import CorruptFileError, MissingFileError


def atomic_torch_save(obj: Any, path: str | Path) -> None:
    """Writes ``obj`` with ``torch.save`` to a temp file in the same folder, fsyncs, renames."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
