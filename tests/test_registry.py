"""The registry behind every create_* / list_*: duplicates, unknown names, unknown and missing options."""

from __future__ import annotations

import pytest

from ltzoo._registry import Registry
from ltzoo.errors import DuplicateNameError, InvalidArgumentError, UnknownNameError


@pytest.fixture()
def registry() -> Registry:
    things: Registry = Registry("thing")

    @things.register("pair")
    def make_pair(first: int, second: int = 2, *, scale: float = 1.0) -> tuple:
        return first * scale, second * scale

    @things.register("open")
    class Open:
        def __init__(self, size: int, **extra: object):
            self.size, self.extra = size, extra

    return things


def test_create_passes_arguments(registry: Registry):
    assert registry.create("pair", 3, scale=2.0) == (6.0, 4.0)
    assert registry.create("pair", first=1) == (1.0, 2.0)
    assert registry.create("open", 4, colour="red").extra == {"colour": "red"}
    assert registry.names() == ["open", "pair"] and registry.names("p*") == ["pair"] and "open" in registry


@pytest.mark.parametrize("call,error,match", [
    (lambda r: r.create("pairs", 1), UnknownNameError, "unknown thing 'pairs'. Did you mean 'pair'"),
    (lambda r: r.create("pair", 1, scael=2.0), InvalidArgumentError, "no option 'scael'. Did you mean scale"),
    (lambda r: r.create("pair", scale=2.0), InvalidArgumentError, "'pair' needs the option\\(s\\) first"),
    (lambda r: r.create("open"), InvalidArgumentError, "'open' needs the option\\(s\\) size"),  # even with **extra
    (lambda r: r.register("pair")(print), DuplicateNameError, "already registered"),
])
def test_mistakes_are_named(registry: Registry, call, error: type, match: str):
    with pytest.raises(error, match=match):
        call(registry)
