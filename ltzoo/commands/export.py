"""``ltzoo export MODEL``: ONNX with the calibration inside the graph, verified against torch on
real images, optionally with an int8 twin.

A checkpoint folder of the user's gets ``model.onnx`` beside its weights (so ``ltzoo push``
publishes it); a zoo name or ``hf-hub:`` id (files in the installed package or the Hugging Face
cache, which are not the user's to change) is written to ``./NAME.onnx`` unless ``--output`` says
where.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="zoo name, checkpoint folder or hf-hub:org/repo")
    parser.add_argument("--output", type=Path,
                        help="ONNX path (default: FOLDER/model.onnx for a folder, ./NAME.onnx for a zoo or Hub model)")
    parser.add_argument("--opset", type=int, default=18)
    parser.add_argument("--batch", choices=("dynamic", "static"), default="dynamic")
    parser.add_argument("--uint8-input", action="store_true", help="take resized/cropped uint8 NHWC images")
    parser.add_argument("--outputs", default="logits,probs", help="comma-separated subset of logits,probs")
    parser.add_argument("--target-prior", default="balanced", choices=("balanced", "train"))
    parser.add_argument("--int8", choices=("static", "dynamic"), help="also write an int8 model (model.int8.onnx)")
    parser.add_argument("--calibration-images", type=Path, help="folder of images for static int8 calibration")


def output_path(model: str, folder: Path, output: Path | None) -> Path:
    """Where the ONNX model goes: ``output``; else beside a user's checkpoint folder; else (a zoo
    name or Hub id) ``./NAME.onnx`` in the working directory."""
    from ..export import default_output

    if output is not None:
        return output
    if Path(model).expanduser().is_dir():
        return default_output(folder)
    return Path.cwd() / (re.sub(r"[^A-Za-z0-9._-]+", "-", model.removeprefix("hf-hub:")).strip("-") + ".onnx")


def calibration_paths(folder: Path | None) -> list[Path]:
    """Images for static int8 calibration: the folder's images, or the bundled samples."""
    from ..images import find_images, sample_images

    if folder is None:
        return sample_images()
    if not folder.is_dir():
        raise FileNotFoundError(f"--calibration-images {folder} is not a folder")
    paths = find_images(folder)
    if not paths:
        raise FileNotFoundError(f"--calibration-images {folder} holds no images")
    return paths


def run(args: argparse.Namespace) -> int:
    """Exports, verifies and (with --int8) quantises the model the arguments name."""
    from .._dependencies import require_torch

    require_torch("ltzoo export")
    import numpy as np

    from ..export import data_config_of, export_onnx, quantize_int8
    from ..hub import load_model
    from ..images import load_image
    from ..loader import resolve_checkpoint
    from ..runtime import ImagePreprocessor

    folder = resolve_checkpoint(args.model)
    model, config = load_model(folder)
    output = output_path(args.model, folder, args.output)
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
