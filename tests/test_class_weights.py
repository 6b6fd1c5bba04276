"""Per-class weights from counts: each weighting against its formula, normalisation, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from ltzoo.class_weights import (
    class_weights,
    effective_number_weights,
    inverse_frequency_weights,
    list_class_weights,
    register_class_weights,
)
from ltzoo.errors import DuplicateNameError, InvalidArgumentError, UnknownNameError

COUNTS = [500, 200, 80, 30, 10, 4]
N = np.array(COUNTS, dtype=np.float64)
# independent statements of each weighting (unnormalised)
FORMULAS = {
    "inverse_frequency": lambda: 1 / N,
    "square_root": lambda: 1 / np.sqrt(N),
    "effective_number": lambda: (1 - 0.9999) / (1 - 0.9999**N),
    "class_based_effective_number": None,  # float32 reading: its own test below
}


def test_every_weighting_is_stated_here():
    assert set(list_class_weights()) == set(FORMULAS)


@pytest.mark.parametrize("name", list_class_weights())
@pytest.mark.parametrize("normalize,total", [(None, None), ("mean", len(COUNTS)), ("sum", 1.0)])
def test_weightings_match_their_formula_and_normalise(name: str, normalize: str | None, total: float | None):
    weights = class_weights(name, COUNTS, normalize=normalize)
    assert weights.shape == (len(COUNTS),) and np.all(weights > 0)
    assert np.all(np.diff(weights) > 0)  # rarer classes weigh more under every weighting
    if total is not None:
        assert weights.sum() == pytest.approx(total, rel=1e-12)
    if FORMULAS[name] is not None:
        expected = FORMULAS[name]()
        scale = {None: 1.0, "mean": len(COUNTS) / expected.sum(), "sum": 1 / expected.sum()}[normalize]
        np.testing.assert_allclose(weights, expected * scale, rtol=1e-12)


def test_effective_number_beta_and_the_loss_helpers():
    np.testing.assert_allclose(class_weights("effective_number", COUNTS, beta=0.99), (1 - 0.99) / (1 - 0.99**N))
    np.testing.assert_array_equal(class_weights("effective_number", COUNTS, beta=0.0), np.ones(len(COUNTS)))
    cb = (1 - 0.999) / (1 - 0.999**N)
    np.testing.assert_allclose(effective_number_weights(COUNTS, beta=0.999), cb / cb.sum() * len(COUNTS), rtol=1e-12)
    np.testing.assert_allclose(inverse_frequency_weights(COUNTS), (1 / N) / (1 / N).sum(), rtol=1e-12)


def test_cbenrs_weights_follow_the_float32_reference():
    counts = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    w = class_weights("class_based_effective_number", counts)
    log_n = np.log(np.array(counts, dtype=np.float32))
    d = log_n.max() - log_n
    d = d / d.max()
    beta32 = np.float32(0.9999) + np.float32(1e-5) * d
    np.testing.assert_allclose(w, (1 - beta32) / (1 - np.power(beta32, counts)), rtol=1e-12)
    beta64 = 0.9999 + 1e-5 * d.astype(np.float64)
    in64 = (1 - beta64) / (1 - np.power(beta64, counts))
    assert np.max(np.abs(w / in64 - 1)) > 1e-6  # the float32 reading really differs
    assert np.all(class_weights("class_based_effective_number", [7, 7, 7]) > 0)  # no spread: one beta


@pytest.mark.parametrize("call,error,match", [
    (lambda: class_weights("uniform", COUNTS), UnknownNameError, "class weighting"),
    (lambda: class_weights("effective_number", COUNTS, beta=1.0), InvalidArgumentError, "beta"),
    (lambda: class_weights("effective_number", COUNTS, bta=0.9), InvalidArgumentError, "Did you mean"),
    (lambda: class_weights("square_root", COUNTS, normalize="max"), InvalidArgumentError, "normalize"),
    (lambda: class_weights("square_root", [10, 0, 3]), InvalidArgumentError, "class_counts"),
])
def test_bad_input_is_named(call, error: type, match: str):
    with pytest.raises(error, match=match):
        call()


def test_registering_a_weighting_and_refusing_a_duplicate():
    with pytest.raises(DuplicateNameError, match="square_root"):
        register_class_weights("square_root")(lambda counts: counts)
