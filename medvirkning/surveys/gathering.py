"""Work that arrives at the same moment, done together: while one batch of a key runs, the
calls for that key wait, and the next batch takes them all. Many people answering at once
then cost one statement (or one transaction) for each batch, not one for each person."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


class Gathered(Generic[K, T, R]):
    """`await gathered(key, item)`: item's result from `run(key, items)`, which gets at most
    `most` items and gives back one result each, in order."""

    def __init__(self, run: Callable[[K, list[T]], Awaitable[list[R]]], most: int) -> None:
        self.run = run
        self.most = most
        self.waiting: dict[K, list[tuple[T, asyncio.Future[R]]]] = {}
        self.tasks: dict[K, asyncio.Task[Any]] = {}

    async def __call__(self, key: K, item: T) -> R:
        """The item's result; raises what its batch raised."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(key, []).append((item, future))
        if key not in self.tasks:
            self.tasks[key] = asyncio.create_task(self._drain(key))
        return await future

    async def _drain(self, key: K) -> None:
        try:
            while waiting := self.waiting.get(key):
                batch, self.waiting[key] = waiting[: self.most], waiting[self.most :]
                try:
                    results = await self.run(key, [item for item, _ in batch])
                except Exception as error:  # every waiter hears of it, none is left hanging
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            for _, future in self.waiting.pop(key, []):  # only if the loop was cancelled
                if not future.done():
                    future.set_exception(RuntimeError("the service stopped before doing it"))
            del self.tasks[key]
