"""Starting a new run in a folder: a folder that already holds a run (finished or not) is never
overwritten unless the user asks (``--overwrite``), and then the old run's files are removed
first, so none of them survives beside the new run's (a stale ``best_model.safetensors`` or
``model/`` describing other weights)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import RunExistsError
from .run_log import METRICS_NAME, TENSORBOARD_FOLDER

# what a run writes into its folder (the lock file excepted: the running process holds it)
STATE_NAME = "train_state.pt"
RECIPE_NAME = "recipe.yaml"
BEST_WEIGHTS_NAME = "best_model.safetensors"
MODEL_FOLDER = "model"
STAGE_FINAL_PATTERN = "*_final.safetensors"
RUN_FILES = (STATE_NAME, METRICS_NAME, RECIPE_NAME, BEST_WEIGHTS_NAME, MODEL_FOLDER, TENSORBOARD_FOLDER)


def run_files(folder: str | Path) -> list[Path]:
    """The files and folders of a run in ``folder`` (empty for a new or empty folder)."""
    folder = Path(folder)
    found = [folder / name for name in RUN_FILES if (folder / name).exists()]
    return found + sorted(folder.glob(STAGE_FINAL_PATTERN))


def start_new_run(folder: str | Path, overwrite: bool = False) -> None:
    """Makes ``folder`` ready for a new run: refuses (RunExistsError) if it holds one, unless
    ``overwrite``, in which case the old run's files are deleted first."""
    existing = run_files(folder)
    if not existing:
        return
    if not overwrite:
        names = ", ".join(p.name for p in existing)
        raise RunExistsError(
            f"{folder} already holds a run ({names}): continue it with --resume, start it again with "
            f"--overwrite (its files are deleted), or train into another --output-dir"
        )
    for path in existing:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
