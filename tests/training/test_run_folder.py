"""A folder that holds a run is never overwritten unless asked, and then nothing of the old run survives."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltzoo.errors import RunExistsError
from ltzoo.training.run_folder import RUN_FILES, run_files, start_new_run


def _old_run(folder: Path) -> None:
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "config.json").write_text("{}")
    for name in ("train_state.pt", "metrics.jsonl", "representation_final.safetensors"):
        (folder / name).write_text("old")
    (folder / "notes.txt").write_text("the user's own file")


def test_an_empty_or_missing_folder_starts_a_run(tmp_path: Path):
    start_new_run(tmp_path / "new")
    start_new_run(tmp_path)
    assert run_files(tmp_path) == []


def test_a_folder_holding_a_run_is_refused_and_left_as_it_was(tmp_path: Path):
    _old_run(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(RunExistsError, match="--resume.*--overwrite") as error:
        start_new_run(tmp_path)
    assert "train_state.pt" in str(error.value) and isinstance(error.value, FileExistsError)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_overwrite_removes_the_old_run_and_nothing_else(tmp_path: Path):
    _old_run(tmp_path)
    start_new_run(tmp_path, overwrite=True)
    assert run_files(tmp_path) == [] and not any((tmp_path / name).exists() for name in RUN_FILES)
    assert (tmp_path / "notes.txt").read_text() == "the user's own file"
