"""ONNX export with calibration inside the graph, verification against torch, int8 quantization.

The exported graph computes ``z / T + log(pi_target) - log(pi_output)`` (the checkpoint's
temperature and the target-prior shift) and, when asked, its softmax; with ``uint8_input`` it
takes resized and cropped uint8 NHWC images and normalises them itself. Labels, the
preprocessing config, the calibration, the verification numbers and the ltzoo version go into
the model's ``metadata_props`` so :class:`ltzoo.runtime.OnnxPredictor` needs nothing else.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .calibration import prior_log_ratio
from .download import ONNX_NAME
from .errors import InvalidArgumentError
from .images import load_image, sample_images  # noqa: F401  (sample_images: re-exported)
from .runtime import ImagePreprocessor

OUTPUTS = ("logits", "probs")
DATA_CONFIG_KEYS = ("input_size", "interpolation", "crop_pct", "crop_mode", "mean", "std")
# the oldest ONNX opset asked for: the legacy exporter's floor (the dynamo exporter writes 18 or newer)
MIN_OPSET = 7


class CalibratedClassifier(nn.Module):
    """The model plus normalisation (uint8 input), temperature, prior shift and softmax."""

    def __init__(
        self,
        model: nn.Module,
        mean: Sequence[float],
        std: Sequence[float],
        temperature: float,
        prior_bias: torch.Tensor,
        outputs: Sequence[str] = OUTPUTS,
        uint8_input: bool = False,
    ):
        super().__init__()
        self.model = model.eval()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("prior_bias", prior_bias.float().view(1, -1))
        self.temperature = float(temperature)
        self.outputs = tuple(outputs)
        self.uint8_input = uint8_input

    def forward(self, images: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        if self.uint8_input:
            images = (images.permute(0, 3, 1, 2).float() / 255.0 - self.mean) / self.std
        logits = self.model(images) / self.temperature + self.prior_bias
        results = tuple(logits if name == "logits" else logits.softmax(dim=1) for name in self.outputs)
        return results if len(results) > 1 else results[0]


def data_config_of(config: dict[str, Any]) -> dict[str, Any]:
    cfg = config.get("pretrained_cfg", {})
    return {k: cfg.get(k) for k in DATA_CONFIG_KEYS}


def _locate_operator(model: nn.Module, example: torch.Tensor, op_name: str) -> str | None:
    """Path of the innermost module running when ``op_name`` (e.g. ``linalg_eigh``) is called in
    one forward pass, found with module hooks and a TorchFunctionMode; None if not seen."""
    from torch.overrides import TorchFunctionMode

    stack: list[str] = []
    found: list[str] = []

    class Finder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            if not found and getattr(func, "__name__", "") == op_name:
                found.append(stack[-1] if stack else "")
            return func(*args, **(kwargs or {}))

    def enter(name: str) -> Callable[..., None]:
        return lambda *_: stack.append(name)

    def leave(*_: object) -> None:  # returns None: a forward hook's return value replaces the output
        stack.pop()

    handles = []
    for name, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(enter(name)))
        handles.append(module.register_forward_hook(leave))
    try:
        with torch.no_grad(), Finder():
            model(example)
    except Exception:  # locating is best effort; the export error is what the user gets
        pass
    finally:
        for handle in handles:
            handle.remove()
    return found[0] if found else None


def _trace_error(wrapper: nn.Module, example: torch.Tensor, dynamo_exc: Exception, legacy_exc: Exception,
                 opset: int) -> InvalidArgumentError:
    """An error naming the operator both exporters rejected and the module that calls it."""
    text = f"{legacy_exc}\n{dynamo_exc}"
    op_match = re.search(r"operator '(?:aten::)?([^']+)'", text) or re.search(r"\baten(?:::|\.)(\w+)", text)
    what = (str(dynamo_exc).splitlines() or [repr(dynamo_exc)])[0]
    if op_match:
        op = op_match.group(1)
        path = _locate_operator(wrapper, example, op)
        where = ""
        if path:
            path = path.removeprefix("model.") if path != "model" else ""
            owner = wrapper.get_submodule(f"model.{path}" if path else "model") if hasattr(wrapper, "model") else None
            where = f" in module {path!r} ({type(owner).__name__})" if path and owner is not None else ""
        what = f"operator {op}{where} has no ONNX export at opset {opset}"
    name = type(getattr(wrapper, "model", wrapper)).__name__
    return InvalidArgumentError(
        f"cannot export {name} to ONNX: {what}. Both torch.onnx exporters (dynamo and TorchScript) failed; "
        "replace that operation, or register a custom translation."
    )


def export_onnx(
    model: nn.Module,
    config: dict[str, Any],
    output: str | Path,
    *,
    opset: int = 18,
    dynamic_batch: bool = True,
    uint8_input: bool = False,
    outputs: Sequence[str] = OUTPUTS,
    target_prior: Any = "balanced",
    verify_images: Sequence[Any] | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Exports ``model`` (with the calibration of ``config``) to ``output`` and verifies it.

    Returns the verification report (max |logit difference|, top-1 agreement, exporter used).
    """
    import onnx

    latest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= latest:
        raise InvalidArgumentError(f"opset must be an integer in {MIN_OPSET}..{latest} (the installed onnx's newest), "
                                   f"got {opset!r}")
    outputs = tuple(outputs)
    if not outputs or any(o not in OUTPUTS for o in outputs):
        raise InvalidArgumentError(f"outputs must be a non-empty subset of {OUTPUTS}, got {outputs}")
    block = config.get("ltzoo", {})
    calibration = block.get("calibration", {})
    counts = block.get("class_counts")
    output_prior = calibration.get("output_prior", "train")
    if counts is None:
        bias = torch.zeros(config["num_classes"])
        target_prior = output_prior
    else:
        bias = prior_log_ratio(output_prior, target_prior, counts).float()
    data_config = data_config_of(config)
    wrapper = CalibratedClassifier(model.cpu().float(), data_config["mean"], data_config["std"],
                                   float(calibration.get("temperature", 1.0)), bias, outputs, uint8_input).eval()
    preprocessor = ImagePreprocessor(data_config)
    images = list(verify_images) if verify_images else sample_images()
    pixels = np.stack([preprocessor.resize_crop(load_image(p) if isinstance(p, (str, Path)) else p) for p in images])
    example = torch.from_numpy(pixels if uint8_input else preprocessor.normalize(pixels))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    exporter = _export(wrapper, example, output, opset, dynamic_batch, outputs)
    report = verify_onnx(wrapper, output, example, outputs)
    written = next(o.version for o in onnx.load(str(output), load_external_data=False).opset_import
                   if o.domain in ("", "ai.onnx"))
    report.update({"exporter": exporter, "opset": written, "requested_opset": opset, "verified_on": [str(getattr(p, "name", "array")) for p in images]})
    meta = {
        "ltzoo_version": _version(),
        "label_names": config.get("label_names"),
        "num_classes": config["num_classes"],
        "data_config": data_config,
        "input_format": "uint8_nhwc" if uint8_input else "float32_nchw",
        "outputs": list(outputs),
        "calibration": calibration,
        "class_counts": counts,
        "exported_target_prior": target_prior,
        "architecture": config["architecture"],
        "verification": report,
    }
    _write_metadata(output, {"ltzoo": json.dumps(meta)})
    if written != opset:
        log(f"note: opset {opset} was asked for; the {exporter} exporter wrote opset {written}")
    log(f"exported {output} with the {exporter} exporter (opset {written}): max |logit diff| "
        f"{report['max_abs_logit_diff']:.2e}, top-1 agreement {100 * report['top1_agreement']:.1f}% "
        f"on {report['num_images']} images")
    return report


