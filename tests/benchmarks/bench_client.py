#!/usr/bin/env python3
"""Benchmark: N inventory level updates, batched (250 per call) vs one per call.

Run from anywhere (no database needed)::

    python3 tests/benchmarks/bench_client.py [--levels 10000]

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=10_000)
    parser.add_argument("--locations", type=int, default=5)
    args = parser.parse_args(argv)

    sim = Simulator(fixture="demo").start()
    try:
        shop = sim.shop(DEMO_DOMAIN)
        locations = [loc for loc in shop.locations.values() if loc.is_active]
        locations = locations[: args.locations]
        n_items = -(-args.levels // len(locations))
        skus = sim.seed_catalogue(
            DEMO_DOMAIN,
            n_items,
            locations=[loc.name for loc in locations],
            available=10,
            sku_prefix="BENCH-",
        )
        pairs = [(shop.item_for(sku).id, loc.id) for sku in skus for loc in locations][
            : args.levels
        ]
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
    finally:
        sim.stop()

    print(f"{len(pairs)} inventory level updates, simulator on loopback\n")
    header = (
        f"{'strategy':<30}{'calls':>8}{'cost (pts)':>12}{'wall s':>9}"
        + "".join(f"{'bucket s ' + plan:>19}" for plan in PLANS)
        + f"{'THROTTLED':>11}"
    )
    print(header)
    print("-" * len(header))
    for row in (batched, single):
        print(
            f"{row['label']:<30}{row['calls']:>8}{row['cost']:>12.0f}"
            f"{row['wall']:>9.2f}"
            + "".join(f"{row['cost'] / rate:>19.1f}" for rate in PLANS.values())
            + f"{row['throttled']:>11}"
        )
    print()
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
    print(f"\nall updates applied and verified in the simulator: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
