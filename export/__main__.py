"""python -m export MODEL [--output model.onnx] [--opset 18] [--batch dynamic|static] [--uint8-input]
[--outputs logits,probs] [--target-prior balanced|train] [--int8 static|dynamic]
[--calibration-images DIR]

Exports a zoo name, checkpoint folder or hf-hub: id to ONNX with its calibration inside the graph,
verifies it against torch on real images, and (optionally) writes an int8 model beside it. By
default it writes model.onnx into the checkpoint folder, so `ltzoo push` publishes it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ltzoo.cli import exit_status
from ltzoo.export import data_config_of, default_output, export_onnx, quantize_int8, sample_images
from ltzoo.hub import load_model
from ltzoo.images import load_image
from ltzoo.loader import resolve_checkpoint
from ltzoo.runtime import ImagePreprocessor


def calibration_paths(folder: Path | None) -> list[Path]:
    """Images for static int8 calibration: the folder's images, or the bundled samples."""
    if folder is None:
        return sample_images()
    if not folder.is_dir():
        raise FileNotFoundError(f"--calibration-images {folder} is not a folder")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".webp"))
    if not paths:
        raise FileNotFoundError(f"--calibration-images {folder} holds no images")
    return paths


def export(args: argparse.Namespace) -> int:
    """Exports, verifies and (with --int8) quantises the model the arguments name."""
    folder, sha256 = resolve_checkpoint(args.model)
    model, config = load_model(folder, sha256)
    output = args.output or default_output(folder)
    export_onnx(model, config, output, opset=args.opset, dynamic_batch=args.batch == "dynamic",
                uint8_input=args.uint8_input, outputs=args.outputs.split(","), target_prior=args.target_prior)
    if args.int8:
        preprocessor = ImagePreprocessor(data_config_of(config))
        pixels = None
        if args.int8 == "static":
            pixels = np.stack([preprocessor.resize_crop(load_image(p)) for p in calibration_paths(args.calibration_images)])
        int8_path = quantize_int8(output, output.with_name(output.stem + ".int8.onnx"), args.int8, pixels,
                                  args.uint8_input, preprocessor)
        print(f"wrote {int8_path} ({args.int8} int8)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m export", description=__doc__.split("\n\n")[1])
    parser.add_argument("model", help="zoo name, checkpoint folder or hf-hub:org/repo")
    parser.add_argument("--output", type=Path, help="ONNX path (default: MODEL_FOLDER/model.onnx)")
    parser.add_argument("--opset", type=int, default=18)
    parser.add_argument("--batch", choices=("dynamic", "static"), default="dynamic")
    parser.add_argument("--uint8-input", action="store_true", help="take resized/cropped uint8 NHWC images")
    parser.add_argument("--outputs", default="logits,probs", help="comma-separated subset of logits,probs")
    parser.add_argument("--target-prior", default="balanced", choices=("balanced", "train"))
    parser.add_argument("--int8", choices=("static", "dynamic"), help="also write an int8 model (model.int8.onnx)")
    parser.add_argument("--calibration-images", type=Path, help="folder of images for static int8 calibration")
    args = parser.parse_args(argv)
    return exit_status(parser.prog, lambda: export(args))


if __name__ == "__main__":
    sys.exit(main())
