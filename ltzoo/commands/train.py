"""``ltzoo train RECIPE``: trains a recipe (a name of ``ltzoo/recipes`` or a YAML path) into a run
folder; ``python -m train`` in a checkout is the same program.

A recipe is also a template for a user's own images: ``--data PATH`` (a folder of class
sub-folders, of train / val / test folders, a CSV or a split list; ``--val`` / ``--test`` for the
other splits) trains the recipe's method on them, ``--model`` on any timm backbone,
``--epochs`` on a shorter or longer schedule, ``--image-size`` at another resolution; the run is
then named after what it trains (``gcl-resnet18-flowers``) and its card shows this command.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", nargs="?", help="recipe name (see --list) or YAML path")
    parser.add_argument("overrides", nargs="*", help="key=value overrides (seed=1, stages.1.lr=0.01)")
    parser.add_argument("--list", action="store_true", help="list the recipes and exit")
    own = parser.add_argument_group("your own data (the recipe as a template)")
    own.add_argument("--data", help="a folder of class sub-folders (or of train/ val/ test/ folders), a CSV "
                                    "(path,label) or a split list")
    own.add_argument("--val", help="validation images (default: a balanced split held out of --data)")
    own.add_argument("--test", help="test images (default: the validation split)")
    own.add_argument("--model", help="any timm model name (default: the recipe's)")
    own.add_argument("--epochs", type=int, help="first stage's epochs; the schedule's other epoch counts scale along")
    own.add_argument("--image-size", type=int, help="training and inference resolution (default: the model's)")
    own.add_argument("--pretrained", action="store_true", help="start from timm's pretrained weights")
    parser.add_argument("--data-dir", help="dataset root of a registered dataset (default: the recipe's data_dir)")
    parser.add_argument("--output-dir", help="run folder (default: runs/<run name>)")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--resume", action="store_true", help="continue the run in --output-dir")
    start.add_argument("--overwrite", action="store_true",
                       help="start again in an --output-dir that holds a run (its files are deleted first)")


def template_overrides(args: argparse.Namespace) -> list[str]:
    """The overrides the template options stand for. ``--data`` also drops the recipe's input
    normalisation, which belongs to the recipe's dataset (the model's own then applies)."""
    overrides = []
    if args.data:
        overrides += ["dataset=images", f"data_dir={args.data}", "mean=null", "std=null"]
    for key, value in (("val_data", args.val), ("test_data", args.test), ("model", args.model),
                       ("image_size", args.image_size)):
        if value is not None:
            overrides.append(f"{key}={value}")
    if args.pretrained:
        overrides.append("pretrained=true")
    if args.data_dir:
        overrides.append(f"data_dir={args.data_dir}")
    return overrides


def run(args: argparse.Namespace, command_line: str = "") -> int:
    """Resolves the recipe with the template options and overrides, and trains it;
    ``command_line`` (what the user typed) goes into the run's config and card."""
    from .._dependencies import require_torch
    from ..recipes import list_recipes, recipe_path

    require_torch("ltzoo train")
    from ..training import Trainer, load_recipe_file, resolve_config
    from ..training.templates import run_name, scale_epochs

    if args.list:
        print("\n".join(list_recipes()))
        return 0
    path = recipe_path(args.recipe)
    recipe = load_recipe_file(str(path))
    config = resolve_config(recipe, template_overrides(args) + list(args.overrides))
    if args.epochs is not None:
        config = scale_epochs(config, args.epochs)
    config["name"] = run_name({**config, "name": config["name"] or path.stem}, recipe)
    config["command"] = command_line
    output_dir = Path(args.output_dir or Path("runs") / config["name"])
    Trainer(config, output_dir, resume=args.resume, overwrite=args.overwrite).fit()
    return 0
