"""``ltzoo predict`` on files and folders: batches, unreadable files skipped and reported, CSV /
JSON Lines output written whole, never over a file without --overwrite."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ltzoo.images import sample_images

from ..test_hub import make_folder


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ltzoo", "predict", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_folder(tmp_path_factory.mktemp("predict") / "model")


def test_folders_are_searched_and_unreadable_files_skipped(model: Path, tmp_path: Path):
    photos = tmp_path / "photos" / "nested"
    photos.mkdir(parents=True)
    for path in sample_images():
        (photos / path.name).write_bytes(path.read_bytes())
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    (photos / "notes.txt").write_text("not an image, not searched")
    out = _cli(tmp_path, "photos", "--model", str(model), "--output", "out.jsonl", "--batch-size", "2", "--topk", "2")
    assert out.returncode == 0, out.stderr
    assert "skipped photos/nested/broken.jpg" in out.stderr
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [Path(r["image"]).name for r in rows] == sorted([p.name for p in sample_images()] + ["broken.jpg"])
    assert all(len(r["predictions"]) == 2 for r in rows if "error" not in r)
    assert sum("error" in r for r in rows) == 1


def test_an_existing_output_is_kept_unless_overwrite(model: Path, tmp_path: Path):
    (tmp_path / "out.csv").write_text("mine")
    refused = _cli(tmp_path, "--model", str(model), "--output", "out.csv")
    assert refused.returncode == 2 and "--overwrite" in refused.stderr
    assert (tmp_path / "out.csv").read_text() == "mine"
    replaced = _cli(tmp_path, "--model", str(model), "--output", "out.csv", "--overwrite")
    assert replaced.returncode == 0 and (tmp_path / "out.csv").read_text().startswith("image,label,score")


@pytest.mark.parametrize("args, match", [
    (["--output", "out.xlsx"], "--output must end in .csv or .jsonl"),
    (["--batch-size", "0"], "--batch-size must be an integer >= 1"),
    (["no_such_folder"], "no_such_folder does not exist"),
])
def test_mistakes_are_named_before_any_work(model: Path, tmp_path: Path, args: list[str], match: str):
    out = _cli(tmp_path, "--model", str(model), *args)
    assert out.returncode == 2 and match in out.stderr


def test_every_file_unreadable_is_a_failure(model: Path, tmp_path: Path):
    (tmp_path / "a.png").write_bytes(b"nothing")
    out = _cli(tmp_path, "a.png", "--model", str(model))
    assert out.returncode == 1 and "skipped" in out.stderr
