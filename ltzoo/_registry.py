"""A small name -> factory registry, the pattern behind create_loss / create_sampler / ...

Mirrors timm's ``register_model`` / ``create_model`` / ``list_models``: registration is a
decorator, a duplicate name raises, an unknown name suggests close ones.
"""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .errors import DuplicateNameError, InvalidArgumentError, UnknownNameError, did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories of one kind (``kind`` is used in error messages).

    Example:
        >>> losses = Registry("loss")
        >>> @losses.register("ce")
        ... def make_ce(**kw): ...
        >>> losses.names()
        ['ce']
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering ``fn`` under ``name``; a second registration raises."""

        def decorator(fn: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries:
                raise DuplicateNameError(f"{self.kind} {name!r} is already registered")
            self._entries[name] = fn
            return fn

        return decorator

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered as ``name``; raises UnknownNameError with suggestions."""
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, self._entries) from None

    def create(self, name: str, *args: Any, **kwargs: Any) -> T:
        """Calls the factory registered as ``name``; an option it does not take, or a required
        one it is not given, raises InvalidArgumentError naming the option (and, for an unknown
        one, close names and the options it has)."""
        factory = self.get(name)
        try:
            parameters = inspect.signature(factory).parameters
        except (TypeError, ValueError):  # builtins without a signature
            return factory(*args, **kwargs)
        positional = [n for n, p in parameters.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        missing = [n for n, p in parameters.items() if p.default is p.empty and n not in kwargs
                   and n not in positional[: len(args)] and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if missing:
            raise InvalidArgumentError(f"{self.kind} {name!r} needs the option(s) {', '.join(missing)}")
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            options = [n for n, p in parameters.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL]
            for key in kwargs:
                if key not in parameters:
                    raise InvalidArgumentError(
                        f"{self.kind} {name!r} has no option {key!r}.{did_you_mean(key, options)} "
                        f"Its options: {', '.join(options)}"
                    )
        return factory(*args, **kwargs)

    def names(self, pattern: str = "*") -> list[str]:
        """Sorted registered names matching a shell-style ``pattern``."""
        return sorted(n for n in self._entries if fnmatch.fnmatch(n, pattern))

    def __contains__(self, name: object) -> bool:
        return name in self._entries
