"""Package-level promises: a light ``import ltzoo`` and lazy attributes."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ltzoo


def test_import_ltzoo_does_not_import_torch():
    code = "import sys, ltzoo; assert 'torch' not in sys.modules, 'torch imported'; print(ltzoo.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ltzoo.__version__


def test_lazy_attributes():
    assert callable(ltzoo.create_loss) and callable(ltzoo.create_model)
    assert "gcl" in ltzoo.list_losses()
    with pytest.raises(AttributeError):
        ltzoo.does_not_exist  # noqa: B018
