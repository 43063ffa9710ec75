"""The balancing rules alone (pure functions): they converge, leave nothing unowned, and then stand still."""

from __future__ import annotations

import random
from typing import NamedTuple

from hypothesis import example, given, settings
from hypothesis import strategies as st

from camfleet.runtime.ownership import peer_view, plan_claim, plan_release


def run_rounds(weights: dict[str, int], instances: list[str], owner: dict[str, str], rounds: int, seed: int) -> int:
    """Heartbeats in random order, each instance seeing the loads as of the round's start (stale, as in
    the database), releasing then claiming like ``Ownership`` (not what it released at its last heartbeat);
    returns how many units moved in the last round."""
    rng = random.Random(seed)
    moved, largest = 0, max(weights.values())
    given: dict[str, list[str]] = {}  # each instance's releases at its last heartbeat
    for _ in range(rounds):
        moved = 0
        loads_seen = {i: sum(w for u, w in weights.items() if owner.get(u) == i) for i in instances}
        target = sum(weights.values()) / len(instances)
        for me in rng.sample(instances, len(instances)):
            held = {u: w for u, w in weights.items() if owner.get(u) == me}
            most, low = peer_view(loads_seen, me, loads_seen[me], sum(weights.values()))
            released = plan_release(held, target, low, 3, most, largest)
            for u in released:
                del owner[u]
            moved += len(released)
            load = sum(held.values()) - sum(weights[u] for u in released)
            back = {*released, *given.get(me, [])}
            given[me] = released
            free = {u: w for u, w in weights.items() if u not in owner and u not in back}
            least = all((load, me) <= (v, i) for i, v in loads_seen.items() if i != me)
            for u in plan_claim(free, load, target, least, me):
                owner[u] = me
                moved += 1
    return moved


class Settled(NamedTuple):
    """How a fleet settled after 60 heartbeats from scratch (``settle``)."""

    all_owned: bool  # every unit has an owner
    within_share: bool  # every instance within one largest unit of the fair share
    stable: bool  # a further round moves nothing


def settle(sizes: list[int], n: int, seed: int) -> Settled:
    """Run 60 heartbeats of ``n`` instances over uplinks of ``sizes`` from scratch, then one more round."""
    weights = {f"u{i}": w for i, w in enumerate(sizes)}
    instances = [f"i{k}" for k in range(n)]
    owner: dict[str, str] = {}
    run_rounds(weights, instances, owner, rounds=60, seed=seed)
    if set(owner) != set(weights):
        return Settled(False, False, False)
    target, biggest = sum(sizes) / n, max(sizes)
    within = all(abs(sum(w for u, w in weights.items() if owner[u] == i) - target) <= biggest for i in instances)
    before = dict(owner)
    stable = run_rounds(weights, instances, owner, rounds=1, seed=seed + 1) == 0 and owner == before
    return Settled(True, within, stable)


# Derandomized: one fixed set of examples every run, so CI does not depend on what a random run draws.
@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.lists(st.integers(1, 40), min_size=1, max_size=60),
    st.integers(1, 6),
    st.integers(0, 2**16),
)
def test_rounds_converge_to_a_balanced_stable_assignment(sizes: list[int], n: int, seed: int) -> None:
    """From scratch, any uplink sizes and 1–6 instances: after enough heartbeats every unit has one owner,
    each instance is within one largest unit of the fair share, and a further round moves nothing."""
    assert settle(sizes, n, seed) == Settled(all_owned=True, within_share=True, stable=True)


# Derandomized like the test above; the examples are cases random runs found against the earlier rule
# (every instance at least half a unit above the share gave).
@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 12), min_size=6, max_size=60), st.integers(2, 5), st.integers(0, 2**16))
@example([1] * 8, 5, 0)  # each old instance 0.4 above a 1.6 share: the newcomer got nothing
@example([1, 1, 1, 1, 1, 1, 1, 7, 7, 7, 8, 8, 8], 5, 0)  # peers giving at once: 26 changed hands, bound 24
@example([9] * 10, 4, 0)  # peers giving at once, then taking each other's: 54 changed hands, bound 45
@example([1, 1, 1, 1, 5, 5, 5, 5, 5, 5], 5, 0)  # 3 peers giving at once, a 4th taking and giving on: 17, bound 15
def test_a_returning_instance_is_fed_gradually_and_others_keep_theirs(sizes: list[int], n: int, seed: int) -> None:
    """An instance joins a balanced cluster: it ends within one largest unit of its fair share, and what
    changes hands is about that share (at most twice what it gained plus one largest unit), never a
    reshuffle of the fleet."""
    weights = {f"u{i}": w for i, w in enumerate(sizes)}
    old = [f"i{k}" for k in range(n - 1)]
    owner: dict[str, str] = {}
    run_rounds(weights, old, owner, rounds=60, seed=seed)
    settled = dict(owner)
    run_rounds(weights, [*old, "new"], owner, rounds=60, seed=seed)
    changed = [u for u in weights if owner[u] != settled[u]]
    target, biggest = sum(sizes) / n, max(sizes)
    gained = sum(w for u, w in weights.items() if owner[u] == "new")
    assert abs(gained - target) <= biggest
    assert sum(weights[u] for u in changed) <= 2 * gained + biggest


