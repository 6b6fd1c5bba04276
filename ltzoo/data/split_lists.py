"""The long-tailed datasets distributed as split lists (``<relative path> <label>`` per line):
ImageNet-LT, Places-LT, iNaturalist 2018 under their official list names, and any other set given
as ``train_list`` / ``val_list`` / ``test_list``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InvalidArgumentError, MissingFileError
from .bundle import DataBundle, Split
from .file_datasets import ListDataset
from .registry import DataOptions, register_dataset

# official split-list names (OLTR release for ImageNet-LT / Places-LT; iNaturalist 2018 has no
# labelled test set: the papers report on its validation list)
LIST_DATASETS = {
    "imagenet_lt": ("ImageNet-LT", "ImageNet_LT_train.txt", "ImageNet_LT_val.txt", "ImageNet_LT_test.txt"),
    "places_lt": ("Places-LT", "Places_LT_train.txt", "Places_LT_val.txt", "Places_LT_test.txt"),
    "inat2018": ("iNaturalist 2018", "iNaturalist18_train.txt", "iNaturalist18_val.txt", "iNaturalist18_val.txt"),
}
# the images the lists point into, and the training list's size (OLTR's ImageNet-LT and Places-LT
# lists, Liu et al. CVPR 2019; the iNaturalist 2018 competition's train list)
LIST_IMAGES = {
    "imagenet_lt": ("the ImageNet (ILSVRC 2012) images", 115_846),
    "places_lt": ("the Places365-Standard images", 62_500),
    "inat2018": ("the iNaturalist 2018 images", 437_513),
}


def _list_file(options: DataOptions, key: str, default_name: str | None, title: str) -> Path:
    given = getattr(options, key)
    path = Path(given) if given else (Path(options.data_dir) / default_name if default_name else None)
    if path is None:
        raise InvalidArgumentError(f"the 'list' dataset needs {key}=PATH (a '<relative path> <label>' file)")
    if not path.is_file():
        raise MissingFileError(
            f"{title} needs the split list {path.name} (expected at {path}); pass {key}=PATH if it lives "
            f"elsewhere. Image paths in it are relative to --data-dir ({options.data_dir})."
        )
    return path


def _from_lists(options: DataOptions, title: str, names: tuple[str | None, str | None, str | None]) -> DataBundle:
    root = Path(options.data_dir)
    paths = [_list_file(options, key, name, title) for key, name in zip(("train_list", "val_list", "test_list"), names)]
    train = ListDataset(root, paths[0])
    num_classes = len(train.class_counts)  # the classes are those of the training list
    val, test = (ListDataset(root, path, num_classes=num_classes) for path in paths[1:])
    return DataBundle(
        *(Split(np.asarray(ds.targets), dataset=ds) for ds in (train, val, test)),
        [str(c) for c in range(num_classes)], train.class_counts,
        f"{title} ({len(train)} training images, {num_classes} classes)",
    )


def _register_list_dataset(key: str) -> None:
    title, *names = LIST_DATASETS[key]
    images, train_images = LIST_IMAGES[key]
    lists = ", ".join(dict.fromkeys(names))  # iNaturalist's val list is also its test list

    def build(options: DataOptions) -> DataBundle:
        return _from_lists(options, title, tuple(names))

    build.__doc__ = f"{title} from its official split lists; images under data_dir."
    layout = (f"{images} and the split lists {lists} ('<path relative to --data-dir> <label>' per line; "
              "or pass train_list= / val_list= / test_list=)")
    register_dataset(key, title=title, layout=layout, train_images=train_images)(build)


for _key in LIST_DATASETS:
    _register_list_dataset(_key)


@register_dataset("list", title="split lists", layout="the images, and split lists passed as train_list=, val_list=, "
                  "test_list= ('<path relative to --data-dir> <label>' per line)")
def list_dataset(options: DataOptions) -> DataBundle:
    """Any long-tailed dataset given as split lists: train_list, val_list, test_list."""
    return _from_lists(options, "the list dataset", (None, None, None))