def _export(wrapper: nn.Module, example: torch.Tensor, output: Path, opset: int, dynamic_batch: bool,
            outputs: tuple[str, ...]) -> str:
    names = {"input_names": ["images"], "output_names": list(outputs)}
    try:
        shapes = {"images": {0: torch.export.Dim("batch", min=1, max=4096)}} if dynamic_batch else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(wrapper, (example,), dynamo=True, opset_version=opset,
                                        dynamic_shapes=shapes, external_data=False, **names)
        program.save(str(output), external_data=False)
        return "dynamo"
    except Exception as dynamo_exc:  # fall back to the TorchScript-based exporter
        axes = {n: {0: "batch"} for n in ["images", *outputs]} if dynamic_batch else None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(wrapper, (example,), str(output), dynamo=False, opset_version=opset,
                                  dynamic_axes=axes, **names)
        except Exception as legacy_exc:
            raise _trace_error(wrapper, example, dynamo_exc, legacy_exc, opset) from legacy_exc
        warnings.warn(f"the dynamo exporter failed ({dynamo_exc!r:.200}); used the legacy exporter", stacklevel=3)
        return "legacy"


@torch.inference_mode()
def verify_onnx(wrapper: nn.Module, path: Path, example: torch.Tensor, outputs: tuple[str, ...]) -> dict[str, Any]:
    """``onnx.checker`` then onnxruntime against torch on the same inputs."""
    import onnx
    import onnxruntime as ort

    onnx.checker.check_model(onnx.load(str(path)))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ort_out = session.run(None, {"images": example.numpy()})
    torch_out = wrapper(example)
    torch_out = torch_out if isinstance(torch_out, tuple) else (torch_out,)
    index = outputs.index("logits") if "logits" in outputs else 0
    a, b = torch_out[index].numpy(), ort_out[index]
    report = {
        "num_images": int(example.shape[0]),
        "max_abs_logit_diff": float(np.abs(a - b).max()),
        "top1_agreement": float((a.argmax(1) == b.argmax(1)).mean()),
    }
    if report["top1_agreement"] < 1.0:
        raise InvalidArgumentError(f"onnxruntime disagrees with torch on top-1 ({report}); the export is not usable")
    return report