def test_release_needs_an_underloaded_peer_and_gives_the_smallest_first() -> None:
    """Above the share but with no peer below it, nothing is given; with one, the smallest units go first,
    no more than max_moves, and never more than half a unit past the share."""
    held = {"a": 10, "b": 2, "c": 3, "d": 10}  # 25 held
    assert plan_release(held, target=20.0, low=20.0, max_moves=8, most_loaded=True, largest=10) == []
    assert plan_release(held, target=20.0, low=None, max_moves=8, most_loaded=True, largest=10) == []
    assert plan_release(held, target=20.0, low=10.0, max_moves=8, most_loaded=True, largest=10) == ["b", "c"]
    assert plan_release(held, target=20.0, low=10.0, max_moves=1, most_loaded=True, largest=10) == ["b"]


def test_only_the_most_loaded_gives_and_just_above_the_share_only_to_a_starved_peer() -> None:
    """Only the most loaded instance gives (peers reading the same stale loads do not all feed one newcomer
    at once). Less than half its smallest unit above the share, it still gives that unit, and only that one,
    when the least loaded peer (with the units no load counts yet) is short of the share by more than the
    largest unit."""
    held = {"a": 10, "b": 2, "c": 3, "d": 10}
    assert plan_release(held, target=20.0, low=10.0, max_moves=8, most_loaded=False, largest=10) == []
    two = {"a": 1, "b": 1}  # 0.4 above a 1.6 share, where the newcomer holds nothing (1.6 short, largest 1)
    assert plan_release(two, target=1.6, low=0.0, max_moves=8, most_loaded=True, largest=1) == ["a"]
    assert plan_release(two, target=1.6, low=0.0, max_moves=8, most_loaded=True, largest=2) == []
    assert plan_release(two, target=1.6, low=1.0, max_moves=8, most_loaded=True, largest=0) == []  # gap 1
    big = {"a": 18, "b": 22}  # 6.8 above a 33.2 share, where one instance holds 2 (31.2 short, largest 31)
    assert plan_release(big, target=33.2, low=2.0, max_moves=8, most_loaded=True, largest=31) == ["a"]
    assert plan_release(big, target=33.2, low=2.0 + 18, max_moves=8, most_loaded=True, largest=31) == []  # 18 free
    # 26 held, 8.7 above a 17.3 share: the 2s go as usual; the 11 (then 4.7 above) stays: the looser bound is
    # for a first unit only
    four = {"a": 2, "b": 2, "c": 11, "d": 11}
    assert plan_release(four, target=52 / 3, low=0.0, max_moves=8, most_loaded=True, largest=11) == ["a", "b"]


def test_claim_takes_what_helps_and_the_least_loaded_takes_any_leftover() -> None:
    """A claimer takes units while each brings it closer to the share (largest first); a unit too big
    for that still goes to the least loaded instance, so no camera is ever left without a poller."""
    free = {"big": 30, "mid": 8, "small": 2}
    assert plan_claim(free, load=0.0, target=12.0, least_loaded=False, me="x") == ["mid", "small"]
    assert plan_claim({"big": 30}, load=10.0, target=12.0, least_loaded=False, me="x") == []
    assert plan_claim({"big": 30}, load=10.0, target=12.0, least_loaded=True, me="x") == ["big"]


def test_a_few_big_uplinks_do_not_leave_an_instance_starved() -> None:
    """Five instances over a few big uplinks (a case hypothesis found) settle with each within one largest
    uplink of the 33.2 share. Giving only from half a unit above the share left one instance at 2 (31.2 off):
    no instance at 40–44 may give an 18 or a 22; the most loaded one now gives anyway."""
    sizes = [1, 1, 3, 18, 22, 22, 22, 22, 24, 31]
    weights = {f"u{i}": w for i, w in enumerate(sizes)}
    instances = [f"i{k}" for k in range(5)]
    owner: dict[str, str] = {}
    run_rounds(weights, instances, owner, rounds=60, seed=0)
    target, biggest = sum(sizes) / 5, max(sizes)
    assert all(abs(sum(w for u, w in weights.items() if owner[u] == i) - target) <= biggest for i in instances)
