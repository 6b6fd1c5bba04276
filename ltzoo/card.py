"""The model card (``README.md``) of a checkpoint folder, made with ``huggingface_hub.ModelCard``:
YAML metadata with a model-index (top-1 all / many / medium / few and ECE), how to load the
model with ltzoo and with timm, the recipe command, the citation and where the recipe departs
from it."""

from __future__ import annotations

from typing import Any

from .data.class_counts import FEW_SHOT_MAX, MANY_SHOT_MIN
from .data.registry import DatasetEntry, dataset_entry, list_datasets

# (metric key, model-index type, label); {many} / {few}: the checkpoint's shot thresholds
METRIC_ROWS = (
    ("top1", "accuracy", "Top-1 (All, mean per-class), raw outputs"),
    ("many", "accuracy", "Top-1 many-shot (>{many} images)"),
    ("medium", "accuracy", "Top-1 medium-shot ({few}-{many})"),
    ("few", "accuracy", "Top-1 few-shot (<{few})"),
    ("top1_balanced", "accuracy", "Top-1 (All) as ltzoo predicts by default (calibrated, balanced prior)"),
    ("ece_calibrated", "ece", "ECE, calibrated (15 bins)"),
)


def shot_thresholds_of(config: dict[str, Any]) -> tuple[int, int]:
    """The (many_min, few_max) a checkpoint's groups were reported with (the papers' 100 / 20 when
    it does not say)."""
    recorded = (config.get("ltzoo") or {}).get("shot_thresholds") or {}
    return int(recorded.get("many_min", MANY_SHOT_MIN)), int(recorded.get("few_max", FEW_SHOT_MAX))


def model_card(config: dict[str, Any], repo_id: str | None = None) -> str:
    """Renders the card for a checkpoint ``config`` (the parsed ``config.json``)."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    block = config.get("ltzoo", {})
    recipe = block.get("recipe", {})
    metrics = block.get("metrics", {})
    name = recipe.get("name") or config["architecture"]
    entry = _dataset_entry(recipe)
    many, few = shot_thresholds_of(config)
    rows_spec = [(key, metric_type, label.format(many=many, few=few)) for key, metric_type, label in METRIC_ROWS]
    dataset_id = entry.hub_id if entry else (recipe.get("dataset") or "unknown")
    eval_results = [
        EvalResult(task_type="image-classification", dataset_type=dataset_id, dataset_name=_dataset_title(recipe),
                   dataset_split="test", metric_type=metric_type, metric_name=label,
                   metric_value=round(100 * float(metrics[key]), 2))
        for key, metric_type, label in rows_spec
        if metrics.get(key) is not None
    ]
    data = ModelCardData(
        library_name="timm", license="apache-2.0", model_name=name, pipeline_tag="image-classification",
        tags=["image-classification", "timm", "ltzoo", "long-tailed", block.get("method") or "unknown"],
        datasets=[dataset_id], eval_results=eval_results or None,
    )
    calibration = block.get("calibration", {})
    load_name = f"hf-hub:{repo_id}" if repo_id else "PATH/TO/FOLDER"
    timm_name = f"hf-hub:{repo_id}" if repo_id else "local-dir:PATH/TO/FOLDER"
    rows = "\n".join(
        f"| {label} | {100 * float(metrics[key]):.2f} |" for key, _, label in rows_spec if metrics.get(key) is not None
    )
    timm_section = _timm_section(config, timm_name, load_name)
    body = f"""
# {name}

{config['architecture']} trained with **{block.get('method') or 'unknown method'}** on {_dataset_title(recipe)},
packaged by ltzoo in timm's format.

## Results (test split, last epoch)

| metric | value |
| --- | --- |
{rows or '| (no metrics recorded) | |'}

Calibration: temperature {calibration.get('temperature', 1.0):.4g}, fitted on
{calibration.get('fitted_on', 'a held-out split')}. The model's outputs reflect the
**{calibration.get('output_prior', 'train')}** class prior; ltzoo predicts under a balanced prior by default.

## How to use

```python
import ltzoo
predictor = ltzoo.load("{load_name}")
predictor.predict("image.jpg", topk=5)          # calibrated, balanced prior
predictor.predict_proba("image.jpg", target_prior="train")
```

{timm_section}

## Training

```bash
{recipe.get('command') or f"python -m train {recipe.get('name', name)} --data-dir DATA"}
```

Class counts of the training set: {block.get('class_counts')}.

## Citation

{recipe.get('citation') or 'See the recipe.'}
{_deviations_section(recipe)}"""
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{body}").content


def _timm_section(config: dict[str, Any], timm_name: str, load_name: str) -> str:
    """How to get the bare timm model: plain timm for a timm backbone with a linear head, timm
    after ``import ltzoo`` for ltzoo's own architectures, ``ltzoo.hub.load_model`` for another head
    on a timm backbone (timm's model classes take no head argument): the predictor's ``.model``."""
    head = config.get("ltzoo", {}).get("head", "linear")
    own_architecture = "head" in config.get("model_args", {})  # ltzoo's architectures build their head
    if head != "linear" and not own_architecture:
        return (f"As a timm model (the {head} head replaces {config['architecture']}'s classifier; timm alone cannot "
                f"build it; ltzoo rebuilds it):\n\n```python\nimport ltzoo\n"
                f"model = ltzoo.load(\"{load_name}\").model  # the timm model, eval mode\n```")
    note = ("`import ltzoo` first: it registers this architecture with timm." if own_architecture
            else "Plain timm loads this checkpoint; no ltzoo needed.")
    imports = "import ltzoo, timm" if own_architecture else "import timm"
    return (f"With timm ({note}):\n\n```python\n{imports}\n"
            f"model = timm.create_model(\"{timm_name}\", pretrained=True).eval()\n```")


def _deviations_section(recipe: dict[str, Any]) -> str:
    deviations = " ".join(str(recipe.get("deviations") or "").split())
    return f"\n## Departures from the reference\n\n{deviations}\n" if deviations else ""


def _dataset_entry(recipe: dict[str, Any]) -> DatasetEntry | None:
    dataset = recipe.get("dataset", "")
    return dataset_entry(dataset) if dataset in list_datasets() else None


def _dataset_title(recipe: dict[str, Any]) -> str:
    entry = _dataset_entry(recipe)
    if entry is None:
        return recipe.get("dataset") or "unknown data"
    return entry.describe(recipe.get("imbalance_ratio", 100))
