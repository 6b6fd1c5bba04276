"""ltzoo: long-tailed image classification methods, recipes and a model zoo on timm.

Importing ``ltzoo`` is light (no torch); submodules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _timm_hook

__version__ = "0.1.0"

_LAZY = {
    "losses": "ltzoo.losses",
    "models": "ltzoo.models",
    "data": "ltzoo.data",
    "metrics": "ltzoo.metrics",
    "class_weights": "ltzoo.class_weights",
    "calibration": "ltzoo.calibration",
    "create_loss": "ltzoo.losses",
    "list_losses": "ltzoo.losses",
    "create_model": "ltzoo.models",
    "load": "ltzoo.loader",
    "evaluate": "ltzoo.evaluation",
    "list_models": "ltzoo.zoo",
    "save_pretrained": "ltzoo.hub",
    "push": "ltzoo.hub",
}


_timm_hook.install()  # ltzoo's architectures become known to timm when timm is imported


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ltzoo' has no attribute {name!r}")
    mod = importlib.import_module(module)
    return mod if module.endswith(name) else getattr(mod, name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
