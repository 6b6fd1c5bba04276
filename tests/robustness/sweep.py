"""A sweep of bad inputs over the public surface, counted by outcome: a typed ltzoo error (the
goal), another exception (a traceback for the user), or accepted (silently: for a bad input, a
wrong answer or a changed file). Parametrized over the registries (losses, samplers, datasets,
heads, predictor backends), so an entry added to one is swept too.

    python -m tests.robustness.sweep [--json FILE] [--list]

Run from a checkout; it uses only the public API (``ltzoo.load``, ``create_loss``,
``create_sampler``, ``create_data``, ``resolve_config``, ``save_pretrained``, ``export_onnx``), so
it also runs against older commits for a before / after count (``PYTHONPATH=OLD_CHECKOUT``).
``test_sweep.py`` asserts that every case ends in a typed error.
"""

from __future__ import annotations

import argparse
import collections
import inspect
import json
import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

MODEL = "ce-resnet32-cifar10lt"  # embedded with its ONNX twin: both backends, no network


@dataclass(frozen=True)
class Case:
    family: str
    entry: str
    what: str
    run: Callable[[], object]


def _outcome(case: Case) -> str:
    from ltzoo.errors import LtzooError

    try:
        case.run()
    except LtzooError:
        return "typed"
    except Exception:  # noqa: BLE001  (the sweep counts every other exception as a traceback)
        return "untyped"
    return "accepted"


# ----------------------------------------------------------------------------------- losses
def _classification_losses() -> list[str]:
    from ltzoo.losses import create_loss, list_losses

    names = []
    for name in list_losses():
        loss = create_loss(name, class_counts=[50, 20, 5])
        required = [p for p in inspect.signature(loss.forward).parameters.values() if p.default is p.empty]
        if len(required) == 2:  # (logits, target); contrastive losses take features
            names.append(name)
    return names


def loss_cases() -> Iterator[Case]:
    from ltzoo.losses import create_loss, list_losses

    good_logits, good_target = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    calls = {
        "NaN logits": (torch.full((4, 3), float("nan")), good_target),
        "1-D logits": (torch.randn(4), good_target),
        "target beyond the classes": (good_logits, torch.tensor([0, 1, 3, 0])),
        "negative target": (good_logits, torch.tensor([0, -1, 2, 0])),
        "float target": (good_logits, torch.tensor([0.0, 1.0, 2.0, 0.0])),
        "batch sizes differ": (good_logits, torch.tensor([0, 1])),
        "empty batch": (torch.randn(0, 3), torch.tensor([], dtype=torch.long)),
        "logits for other class count": (torch.randn(4, 5), good_target),
    }
    for name in _classification_losses():
        for what, (logits, target) in calls.items():
            if what == "logits for other class count" and not _takes_counts(name):  # CE, focal: any class count
                continue
            yield Case("losses", name, what, lambda n=name, x=logits, y=target: create_loss(n, class_counts=[50, 20, 5])(
                x.clone().requires_grad_(x.is_floating_point()), y))
    counts = {"a zero count": [50, 0, 5], "a negative count": [50, -3, 5], "NaN count": [50, math.nan, 5],
              "2-D counts": [[50, 20, 5]], "a single class": [50]}
    for name in list_losses():
        if not _takes_counts(name):
            continue
        for what, value in counts.items():
            yield Case("losses", name, f"class_counts with {what}", lambda n=name, v=value: create_loss(n, class_counts=v))
        yield Case("losses", name, "an option it does not take", lambda n=name: create_loss(
            n, class_counts=[50, 20, 5], no_such_option=1))


def _takes_counts(name: str) -> bool:
    """The loss defines a prior (or margins, weights) from class_counts."""
    from ltzoo.losses import _registry

    return "class_counts" in inspect.signature(_registry._LOSSES.get(name)).parameters


