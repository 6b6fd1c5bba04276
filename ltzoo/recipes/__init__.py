"""The training recipes (one YAML file per method x dataset), shipped with the package so that
``ltzoo train NAME`` works after ``pip install``; ``python -m train NAME`` in a checkout reads the
same files."""

from __future__ import annotations

from pathlib import Path

from ..errors import UnknownNameError

RECIPES_DIR = Path(__file__).resolve().parent


def list_recipes() -> list[str]:
    """The recipe names (file stems), sorted.

    Example:
        >>> "gcl-resnet32-cifar10lt" in list_recipes()
        True
    """
    return sorted(p.stem for p in RECIPES_DIR.glob("*.yaml"))


def recipe_path(name: str | Path) -> Path:
    """The YAML file of the recipe ``name``, or ``name`` itself when it is a YAML path."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(f"recipe file {path} does not exist")
        return path
    candidate = RECIPES_DIR / f"{name}.yaml"
    if not candidate.is_file():
        raise UnknownNameError("recipe", str(name), list_recipes())
    return candidate
