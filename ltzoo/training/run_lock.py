"""One training process per run folder.

Two processes training into one folder would interleave their ``metrics.jsonl`` lines and
overwrite each other's checkpoints (a second ``python -m train ... --resume`` started by mistake
beside a live run does exactly that). The trainer therefore holds an exclusive advisory lock
(``flock``) on ``OUTPUT_DIR/.lock`` for as long as it runs. The operating system drops the lock
when the process ends, however it ends (SIGKILL included), so a killed run never leaves a stale
lock behind and ``--resume`` works right after it.
"""

from __future__ import annotations

import errno
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import RunFolderInUseError

LOCK_NAME = ".lock"
_NO_LOCKING = {errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock: runs there are not guarded
    fcntl = None  # type: ignore[assignment]


@contextmanager
def run_folder_lock(folder: str | Path, enabled: bool = True) -> Iterator[None]:
    """Holds the run folder's lock for the duration of the ``with`` block.

    Args:
        folder: the run folder (created if missing).
        enabled: False skips the lock (the non-main processes of a DDP run share the main one's).

    Raises:
        RunFolderInUseError: another live process holds the folder; the message gives its pid.

    Warns:
        RuntimeWarning: the folder's file system has no ``flock`` (some NFS / Lustre mounts); the run
            goes on unguarded.

    Example:
        >>> with run_folder_lock("runs/gcl-resnet32-cifar10lt"):
        ...     pass  # train
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not enabled or fcntl is None:
        yield
        return
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise RunFolderInUseError(
                f"{folder} is in use by another training process (pid {holder}); wait for it to end or stop it, "
                "then --resume, or pick another --output-dir"
            ) from None
        except OSError as exc:
            if exc.errno not in _NO_LOCKING:
                raise
            # a file system without flock (some NFS / Lustre mounts): train, unguarded, rather than fail
            warnings.warn(f"{folder} cannot be locked ({exc.strerror}): nothing stops a second process from "
                          "training into it", RuntimeWarning, stacklevel=3)
        else:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
