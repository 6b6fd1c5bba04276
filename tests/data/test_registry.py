"""The dataset registry: every registered dataset has its title and Hub id, builds from files in
its real layout (split lists of real PNGs; CIFAR when present) and names what it misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltzoo.data import DataOptions, create_data, dataset_entry, list_datasets, register_dataset
from ltzoo.data.split_lists import LIST_DATASETS
from ltzoo.errors import CorruptFileError, DuplicateNameError, InvalidArgumentError, MissingFileError, UnknownNameError

from .stand_ins import LIST_COUNTS, write_split_lists

# the list file names each split-list dataset reads from data_dir (the generic "list" takes paths)
LIST_NAMES = {key: names for key, (_, *names) in LIST_DATASETS.items()} | {"list": ["train.txt", "val.txt", "test.txt"]}


@pytest.mark.parametrize("name", list_datasets())
def test_every_dataset_has_a_title_a_hub_id_and_names_what_it_misses(name: str, tmp_path: Path):
    entry = dataset_entry(name)
    assert entry.name == name and entry.title and entry.hub_id and entry.layout
    assert entry.build.__doc__, "a dataset's builder says what it loads"
    if name == "synthetic_lt":  # needs no files
        bundle = create_data(name, imbalance_ratio=10)
        assert bundle.num_classes == 10 and bundle.class_counts[0] == 10 * bundle.class_counts[-1]
        return
    with pytest.raises((MissingFileError, InvalidArgumentError), match=r"data-dir|train_list|no class sub-folders"):
        create_data(name, data_dir=str(tmp_path))


@pytest.mark.parametrize("name", sorted(LIST_NAMES))
def test_split_list_datasets_build_from_their_files(name: str, tmp_path: Path):
    names = LIST_NAMES[name]
    write_split_lists(tmp_path, names)
    options = DataOptions(data_dir=str(tmp_path))
    if name == "list":
        options = DataOptions(data_dir=str(tmp_path), **{f"{s}_list": str(tmp_path / n)
                                                          for s, n in zip(("train", "val", "test"), names)})
    bundle = create_data(name, options)
    assert bundle.class_counts.tolist() == list(LIST_COUNTS.values()) and bundle.num_classes == 3
    assert len(bundle.val) == len(bundle.test) == 6
    assert all(Path(p).is_file() for p in bundle.train.inputs())


@pytest.mark.data
def test_cifar_entries_build_from_the_real_files(cifar_root: Path):
    bundle = create_data("cifar10_lt", data_dir=str(cifar_root), imbalance_ratio=100)
    assert len(bundle.train) == 12406 and len(bundle.test) == 10000 and bundle.class_names[3] == "cat"
    assert dataset_entry("cifar10_lt").describe(100) == "CIFAR-10-LT (imbalance ratio 100)"


def test_registry_mistakes_are_named():
    with pytest.raises(UnknownNameError, match="Did you mean 'cifar10_lt'"):
        create_data("cifar10lt")
    with pytest.raises(InvalidArgumentError, match="no option 'imbalance'. Did you mean imbalance_ratio"):
        create_data("synthetic_lt", imbalance=10)
    with pytest.raises(DuplicateNameError):
        register_dataset("cifar10_lt", title="again")(lambda options: None)


def test_a_val_or_test_label_beyond_the_training_classes_is_named(tmp_path: Path):
    write_split_lists(tmp_path, LIST_NAMES["list"])
    (tmp_path / "test.txt").write_text("test/0/0.png 0\ntest/1/0.png 3\n")  # the training list has classes 0..2
    options = {f"{s}_list": str(tmp_path / f"{s}.txt") for s in ("train", "val", "test")}
    with pytest.raises(CorruptFileError, match="test.txt:2: label 3 is out of range: the model / dataset has 3"):
        create_data("list", data_dir=str(tmp_path), **options)
