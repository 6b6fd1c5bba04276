"""What training a recipe takes: the data ``--data-dir`` must hold and, for the large datasets,
the GPU time of its training steps at a published reference rate. The zoo prints it for every
entry whose weights are not published yet."""

from __future__ import annotations

from typing import Any

from ..data import dataset_entry

# training images/s (224 px, AMP, channels_last, forward + backward + step) of the zoo's large
# backbones, from timm's own benchmark: huggingface/pytorch-image-models
# results/benchmark-train-amp-nhwc-pt112-cu113-rtx3090.csv (batch 512 / 192)
REFERENCE_DEVICE = "an RTX 3090"
TRAIN_IMAGES_PER_S = {"resnet50": 1218.01, "resnet152": 501.44}


def gpu_hours(config: dict[str, Any]) -> float | None:
    """Hours of training steps a resolved recipe needs on :data:`REFERENCE_DEVICE`: its training
    stages' epochs times the dataset's training images at the backbone's full training rate (an
    upper bound for stages that train part of the network; evaluation not counted). None where
    the dataset has no fixed size or the backbone no reference rate."""
    images = dataset_entry(config["dataset"]).train_images
    rate = TRAIN_IMAGES_PER_S.get(_architecture(config))
    if images is None or rate is None:
        return None
    return _trained_epochs(config) * images / rate / 3600


def _architecture(config: dict[str, Any]) -> str:
    return config["model"].split(".")[0]  # "resnet152.tv_in1k": the pretrained tag is not the architecture


def _trained_epochs(config: dict[str, Any]) -> int:
    return sum(stage["epochs"] for stage in config["stages"][config["start_stage"]:] if stage["type"] == "train")


def training_needs(config: dict[str, Any]) -> str:
    """One paragraph for people: what ``--data-dir`` holds, and the expected GPU-hours."""
    entry = dataset_entry(config["dataset"])
    text = f"--data-dir holds {entry.layout}." if entry.layout else ""
    hours = gpu_hours(config)
    if hours is not None:
        rate = TRAIN_IMAGES_PER_S[_architecture(config)]
        text += (f" Expect about {hours:.1f} GPU-hours on {REFERENCE_DEVICE} ({entry.train_images:,} images x "
                 f"{_trained_epochs(config)} epochs at {rate:,.0f} images/s, timm's training "
                 "benchmark with AMP and channels_last; less where a stage trains part of the network).")
    return text.strip()
