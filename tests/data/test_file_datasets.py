"""List / folder / CSV datasets: parsing, counts without decoding, image modes, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ltzoo.data import CSVDataset, FolderDataset, ListDataset
from ltzoo.errors import CorruptFileError, InvalidArgumentError, MissingFileError
from ltzoo.images import load_image


def _write_images(root: Path, names: list[str]) -> None:
    rng = np.random.RandomState(0)
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.randint(0, 256, (8, 8, 3), dtype=np.uint8)).save(path)


def test_list_dataset_parses_and_loads(tmp_path: Path):
    _write_images(tmp_path, ["a/x 1.png", "b/y.png", "b/z.png"])
    listing = tmp_path / "train.txt"
    listing.write_text("a/x 1.png 0\nb/y.png 2\n\nb/z.png 2\n")
    ds = ListDataset(tmp_path, listing)
    assert ds.targets == [0, 2, 2] and ds.class_counts.tolist() == [1, 0, 2]
    img, label = ds[0]
    assert img.size == (8, 8) and img.mode == "RGB" and label == 0


@pytest.mark.parametrize("line,match", [("just_a_path.jpg", ":2: expected"), ("img.jpg zero", ":2: expected"),
                                        ("img.jpg -3", ":2: label must be >= 0"),
                                        ("/etc/passwd 0", ":2: image paths must be relative"),
                                        ("../../outside.jpg 0", ":2: image paths must be relative"),
                                        ("a/../../outside.jpg 0", ":2: image paths must be relative"),
                                        ("img.jpg 999999999", ":2: label 999999999 is out of range: the list holds 2")])
def test_list_dataset_malformed_line_names_the_line(tmp_path: Path, line: str, match: str):
    listing = tmp_path / "bad.txt"
    listing.write_text(f"ok.jpg 1\n{line}\n")
    with pytest.raises(CorruptFileError, match=match):
        ListDataset(tmp_path, listing)


def test_labels_are_checked_against_the_classes_given(tmp_path: Path):
    """A split that lacks classes (a small test list) names its class count; labels beyond it fail."""
    listing = tmp_path / "test.txt"
    listing.write_text("a.png 57\nb.png 3\n")
    assert ListDataset(tmp_path, listing, num_classes=100).class_counts.shape == (100,)
    with pytest.raises(CorruptFileError, match=":1: label 57 is out of range: the model / dataset has 10 classes"):
        ListDataset(tmp_path, listing, num_classes=10)
    with pytest.raises(CorruptFileError, match="num_classes=C"):
        ListDataset(tmp_path, listing)


def test_missing_and_corrupt_images(tmp_path: Path):
    _write_images(tmp_path, ["good.png"])
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    listing = tmp_path / "l.txt"
    listing.write_text("broken.jpg 0\nmissing.png 1\ngood.png 1\n")
    ds = ListDataset(tmp_path, listing)
    with pytest.raises(CorruptFileError, match="broken.jpg"):
        ds[0]
    with pytest.raises(MissingFileError, match="missing.png"):
        ds[1]
    lenient = ListDataset(tmp_path, listing, skip_corrupt=True)
    with pytest.warns(UserWarning, match="broken.jpg"):
        img, label = lenient[0]
    assert label == 1 and img.size == (8, 8)
    with pytest.raises(MissingFileError, match="nope.txt"):
        ListDataset(tmp_path, tmp_path / "nope.txt")


def test_image_modes_are_converted_to_rgb(tmp_path: Path):
    gray16 = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)
    Image.fromarray(gray16).save(tmp_path / "g16.png")
    Image.fromarray(np.full((4, 4, 4), 200, dtype=np.uint8), mode="RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(np.full((4, 4), 7, dtype=np.uint8), mode="L").save(tmp_path / "gray.png")
    g16 = np.asarray(load_image(tmp_path / "g16.png"))
    assert g16.shape == (8, 8, 3) and g16[-1, -1, 0] == round(63000 / 65535 * 255)
    assert load_image(tmp_path / "rgba.png").mode == "RGB"
    assert np.asarray(load_image(tmp_path / "gray.png"))[0, 0].tolist() == [7, 7, 7]


def test_folder_dataset(tmp_path: Path):
    _write_images(tmp_path, ["cat/1.png", "cat/2.png", "dog/1.png"])
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    ds = FolderDataset(tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.class_counts.tolist() == [2, 1]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidArgumentError, match="empty"):
        FolderDataset(tmp_path)


def test_csv_dataset_with_names_and_ints(tmp_path: Path):
    _write_images(tmp_path, ["1.png", "2.png", "3.png"])
    (tmp_path / "names.csv").write_text("path,label\n1.png,zebra\n2.png,ant\n3.png,zebra\n")
    ds = CSVDataset(tmp_path, tmp_path / "names.csv")
    assert ds.classes == ["ant", "zebra"] and ds.targets == [1, 0, 1]
    (tmp_path / "ints.csv").write_text("path,label\n1.png,3\n2.png,0\n")
    assert CSVDataset(tmp_path, tmp_path / "ints.csv").class_counts.tolist() == [1, 0, 0, 1]
    (tmp_path / "negative.csv").write_text("path,label\n1.png,1\n2.png,-1\n3.png,10\n")
    with pytest.raises(CorruptFileError, match="negative.csv:3: label must be >= 0"):  # was: class "-1" sorted first
        CSVDataset(tmp_path, tmp_path / "negative.csv")
    (tmp_path / "bad.csv").write_text("file,cls\n1.png,0\n")
    with pytest.raises(CorruptFileError, match="'path' and 'label'"):
        CSVDataset(tmp_path, tmp_path / "bad.csv")


@pytest.mark.data
def test_real_split_lists(data_dir: Path):
    splits = data_dir / "splits"
    places = ListDataset("/nonexistent", splits / "Places_LT_train.txt")
    assert len(places) == 62500 and len(places.class_counts) == 365
    assert places.class_counts.min() == 5 and places.class_counts.max() == 4980
    imagenet_val = ListDataset("/nonexistent", splits / "ImageNet_LT_val.txt")
    assert len(imagenet_val) == 20000 and set(imagenet_val.class_counts.tolist()) == {20}
    assert len(ListDataset("/nonexistent", splits / "ImageNet_LT_test.txt")) == 50000
    assert len(ListDataset("/nonexistent", splits / "iNaturalist18_val.txt")) == 24426
