"""python -m train RECIPE [key=value ...] [--data-dir DIR] [--output-dir DIR] [--resume | --overwrite]

Trains one recipe of ``train/recipes`` (a name such as ``gcl-resnet32-cifar10lt`` or a path to a
YAML file). The engine lives in :mod:`ltzoo.training`; this file only parses arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ltzoo.cli import exit_status
from ltzoo.errors import UnknownNameError
from ltzoo.training import Trainer, load_recipe_file, resolve_config

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"


def list_recipes() -> list[str]:
    return sorted(p.stem for p in RECIPES_DIR.glob("*.yaml"))


def recipe_path(name: str) -> Path:
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(f"recipe file {path} does not exist")
        return path
    candidate = RECIPES_DIR / f"{name}.yaml"
    if not candidate.is_file():
        raise UnknownNameError("recipe", name, list_recipes())
    return candidate


def train(args: argparse.Namespace) -> int:
    """Resolves the recipe with its overrides and trains it into the run folder."""
    path = recipe_path(args.recipe)
    overrides = list(args.overrides) + ([f"data_dir={args.data_dir}"] if args.data_dir else [])
    config = resolve_config(load_recipe_file(str(path)), overrides)
    config["name"] = config["name"] or path.stem
    output_dir = Path(args.output_dir or Path("runs") / path.stem)
    Trainer(config, output_dir, resume=args.resume, overwrite=args.overwrite).fit()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train", description=__doc__.split("\n\n")[1])
    parser.add_argument("recipe", nargs="?", help="recipe name or YAML path")
    parser.add_argument("overrides", nargs="*", help="key=value overrides (epochs=10, stages.1.lr=0.01)")
    parser.add_argument("--list", action="store_true", help="list the recipes and exit")
    parser.add_argument("--data-dir", help="dataset root (default: the recipe's data_dir)")
    parser.add_argument("--output-dir", help="run folder (default: runs/<recipe>)")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--resume", action="store_true", help="continue the run in --output-dir")
    start.add_argument("--overwrite", action="store_true",
                       help="start again in an --output-dir that holds a run (its files are deleted first)")
    args = parser.parse_intermixed_args(argv)
    if args.list:
        print("\n".join(list_recipes()))
        return 0
    if not args.recipe:
        parser.error("a RECIPE is required (see --list)")
    return exit_status(parser.prog, lambda: train(args))


if __name__ == "__main__":
    sys.exit(main())
