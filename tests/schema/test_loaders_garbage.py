"""A subscription renews its context's loaders at every event (resolvers/stream.py): the
renewed ones must be freed when dropped, not left as cyclic garbage for the collector,
whose full passes over a process of thousands of subscriptions stall its event loop
(issue 18 §4, schema/stalls.py)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from resolvers.loaders import Loaders


class Scope:
    """What Loaders keeps of a request (resolvers.loaders.RequestScope)."""

    rt: Any = None
    business_cache: dict[int, Any] = {}

    async def require_viewer(self) -> Any:
        raise AssertionError("no loader runs here")


@contextmanager
def collector_off() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def test_loaders_no_event_used_are_freed_without_the_collector() -> None:
    with collector_off():
        loaders = Loaders(Scope())
        gone = weakref.ref(loaders)
        del loaders
        assert gone() is None


def test_a_loader_is_made_on_first_use_and_kept_for_the_request() -> None:
    loaders = Loaders(Scope())
    assert "customers" not in vars(loaders)
    first = loaders.customers
    assert loaders.customers is first
    assert "invoices" not in vars(loaders)  # the others are still not made
