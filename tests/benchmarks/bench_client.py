#!/usr/bin/env python3
"""Benchmark: inventory level updates, 250 per call vs one per call vs bulk.

Run from anywhere (no database needed)::

    python3 tests/benchmarks/bench_client.py [--parts single,bulk]
        [--levels 10000] [--bulk-levels 50000] [--stale 50]

``single``: ``--levels`` updates sent 250 per call, then one per call.
``bulk``: ``--bulk-levels`` updates sent 250 per call, then as one bulk
operation (``set_available_bulk``: a staged JSONL upload run by
``bulkOperationRunMutation``); before each run ``--stale`` levels are sold
in Shopify after the read, so their compare-and-set fails and they are
re-read and sent again (both paths pay that).  The bulk run polls on the
client's own schedule (1 s, then x1.5 up to 10 s), which its wall time
includes.  Both land the same figures, checked in the simulator.

Both strategies run in the same process against the same simulator and
catalogue.  Wall time measures the client and the loopback simulator; the
number that matters in production is the *bucket time*: the points spent
divided by the shop's restore rate, i.e. how long Shopify's leaky bucket needs
to pay for the work (standard plan 100 points/s, Plus 1 000 points/s).  The
simulator's own bucket is set large so that the loopback run measures the
client rather than the wait.
"""

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import tests.conftest  # noqa: F401  (puts the addon on odoo.addons' path)

# isort: split
from odoo.addons.synco_shopify.lib.shopify import (
    CostThrottle,
    FileThrottleStore,
    QuantityChange,
    ShopifyClient,
)

from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator

PLANS = {"standard": 100.0, "plus": 1000.0}


def run(sim, changes, per_call, label):
    """Push ``changes`` ``per_call`` at a time; return the measured numbers."""
    client = ShopifyClient(
        DEMO_DOMAIN,
        DEMO_TOKEN,
        base_url=sim.base_url,
        throttle=CostThrottle(FileThrottleStore(tempfile.mkdtemp())),
    )
    sim.clear_log()
    applied = 0
    started = time.perf_counter()
    for start in range(0, len(changes), per_call):
        result = client.set_available(
            changes[start : start + per_call],
            reference_uri="gid://synco-shopify/Benchmark/1",
        )
        applied += len(result.applied)
    wall = time.perf_counter() - started
    writes = [e for e in sim.log if e.get("operation_name") == "InventorySetQuantities"]
    return {
        "label": label,
        "applied": applied,
        "calls": client.stats.calls,
        "cost": client.stats.actual_cost,
        "requested": client.stats.requested_cost,
        "wall": wall,
        "throttled": client.stats.throttled,
        "logged_calls": len(writes),
    }


def make_client(sim):
    return ShopifyClient(
        DEMO_DOMAIN,
        DEMO_TOKEN,
        base_url=sim.base_url,
        throttle=CostThrottle(FileThrottleStore(tempfile.mkdtemp())),
    )


