"""python -m export MODEL [--output model.onnx] [--opset 18] [--batch dynamic|static] [--uint8-input]
[--outputs logits,probs] [--target-prior balanced|train] [--int8 static|dynamic]
[--calibration-images DIR]

Exports a zoo name, checkpoint folder or hf-hub: id to ONNX with its calibration inside the graph,
verifies it against torch on real images, and (optionally) writes an int8 model beside it. The
program is ``ltzoo export`` (ltzoo/commands/export.py); this file runs it from a checkout.
"""

from __future__ import annotations

import argparse
import sys

from ltzoo.cli import exit_status
from ltzoo.commands import export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m export", description=__doc__.split("\n\n")[1])
    export.add_arguments(parser)
    args = parser.parse_args(argv)
    return exit_status(parser.prog, lambda: export.run(args))


if __name__ == "__main__":
    sys.exit(main())
