"""Training checkpoints: written atomically, loaded without unpickling arbitrary objects."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ltzoo.errors import CorruptFileError, MissingFileError, StorageFullError
from ltzoo.training.checkpoint import atomic_save_safetensors, atomic_torch_save, atomic_write, load_training_state


class _FailsToPickle:
    def __reduce__(self):
        raise RuntimeError("disk full (simulated)")


class _Arbitrary:
    pass


def test_round_trip_keeps_tensors_and_plain_data(tmp_path: Path):
    state = {"model": {"w": torch.arange(6.0).view(2, 3)}, "epoch": 4, "rng": torch.get_rng_state()}
    atomic_torch_save(state, tmp_path / "sub" / "train_state.pt")
    loaded = load_training_state(tmp_path / "sub" / "train_state.pt")
    assert loaded["epoch"] == 4
    torch.testing.assert_close(loaded["model"]["w"], state["model"]["w"])
    assert torch.equal(loaded["rng"], state["rng"])


def test_a_failed_write_keeps_the_previous_checkpoint(tmp_path: Path):
    path = tmp_path / "train_state.pt"
    atomic_torch_save({"epoch": 1}, path)
    with pytest.raises(RuntimeError, match="disk full"):
        atomic_torch_save({"epoch": 2, "bad": _FailsToPickle()}, path)
    assert load_training_state(path) == {"epoch": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["train_state.pt"]  # no temp file left behind


def test_safetensors_are_written_atomically_and_contiguous(tmp_path: Path):
    path = tmp_path / "best_model.safetensors"
    weight = torch.randn(2, 3, 4, 4).to(memory_format=torch.channels_last)
    atomic_save_safetensors({"conv.weight": weight}, path)
    assert torch.equal(load_file(path)["conv.weight"], weight)


def test_a_write_that_fails_half_way_leaves_the_old_file(tmp_path: Path):
    path = tmp_path / "best_model.safetensors"
    atomic_save_safetensors({"w": torch.ones(3)}, path)

    def half_then_fail(f):
        f.write(b"\0" * 1000)
        raise OSError("No space left on device (simulated)")

    with pytest.raises(OSError, match="No space"):
        atomic_write(path, half_then_fail)
    assert torch.equal(load_file(path)["w"], torch.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["best_model.safetensors"]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_is_named_and_the_previous_checkpoint_kept(tmp_path: Path, code: int):
    """The write fails as the kernel fails it on a full disk or quota (an OSError with that errno,
    raised by the file's write): one clear error, the old file intact, no temp file."""
    path = tmp_path / "train_state.pt"
    atomic_torch_save({"epoch": 1}, path)

    def full(f):
        f.write(b"\0" * 100)
        raise OSError(code, "No space left on device")

    with pytest.raises(StorageFullError, match=r"writing .*train_state.pt failed: no space left on its disk .* "
                                               r"the previous train_state.pt is kept"):
        atomic_write(path, full)
    assert load_training_state(path) == {"epoch": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["train_state.pt"]


def test_missing_corrupt_and_unsafe_checkpoints_are_refused(tmp_path: Path):
    with pytest.raises(MissingFileError, match="drop --resume"):
        load_training_state(tmp_path / "absent.pt")
    truncated = tmp_path / "truncated.pt"
    atomic_torch_save({"w": torch.ones(100)}, truncated)
    truncated.write_bytes(truncated.read_bytes()[:50])
    with pytest.raises(CorruptFileError, match="truncated.pt"):
        load_training_state(truncated)
    unsafe = tmp_path / "unsafe.pt"
    torch.save({"obj": _Arbitrary()}, unsafe)  # loading it would need to unpickle a class
    with pytest.raises(CorruptFileError, match=r"unsafe.pt holds an object of class \S*_Arbitrary, which ltzoo does not unpickle"):
        load_training_state(unsafe)
