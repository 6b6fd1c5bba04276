"""Shared fixtures: where the real data lives (``LTZOO_DATA`` or ../shared/data) and skips."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    candidate = Path(os.environ.get("LTZOO_DATA", REPO.parent / "shared" / "data"))
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("real data not found (set LTZOO_DATA or provide ../shared/data)")
    return path


@pytest.fixture(scope="session")
def cifar_root(data_dir: Path) -> Path:
    if not (data_dir / "cifar-10-batches-py").is_dir():
        pytest.skip("CIFAR-10 batches not in the data folder")
    return data_dir


@pytest.fixture(scope="session")
def cifar100_root() -> Path:
    """The folder holding ``cifar-100-python``: ``$LTZOO_CIFAR100`` or the shared data folder.
    CI has neither (CIFAR-100 is rebuilt with ../shared/tools/cifar100), so these tests skip there."""
    candidates = [Path(os.environ["LTZOO_CIFAR100"])] if os.environ.get("LTZOO_CIFAR100") else []
    candidates += [path for path in [shared_data_dir()] if path is not None]
    for candidate in candidates:
        if (candidate / "cifar-100-python").is_dir():
            return candidate
    pytest.skip("CIFAR-100 not found (set LTZOO_CIFAR100 to the folder holding cifar-100-python)")


@pytest.fixture(scope="session")
def tiny_imagenet_root() -> Path:
    """The folder holding ``tiny-imagenet-200``: ``$LTZOO_TINY_IMAGENET`` or the shared data folder.
    CI has neither (../shared/tools/tiny-imagenet rebuilds it), so these tests skip there."""
    candidates = [Path(os.environ["LTZOO_TINY_IMAGENET"])] if os.environ.get("LTZOO_TINY_IMAGENET") else []
    candidates += [path for path in [shared_data_dir()] if path is not None]
    for candidate in candidates:
        if (candidate / "tiny-imagenet-200" / "wnids.txt").is_file():
            return candidate
    pytest.skip("Tiny-ImageNet-200 not found (set LTZOO_TINY_IMAGENET to the folder holding tiny-imagenet-200)")
