"""Pictures in flight are limited by bytes (runtime/budget.py): never more than the budget, first come first served."""

from __future__ import annotations

import asyncio

import pytest

from camfleet.runtime.budget import ByteBudget


async def test_holders_never_pass_the_budget_and_are_served_in_order() -> None:
    """Twenty holders of 30–70 bytes under a 100-byte budget: the bytes held never pass 100, every holder runs,
    and they enter in the order they asked (a large one is not overtaken by smaller ones behind it)."""
    budget = ByteBudget(100)
    entered: list[int] = []
    peak = 0

    async def one(i: int, n: int) -> None:
        nonlocal peak
        async with budget.hold(n):
            entered.append(i)
            peak = max(peak, budget.used)
            await asyncio.sleep(0.001 * (i % 3))

    sizes = [30, 70, 50, 40, 60, 30, 70, 30, 50, 50] * 2
    await asyncio.gather(*(one(i, n) for i, n in enumerate(sizes)))
    assert entered == list(range(len(sizes)))
    assert peak <= 100 and budget.max_used == peak and budget.used == 0


async def test_a_picture_larger_than_the_budget_goes_alone() -> None:
    """One reservation over the whole budget is not refused for ever: it waits until nothing else is held, then
    runs alone; the next waits for it."""
    budget = ByteBudget(100)
    order: list[str] = []
    release_small = asyncio.Event()

    async def small() -> None:
        async with budget.hold(40):
            order.append("small in")
            await release_small.wait()
        order.append("small out")

    async def big() -> None:
        async with budget.hold(500):
            order.append(f"big in, {budget.used} held")

    first = asyncio.create_task(small())
    await asyncio.sleep(0)
    second = asyncio.create_task(big())
    await asyncio.sleep(0.01)
    assert order == ["small in"]
    release_small.set()
    await asyncio.gather(first, second)
    assert order == ["small in", "small out", "big in, 500 held"] and budget.used == 0


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    """A check cancelled while it waits (a poller stopping) holds nothing afterwards and does not block those
    behind it."""
    budget = ByteBudget(100)
    gate = asyncio.Event()

    async def holder() -> None:
        async with budget.hold(80):
            await gate.wait()

    running = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(budget.hold(50).__aenter__())
    behind_done = asyncio.Event()

    async def behind() -> None:
        async with budget.hold(20):
            behind_done.set()

    third = asyncio.create_task(behind())
    await asyncio.sleep(0.01)
    assert not behind_done.is_set()  # FIFO: it waits behind the 50
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.wait_for(behind_done.wait(), 1.0)  # 80 + 20 fit once the 50 is gone
    gate.set()
    await asyncio.gather(running, third)
    assert budget.used == 0 and not budget._waiters


async def test_a_waiter_cancelled_as_room_frees_stays_cancelled() -> None:
    """A waiting check cancelled just before the room it waited for frees up (the holder leaves before the cancelled
    task runs again, as when a poller stops with every check cancelled at once) ends cancelled and holds nothing.
    Before, the release dropped the cancelled waiter from the queue first, the waiter's own clean-up then failed to
    find it (``ValueError``), and a stopping demo logged a "probe crashed" per waiting camera."""
    budget = ByteBudget(10)
    async with budget.hold(10):
        waiting = asyncio.create_task(budget.hold(5).__aenter__())
        await asyncio.sleep(0)  # it is queued
        waiting.cancel()  # its future is cancelled now; the task runs again only on the loop's next turn
    # leaving the block released the 10 bytes and dropped the cancelled waiter, before the waiter ran
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert budget.used == 0 and not budget._waiters
