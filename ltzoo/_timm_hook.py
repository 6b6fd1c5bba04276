"""Makes ltzoo's architectures and heads known to timm as soon as timm is imported, without
importing torch at ``import ltzoo``.

timm has no plugin entry points: models exist once the module defining them ran. ``import ltzoo``
therefore registers them at once if timm is already imported, and otherwise puts a finder on
``sys.meta_path`` that lets the first ``import timm`` (by the user, ``timm.create_model``'s callers,
transformers' TimmWrapper) run as usual and then imports ``ltzoo.models``, which registers the
CIFAR ResNets and heads. So ``timm.create_model("resnet32_cifar")`` and
``timm.create_model("local-dir:FOLDER")`` on an ltzoo folder work after ``import ltzoo`` in any
order of imports.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

MODELS_MODULE = "ltzoo.models"


class _ThenRegister(importlib.abc.Loader):
    """timm's own loader, followed by the import of ltzoo's models."""

    def __init__(self, loader: importlib.abc.Loader):
        self.loader = loader

    def create_module(self, spec: Any) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        uninstall()
        importlib.import_module(MODELS_MODULE)


class _RegisterWithTimm(importlib.abc.MetaPathFinder):
    """Finds timm with the other finders and wraps its loader. It steps aside once timm is
    imported, not when timm is merely looked up: availability checks such as transformers'
    ``importlib.util.find_spec("timm")`` come before the import that counts."""

    def __init__(self) -> None:
        self._searching = False

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "timm" or self._searching:
            return None
        self._searching = True  # the other finders, not this one, locate timm
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self._searching = False
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenRegister(spec.loader)
        return spec


_FINDER = _RegisterWithTimm()


def install() -> None:
    """Registers ltzoo's models with timm now (timm already imported) or when timm is imported."""
    if "timm" in sys.modules:
        importlib.import_module(MODELS_MODULE)
    elif _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
