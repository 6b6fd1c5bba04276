"""The optional dependencies, asked for by name: serving an ONNX model needs numpy, Pillow,
onnxruntime and huggingface_hub (``pip install ltzoo``); training, export and the torch backend
also need the ``torch`` extra (``pip install "ltzoo[torch]"``)."""

from __future__ import annotations

import importlib.util

from .errors import MissingDependencyError

# import names of the torch extra's packages (pyproject.toml's [project.optional-dependencies] torch)
TORCH_EXTRA = ("torch", "torchvision", "timm", "safetensors", "onnx", "yaml")


def require_torch(purpose: str, alternative: str = "") -> None:
    """Raises :class:`MissingDependencyError` naming what ``purpose`` needs and how to install it
    when a package of the torch extra is missing; ``alternative``: what works without it."""
    missing = [name for name in TORCH_EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingDependencyError(
            f"{purpose} needs the torch extra ({', '.join(missing)} missing here): pip install \"ltzoo[torch]\""
            + (f"; {alternative}" if alternative else "")
        )
