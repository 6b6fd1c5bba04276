"""``ltzoo predict [FILE_OR_FOLDER ...]``: classifies image files and folders (searched
recursively) in batches, with a progress bar; a file that cannot be read is reported and skipped,
not the end of the batch. Results go to the terminal, or to ``--output`` as CSV (one row per image)
or JSON Lines (one object per image); a skipped image's row carries its ``error``. Needs no torch
with ``--backend onnx``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import CorruptFileError, InvalidArgumentError, MissingFileError

DEFAULT_MODEL = "gcl-resnet32-cifar10lt"
OUTPUT_FORMATS = (".csv", ".jsonl")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="*", help="image files or folders (none: the sample photos shipped with ltzoo)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="zoo name, folder or hf-hub:org/repo")
    parser.add_argument("--topk", type=int, default=5)
    parser.add_argument("--prior", default="balanced", choices=("balanced", "train"))
    parser.add_argument("--backend", default="torch", choices=("torch", "onnx"))
    parser.add_argument("--device", default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--output", type=Path, help="write the results to a .csv or .jsonl file")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output file")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def expand_inputs(items: list[str]) -> list[Path]:
    """Files as given, folders as the images under them; a path that does not exist is named."""
    from ..images import find_images

    paths: list[Path] = []
    for item in items:
        path = Path(item).expanduser()
        if path.is_dir():
            found = find_images(path)
            if not found:
                raise MissingFileError(f"folder {path} holds no images")
            paths += found
        elif path.is_file():
            paths.append(path)
        else:
            raise MissingFileError(f"{path} does not exist (expected an image file or a folder of images)")
    return paths


def classify(predictor: Any, paths: list[Path], batch_size: int, topk: int, prior: str,
             progress: bool = True) -> Iterator[dict[str, Any]]:
    """One result per path, in order: ``{"image", "predictions"}`` or ``{"image", "error"}``."""
    from tqdm import tqdm

    from ..images import load_image

    with tqdm(total=len(paths), unit="img", disable=not progress, file=sys.stderr) as bar:
        for start in range(0, len(paths), batch_size):
            readable, results = [], {}
            for path in paths[start : start + batch_size]:
                try:
                    readable.append((path, load_image(path)))
                except (MissingFileError, CorruptFileError) as exc:
                    results[path] = {"image": str(path), "error": str(exc)}
                    bar.write(f"skipped {path}: {exc}", file=sys.stderr)
            if readable:
                predictions = predictor.predict([img for _, img in readable], topk=topk, target_prior=prior)
                for (path, _), preds in zip(readable, predictions):
                    results[path] = {"image": str(path), "predictions": preds}
            for path in paths[start : start + batch_size]:
                yield results[path]
            bar.update(len(paths[start : start + batch_size]))


def _csv_text(results: list[dict[str, Any]], topk: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["image", "label", "score", "index", "topk", "error"])
    for r in results:
        preds = r.get("predictions") or []
        best = preds[0] if preds else {}
        writer.writerow([r["image"], best.get("label", ""), f"{best['score']:.6f}" if preds else "",
                         best.get("index", ""), ";".join(f"{p['label']}={p['score']:.6f}" for p in preds[:topk]),
                         r.get("error", "")])
    return out.getvalue()


def check_output(output: Path, overwrite: bool) -> None:
    """Before any work: ``output`` has a known format, and replaces an existing file only when asked."""
    if output.suffix.lower() not in OUTPUT_FORMATS:
        raise InvalidArgumentError(f"--output must end in {' or '.join(OUTPUT_FORMATS)}, got {output.name!r}")
    if output.exists() and not overwrite:
        raise InvalidArgumentError(f"--output {output} exists; pass --overwrite to replace it")


def write_results(results: list[dict[str, Any]], output: Path, topk: int) -> None:
    """Writes ``output`` (.csv or .jsonl) whole or not at all (a temporary file, then renamed)."""
    text = (_csv_text(results, topk) if output.suffix.lower() == ".csv"
            else "".join(json.dumps(r) + "\n" for r in results))
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    from .._validation import check_count
    from ..images import sample_images
    from ..loader import load

    check_count(args.batch_size, "--batch-size")
    check_count(args.topk, "--topk")
    if args.output is not None:
        check_output(args.output, args.overwrite)
    paths = expand_inputs(args.images) if args.images else sample_images()
    predictor = load(args.model, device=args.device, backend=args.backend)
    results = list(classify(predictor, paths, args.batch_size, args.topk, args.prior,
                            progress=args.output is not None and sys.stderr.isatty()))
    skipped = sum("error" in r for r in results)
    if args.output is not None:
        write_results(results, args.output, args.topk)
        print(f"wrote {args.output}: {len(results) - skipped} images classified, {skipped} skipped")
    elif args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(r["image"])
            for p in r.get("predictions", []):
                print(f"  {p['score']:7.2%}  {p['label']} ({p['index']})")
            if "error" in r:
                print(f"  skipped: {r['error']}")
    return 1 if skipped == len(results) else 0