def quantize_int8(source: Path, output: Path, mode: str, calibration_pixels: np.ndarray | None = None,
                  uint8_input: bool = False, preprocessor: ImagePreprocessor | None = None) -> Path:
    """int8 quantization with onnxruntime: ``static`` (QDQ, per-channel int8 weights, uint8
    activations calibrated on real images -- U8S8, the fast combination on x86; for CNNs) or
    ``dynamic`` (weights only; for transformers).
    The ltzoo metadata is carried over."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = output.with_suffix(".prep.onnx")
    quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
    try:
        if mode == "dynamic":
            quantize_dynamic(str(prepared), str(output), weight_type=QuantType.QInt8, per_channel=True)
        elif mode == "static":
            if calibration_pixels is None or preprocessor is None:
                raise InvalidArgumentError("static int8 needs calibration images (--calibration-images DIR)")
            batches = [calibration_pixels[i : i + 16] for i in range(0, len(calibration_pixels), 16)]

            class Reader(CalibrationDataReader):
                def __init__(self) -> None:
                    self.items = iter(batches)

                def get_next(self) -> dict[str, np.ndarray] | None:
                    batch = next(self.items, None)
                    if batch is None:
                        return None
                    return {"images": batch if uint8_input else preprocessor.normalize(batch)}

            quantize_static(str(prepared), str(output), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        else:
            raise InvalidArgumentError(f"int8 mode must be 'static' or 'dynamic', got {mode!r}")
    finally:
        prepared.unlink(missing_ok=True)
    _copy_metadata(source, output, extra={"quantization": mode})
    return output


def _write_metadata(path: Path, props: dict[str, str]) -> None:
    import onnx

    model = onnx.load(str(path))
    existing = {p.key: p for p in model.metadata_props}
    for key, value in props.items():
        if key in existing:
            existing[key].value = value
        else:
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
    onnx.save(model, str(path))


def _copy_metadata(source: Path, target: Path, extra: dict[str, Any]) -> None:
    import onnx

    props = {p.key: p.value for p in onnx.load(str(source)).metadata_props}
    meta = json.loads(props["ltzoo"])
    meta.update(extra)
    _write_metadata(target, {"ltzoo": json.dumps(meta)})


def _version() -> str:
    from . import __version__

    return __version__


def default_output(folder: Path) -> Path:
    return folder / ONNX_NAME