# ---------------------------------------------------------------------------------- samplers
def sampler_cases() -> Iterator[Case]:
    from ltzoo.data import create_sampler, list_samplers

    targets = {"no targets": [], "a negative label": [0, 0, -1, 1], "float labels": [0.0, 0.5, 1.0],
               "2-D targets": [[0, 1], [1, 0]], "a class without samples between others": [0, 0, 2, 2]}
    for name in list_samplers():
        for what, value in targets.items():
            yield Case("samplers", name, what, lambda n=name, v=value: list(iter(create_sampler(n, v, seed=0))))
        yield Case("samplers", name, "num_replicas 0", lambda n=name: create_sampler(n, [0, 0, 1], num_replicas=0))
        yield Case("samplers", name, "rank beyond the replicas",
                   lambda n=name: create_sampler(n, [0, 0, 1], num_replicas=2, rank=2))
        yield Case("samplers", name, "an option it does not take", lambda n=name: create_sampler(n, [0, 0, 1], bogus=1))


# ---------------------------------------------------------------------------------- datasets
def dataset_cases(scratch: Path) -> Iterator[Case]:
    from ltzoo.data import create_data, list_datasets

    a_file = scratch / "a_file.txt"
    a_file.write_text("not a folder\n")
    options = {"a data_dir that does not exist": {"data_dir": str(scratch / "missing")},
               "a data_dir that is a file": {"data_dir": str(a_file)},
               "imbalance_ratio 0": {"imbalance_ratio": 0}, "imbalance_ratio NaN": {"imbalance_ratio": math.nan},
               "val_per_class 0": {"val_per_class": 0}, "an unknown option": {"bogus": 1}}
    for name in list_datasets():
        for what, value in options.items():
            if name == "synthetic_lt" and "data_dir" in value:  # made in memory: it reads no data_dir
                continue
            yield Case("datasets", name, what, lambda n=name, v=value: create_data(
                n, **{"data_dir": str(scratch / "empty"), **v}))


# --------------------------------------------------------------------------------- predictors
def predictor_cases(scratch: Path) -> Iterator[Case]:
    import ltzoo

    text = scratch / "not_an_image.jpg"
    text.write_text("hello")
    images = {"an empty array": np.zeros((0, 0, 3), np.uint8), "NaN pixels": np.full((8, 8, 3), np.nan, np.float32),
              "5 channels": np.zeros((8, 8, 5), np.uint8), "a 4-D array of one image": np.zeros((1, 1, 8, 8, 3), np.uint8),
              "a missing file": str(scratch / "missing.jpg"), "a folder": str(scratch), "a text file": str(text),
              "a string that is no path": "not a path at all", "None": None}
    for backend in ("torch", "onnx"):
        kwargs = {"device": "cpu"} if backend == "torch" else {}

        def predictor(b=backend, k=kwargs):
            return ltzoo.load(MODEL, backend=b, **k)

        for what, image in images.items():
            yield Case("predictors", backend, what, lambda p=predictor, x=image: p().predict(x))
        for what, value in {"topk '3'": "3", "topk 0": 0, "topk -1": -1}.items():
            yield Case("predictors", backend, what, lambda p=predictor, v=value: p().predict(np.zeros((8, 8, 3), np.uint8),
                                                                                       topk=v))
        for what, prior in {"a prior of the wrong length": [1.0, 2.0], "a negative prior": [-1.0] * 10,
                            "an unknown prior name": "uniformish", "a NaN prior": [math.nan] * 10}.items():
            yield Case("predictors", backend, what, lambda p=predictor, v=prior: p().predict_proba(
                np.zeros((8, 8, 3), np.uint8), target_prior=v))
        yield Case("predictors", backend, "backend name", lambda: ltzoo.load(MODEL, backend="tensorrt"))


