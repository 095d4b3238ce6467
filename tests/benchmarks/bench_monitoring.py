"""Monitoring on a big catalogue: velocity, the level checks and the weekly checks.

    python3 tests/harness.py bench monitoring [--products 50000] [--drift 0.02]

Builds N storable products bound to one shop with three one-to-one mappings
(three warehouses), one pushed level per product and location (Odoo's figure
and Shopify's, ``--drift`` of them different), a standard cost per product,
and a done delivery to a customer per product and warehouse over the last
28 days (a tenth of the products sell 50+ a day).  Products, bindings,
levels and moves are inserted in bulk SQL: the set-up is not what is measured.

Then, in the same process and database, prints the wall time and the number
of SQL queries of:

- velocity: ``shopify.location.mapping._synco_velocity`` for every product
  and mapping (one grouped read of done move lines);
- level checks: ``shopify.alert._synco_check_levels`` on every level, as a
  reconciliation run of the whole catalogue calls it (negative levels,
  oversell risk, high-velocity drift with velocity computed only for the
  drifted levels);
- weekly checks: ``shopify.digest._synco_build`` (value per location, gap,
  suppressed and oversell lists, buffer utilisation over the week);
- buffer usage snapshot: ``shopify.buffer.usage._synco_record`` for one day
  (free stock per source, the winning buffer rule of every product at every
  mapping), against the availability engine
  (``_compute_shopify_available``, the same steps) on the same products as
  the baseline; then the buffer check alone (``_synco_check_buffers`` on
  seven days of snapshots).

Stock: one quant per product and warehouse (0 to 120 units); buffer rules: a
shop-wide 5 units, 10 % on the first mapping, 20 units on a category holding
a tenth of the products, and a product rule on 500 products.

No assertion on time: this is a measurement.
"""

import argparse
import random
import time
from datetime import date, datetime, timedelta

from odoo_env import odoo_env


def insert(cr, table, columns, rows, chunk=20000):
    for start in range(0, len(rows), chunk):
        placeholders = "(" + ",".join(["%s"] * len(columns)) + ")"
        batch = rows[start : start + chunk]
        values = ",".join(cr.mogrify(placeholders, row).decode() for row in batch)
        cr.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} RETURNING id"
        )
        yield from (row[0] for row in cr.fetchall())


def columns(cr, table, skip):
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s ORDER BY ordinal_position",
        (table,),
    )
    return [name for (name,) in cr.fetchall() if name not in skip]


def clone_products(env, n_products):
    """N products: one through the ORM, the others copies of it in SQL.

    Creating 50 000 through the ORM takes a quarter of an hour; a copy of a
    valid row is as valid, with its own name and internal reference.
    """
    first = env["product.product"].create(
        {"name": "Mon 0", "default_code": "MON-0", "is_storable": True}
    )
    env.flush_all()
    cr = env.cr
    template_columns = columns(cr, "product_template", {"id", "name"})
    cr.execute(
        f"""
        INSERT INTO product_template (name, {", ".join(template_columns)})
        SELECT jsonb_build_object('en_US', 'Mon ' || g),
               {", ".join("t." + c for c in template_columns)}
          FROM product_template t, generate_series(1, %s) g
         WHERE t.id = %s
        """,
        (n_products - 1, first.product_tmpl_id.id),
    )
    variant_columns = columns(
        cr, "product_product", {"id", "product_tmpl_id", "default_code"}
    )
    cr.execute(
        f"""
        INSERT INTO product_product (product_tmpl_id, default_code,
                                     {", ".join(variant_columns)})
        SELECT t.id, 'MON-' || substr(t.name->>'en_US', 5),
               {", ".join("p." + c for c in variant_columns)}
          FROM product_template t, product_product p
         WHERE p.id = %s AND t.name->>'en_US' LIKE 'Mon %%' AND t.id != %s
        """,
        (first.id, first.product_tmpl_id.id),
    )
    cr.execute(
        "SELECT id FROM product_product WHERE default_code LIKE 'MON-%%' ORDER BY id"
    )
    return env["product.product"].browse([row[0] for row in cr.fetchall()])


