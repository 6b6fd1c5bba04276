"""Files from the Hugging Face Hub and their checksums, without torch: the part of the checkpoint
I/O that the onnxruntime serving path (``ltzoo.load(..., backend="onnx")``) needs."""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path

from .errors import ChecksumMismatchError, HubError, MissingFileError

# the files of a checkpoint folder (timm's Hub layout + the ONNX twin): the torch side
# (ltzoo.hub), the onnxruntime side (ltzoo.runtime) and the zoo's pins name them from here
CONFIG_NAME, WEIGHTS_NAME, ONNX_NAME = "config.json", "model.safetensors", "model.onnx"


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: str | Path, sha256: str, pinned_by: str = "the registry") -> None:
    """Raises ChecksumMismatchError unless the file at ``path`` has the hex digest ``sha256``."""
    actual = sha256_of(path)
    if actual != sha256.lower():
        raise ChecksumMismatchError(
            f"{path} has sha256 {actual}, {pinned_by} pins {sha256}: the file is corrupt or was replaced; delete it "
            "(from the Hugging Face cache, for a download) and load again"
        )


def verify_pinned_files(folder: str | Path, pins: dict[str, str]) -> None:
    """Checks every file ``pins`` names (file name -> sha256) in ``folder``: a pinned file that is
    missing raises MissingFileError, a changed one ChecksumMismatchError."""
    folder = Path(folder)
    for name, sha256 in pins.items():
        if not (folder / name).is_file():
            raise MissingFileError(f"{folder} lacks {name}, which the zoo pins (sha256 {sha256})")
        verify_sha256(folder / name, sha256, "the zoo")


def hub_failures() -> tuple[type[BaseException], ...]:
    """What huggingface_hub lets through when the Hub cannot be reached or refuses a request:
    its HTTP errors, OS-level network errors and its HTTP client's transport errors (httpx or
    requests, depending on its version)."""
    from huggingface_hub.errors import HfHubHTTPError

    kinds: list[type[BaseException]] = [HfHubHTTPError, OSError]
    for module, name in (("httpx", "TransportError"), ("httpx2", "TransportError"), ("requests", "RequestException")):
        try:
            kinds.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(kinds)


def snapshot(repo_id: str, revision: str | None = None, cache_dir: str | Path | None = None) -> Path:
    """Downloads (or finds in the HF cache) a Hub repository with ``huggingface_hub``; honours
    ``HF_ENDPOINT``, ``HF_HOME`` and ``HF_HUB_OFFLINE``. A repository neither cached nor
    reachable raises MissingFileError naming it; a refused request HubError."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    where = f"{repo_id}" + (f"@{revision}" if revision else "")
    try:
        return Path(snapshot_download(repo_id=repo_id, revision=revision, cache_dir=cache_dir))
    except LocalEntryNotFoundError as exc:
        raise MissingFileError(
            f"{where} is not in the Hugging Face cache and the Hub cannot be reached (offline, or HF_HUB_OFFLINE=1): "
            "connect, point HF_ENDPOINT at a mirror, or copy the checkpoint folder here and load it by path"
        ) from exc
    except (RepositoryNotFoundError, RevisionNotFoundError) as exc:
        raise MissingFileError(f"{where}: {type(exc).__name__} on the Hub ({str(exc).splitlines()[0]})") from exc
    except hub_failures() as exc:
        raise HubError(f"downloading {where} failed: {type(exc).__name__}: {exc}") from exc
