"""The bad-input sweep (tests/robustness/sweep.py): every case, over every registered loss,
sampler, dataset and predictor backend, ends in a typed ltzoo error; and none writes a file."""

from __future__ import annotations

from pathlib import Path

from .sweep import run


def test_every_bad_input_of_the_sweep_is_a_typed_error(tmp_path: Path):
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    rows, totals = run(tmp_path)
    wrong = [f"{r['outcome']}: {r['family']}/{r['entry']}: {r['what']}" for r in rows if r["outcome"] != "typed"]
    assert not wrong, "\n".join(wrong)
    assert totals["all"]["typed"] == len(rows) >= 250
    made = {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*")} - {p.parts[0] for p in before}
    assert made <= {"a_file.txt", "not_an_image.jpg", "checkpoints"}  # the sweep's own inputs, nothing else
