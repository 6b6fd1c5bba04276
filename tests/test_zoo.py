"""Zoo entries are data: every entry is well-formed and agrees with train/recipes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltzoo.zoo import get_entry, list_models

RECIPES = Path(__file__).resolve().parents[1] / "train" / "recipes"


@pytest.mark.parametrize("row", list_models(), ids=lambda r: r["name"])
def test_entry_schema_and_recipe(row):
    entry = get_entry(row["name"])
    assert entry.repo_id == f"ltzoo/{entry.name}" and entry.recipe == entry.name
    assert entry.architecture and entry.dataset and entry.method
    recipe = RECIPES / f"{entry.recipe}.yaml"
    assert recipe.is_file() == entry.recipe_ready, "flip recipe_ready when the recipe lands"
    if entry.is_published:
        assert len(entry.revision) == 40 and entry.sha256 and len(entry.sha256) == 64


def test_every_zoo_recipe_is_listed():
    names = {r["name"] for r in list_models()}
    recipes = {p.stem for p in RECIPES.glob("*.yaml") if not p.stem.startswith("smoke")}
    assert recipes <= names
