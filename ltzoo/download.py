"""Files from the Hugging Face Hub and their checksums, without torch: the part of the checkpoint
I/O that the onnxruntime serving path (``ltzoo.load(..., backend="onnx")``) needs."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def snapshot(repo_id: str, revision: str | None = None, cache_dir: str | Path | None = None) -> Path:
    """Downloads (or finds in the HF cache) a Hub repository with ``huggingface_hub``; honours
    ``HF_ENDPOINT``, ``HF_HOME`` and ``HF_HUB_OFFLINE``."""
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id=repo_id, revision=revision, cache_dir=cache_dir))
