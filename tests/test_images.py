"""Image inputs: EXIF orientation, and float arrays that are not images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ltzoo.errors import InvalidArgumentError
from ltzoo.images import load_image, to_pil

ORIENTATION = 0x0112  # the EXIF tag


@pytest.mark.parametrize("orientation,size", [(1, (40, 20)), (6, (20, 40)), (8, (20, 40)), (3, (40, 20))])
def test_load_image_turns_photos_upright_by_their_exif_orientation(tmp_path: Path, orientation: int, size: tuple):
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :20] = 255  # left half white: where it ends up shows the rotation
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    path = tmp_path / "photo.jpg"
    Image.fromarray(pixels).save(path, exif=exif, quality=95)
    img = load_image(path)
    assert img.size == size and img.mode == "RGB"
    upright = np.asarray(img).mean(axis=2)
    expected = {1: upright[:, :20], 3: upright[:, 20:], 6: upright[:20], 8: upright[20:]}[orientation]
    assert expected.mean() > 200  # the white half is where ImageOps.exif_transpose puts it


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_float_arrays_with_non_finite_pixels_are_refused(bad: float):
    pixels = np.full((4, 4, 3), 0.5)
    pixels[1, 2, 0] = bad
    with pytest.raises(InvalidArgumentError, match="NaN or inf"):
        to_pil(pixels)
