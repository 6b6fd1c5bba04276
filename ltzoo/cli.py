"""``ltzoo``: list the zoo, classify images, evaluate a checkpoint, publish a folder.

    ltzoo list [--available] [--json]
    ltzoo predict [FILE_OR_FOLDER...] [--model NAME] [--topk K] [--prior balanced|train] [--backend onnx]
                  [--batch-size N] [--output results.csv|jsonl] [--json]
    ltzoo eval MODEL --dataset cifar10_lt --data-dir DIR [--split test] [--output-dir DIR]
    ltzoo eval MODEL --list-file LIST --image-root DIR [--output-dir DIR]
    ltzoo eval MODEL --data FOLDER_CSV_OR_LIST [--output-dir DIR]
    ltzoo push FOLDER REPO_ID [--tag T] [--revision R] [--private]
    ltzoo fold FOLDER OUTPUT
    ltzoo train RECIPE [--data PATH] [--model NAME] [--epochs N] [key=value ...]
    ltzoo export MODEL [--output PATH] [--int8 static|dynamic]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .commands import export, predict, train
from .errors import InvalidArgumentError, LtzooError


def _cmd_list(args: argparse.Namespace) -> int:
    from .zoo import list_models

    rows = list_models(available_only=args.available)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'name':<40}{'dataset':<40}{'status':<12}top-1")
    for row in rows:
        status = "embedded" if row["embedded"] else "published" if row["published"] else "recipe"
        top1 = row["metrics"].get("top1")
        print(f"{row['name']:<40}{row['dataset']:<40}{status:<12}{'' if top1 is None else f'{100 * top1:.1f}'}")
    return 0


def _eval_data(args: argparse.Namespace, label_names: list[str]) -> tuple[Any, list[int], str]:
    """What ``ltzoo eval`` evaluates on: a user's images (a folder of class sub-folders named as
    the model's classes, a CSV or a split list), a split list (labels checked against the
    model's classes), or a registered dataset's split."""
    num_classes = len(label_names)
    if args.data:
        from .data.own_images import open_images

        ds = open_images(args.data, classes=label_names)
        return ([Path(ds.root) / path for path, _ in ds.samples], ds.targets), list(ds.targets), str(args.data)
    if args.list_file:
        from .data.file_datasets import ListDataset

        ds = ListDataset(args.image_root or ".", args.list_file, num_classes=num_classes)
        return ([Path(ds.root) / path for path, _ in ds.samples], ds.targets), list(ds.targets), f"{args.list_file}"
    from .data import create_data

    data = create_data(args.dataset, data_dir=args.data_dir)
    split = data.test if args.split == "test" else data.val
    return split, split.targets.tolist(), f"{args.dataset} {'test' if args.split == 'test' else 'validation'}"


def _cmd_eval(args: argparse.Namespace) -> int:
    from ._dependencies import require_torch

    require_torch("ltzoo eval")
    from .card import shot_thresholds_of
    from .evaluation import collect_logits
    from .loader import load
    from .metrics import lt_report
    from .plots import evaluation_plots

    predictor = load(args.model, device=args.device)
    counts = predictor.class_counts or [1] * predictor.num_classes
    data, targets, source = _eval_data(args, predictor.label_names)
    if targets and max(targets) >= predictor.num_classes:
        raise InvalidArgumentError(
            f"{source} has labels up to {max(targets)} but {args.model} predicts {predictor.num_classes} classes"
        )
    logits, labels = collect_logits(predictor, data)
    thresholds = shot_thresholds_of(predictor.config)
    raw = lt_report(logits, labels, counts, *thresholds)
    calibrated_logits = predictor.calibrate(logits, args.prior)
    calibrated = lt_report(calibrated_logits, labels, counts, *thresholds)
    print(f"{args.model} on {source} ({len(labels)} images), prior {args.prior}, T = {predictor.temperature:.4g}")
    print(f"{'':<12}{'top-1':>8}{'many':>8}{'medium':>8}{'few':>8}{'ECE':>8}{'NLL':>8}")
    for name, rep in (("raw", raw), ("calibrated", calibrated)):
        cells = [rep[k] for k in ("top1", "many", "medium", "few")]
        text = "".join(f"{'-' if v is None else f'{100 * v:.2f}':>8}" for v in cells)
        print(f"{name:<12}{text}{100 * rep['ece']:>8.2f}{rep['nll']:>8.3f}")
    if args.output_dir:
        out = Path(args.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps({"raw": raw, "calibrated": calibrated, "source": source}, indent=2))
        evaluation_plots(calibrated_logits, labels, calibrated["per_class_accuracy"], counts, out, args.model,
                         split=source, shot_thresholds=thresholds)
        print(f"wrote {out / 'report.json'}, reliability.png, per_class_accuracy.png")
    return 0


def _cmd_fold(args: argparse.Namespace) -> int:
    from ._dependencies import require_torch

    require_torch("ltzoo fold")
    from .hub import fold_checkpoint

    print(f"wrote {fold_checkpoint(args.folder, args.output)}: its raw outputs are the calibrated logits "
          "(balanced prior) for timm and transformers clients")
    return 0


def _cmd_push(args: argparse.Namespace) -> int:
    from ._dependencies import require_torch

    require_torch("ltzoo push")  # a training-side step: ltzoo.hub (checkpoint checks) imports torch
    from .hub import push

    sha = push(args.folder, args.repo_id, revision=args.revision, tag=args.tag, private=args.private)
    print(f"pushed {args.folder} to {args.repo_id} at {sha}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ltzoo", description="Long-tailed classification model zoo.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="list the zoo's models")
    p.add_argument("--available", action="store_true", help="only embedded or published models")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser("predict", help="classify image files and folders (default: the bundled sample photos)")
    predict.add_arguments(p)
    p.set_defaults(func=predict.run)
    p = sub.add_parser("eval", help="long-tailed report of a checkpoint on a dataset")
    p.add_argument("model")
    p.add_argument("--dataset", default="cifar10_lt")
    p.add_argument("--data-dir", default="data")
    p.add_argument("--split", default="test", choices=("test", "val"))
    p.add_argument("--data", help="your images instead of --dataset: a folder of class sub-folders, a CSV or a list")
    p.add_argument("--list-file", help="a split list instead of --dataset")
    p.add_argument("--image-root", help="folder the list's paths are relative to")
    p.add_argument("--prior", default="balanced", choices=("balanced", "train"))
    p.add_argument("--output-dir", help="write report.json and the plots here")
    p.add_argument("--device", default=None)
    p.set_defaults(func=_cmd_eval)
    p = sub.add_parser("push", help="publish a checkpoint folder to the Hugging Face Hub")
    p.add_argument("folder")
    p.add_argument("repo_id")
    p.add_argument("--tag")
    p.add_argument("--revision")
    p.add_argument("--private", action="store_true")
    p.set_defaults(func=_cmd_push)
    p = sub.add_parser("fold", help="copy a checkpoint with its calibration folded into the classifier")
    p.add_argument("folder")
    p.add_argument("output")
    p.set_defaults(func=_cmd_fold)
    p = sub.add_parser("train", help="train a recipe, on its dataset or on your own images")
    train.add_arguments(p)
    p = sub.add_parser("export", help="export a model to ONNX (calibrated, verified against torch)")
    export.add_arguments(p)
    p.set_defaults(func=export.run)
    return parser


def _train_parser() -> argparse.ArgumentParser:
    """``ltzoo train``'s own parser: its key=value overrides may sit between options, which
    argparse parses only without sub-commands (parse_intermixed_args)."""
    parser = argparse.ArgumentParser(prog="ltzoo train", description=train.__doc__.split("\n\n")[0])
    train.add_arguments(parser)
    return parser


def exit_status(program: str, command: Callable[[], int]) -> int:
    """Runs a command-line program's ``command``. A user's mistake (an :class:`LtzooError` or a
    missing file) becomes one line on stderr, ``PROGRAM: error: MESSAGE`` as argparse writes
    its own, and exit status 2, instead of a traceback; bugs still raise."""
    try:
        return command()
    except (LtzooError, FileNotFoundError) as exc:
        print(f"{program}: error: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train"]:
        parser = _train_parser()
        args = parser.parse_intermixed_args(argv[1:])
        if not args.recipe and not args.list:
            parser.error("a RECIPE is required (see --list)")
        return exit_status(parser.prog, lambda: train.run(args, f"ltzoo {shlex.join(argv)}"))
    args = build_parser().parse_args(argv)
    return exit_status("ltzoo", lambda: args.func(args))


if __name__ == "__main__":  # python -m ltzoo.cli (python -m ltzoo is ltzoo/__main__.py)
    sys.exit(main())
