"""``ltzoo.load``: a zoo name, a local checkpoint folder or ``hf-hub:org/repo[@rev]`` to a
predictor (torch or onnxruntime)."""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from .download import ONNX_NAME, WEIGHTS_NAME, verify_pinned_files
from .errors import InvalidArgumentError, UnknownNameError
from .zoo import _ZOO, get_entry, require_weights

HF_PREFIX = "hf-hub:"


def resolve_checkpoint(
    name_or_path: str | Path, revision: str | None = None, cache_dir: str | Path | None = None
) -> Path:
    """The local checkpoint folder for ``name_or_path``, a zoo entry's pinned files verified
    (sha256 of its weights, config.json and model.onnx; nothing is pinned for a folder, a Hub
    repo, or a zoo entry at a ``revision`` other than its pinned one, which warns). Hub access
    goes through huggingface_hub only."""
    from .download import snapshot

    text = str(name_or_path)
    if text.startswith(HF_PREFIX):
        repo, _, rev = text[len(HF_PREFIX):].partition("@")
        if not repo or repo.count("/") != 1:
            raise InvalidArgumentError(f"expected 'hf-hub:org/repo[@revision]', got {text!r}")
        return snapshot(repo, revision or rev or None, cache_dir)
    path = Path(text).expanduser()
    if path.is_dir():
        return path
    if text in _ZOO:
        entry = get_entry(text)
        require_weights(entry)
        if revision is None or revision == entry.revision:
            folder = entry.embedded_path if entry.is_embedded and revision is None else \
                snapshot(entry.repo_id, entry.revision, cache_dir)
            verify_pinned_files(folder, entry.pins)
            return folder
        warnings.warn(f"{text} at revision {revision!r}, not the zoo's pinned {entry.revision!r}: its files are not "
                      "verified against the zoo's sha256 pins", UserWarning, stacklevel=3)
        return snapshot(entry.repo_id, revision, cache_dir)
    if path.suffix or "/" in text:
        raise FileNotFoundError(f"no checkpoint folder at {path} (and {text!r} is not a zoo name)")
    raise UnknownNameError("zoo model", text, _ZOO)


def load(
    name_or_path: str | Path,
    *,
    device: Any = None,
    revision: str | None = None,
    backend: str = "torch",
    dtype: Any = None,
    cache_dir: str | Path | None = None,
    target_prior: Any = "balanced",
) -> Any:
    """Loads a model as a predictor with calibrated probabilities.

    Args:
        name_or_path: a zoo name (see ``ltzoo.list_models()``), a checkpoint folder, or
            ``"hf-hub:org/repo[@revision]"``.
        device: torch device (default: CUDA when available, else CPU).
        revision: Hub revision (branch, tag or commit) overriding the zoo's pinned one (its files
            are then not verified against the zoo's sha256 pins, and a warning says so).
        backend: ``"torch"`` (:class:`~ltzoo.predict.Predictor`) or ``"onnx"``
            (:class:`~ltzoo.runtime.OnnxPredictor`, needs ``model.onnx`` in the folder).
        dtype: e.g. ``torch.float16`` for half precision on GPU (torch backend).
        cache_dir: the Hugging Face cache to use (default: huggingface_hub's).
        target_prior: default test-time prior: ``"balanced"``, ``"train"`` or C numbers.

    Example:
        >>> predictor = ltzoo.load("gcl-resnet32-cifar10lt")  # doctest: +SKIP
        >>> predictor.predict("cat.png")[0][0]["label"]  # doctest: +SKIP
        'cat'
    """
    folder = resolve_checkpoint(name_or_path, revision, cache_dir)
    if backend == "onnx":
        from .runtime import OnnxPredictor

        return OnnxPredictor(_onnx_model(folder, str(name_or_path)), target_prior=target_prior)
    if backend != "torch":
        raise InvalidArgumentError(f"backend must be 'torch' or 'onnx', got {backend!r}")
    from ._dependencies import require_torch

    require_torch("backend='torch'", "or serve the model's ONNX export without torch: backend='onnx'")
    from .hub import load_model
    from .predict import Predictor

    model, config = load_model(folder)  # a zoo entry's pinned files verified by resolve_checkpoint
    return Predictor(model, config, device=device, dtype=dtype, target_prior=target_prior)


def onnx_cache_dir() -> Path:
    """Where ONNX exports made on demand live: ``$LTZOO_CACHE`` or ``~/.cache/ltzoo`` (XDG)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ltzoo"
    return Path(os.environ.get("LTZOO_CACHE", default)).expanduser() / "onnx"


def _onnx_model(folder: Path, name: str) -> Path:
    """The ``model.onnx`` to serve: the folder's own, or, for a zoo entry that ships none (only
    the default models carry an ONNX twin, to keep the package small), one exported from its
    weights on first use and cached under :func:`onnx_cache_dir`, keyed by the weights' sha256."""
    if (folder / ONNX_NAME).is_file() or name not in _ZOO:
        return folder / ONNX_NAME  # a folder of the user's: OnnxPredictor says how to export it if absent
    from .download import sha256_of

    cached = onnx_cache_dir() / f"{name}-{sha256_of(folder / WEIGHTS_NAME)[:16]}" / ONNX_NAME
    if not cached.is_file():
        from ._dependencies import require_torch

        require_torch(f"exporting {name} to ONNX once (it ships without its ONNX twin)",
                      "or load it with backend='torch'")
        from .export import export_onnx
        from .hub import load_model

        model, config = load_model(folder)
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".staging-", dir=cached.parent) as staging:  # whole or nothing
            export_onnx(model, config, Path(staging) / ONNX_NAME, log=lambda _: None)
            os.replace(Path(staging) / ONNX_NAME, cached)
    return cached
