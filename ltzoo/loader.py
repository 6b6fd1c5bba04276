"""``ltzoo.load``: a zoo name, a local checkpoint folder or ``hf-hub:org/repo[@rev]`` to a
predictor (torch or onnxruntime)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import InvalidArgumentError, UnknownNameError
from .zoo import _ZOO, get_entry, require_weights

HF_PREFIX = "hf-hub:"


def resolve_checkpoint(
    name_or_path: str | Path, revision: str | None = None, cache_dir: str | Path | None = None
) -> tuple[Path, str | None]:
    """The local checkpoint folder for ``name_or_path`` and the sha256 its weights must have
    (None when nothing is pinned). Hub access goes through huggingface_hub only."""
    from .download import snapshot

    text = str(name_or_path)
    if text.startswith(HF_PREFIX):
        repo, _, rev = text[len(HF_PREFIX):].partition("@")
        if not repo or repo.count("/") != 1:
            raise InvalidArgumentError(f"expected 'hf-hub:org/repo[@revision]', got {text!r}")
        return snapshot(repo, revision or rev or None, cache_dir), None
    path = Path(text).expanduser()
    if path.is_dir():
        return path, None
    if text in _ZOO:
        entry = get_entry(text)
        require_weights(entry)
        if entry.is_embedded and revision is None:
            return entry.embedded_path, entry.sha256
        return snapshot(entry.repo_id, revision or entry.revision, cache_dir), entry.sha256 if revision is None else None
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
        revision: Hub revision (branch, tag or commit) overriding the zoo's pinned one.
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
    folder, sha256 = resolve_checkpoint(name_or_path, revision, cache_dir)
    if backend == "onnx":
        from .runtime import OnnxPredictor

        return OnnxPredictor(folder, target_prior=target_prior)
    if backend != "torch":
        raise InvalidArgumentError(f"backend must be 'torch' or 'onnx', got {backend!r}")
    from ._dependencies import require_torch

    require_torch("backend='torch'", "or serve the model's ONNX export without torch: backend='onnx'")
    from .hub import load_model
    from .predict import Predictor

    model, config = load_model(folder, sha256)
    return Predictor(model, config, device=device, dtype=dtype, target_prior=target_prior)
