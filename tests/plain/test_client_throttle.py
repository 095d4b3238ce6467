"""The shared cost throttle, with a fake clock (no server, no real waiting).

Two ``CostThrottle`` objects over one store stand for two Odoo worker
processes; the file-store tests use a real ``flock``-guarded file.  The
multi-process test against the simulator is in test_client_simulator.py.
"""

import json

import pytest

from odoo.addons.synco_shopify.lib.shopify.throttle import (
    CostThrottle,
    FileThrottleStore,
    MemoryThrottleStore,
)

SHOP = "throttle.myshopify.com"


class Clock:
    def __init__(self):
        self.now = 5_000.0
        self.on_sleep = None  # callback run at each sleep (another "process")

    def __call__(self):
        self.now += 1e-6  # real clocks move between two readings
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        if self.on_sleep:
            callback, self.on_sleep = self.on_sleep, None
            callback()


def cost(requested, available, maximum=100, rate=10):
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": requested,
        "throttleStatus": {
            "maximumAvailable": maximum,
            "currentlyAvailable": available,
            "restoreRate": rate,
        },
    }


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store():
    return MemoryThrottleStore()


def throttle(store, clock):
    return CostThrottle(store, clock=clock, sleep=clock.sleep)


def test_first_call_probes_without_waiting(store, clock):
    t = throttle(store, clock)
    t.acquire(SHOP, "Op")
    assert t.waited == 0


def test_others_wait_while_the_first_call_probes(store, clock):
    a, b = throttle(store, clock), throttle(store, clock)
    probe = a.acquire(SHOP, "Op")
    clock.on_sleep = lambda: a.settle(probe, cost(10, 90))
    b.acquire(SHOP, "Op")  # waits for the probe's answer, then passes
    assert 0 < clock.now - 5_000.0 < 0.1
    assert b.status(SHOP)["available"] == pytest.approx(80, abs=1)


def test_waits_exactly_for_the_refill(store, clock):
    t = throttle(store, clock)
    t.settle(t.acquire(SHOP, "Op"), cost(40, 50))
    t.acquire(SHOP, "Op")  # 50 available, 40 needed: no wait
    assert t.waited == 0
    t.acquire(SHOP, "Op")  # 10 left, 40 needed at 10/s: 3 s
    assert clock.now - 5_000.0 == pytest.approx(3.0, abs=0.01)
    assert t.waited == pytest.approx(3.0, abs=0.01)


def test_cost_estimate_scales_with_input_size(store, clock):
    t = throttle(store, clock)
    t.settle(t.acquire(SHOP, "Write", size=10), cost(20, 100))
    state = store._states[SHOP]
    assert CostThrottle.estimate_cost(state, "Write", 10) == 20
    assert CostThrottle.estimate_cost(state, "Write", 5) == 20  # never lower
    assert CostThrottle.estimate_cost(state, "Write", 25) == 50
    assert CostThrottle.estimate_cost(state, "Other") is None


def test_reservations_are_seen_by_other_processes(tmp_path, clock):
    """Two processes on one file: B sees A's in-flight request before Shopify does."""
    a = throttle(FileThrottleStore(tmp_path), clock)
    b = throttle(FileThrottleStore(tmp_path), clock)
    a.settle(a.acquire(SHOP, "Op"), cost(60, 100))
    a.acquire(SHOP, "Op")  # in flight: 40 left
    b.acquire(SHOP, "Op")  # needs 60: (60 - 40) / 10 = 2 s
    assert clock.now - 5_000.0 == pytest.approx(2.0, abs=0.01)


def test_late_answer_cannot_raise_the_estimate(store, clock):
    """Answers can arrive out of order; a stale high value must not be trusted."""
    a, b = throttle(store, clock), throttle(store, clock)
    a.settle(a.acquire(SHOP, "Op"), cost(10, 100))
    r1 = a.acquire(SHOP, "Op")
    r2 = b.acquire(SHOP, "Op")
    b.settle(r2, cost(10, 80))  # processed second, answered first
    assert a.status(SHOP)["available"] == pytest.approx(80 - 10, abs=0.01)
    a.settle(r1, cost(10, 90))  # processed first, answered last: stale
    assert a.status(SHOP)["available"] < 80


def test_newest_answer_with_nothing_in_flight_is_trusted(store, clock):
    """Refunds (actual < requested cost) come back through the next answer."""
    t = throttle(store, clock)
    t.settle(t.acquire(SHOP, "Op"), cost(50, 100))
    t.settle(t.acquire(SHOP, "Op"), cost(50, 95))  # refunded down to 5 used
    assert t.status(SHOP)["available"] == pytest.approx(95)


def test_429_blocks_every_process(store, clock):
    a, b = throttle(store, clock), throttle(store, clock)
    a.settle(a.acquire(SHOP, "Op"), cost(1, 100))
    a.block(a.acquire(SHOP, "Op"), 4.0)
    b.acquire(SHOP, "Op")
    assert clock.now - 5_000.0 == pytest.approx(4.0, abs=0.01)


def test_reservation_of_a_dead_process_expires(store, clock):
    a = CostThrottle(store, clock=clock, sleep=clock.sleep, reservation_ttl=10)
    b = throttle(store, clock)
    a.acquire(SHOP, "Op")  # probe that never answers (process killed)
    b.acquire(SHOP, "Op")
    assert clock.now - 5_000.0 == pytest.approx(10.0, abs=0.1)


def test_unknown_document_reserves_the_whole_level(store, clock):
    """A never-seen document may cost anything: nobody else draws meanwhile."""
    a, b = throttle(store, clock), throttle(store, clock)
    a.settle(a.acquire(SHOP, "Known"), cost(10, 100))
    probe = a.acquire(SHOP, "Unknown")
    assert probe.cost == pytest.approx(100)
    clock.on_sleep = lambda: a.settle(probe, cost(30, 70))
    b.acquire(SHOP, "Known")
    assert b.status(SHOP)["costs"]["Unknown"] == [30.0, None]


def test_cost_above_bucket_is_capped(store, clock):
    t = throttle(store, clock)
    t.settle(t.acquire(SHOP, "Huge"), cost(500, 100))
    res = t.acquire(SHOP, "Huge")  # waits for a full bucket, not forever
    assert res.cost == 100


def test_file_store_survives_garbage_and_sanitises_names(tmp_path):
    store = FileThrottleStore(tmp_path)
    path = store.path("Weird/Shop name.myshopify.com")
    assert path.startswith(str(tmp_path))
    assert "/" not in path[len(str(tmp_path)) + 1 :]
    with open(path, "w") as handle:
        handle.write("{not json")
    with store.locked("Weird/Shop name.myshopify.com") as state:
        assert state == {}
        state["max"] = 1000
    with open(path) as handle:
        assert json.load(handle) == {"max": 1000}


def test_file_store_directory_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNCO_SHOPIFY_THROTTLE_DIR", str(tmp_path / "env"))
    store = FileThrottleStore()
    assert store.directory == str(tmp_path / "env")
    with store.locked(SHOP) as state:
        state["x"] = 1
    assert (tmp_path / "env" / f"{SHOP}.json").exists()
