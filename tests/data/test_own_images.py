"""The "images" dataset: a user's folder / CSV / split list, the held-out balanced validation
split, class names from the data, and the mistakes a user makes, named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ltzoo.data import create_data
from ltzoo.data.own_images import balanced_holdout, holdout_size
from ltzoo.errors import CorruptFileError, InvalidArgumentError, MissingFileError

COUNTS = {"zebra": 12, "ant": 7, "moth": 3}  # folder order is sorted: ant, moth, zebra


def write_folder(root: Path, counts: dict[str, int] = COUNTS, seed: int = 0) -> Path:
    rng = np.random.RandomState(seed)
    for name, n in counts.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(rng.randint(0, 255, (12, 10, 3), dtype=np.uint8)).save(root / name / f"{i}.png")
    return root


def test_a_folder_gives_named_classes_and_a_seeded_balanced_validation_split(tmp_path: Path):
    root = write_folder(tmp_path / "photos")
    bundle = create_data("images", data_dir=str(root))
    assert bundle.class_names == ["ant", "moth", "zebra"]
    per_class = holdout_size(np.array([7, 3, 12]), 100)
    assert per_class == 1  # a fifth of the rarest class (3), rounded up
    assert bundle.class_counts.tolist() == [6, 2, 11]
    assert np.bincount(bundle.val.targets).tolist() == [1, 1, 1]
    assert bundle.test.dataset is bundle.val.dataset and "held out" in bundle.description and "no test split" in bundle.description
    again = create_data("images", data_dir=str(root))
    other_seed = [create_data("images", data_dir=str(root), dataset_seed=s).val.inputs() for s in range(1, 6)]
    assert again.val.inputs() == bundle.val.inputs()
    assert any(inputs != bundle.val.inputs() for inputs in other_seed)
    assert not set(bundle.val.inputs()) & set(bundle.train.inputs())


def test_split_layout_and_explicit_sources(tmp_path: Path):
    write_folder(tmp_path / "data" / "train")
    write_folder(tmp_path / "data" / "val", {"ant": 2, "zebra": 2}, seed=1)  # a class may lack a folder
    write_folder(tmp_path / "data" / "test", {"ant": 1, "moth": 1, "zebra": 1}, seed=2)
    bundle = create_data("images", data_dir=str(tmp_path / "data"))
    assert bundle.class_counts.tolist() == [7, 3, 12] and len(bundle.val) == 4 and len(bundle.test) == 3
    assert np.bincount(bundle.val.targets, minlength=3).tolist() == [2, 0, 2]
    assert "held out" not in bundle.description
    other_test = write_folder(tmp_path / "elsewhere", {"moth": 2}, seed=3)
    assert len(create_data("images", data_dir=str(tmp_path / "data"), test_data=str(other_test)).test) == 2


def test_csv_and_split_list_sources(tmp_path: Path):
    root = write_folder(tmp_path / "photos")
    rows = [f"photos/{p.parent.name}/{p.name},{p.parent.name}" for p in sorted(root.rglob("*.png"))]
    (tmp_path / "train.csv").write_text("path,label\n" + "\n".join(rows) + "\n")
    bundle = create_data("images", data_dir=str(tmp_path / "train.csv"))
    assert bundle.class_names == ["ant", "moth", "zebra"] and bundle.class_counts.sum() == 22 - 3
    (tmp_path / "val.csv").write_text("path,label\nphotos/ant/0.png,ant\nphotos/moth/0.png,wasp\n")
    with pytest.raises(CorruptFileError, match="wasp"):
        create_data("images", data_dir=str(tmp_path / "train.csv"), val_data=str(tmp_path / "val.csv"))
    names = ["ant", "moth", "zebra"]
    lines = [f"photos/{p.parent.name}/{p.name} {names.index(p.parent.name)}" for p in sorted(root.rglob("*.png"))]
    (tmp_path / "train.txt").write_text("\n".join(lines) + "\n")
    assert create_data("images", data_dir=str(tmp_path / "train.txt")).class_counts.tolist() == [6, 2, 11]


@pytest.mark.parametrize("counts, match", [
    ({"ant": 5, "moth": 1}, "a class has 1 image.*val_data"),
    ({"ant": 5}, "2 or more classes"),
])
def test_data_a_split_cannot_come_from_is_named(tmp_path: Path, counts: dict[str, int], match: str):
    with pytest.raises(InvalidArgumentError, match=match):
        create_data("images", data_dir=str(write_folder(tmp_path / "d", counts)))


def test_a_validation_folder_with_a_class_the_training_data_lacks_is_named(tmp_path: Path):
    root = write_folder(tmp_path / "train")
    val = write_folder(tmp_path / "val", {"ant": 1, "wasp": 1})
    with pytest.raises(InvalidArgumentError, match="training data lacks: wasp"):
        create_data("images", data_dir=str(root), val_data=str(val))
    with pytest.raises(MissingFileError, match="does not exist"):
        create_data("images", data_dir=str(tmp_path / "nowhere"))


def test_balanced_holdout_takes_the_same_number_of_every_class():
    targets = np.repeat(np.arange(4), [50, 20, 8, 3])
    keep, held = balanced_holdout(targets, 2, seed=0)
    assert np.bincount(targets[held]).tolist() == [2, 2, 2, 2]
    assert sorted(np.concatenate([keep, held]).tolist()) == list(range(len(targets)))
