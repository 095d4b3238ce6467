"""What reading committed and on_hand beside available costs (issue 22).

    python3 tests/benchmarks/bench_states_cost.py [--variants 4000] [--locations 5]

No Odoo: the simulator seeded with N variants stocked at L locations, read
by the client the ways Synco reads levels -- every level page by page (a
reconciliation below the bulk threshold), every level through a bulk query
(above it), and items batch by batch (a push's reads, Push All, the re-read
of a compare-and-set conflict) -- once with the documents as they are
(``quantities(names: ["available", "committed", "on_hand"])``) and once with
``available`` alone, as before.  Printed: calls, requested and actual query
cost of each, and the ratio.  The simulator costs queries as Shopify
documents (``tests/shopify_simulator/cost.py``): only connections are
sized; a list of objects that is not one (``quantities(names:)``) is one
object, requested and returned, however many states it carries.
"""

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO))

import tests.conftest  # noqa: F401  (puts the addon on odoo.addons' path)

# isort: split
from level_states import available_only

from odoo.addons.synco_shopify.lib.shopify import ShopifyClient

from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator


def measure(sim, read):
    with ShopifyClient(DEMO_DOMAIN, DEMO_TOKEN, base_url=sim.base_url) as client:
        read(client)
        stats = client.stats
        return stats.calls, stats.requested_cost, stats.actual_cost


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=4000)
    parser.add_argument("--locations", type=int, default=5)
    parser.add_argument(
        "--reads", default="paged,bulk,items", help="which reads, comma-separated"
    )
    args = parser.parse_args()
    sim = Simulator(fixture="demo").start()
    try:
        sim.set_bucket(10**9, 10**9)
        names = [f"Bench {i}" for i in range(args.locations)]
        for name in names:
            sim.add_location(DEMO_DOMAIN, name)
        skus = sim.seed_catalogue(DEMO_DOMAIN, args.variants, locations=names)
        with sim.lock:
            shop = sim.store.shop(DEMO_DOMAIN)
            items = [shop.item_for(sku).id for sku in skus[:1000]]
            locations = [shop.location_named(name).id for name in names]
        reads = {
            "paged (below bulk threshold)": lambda c: c.read_all_levels(
                locations, method="paginated"
            ),
            "bulk query": lambda c: c.read_all_levels(
                locations, method="bulk", poll_interval=0.05
            ),
            "by item, 1000 items (pushes)": lambda c: c.read_available(
                items, locations
            ),
        }
        print(f"{args.variants} variants x {args.locations} locations")
        for label, read in reads.items():
            after = measure(sim, read)
            with available_only():
                before = measure(sim, read)
            print(
                f"{label:32} calls {before[0]} -> {after[0]}; requested cost "
                f"{before[1]:g} -> {after[1]:g} "
                f"(x{after[1] / max(before[1], 1):.3f}); actual cost "
                f"{before[2]:g} -> {after[2]:g} (x{after[2] / max(before[2], 1):.3f})"
            )
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