def build(env, n_products, drift_rate, rng):
    t0 = time.perf_counter()
    cr = env.cr
    company = env.company
    warehouses = [
        env["stock.warehouse"].create({"name": f"Mon {code}", "code": code})
        for code in ("MNJ", "MTX", "MUK")
    ]
    products = clone_products(env, n_products)
    env.flush_all()
    cr.execute(
        "UPDATE product_product SET standard_price = "
        "jsonb_build_object(%s, round((random() * 40 + 1)::numeric, 2)) "
        "WHERE id = ANY(%s)",
        (str(company.id), products.ids),
    )
    print(f"  {len(products)} products created in {time.perf_counter() - t0:.1f} s")
    shop = env["shopify.shop"].create(
        {"name": "Monitoring bench", "shop_domain": "mon-bench.myshopify.com"}
    )
    locations, mappings = [], env["shopify.location.mapping"]
    for number, warehouse in enumerate(warehouses, start=1):
        location = env["shopify.location"].create(
            {
                "name": warehouse.name,
                "shop_id": shop.id,
                "shopify_gid": f"gid://shopify/Location/{number}",
            }
        )
        locations.append(location)
        mappings |= env["shopify.location.mapping"].create(
            {
                "shop_id": shop.id,
                "shopify_location_id": location.id,
                "state": "active",
                "source_ids": [(0, 0, {"location_id": warehouse.lot_stock_id.id})],
            }
        )
    env.flush_all()
    uid = env.uid
    now = datetime.now()
    binding_ids = list(
        insert(
            cr,
            "shopify_product_binding",
            (
                "shop_id",
                "product_id",
                "sku",
                "shopify_inventory_item_gid",
                "active",
                "create_uid",
                "write_uid",
                "create_date",
                "write_date",
            ),
            [
                (
                    shop.id,
                    product_id,
                    f"MON-{index}",
                    f"gid://shopify/InventoryItem/{index + 1}",
                    True,
                    uid,
                    uid,
                    now,
                    now,
                )
                for index, product_id in enumerate(products.ids)
            ],
        )
    )
    level_rows = []
    for binding_id, product_id in zip(binding_ids, products.ids, strict=True):
        for location in locations:
            odoo = rng.randint(0, 60)
            shopify = odoo
            if rng.random() < drift_rate:
                shopify = rng.choice([-2, 0, odoo + rng.randint(5, 40)])
            level_rows.append(
                (binding_id, shop.id, product_id, location.id, odoo, shopify, True)
            )
    list(
        insert(
            cr,
            "shopify_inventory_level",
            (
                "binding_id",
                "shop_id",
                "product_id",
                "shopify_location_id",
                "expected_qty",
                "shopify_available",
                "shopify_known",
            ),
            level_rows,
        )
    )
    # one done delivery per product and warehouse within the window
    customer = env.ref("stock.stock_location_customers").id
    uom = env.ref("uom.product_uom_unit").id
    move_rows, fast = [], set()
    for product_id in products.ids:
        fast_seller = rng.random() < 0.1
        if fast_seller:
            fast.add(product_id)
        for warehouse in warehouses:
            quantity = rng.randint(1400, 2000) if fast_seller else rng.randint(1, 140)
            move_rows.append(
                (
                    company.id,
                    product_id,
                    quantity,
                    quantity,
                    uom,
                    warehouse.lot_stock_id.id,
                    customer,
                    "make_to_stock",
                    "done",
                    now - timedelta(days=rng.randint(0, 27), hours=1),
                )
            )
    move_columns = (
        "company_id",
        "product_id",
        "product_uom_qty",
        "product_qty",
        "product_uom",
        "location_id",
        "location_dest_id",
        "procure_method",
        "state",
        "date",
    )
    move_ids = list(insert(cr, "stock_move", move_columns, move_rows))
    list(
        insert(
            cr,
            "stock_move_line",
            (
                "move_id",
                "company_id",
                "product_id",
                "quantity",
                "quantity_product_uom",
                "product_uom_id",
                "location_id",
                "location_dest_id",
                "state",
                "date",
            ),
            [
                (move_id, *row[:3], row[2], *row[4:7], "done", row[9])
                for move_id, row in zip(move_ids, move_rows, strict=True)
            ],
        )
    )
    list(
        insert(
            cr,
            "stock_quant",
            (
                "product_id",
                "company_id",
                "location_id",
                "quantity",
                "reserved_quantity",
                "in_date",
                "create_uid",
                "write_uid",
                "create_date",
                "write_date",
            ),
            [
                (product_id, company.id, warehouse.lot_stock_id.id)
                + (rng.randint(0, 120), 0, now, uid, uid, now, now)
                for product_id in products.ids
                for warehouse in warehouses
            ],
        )
    )
    build_buffer_rules(env, shop, mappings, products)
    # the mappings' activation and the rules queued pushes of every binding
    # for the commit: not what is measured
    env.cr.precommit.clear()
    cr.execute("ANALYZE stock_move_line")
    cr.execute("ANALYZE stock_quant")
    cr.execute("ANALYZE shopify_inventory_level")
    env.invalidate_all()
    print(
        f"  {len(binding_ids)} bindings, {len(level_rows)} levels, "
        f"{len(move_rows)} done deliveries; set-up {time.perf_counter() - t0:.1f} s"
    )
    return shop, mappings, products, fast


