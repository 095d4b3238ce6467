"""Availability for a big catalogue: the bulk engine against the naive loop.

    python3 tests/harness.py bench availability [--products 20000]

Builds N storable products, three mappings with five stocked bins each
(one-to-one over a warehouse's bins, one-to-many over five chosen bins with a
quarantine excluded, a 3PL pool of two warehouses summed) and one quant per
product per bin.  When the bridges are installed (the harness installs them),
5 % more products are kits of 2 or 3 of those products (``synco_shopify_mrp``)
and 2 % of the products are tracked by expiration date, each quant of theirs
on a lot past its removal date or a fresh one (``synco_shopify_product_expiry``).
Then, in the same process and database:

- engine: ``shopify.location.mapping._compute_shopify_available`` for every
  product and mapping (what reconciliation calls);
- naive: ``product.with_context(location=…).free_qty`` per product per
  mapping, the loop a single-warehouse connector runs.

Both must give the same figures (no buffer, sums only), except kits at the
pooled mapping: the engine builds kits per source, ``free_qty`` pools the
components of both warehouses (they are counted apart).  The times, queries
and their ratio are printed.  No assertion on time: this is a measurement.
"""

import argparse
import datetime
import os
import random
import time

from odoo_env import odoo_env


def build(env, n_products):
    t0 = time.perf_counter()
    Warehouse = env["stock.warehouse"]
    Location = env["stock.location"]
    warehouses = {
        code: Warehouse.create({"name": f"Bench {code}", "code": code})
        for code in ("BNJ", "BTX", "BEA", "BWE")
    }

    def bins(wh, count, prefix):
        return Location.create(
            [
                {
                    "name": f"{prefix}-{i}",
                    "location_id": wh.lot_stock_id.id,
                    "usage": "internal",
                }
                for i in range(count)
            ]
        )

    nj_bins = bins(warehouses["BNJ"], 5, "Bin")
    tx_bins = bins(warehouses["BTX"], 5, "Bin")
    tx_quarantine = bins(warehouses["BTX"], 1, "Quarantine")
    pool_bins = bins(warehouses["BEA"], 3, "Bin") | bins(warehouses["BWE"], 2, "Bin")
    expiry = "removal_date" in env["stock.quant"]._fields
    perishable = set(range(0, n_products, 50)) if expiry else set()
    templates = env["product.template"].create(
        [
            {
                "name": f"Bench {i}",
                "default_code": f"BENCH-{i}",
                "is_storable": True,
                **(
                    {"tracking": "lot", "use_expiration_date": True}
                    if i in perishable
                    else {}
                ),
            }
            for i in range(n_products)
        ]
    )
    products = templates.product_variant_ids
    print(f"  {len(products)} products created in {time.perf_counter() - t0:.1f} s")
    rng = random.Random(42)
    kits = build_kits(env, products, rng)
    lots = {}  # perishable product id → (expired lot, fresh lot)
    if perishable:
        now = datetime.datetime.now()
        expired = now - datetime.timedelta(days=10)
        fresh = now + datetime.timedelta(days=30)
        perishables = templates.filtered("use_expiration_date").product_variant_ids
        created = env["stock.lot"].create(
            [
                {"name": f"{p.default_code}-{tag}", "product_id": p.id, **dates}
                for p in perishables
                for tag, dates in (
                    ("X", {"expiration_date": expired, "removal_date": expired}),
                    ("F", {"expiration_date": fresh, "removal_date": fresh}),
                )
            ]
        )
        for p in perishables:
            pair = created.filtered(lambda lot, p=p: lot.product_id == p)
            lots[p.id] = [(lot.id, lot.removal_date) for lot in pair]
        print(f"  {len(perishables)} perishable products, {len(created)} lots")
    rows = []
    for product_id in products.ids:
        for location in nj_bins | tx_bins | tx_quarantine | pool_bins:
            quantity = rng.randint(-2, 40)
            reserved = rng.randint(0, max(0, quantity) // 4)
            lot_id, removal = rng.choice(lots.get(product_id, [(None, None)]))
            rows.append((product_id, location.id, quantity, reserved, lot_id, removal))
    env.flush_all()
    company = env.company.id
    cr = env.cr
    chunk = 20000
    columns = "lot_id, removal_date" if expiry else "lot_id"
    width = 7 if expiry else 6  # company, 4 values, now() (in_date), lot[, removal]
    placeholders = "(" + ",".join(["%s"] * 5 + ["now()"] + ["%s"] * (width - 5)) + ")"
    for i in range(0, len(rows), chunk):
        values = ",".join(
            cr.mogrify(placeholders, (company, *(row if expiry else row[:-1]))).decode()
            for row in rows[i : i + chunk]
        )
        cr.execute(
            "INSERT INTO stock_quant (company_id, product_id, location_id, "
            f"quantity, reserved_quantity, in_date, {columns}) VALUES {values}"
        )
    cr.execute("ANALYZE stock_quant")
    env.invalidate_all()
    print(f"  {len(rows)} quants inserted; setup {time.perf_counter() - t0:.1f} s")

    shop = env["shopify.shop"].create(
        {"name": "Bench", "shop_domain": "bench.myshopify.com"}
    )

    def mapping(number, sources, excluded=()):
        location = env["shopify.location"].create(
            {
                "name": f"Bench {number}",
                "shop_id": shop.id,
                "shopify_gid": f"gid://shopify/Location/{number}",
            }
        )
        return env["shopify.location.mapping"].create(
            {
                "shop_id": shop.id,
                "shopify_location_id": location.id,
                "state": "active",
                "source_ids": [(0, 0, {"location_id": s.id}) for s in sources],
                "excluded_location_ids": [(6, 0, [e.id for e in excluded])],
            }
        )

    mappings = (
        mapping(1, warehouses["BNJ"].lot_stock_id)
        | mapping(2, warehouses["BTX"].lot_stock_id, excluded=tx_quarantine)
        | mapping(3, warehouses["BEA"].lot_stock_id | warehouses["BWE"].lot_stock_id)
    )
    naive_locations = {
        mappings[0]: warehouses["BNJ"].lot_stock_id.ids,
        mappings[1]: tx_bins.ids,
        mappings[2]: [
            warehouses["BEA"].lot_stock_id.id,
            warehouses["BWE"].lot_stock_id.id,
        ],
    }
    return products | kits, kits, mappings, naive_locations


def build_kits(env, products, rng):
    """5 % more products, each a kit of 2 or 3 of ``products`` (with mrp)."""
    if "mrp.bom" not in env:
        return env["product.product"]
    count = max(1, len(products) // 20)
    templates = env["product.template"].create(
        [
            {"name": f"Kit {i}", "default_code": f"BENCH-KIT-{i}", "type": "consu"}
            for i in range(count)
        ]
    )
    env["mrp.bom"].create(
        [
            {
                "product_tmpl_id": template.id,
                "type": "phantom",
                "bom_line_ids": [
                    (0, 0, {"product_id": part.id, "product_qty": rng.randint(1, 3)})
                    for part in rng.sample(list(products), rng.randint(2, 3))
                ],
            }
            for template in templates
        ]
    )
    print(f"  {count} kits of 2-3 components")
    return templates.product_variant_ids


def naive(products, mappings, naive_locations):
    """``free_qty`` product by product, mapping by mapping: what a connector
    that computes each product on its own (per-product job, the guide's
    per-product search_read) pays."""
    result = {}
    for mapping in mappings:
        located = products.with_context(location=naive_locations[mapping])
        result[mapping] = {
            pid: max(0, int(located.browse(pid).free_qty)) for pid in products.ids
        }
        located.invalidate_recordset(["free_qty"])
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=20000)
    parser.add_argument(
        "--naive-products",
        type=int,
        default=0,
        help="run the naive loop on this many products only (0: all)",
    )
    args = parser.parse_args()
    with odoo_env() as env:
        print(f"Building {args.products} products x 3 mappings x 5 bins ...")
        products, kits, mappings, naive_locations = build(env, args.products)

        env.invalidate_all()
        t0 = time.perf_counter()
        queries0 = env.cr.sql_log_count
        if os.environ.get("SYNCO_PROFILE"):
            import cProfile

            cProfile.runctx(
                "mappings._compute_shopify_available(products)",
                globals(),
                locals(),
                sort="cumulative",
            )
            env.invalidate_all()
            t0 = time.perf_counter()
        engine = mappings._compute_shopify_available(products)
        engine_s = time.perf_counter() - t0
        engine_q = env.cr.sql_log_count - queries0

        sample = products
        if args.naive_products:
            share = max(1, args.naive_products * len(kits) // len(products))
            sample = (products - kits)[: args.naive_products - share] | kits[:share]
        pairs = len(products) * len(mappings)
        naive_pairs = len(sample) * len(mappings)
        env.invalidate_all()
        t0 = time.perf_counter()
        queries0 = env.cr.sql_log_count
        slow = naive(sample, mappings, naive_locations)
        naive_s = time.perf_counter() - t0
        naive_q = env.cr.sql_log_count - queries0
        differ = [
            (m, pid)
            for m in mappings
            for pid in sample.ids
            if engine[m][pid] != slow[m][pid]
        ]
        # by design: kits built per source at the pooled mapping
        pooled_kits = [
            (m, pid) for m, pid in differ if pid in kits.ids and len(m.source_ids) > 1
        ]
        print()
        print(f"{'':24}{'pairs':>10}{'seconds':>10}{'queries':>10}{'pairs/s':>12}")
        for label, n, seconds, queries in (
            ("engine (bulk)", pairs, engine_s, engine_q),
            ("free_qty per product", naive_pairs, naive_s, naive_q),
        ):
            print(f"{label:24}{n:>10}{seconds:>10.2f}{queries:>10}{n / seconds:>12.0f}")
        speedup = (naive_s / naive_pairs) / (engine_s / pairs)
        print(
            f"speed-up: {speedup:.1f}x per product-mapping pair (goal >= 20x)"
            + (
                f"; naive measured on {naive_pairs} pairs"
                if naive_pairs != pairs
                else ""
            )
        )
        print(
            f"figures that differ from the engine's: "
            f"{len(differ) - len(pooled_kits)} of {naive_pairs}"
            + (
                f" (and {len(pooled_kits)} kits at the pooled mapping, built per "
                "source by the engine, from pooled components by free_qty)"
                if pooled_kits
                else ""
            )
        )
        print(
            f"data: {len(products) - len(kits)} products, {len(kits)} kits, "
            f"{len(mappings)} mappings, excluded quarantine"
            + (", expired lots" if "removal_date" in env["stock.quant"]._fields else "")
        )


if __name__ == "__main__":
    main()
