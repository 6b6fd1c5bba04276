"""The git commit a run records: the checkout's own, never an enclosing repository's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ltzoo.training import provenance

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    (tmp_path / "tracked.txt").write_text("a")
    _git(tmp_path, "add", "tracked.txt")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    return tmp_path


def test_commit_and_dirty_flag_of_the_checkout(repo: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(provenance, "CHECKOUT", repo.resolve())
    assert provenance.git_provenance() == {"git_commit": _git(repo, "rev-parse", "HEAD"), "git_dirty": False}
    (repo / "untracked.txt").write_text("ignored")
    assert provenance.git_provenance()["git_dirty"] is False
    (repo / "tracked.txt").write_text("changed")
    assert provenance.git_provenance()["git_dirty"] is True


def test_a_package_inside_another_repository_records_nothing(repo: Path, monkeypatch: pytest.MonkeyPatch):
    (repo / "site-packages").mkdir()
    monkeypatch.setattr(provenance, "CHECKOUT", (repo / "site-packages").resolve())
    assert provenance.git_provenance() == {}


def test_outside_any_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(provenance, "CHECKOUT", tmp_path.resolve())
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert provenance.git_provenance() == {}
