"""python -m train RECIPE [key=value ...] [--data PATH] [--model NAME] [--epochs N] [--data-dir DIR]
[--output-dir DIR] [--resume | --overwrite]

Trains one recipe of ``ltzoo/recipes`` (a name such as ``gcl-resnet32-cifar10lt`` or a path to a
YAML file). The program is ``ltzoo train`` (ltzoo/commands/train.py); this file runs it from a
checkout.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from ltzoo.cli import exit_status
from ltzoo.commands import train


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m train", description=__doc__.split("\n\n")[1])
    train.add_arguments(parser)
    args = parser.parse_intermixed_args(argv)
    if not args.recipe and not args.list:
        parser.error("a RECIPE is required (see --list)")
    return exit_status(parser.prog, lambda: train.run(args, f"{parser.prog} {shlex.join(argv)}"))


if __name__ == "__main__":
    sys.exit(main())
