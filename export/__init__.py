"""The ltzoo ONNX exporter (run from a checkout: ``python -m export MODEL``)."""
