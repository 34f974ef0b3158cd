"""`@histogram.time(attributes)`: each call of the decorated function (or coroutine
function) is timed into the histogram."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from typing import Any, Callable, TypeVar

from otelrs._otelrs import Histogram

F = TypeVar("F", bound=Callable[..., Any])


def timed(histogram: Histogram, attributes: Mapping[str, Any] | None, func: F) -> F:
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def timed_coroutine(*args: Any, **kwargs: Any) -> Any:
            with histogram.time(attributes):
                return await func(*args, **kwargs)

        return timed_coroutine  # type: ignore[return-value]

    @functools.wraps(func)
    def timed_call(*args: Any, **kwargs: Any) -> Any:
        with histogram.time(attributes):
            return func(*args, **kwargs)

    return timed_call  # type: ignore[return-value]
