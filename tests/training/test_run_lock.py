"""The run folder's lock: one training process per folder, never a stale lock after a kill."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ltzoo.errors import RunFolderInUseError
from ltzoo.training.run_lock import LOCK_NAME, run_folder_lock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX only")


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path):
    folder = tmp_path / "run"
    with run_folder_lock(folder):
        assert (folder / LOCK_NAME).read_text().strip() == str(os.getpid())
        with pytest.raises(RunFolderInUseError, match=rf"{folder} is in use .*pid {os.getpid()}\).*--resume"):
            with run_folder_lock(folder):
                pass
        with run_folder_lock(folder, enabled=False):  # a DDP run's other processes share the folder
            pass
    with run_folder_lock(folder):  # released on exit
        pass


def test_the_lock_is_released_when_the_block_raises(tmp_path: Path):
    with pytest.raises(KeyError):
        with run_folder_lock(tmp_path):
            raise KeyError("boom")
    with run_folder_lock(tmp_path):
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path):
    holder = textwrap.dedent(f"""
        import sys, time
        from ltzoo.training.run_lock import run_folder_lock
        with run_folder_lock({str(tmp_path)!r}):
            print("locked", flush=True)
            time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(RunFolderInUseError, match=f"pid {proc.pid}"):
            with run_folder_lock(tmp_path):
                pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    with run_folder_lock(tmp_path):  # the kernel dropped the killed process's lock
        pass


@pytest.mark.parametrize("error, expectation", [
    # a file system without flock (some NFS / Lustre mounts): the run goes on, unguarded, and says so
    (errno.ENOLCK, pytest.warns(RuntimeWarning, match=r"cannot be locked \(No locks available\)")),
    (errno.EBADF, pytest.raises(OSError, match="No locks available")),  # any other failure is not hidden
])
def test_lock_failures_of_the_file_system(tmp_path: Path, monkeypatch, error: int, expectation):
    from ltzoo.training import run_lock

    def failing_flock(fd, operation):
        raise OSError(error, "No locks available")

    monkeypatch.setattr(run_lock.fcntl, "flock", failing_flock)
    with expectation:
        with run_folder_lock(tmp_path):
            pass
