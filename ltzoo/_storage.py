"""Failed writes for want of space, named: the one check behind every file ltzoo writes
(training checkpoints, checkpoint folders)."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from .errors import StorageFullError

# torch's zip writer reports a failed write (a full disk among others) as a RuntimeError
_TORCH_WRITE_FAILED = "PytorchStreamWriter failed writing"


def raise_if_full(exc: BaseException, path: Path) -> None:
    """Raises StorageFullError (naming ``path`` and the free space, from ``exc``) when ``exc`` is a
    write that failed for want of space: ENOSPC, EDQUOT, or torch's writer failing on a nearly
    full disk; returns otherwise, for the caller to re-raise ``exc``."""
    full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(exc, RuntimeError) and _TORCH_WRITE_FAILED in str(exc):
        full = shutil.disk_usage(path.parent).free < (1 << 20)
    if full:
        free = shutil.disk_usage(path.parent).free
        kept = f"the previous {path.name} is kept" if path.exists() else f"no {path.name} was written"
        raise StorageFullError(
            f"writing {path} failed: no space left on its disk ({free / 2**20:.1f} MiB free in {path.parent}); "
            f"{kept}. Free some space (or pick another --output-dir) and run again (--resume continues a run)"
        ) from exc
