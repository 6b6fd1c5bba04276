"""Which code produced a run: the git commit of the checkout ltzoo runs from (``python -m train``
runs from one), recorded in the checkpoint's config.json and report beside the package version."""

from __future__ import annotations

import subprocess
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(CHECKOUT), *args], capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.strip()


def git_provenance() -> dict[str, object]:
    """``{"git_commit": sha, "git_dirty": bool}`` when ltzoo is imported from the top of a git
    checkout (tracked files changed since the commit make it dirty); ``{}`` otherwise (an
    installed package, or no git), rather than the commit of an unrelated enclosing repository."""
    try:
        if Path(_git("rev-parse", "--show-toplevel")).resolve() != CHECKOUT:
            return {}
        return {"git_commit": _git("rev-parse", "HEAD"),
                "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return {}