def seed(sim, levels, n_locations, sku_prefix):
    """``levels`` stocked pairs (available 10): -> (skus, locations, pairs)."""
    shop = sim.shop(DEMO_DOMAIN)
    locations = [loc for loc in shop.locations.values() if loc.is_active]
    locations = locations[:n_locations]
    n_items = -(-levels // len(locations))
    skus = sim.seed_catalogue(
        DEMO_DOMAIN,
        n_items,
        locations=[loc.name for loc in locations],
        available=10,
        sku_prefix=sku_prefix,
    )
    pairs = [(shop.item_for(sku).id, loc.id) for sku in skus for loc in locations]
    return skus, locations, pairs[:levels]


def sell(sim, changes, count):
    """Shopify sells one unit of ``count`` of the levels (spread evenly) after
    the caller read them: their compare-and-set fails, whatever the path."""
    shop = sim.shop(DEMO_DOMAIN)
    step = max(1, len(changes) // max(1, count))
    with sim.lock:
        for change in changes[::step][:count]:
            item = shop.items[int(change.inventory_item_id.rsplit("/", 1)[1])]
            item.levels[int(change.location_id.rsplit("/", 1)[1])].available -= 1


def run_bulk(sim, changes, label):
    """One ``set_available_bulk``, polling on the client's own schedule."""
    client = make_client(sim)
    sim.clear_log()
    started = time.perf_counter()
    result = client.set_available_bulk(
        changes, reference_uri="gid://synco-shopify/Benchmark/2"
    )
    wall = time.perf_counter() - started
    return {
        "label": label,
        "applied": len(result.applied),
        "stale_resolved": len(result.stale_resolved),
        "retried": result.bulk_retried,
        "operations": result.bulk_operations,
        "calls": client.stats.calls,
        "cost": client.stats.actual_cost,
        "wall": wall,
        "throttled": client.stats.throttled,
        "by_operation": dict(client.stats.by_operation),
    }


def print_rows(rows):
    header = (
        f"{'strategy':<34}{'calls':>8}{'cost (pts)':>12}{'wall s':>9}"
        + "".join(f"{'bucket s ' + plan:>19}" for plan in PLANS)
        + f"{'THROTTLED':>11}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['label']:<34}{row['calls']:>8}{row['cost']:>12.0f}"
            f"{row['wall']:>9.2f}"
            + "".join(f"{row['cost'] / rate:>19.1f}" for rate in PLANS.values())
            + f"{row['throttled']:>11}"
        )
    print()


def bench_bulk(sim, levels, n_locations, stale):
    """250 per call vs one bulk operation for ``levels`` updates."""
    skus, locations, pairs = seed(sim, levels, n_locations, "BULK-")
    sim.set_bucket(1_000_000, 1_000_000)
    changes = [QuantityChange(item, loc, 11, 10) for item, loc in pairs]
    sell(sim, changes, stale)
    batched = run(sim, changes, len(pairs), "set_available, 250 per call")
    shop = sim.shop(DEMO_DOMAIN)
    changes = [
        QuantityChange(
            item,
            loc,
            12,
            shop.items[int(item.rsplit("/", 1)[1])]
            .levels[int(loc.rsplit("/", 1)[1])]
            .available,
        )
        for item, loc in pairs
    ]
    sell(sim, changes, stale)
    bulk = run_bulk(sim, changes, "set_available_bulk, one operation")
    final = Counter(
        sim.level(DEMO_DOMAIN, sku, loc.name)["available"]
        for sku in skus
        for loc in locations
    )
    print(
        f"{len(pairs)} inventory level updates, simulator on loopback; in each "
        f"run {stale} levels are sold in Shopify after the read (stale)\n"
    )
    print_rows([batched, bulk])
    print(
        "bulk operation: "
        + ", ".join(
            f"{name} {count} call(s) {points:g} pts"
            for name, (count, points) in bulk["by_operation"].items()
        )
    )
    print(
        f"bulk lines: {bulk['applied']} applied, of which {bulk['stale_resolved']} "
        f"stale re-read and resent ({bulk['retried']} through the per-call path)"
    )
    print(f"calls ratio       {batched['calls'] / bulk['calls']:>8.1f} x fewer")
    print(f"cost ratio        {batched['cost'] / bulk['cost']:>8.1f} x fewer points")
    for plan, rate in PLANS.items():
        print(
            f"bucket time {plan:<9} {bulk['cost'] / rate:>7.1f} s vs "
            f"{batched['cost'] / rate:.1f} s"
        )
    ok = (
        batched["applied"] == bulk["applied"] == len(pairs)
        and bulk["operations"] == 1
        and final == Counter({12: len(pairs) - stale, 11: stale})
    )
    print(f"\nall updates applied and verified in the simulator: {ok}\n")
    return ok


def bench_single(sim, levels, n_locations):
    """250 per call vs one call per level."""
    skus, locations, pairs = seed(sim, levels, n_locations, "BENCH-")
    # the loopback run measures the client, not the (simulated) wait
    sim.set_bucket(1_000_000, 1_000_000)
    batched = run(
        sim,
        [QuantityChange(item, loc, 11, 10) for item, loc in pairs],
        250,
        "set_available, 250 per call",
    )
    single = run(
        sim,
        [QuantityChange(item, loc, 12, 11) for item, loc in pairs],
        1,
        "one call per level",
    )
    final = {
        sim.level(DEMO_DOMAIN, sku, loc.name)["available"]
        for sku in skus[:3]
        for loc in locations
    }
    print(f"{len(pairs)} inventory level updates, simulator on loopback\n")
    print_rows([batched, single])
    print(f"calls ratio       {single['calls'] / batched['calls']:>8.1f} x fewer")
    print(f"cost ratio        {single['cost'] / batched['cost']:>8.1f} x fewer points")
    print(f"wall time ratio   {single['wall'] / batched['wall']:>8.1f} x faster")
    for plan, rate in PLANS.items():
        print(
            f"bucket time {plan:<9} {batched['cost'] / rate:>7.1f} s vs "
            f"{single['cost'] / rate:.1f} s"
        )
    ok = (
        batched["applied"] == single["applied"] == len(pairs)
        and batched["logged_calls"] == batched["calls"]
        and final == {12}
    )
    print(f"\nall updates applied and verified in the simulator: {ok}\n")
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="single,bulk")
    parser.add_argument("--levels", type=int, default=10_000)
    parser.add_argument("--bulk-levels", type=int, default=50_000)
    parser.add_argument("--stale", type=int, default=50)
    parser.add_argument("--locations", type=int, default=5)
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - {"single", "bulk"}
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)} (single, bulk)")
    ok = True
    sim = Simulator(fixture="demo").start()
    try:
        if "single" in parts:
            ok &= bench_single(sim, args.levels, args.locations)
        if "bulk" in parts:
            ok &= bench_bulk(sim, args.bulk_levels, args.locations, args.stale)
    finally:
        sim.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