def build_buffer_rules(env, shop, mappings, products):
    """The rule set a merchant might have: every scope, units and percent."""
    env.flush_all()
    categ = env["product.category"].create({"name": "Mon fast movers"})
    tenth = products[: len(products) // 10]
    env.cr.execute(
        "UPDATE product_template SET categ_id = %s WHERE id IN "
        "(SELECT product_tmpl_id FROM product_product WHERE id = ANY(%s))",
        (categ.id, tenth.ids),
    )
    env.invalidate_all()
    Rule = env["shopify.buffer.rule"]
    Rule.create({"shop_id": shop.id, "buffer_units": 5})
    Rule.create(
        {"shop_id": shop.id, "mapping_id": mappings[0].id, "buffer_percent": 10}
    )
    Rule.create({"shop_id": shop.id, "product_categ_id": categ.id, "buffer_units": 20})
    Rule.create(
        [
            {"shop_id": shop.id, "product_id": product.id, "buffer_units": 2}
            for product in products[-500:]
        ]
    )


TIMES = {}  # label → seconds, for the ratios


def measure(env, label, func):
    env.invalidate_all()
    queries = env.cr.sql_log_count
    t0 = time.perf_counter()
    result = func()
    env.flush_all()
    elapsed = time.perf_counter() - t0
    TIMES[label] = elapsed
    print(
        f"  {label:<28} {elapsed:8.2f} s  {env.cr.sql_log_count - queries:6d} queries"
    )
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=50000)
    parser.add_argument("--drift", type=float, default=0.02)
    args = parser.parse_args()
    rng = random.Random(7)
    with odoo_env() as env:
        print(f"Building {args.products} products x 3 locations ...")
        shop, mappings, products, fast = build(env, args.products, args.drift, rng)
        print("Measuring:")
        velocity = measure(
            env,
            "velocity (all products)",
            lambda: mappings._synco_velocity(products, shop.velocity_days),
        )
        flagged = {
            pid
            for per_product in velocity.values()
            for pid, speed in per_product.items()
            if speed >= shop.high_velocity_threshold
        }
        print(
            f"    {len(flagged)} products at or above "
            f"{shop.high_velocity_threshold:g}/day (built: {len(fast)})"
        )
        Level = env["shopify.inventory.level"]
        levels = Level.search_fetch(
            [("shop_id", "=", shop.id)],
            ["binding_id", "shopify_location_id", "expected_qty", "shopify_available"],
        )
        figures = {
            (level.binding_id, level.shopify_location_id): (
                level.expected_qty,
                level.shopify_available,
            )
            for level in levels
        }
        measure(
            env,
            "level checks (all levels)",
            lambda: env["shopify.alert"]._synco_check_levels(
                shop, read=figures, left=figures, velocity=True
            ),
        )
        alerts = env["shopify.alert"]._read_group(
            [("shop_id", "=", shop.id)], ["kind"], ["__count"]
        )
        print("    alerts: " + ", ".join(f"{kind} {count}" for kind, count in alerts))
        Usage = env["shopify.buffer.usage"]
        today = date.today()
        engine = measure(
            env,
            "engine (baseline)",
            lambda: mappings._compute_shopify_available(products),
        )
        del engine
        usage = measure(
            env, "buffer usage snapshot", lambda: Usage._synco_record(shop, today)
        )
        print(
            f"    {len(usage)} records ({sum(usage.mapped('product_count'))} "
            f"observations, {sum(usage.mapped('near_zero_count'))} near zero)"
        )
        for back in range(1, 7):  # the rest of the week, not measured
            Usage._synco_record(shop, today - timedelta(days=back))
        digest = measure(
            env,
            "weekly checks (digest)",
            lambda: env["shopify.digest"]._synco_build(shop),
        )
        measure(
            env,
            "buffer check alone (week)",
            lambda: digest._synco_check_buffers(today),
        )
        print(
            f"    snapshot / engine: "
            f"{TIMES['buffer usage snapshot'] / TIMES['engine (baseline)']:.2f}; "
            f"buffer rules checked {digest.buffer_rule_count}, never used "
            f"{digest.buffer_unused_count}, hiding "
            f"{digest.buffer_hidden_units:,.0f} units a day"
        )
        print(
            f"    value Odoo {digest.value_odoo:,.0f}, Shopify "
            f"{digest.value_shopify:,.0f} ({digest.value_gap_percent:+.2f} %), "
            f"{digest.oversell_count} oversell, {digest.suppressed_count} "
            "suppressed"
        )


if __name__ == "__main__":
    main()
