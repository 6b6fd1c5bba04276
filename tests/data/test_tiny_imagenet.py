"""Tiny-ImageNet-LT: the long tail drawn as CIFAR-LT's from the standard folder layout (a stand-in
of real JPEGs here, the real set where present), classes in sorted WordNet-id order named from
words.txt, the validation images as the test split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ltzoo.data import cifar_lt_counts, create_data
from ltzoo.errors import CorruptFileError

from .stand_ins import write_tiny_imagenet


def test_the_long_tail_is_drawn_from_the_folder_layout(tmp_path: Path):
    wnids = write_tiny_imagenet(tmp_path, num_classes=4, per_class=12, val_per_class=3)
    bundle = create_data("tiny_imagenet_lt", data_dir=str(tmp_path), imbalance_ratio=4, val_per_class=2)
    assert bundle.class_counts.tolist() == cifar_lt_counts(4, 4, img_max=12) == [12, 7, 4, 3]
    assert bundle.class_names == [f"thing {w[-1]}" for w in wnids]  # sorted ids, first name of words.txt
    samples = bundle.train.dataset.samples
    assert all(path.startswith(f"train/{wnids[label]}/images/") for path, label in samples)
    assert len(set(samples)) == len(samples) and all(Path(p).is_file() for p in bundle.train.inputs())
    # validation: images the subsampling discarded (none of class 0, kept whole); test: val/ images
    assert np.bincount(bundle.val.targets, minlength=4).tolist() == [0, 2, 2, 2]
    assert not {p for p, _ in bundle.val.dataset.samples} & {p for p, _ in samples}
    assert len(bundle.test) == 12 and all(p.startswith("val/images/") for p, _ in bundle.test.dataset.samples)
    again = create_data("tiny_imagenet_lt", data_dir=str(tmp_path), imbalance_ratio=4, val_per_class=2)
    assert again.train.dataset.samples == samples  # seeded
    other = create_data("tiny_imagenet_lt", data_dir=str(tmp_path), imbalance_ratio=4, dataset_seed=1)
    assert other.train.dataset.samples != samples


def test_a_bad_validation_annotation_names_its_line(tmp_path: Path):
    write_tiny_imagenet(tmp_path, num_classes=2, per_class=4, val_per_class=1)
    annotations = tmp_path / "tiny-imagenet-200" / "val" / "val_annotations.txt"
    annotations.write_text(annotations.read_text() + "val_9.JPEG\tn12345678\t0\t0\t1\t1\n")
    with pytest.raises(CorruptFileError, match=r"val_annotations.txt:3: expected"):
        create_data("tiny_imagenet_lt", data_dir=str(tmp_path), imbalance_ratio=2)


@pytest.mark.data
def test_the_real_tiny_imagenet_lt_has_the_papers_sizes(tiny_imagenet_root: Path):
    bundle = create_data("tiny_imagenet_lt", data_dir=str(tiny_imagenet_root))
    assert len(bundle.train) == 21549 and bundle.num_classes == 200  # Cao et al.'s ratio-100 profile
    assert len(bundle.test) == 10000 and np.bincount(bundle.test.targets).tolist() == [50] * 200
    assert bundle.class_names[0] == "goldfish" and bundle.class_counts[[0, -1]].tolist() == [500, 5]
    assert len(create_data("tiny_imagenet_lt", data_dir=str(tiny_imagenet_root), imbalance_ratio=10).train) == 39072
