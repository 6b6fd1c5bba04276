"""Package-level promises: a light ``import ltzoo`` and lazy attributes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ltzoo
from ltzoo.images import sample_images


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


# a meta-path finder that makes torch (and what needs it) unimportable, as on a deployment
# that installed only numpy, Pillow and onnxruntime
_NO_TORCH = """
import sys
class _Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "torchvision", "timm"):
            raise ImportError(f"{name} is not installed here")
sys.meta_path.insert(0, _Blocked())
"""


def test_the_onnx_path_serves_a_zoo_model_without_torch():
    code = _NO_TORCH + (
        "import ltzoo\n"
        "from ltzoo.images import sample_images\n"
        "p = ltzoo.load('gcl-resnet32-cifar10lt', backend='onnx')\n"
        "top = p.predict(sample_images()[0], topk=1)[0][0]\n"
        "assert 'torch' not in sys.modules\n"
        "print(top['label'], round(top['score'], 3))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    label, score = out.stdout.split()
    assert label in ltzoo.load("gcl-resnet32-cifar10lt", backend="onnx").label_names and 0 < float(score) <= 1


def test_ltzoo_predict_with_the_onnx_backend_runs_without_torch():
    code = _NO_TORCH + "from ltzoo.cli import main\nsys.exit(main(['predict', '--backend', 'onnx', '--topk', '1']))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("%") == len(sample_images())  # one top-1 line per bundled photo


@pytest.mark.parametrize("imports", [
    "import ltzoo, timm", "import timm, ltzoo", "import ltzoo; import timm.models",
    # transformers looks timm up (importlib.util.find_spec) long before it imports it
    "import ltzoo, importlib.util; assert importlib.util.find_spec('timm'); import timm",
])
def test_timm_knows_ltzoo_architectures_after_import_ltzoo(imports: str):
    """In a fresh interpreter, in any import order, with nothing but ``import ltzoo``: timm builds the
    CIFAR ResNets and loads a zoo folder with its cosine head (import ltzoo itself stays torch-free)."""
    folder = Path(ltzoo.__file__).parent / "assets" / "models" / "gcl-resnet32-cifar10lt"
    code = (
        "import sys\n"
        "import ltzoo as _first\n"
        "assert 'torch' not in sys.modules\n" if imports.startswith("import ltzoo") else ""
    ) + (
        f"{imports}\n"
        "import timm\n"
        "assert timm.is_model('resnet32_cifar') and timm.is_model('resnet110_cifar')\n"
        f"model = timm.create_model('local-dir:{folder}', pretrained=True)\n"
        "print(type(model.get_classifier()).__name__, model.num_classes)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["CosineClassifier", "10"]
