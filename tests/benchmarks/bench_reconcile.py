"""A full reconciliation of a big catalogue, against a naive one.

    python3 tests/harness.py bench reconcile [--variants 50000] [--naive 300]

Builds N bound variants in Odoo and in the simulator (a separate process, so
the Odoo side's CPU time is its own), three one-to-one mappings, Odoo stock
equal to Shopify's levels except for 2 % of the (variant, location) pairs,
then measures in the same run:

- the engine: one ``shopify.reconciliation`` run (bulk read of every level,
  expected levels in grouped reads, corrections batched by 250);
- naive: availability per product through the ORM (``free_qty``), one read and
  one mutation per level, on a sample of variants, extrapolated to N.  It runs
  first, so it meets the drift too (and corrects its sample's share).

Printed: wall and Odoo CPU seconds, Shopify calls and query cost, drift found
and corrected, and the ratios.  Goals: ≥ 20× fewer API calls and ≥ 10× less
Odoo time than naive, the whole run under 2 minutes on 2 cores.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from odoo_env import odoo_env

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO))

from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator

LOCATIONS = ["New Jersey Warehouse", "Texas Warehouse", "UK Warehouse"]


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_simulator(n_variants, state_file):
    """Seed the catalogue in-process, save it, and return SKU → item GID/levels."""
    sim = Simulator(fixture="demo", state_file=state_file)
    skus = sim.seed_catalogue(DEMO_DOMAIN, n_variants, locations=LOCATIONS)
    shop = sim.store.shop(DEMO_DOMAIN)
    catalogue = {}
    for sku in skus:
        item = shop.item_for(sku)
        levels = {
            level.location.name: level.available for level in item.levels.values()
        }
        catalogue[sku] = (f"gid://shopify/InventoryItem/{item.number}", levels)
    sim.save()
    return catalogue


def start_simulator(state_file):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.shopify_simulator",
            "--port",
            str(port),
            "--state-file",
            str(state_file),
            "--bucket-size",
            "2000",
            "--restore-rate",
            "100",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    proc.stdout.readline()  # "Shopify simulator on ..." once it listens
    return proc, f"http://127.0.0.1:{port}"


def build_odoo(env, catalogue, base_url, drift_rate, rng):
    t0 = time.perf_counter()
    ctx = {"tracking_disable": True, "synco_shopify_no_tracking": True}
    env = env(context=dict(env.context, **ctx))
    warehouses = [
        env["stock.warehouse"].create({"name": f"Bench {code}", "code": code})
        for code in ("RNJ", "RTX", "RUK")
    ]
    skus = list(catalogue)
    templates = env["product.template"]
    for start in range(0, len(skus), 5000):
        templates |= templates.create(
            [
                {"name": sku, "default_code": sku, "is_storable": True}
                for sku in skus[start : start + 5000]
            ]
        )
    products = {p.default_code: p for p in templates.product_variant_ids}
    print(f"  {len(products)} products in {time.perf_counter() - t0:.0f} s")
    shop = env["shopify.shop"].create(
        {
            "name": "Bench",
            "shop_domain": DEMO_DOMAIN,
            "access_token": DEMO_TOKEN,
            "api_base_url": base_url,
        }
    )
    shop.action_import_locations()
    by_name = {loc.name: loc for loc in shop.location_ids}
    for warehouse, name in zip(warehouses, LOCATIONS, strict=True):
        env["shopify.location.mapping"].create(
            {
                "shop_id": shop.id,
                "shopify_location_id": by_name[name].id,
                "state": "active",
                "source_ids": [(0, 0, {"warehouse_id": warehouse.id})],
            }
        )
    env["shopify.product.binding"].create(
        [
            {
                "shop_id": shop.id,
                "product_id": products[sku].id,
                "sku": sku,
                "shopify_inventory_item_gid": gid,
            }
            for sku, (gid, _levels) in catalogue.items()
        ]
    )
    rows, drifted = [], 0
    for sku, (_gid, levels) in catalogue.items():
        for warehouse, name in zip(warehouses, LOCATIONS, strict=True):
            quantity = levels[name]
            if rng.random() < drift_rate:
                quantity += rng.choice([-5, -3, -1, 2, 4, 9])
                drifted += 1
            rows.append((products[sku].id, warehouse.lot_stock_id.id, quantity))
    env.flush_all()
    cr = env.cr
    for start in range(0, len(rows), 20000):
        values = ",".join(
            cr.mogrify("(%s,%s,%s,%s,0,now())", (env.company.id, *row)).decode()
            for row in rows[start : start + 20000]
        )
        cr.execute(
            "INSERT INTO stock_quant (company_id, product_id, location_id, "
            f"quantity, reserved_quantity, in_date) VALUES {values}"
        )
    cr.execute("ANALYZE stock_quant")
    env.invalidate_all()
    print(
        f"  {len(rows)} levels, {drifted} drifted in Odoo's stock; setup "
        f"{time.perf_counter() - t0:.0f} s"
    )
    return shop, warehouses, drifted


def naive(shop, bindings, warehouses):
    """Per product: free_qty through the ORM, one read and one write per level."""
    from odoo.addons.synco_shopify.lib.shopify import QuantityChange

    client = shop._get_client()
    mappings = shop.mapping_ids.sorted("id")
    pushed = 0
    for binding in bindings:
        item = binding.shopify_inventory_item_gid
        for mapping, warehouse in zip(mappings, warehouses, strict=True):
            product = binding.product_id.browse(binding.product_id.id)
            qty = max(
                0,
                int(product.with_context(location=warehouse.lot_stock_id.id).free_qty),
            )
            location = mapping.shopify_location_id.shopify_gid
            current = client.read_available([item], [location]).get((item, location))
            if current != qty:
                client.set_available(
                    [QuantityChange(item, location, qty, current)],
                    reference_uri="gid://synco-bench/naive",
                )
                pushed += 1
    return client.stats, pushed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=50000)
    parser.add_argument("--naive", type=int, default=300, help="naive sample size")
    parser.add_argument("--drift", type=float, default=0.02)
    args = parser.parse_args()
    rng = random.Random(7)
    state_file = Path(tempfile.mkdtemp(prefix="synco-sim-")) / "state.pickle"
    print(f"Seeding the simulator with {args.variants} variants x 3 locations ...")
    catalogue = build_simulator(args.variants, state_file)
    proc, base_url = start_simulator(state_file)
    try:
        with odoo_env() as env:
            shop, warehouses, drifted = build_odoo(
                env, catalogue, base_url, args.drift, rng
            )
            env.cr.commit()  # the run reads committed data like a job would
            env.invalidate_all()

            sample = shop.binding_ids[: args.naive]
            env.invalidate_all()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            stats, naive_pushed = naive(shop, sample, warehouses)
            naive_wall = time.perf_counter() - wall0
            naive_cpu = time.process_time() - cpu0
            wall0, cpu0 = time.perf_counter(), time.process_time()
            run = shop._create_run()
            run._job_run()
            engine_wall = time.perf_counter() - wall0
            engine_cpu = time.process_time() - cpu0
            print(f"  engine run: {run.message}")

            engine = {
                f: run[f]
                for f in ("api_calls", "api_cost", "pushed_count", "drifted_count")
            }
    finally:
        proc.terminate()
        proc.wait(10)
    scale = args.variants / len(sample)
    print()
    print(f"{args.variants} variants x 3 locations, {drifted} drifted levels")
    print(
        f"{'':26}{'wall s':>9}{'Odoo CPU s':>12}{'calls':>9}{'query cost':>12}"
        f"{'written':>9}"
    )
    print(
        f"{'engine (full run)':26}{engine_wall:>9.1f}{engine_cpu:>12.1f}"
        f"{engine['api_calls']:>9}{engine['api_cost']:>12.0f}{engine['pushed_count']:>9}"
    )
    print(
        f"{f'naive ({len(sample)} variants)':26}{naive_wall:>9.1f}{naive_cpu:>12.1f}"
        f"{stats.calls:>9}{stats.actual_cost:>12.0f}{naive_pushed:>9}"
    )
    print(
        f"{'naive, extrapolated':26}{naive_wall * scale:>9.0f}"
        f"{naive_cpu * scale:>12.0f}{stats.calls * scale:>9.0f}"
        f"{stats.actual_cost * scale:>12.0f}{naive_pushed * scale:>9.0f}"
    )
    calls_ratio = stats.calls * scale / engine["api_calls"]
    cost_ratio = stats.actual_cost * scale / max(engine["api_cost"], 1)
    print(
        f"ratios: {calls_ratio:.0f}x fewer calls (goal 20x), {cost_ratio:.0f}x less "
        f"query cost, {naive_cpu * scale / engine_cpu:.0f}x less Odoo CPU (goal 10x); "
        f"engine run {engine_wall:.0f} s (goal < 120 s)"
    )
    print(f"drift found by the engine: {engine['drifted_count']} (injected {drifted})")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(REPO))
    main()