# ------------------------------------------------------------------------------ checkpoints
def checkpoint_cases(scratch: Path) -> Iterator[Case]:
    import ltzoo
    from ltzoo.zoo import get_entry

    source = get_entry(MODEL).embedded_path

    def edited(label: str, edit: Callable[[Path], None]) -> Path:
        folder = scratch / "checkpoints" / label.replace(" ", "_")
        shutil.copytree(source, folder)
        edit(folder)
        return folder

    def config_edit(change: Callable[[dict], None]) -> Callable[[Path], None]:
        def apply(folder: Path) -> None:
            config = json.loads((folder / "config.json").read_text())
            change(config)
            (folder / "config.json").write_text(json.dumps(config))
        return apply

    def pickle_only(folder: Path) -> None:
        (folder / "model.safetensors").unlink()
        (folder / "pytorch_model.bin").write_bytes(b"\x80\x04K\x01.")

    # what each backend reads: the torch one model.safetensors + config.json, the onnxruntime one
    # model.onnx alone (its metadata carries labels, preprocessing and calibration)
    torch_edits = {
        "no weights": lambda f: (f / "model.safetensors").unlink(),
        "only a pickle": pickle_only,
        "config.json not JSON": lambda f: (f / "config.json").write_text("{not json"),
        "temperature -1": config_edit(lambda c: c["ltzoo"]["calibration"].update(temperature=-1.0)),
        "temperature NaN": config_edit(lambda c: c["ltzoo"]["calibration"].update(temperature=math.nan)),
        "3 label names for 10 classes": config_edit(lambda c: c.update(label_names=["a", "b", "c"])),
        "an unknown architecture": config_edit(lambda c: c.update(architecture="resnet9000")),
        "truncated weights": lambda f: (f / "model.safetensors").write_bytes((f / "model.safetensors").read_bytes()[:999]),
    }
    onnx_edits = {
        "truncated ONNX": lambda f: (f / "model.onnx").write_bytes((f / "model.onnx").read_bytes()[:999]),
        "no ONNX": lambda f: (f / "model.onnx").unlink(),
        "a text file as ONNX": lambda f: (f / "model.onnx").write_text("not onnx"),
    }
    for backend, edits in (("torch", torch_edits), ("onnx", onnx_edits)):
        kwargs = {"device": "cpu"} if backend == "torch" else {}
        for what, edit in edits.items():
            folder = edited(f"{what} {backend}", edit)
            yield Case("checkpoints", backend, what, lambda f=folder, b=backend, k=kwargs: ltzoo.load(f, backend=b, **k))
    yield Case("checkpoints", "zoo", "an unknown zoo name", lambda: ltzoo.load("gcl-resnet-cifar10lt"))
    yield Case("checkpoints", "zoo", "an entry without published weights", lambda: ltzoo.load("gcl-resnet50-imagenetlt"))


# ------------------------------------------------------------------------------ recipes
def recipe_cases() -> Iterator[Case]:
    from ltzoo.training import resolve_config

    overrides = ["epochs=0", "lr=0", "lr=-1", "batch_size=0", "momentum=1", "imbalance_ratio=0", "seed=zero",
                 "learning_rate=0.1", "loss=cross_entropy", "sampler=balanced", "dataset=cifar10", "head=cosinus",
                 "stages.5.lr=0.1", "schedule=cosine_warm", "amp=maybe", "mean=[0.5]", "std=[0.5, 0, 0.5]"]
    for item in overrides:
        yield Case("recipes", "resolve_config", item, lambda i=item: resolve_config({"stages": [{}]}, [i]))


def cases(scratch: Path) -> list[Case]:
    return [*loss_cases(), *sampler_cases(), *dataset_cases(scratch), *predictor_cases(scratch),
            *checkpoint_cases(scratch), *recipe_cases()]


def run(scratch: Path) -> tuple[list[dict], dict[str, collections.Counter]]:
    rows = [{"family": c.family, "entry": c.entry, "what": c.what, "outcome": _outcome(c)} for c in cases(scratch)]
    totals: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for row in rows:
        totals[row["family"]][row["outcome"]] += 1
        totals["all"][row["outcome"]] += 1
    return rows, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write every case and its outcome to this file")
    parser.add_argument("--list", action="store_true", help="print the cases that did not end in a typed error")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows, totals = run(Path(tmp))
    print(f"{'family':<12}{'cases':>7}{'typed':>7}{'untyped':>9}{'accepted':>10}")
    for family, counts in totals.items():
        print(f"{family:<12}{sum(counts.values()):>7}{counts['typed']:>7}{counts['untyped']:>9}{counts['accepted']:>10}")
    if args.list:
        for row in rows:
            if row["outcome"] != "typed":
                print(f"  {row['outcome']:<9} {row['family']}/{row['entry']}: {row['what']}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
