"""Typed errors raised by ltzoo.

Every error derives from :class:`LtzooError` and from the builtin exception a caller would
expect (``ValueError``, ``KeyError``, ``FileNotFoundError``), so ``except ValueError`` keeps
working. Messages name the argument, the bad value, what was expected and, where there is one,
the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "LtzooError",
    "InvalidArgumentError",
    "NonFiniteError",
    "UnknownNameError",
    "DuplicateNameError",
    "MissingFileError",
    "CorruptFileError",
    "ChecksumMismatchError",
    "UnsafeCheckpointError",
    "NotPublishedError",
    "TrainingDivergedError",
    "RunFolderInUseError",
    "RunExistsError",
    "HubError",
    "StorageFullError",
]


class LtzooError(Exception):
    """Base class of every error ltzoo raises on purpose."""


class InvalidArgumentError(LtzooError, ValueError):
    """An argument has the wrong shape, type, range or content."""


class NonFiniteError(InvalidArgumentError):
    """A tensor argument holds NaN or infinite values."""


def did_you_mean(name: str, known: Iterable[str], quote: bool = False) -> str:
    """`` Did you mean a, b?`` for the names of ``known`` close to ``name`` (empty when none)."""
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
    names = [repr(c) if quote else c for c in close]
    return f" Did you mean {', '.join(names)}?" if close else ""


class UnknownNameError(LtzooError, KeyError):
    """A registry lookup (loss, model, sampler, recipe, ...) found no such name."""

    def __init__(self, kind: str, name: str, known: Iterable[str], option: str | None = None):
        known = sorted(known)
        hint = did_you_mean(str(name), known, quote=True)
        listing = ", ".join(known) if len(known) <= 30 else ", ".join(known[:30]) + ", ..."
        where = f"option {option}: " if option else ""
        kinds = f"{kind}es" if kind.endswith("s") else f"{kind}s"
        self.message = f"{where}unknown {kind} {name!r}.{hint} Known {kinds}: {listing}."
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message


class DuplicateNameError(LtzooError, ValueError):
    """A name is registered twice in one registry."""


class MissingFileError(LtzooError, FileNotFoundError):
    """A file the operation needs does not exist."""


class CorruptFileError(LtzooError, ValueError):
    """A file exists but cannot be read (truncated image, malformed list line, ...)."""


class ChecksumMismatchError(LtzooError, ValueError):
    """A downloaded or cached file does not have the sha256 the registry pins."""


class UnsafeCheckpointError(LtzooError, ValueError):
    """A checkpoint is only available in a format that would need unpickling."""


class NotPublishedError(LtzooError, FileNotFoundError):
    """A zoo entry is registered but its weights are not published yet."""


class TrainingDivergedError(LtzooError, RuntimeError):
    """The training loss became NaN or infinite."""


class RunFolderInUseError(LtzooError, RuntimeError):
    """Another process is training in the same run folder."""


class RunExistsError(LtzooError, FileExistsError):
    """A new run was asked for in a folder that holds a run (resume it, or overwrite it explicitly)."""


class MissingDependencyError(LtzooError, ImportError):
    """An optional part of ltzoo is used without the packages it needs (training and the torch
    backend: torch, torchvision and timm, the ``ltzoo[torch]`` extra)."""


class HubError(LtzooError, ConnectionError):
    """The Hugging Face Hub could not be reached, or refused a request (publishing, a lookup)."""


class StorageFullError(LtzooError, OSError):
    """A file could not be written: the disk (or the user's quota) is full. The previous version
    of the file is kept."""
