"""Availability for a big catalogue: the engine against the SQL floor and the
naive loop.

    python3 tests/harness.py bench availability [--products 20000] [--rounds 3]

Builds N storable products, four mappings with five stocked bins each
(one-to-one over a warehouse's bins, one-to-many over five chosen bins with a
quarantine excluded, a 3PL pool of two warehouses summed, and the same two
warehouses as drop-ship sources where the largest single one counts, with
safety buffers: a mapping rule, a category rule, a nearer sub-category rule
and product rules) and one quant per product per bin.  When the bridges are
installed (the harness installs them), 5 % more products are kits of 2 or 3
of those products (``synco_shopify_mrp``) and 2 % of the products are tracked
by expiration date, each quant of theirs on a lot past its removal date or a
fresh one (``synco_shopify_product_expiry``).  Then, in the same process and
database:

- engine: ``shopify.location.mapping._compute_shopify_available`` for every
  product and mapping (what reconciliation calls);
- floor: one hand-written SQL statement computing the same figures (counted
  locations under the sources minus the excluded subtrees, quants minus
  reserved without expired lots, per source, combined by the mapping's rule,
  the winning buffer, floored, never negative).  Kits are beyond it: floor
  and engine are compared, and timed, on the products that are not kits; the
  engine's time with the kits is printed on its own line;
- naive: ``product.with_context(location=…).free_qty`` per product per
  mapping, the loop a single-warehouse connector runs, on the three mappings
  without buffers that sum.

Engine and floor must give identical figures (the benchmark stops
otherwise); engine and naive too, except kits at the pooled mapping: the
engine builds kits per source, ``free_qty`` pools the components of both
warehouses.  Engine and floor alternate ``--rounds`` times and the best round
of each is compared (the machine is shared: the median is printed too).
Printed: the figures, best and median seconds, queries, figures per second,
the engine / floor ratio and the speed-up over the naive loop.
Goals: engine <= 1.5x the floor, >= 20x faster than naive per figure.  No
assertion on time: this is a measurement.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time

from odoo_env import clone_rows, odoo_env


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
    templates, products = create_products(env, n_products, perishable)
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

    def mapping(number, sources, excluded=(), aggregation="sum"):
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
                "aggregation": aggregation,
            }
        )

    pool = warehouses["BEA"].lot_stock_id | warehouses["BWE"].lot_stock_id
    mappings = (
        mapping(1, warehouses["BNJ"].lot_stock_id)
        | mapping(2, warehouses["BTX"].lot_stock_id, excluded=tx_quarantine)
        | mapping(3, pool)
        | mapping(4, pool, aggregation="max")
    )
    add_buffers(env, shop, mappings[3], products, rng)
    env.flush_all()
    # fresh statistics for engine and floor alike
    for table in (
        "product_product",
        "product_template",
        "shopify_buffer_rule",
        "stock_quant",
        "stock_lot",
        "stock_location",
    ):
        env.cr.execute(f"ANALYZE {table}")
    naive_locations = {
        mappings[0]: warehouses["BNJ"].lot_stock_id.ids,
        mappings[1]: tx_bins.ids,
        mappings[2]: pool.ids,
    }
    return products | kits, kits, mappings, naive_locations


def create_products(env, count, perishable):
    """``count`` storable products, those of ``perishable`` (indexes) tracked
    by lots with expiration dates: copies of two the ORM made, by SQL.
    Returns (templates, products)."""
    Template = env["product.template"]
    prototypes = [(Template.create({"name": "Bench", "is_storable": True}), False)]
    if perishable:
        tracked = {"tracking": "lot", "use_expiration_date": True}
        prototypes.append(
            (
                Template.create(
                    {"name": "Bench perishable", "is_storable": True, **tracked}
                ),
                True,
            )
        )
    env.flush_all()
    cr = env.cr
    template_ids, product_ids = [], []
    for prototype, is_perishable in prototypes:
        indexes = [i for i in range(count) if (i in perishable) == is_perishable]
        rows = clone_rows(
            cr,
            "product_template",
            prototype.id,
            {"name": "jsonb_build_object('en_US', 'Bench ' || c.i)"},
            "SELECT unnest(%s::int[]) AS i",
            "id",
            params=[indexes],
        )
        tids = [tid for (tid,) in rows]
        rows = clone_rows(
            cr,
            "product_product",
            prototype.product_variant_id.id,
            {"product_tmpl_id": "c.tid", "default_code": "'BENCH-' || c.i"},
            "SELECT unnest(%s::int[]) AS tid, unnest(%s::int[]) AS i",
            "id",
            params=[tids, indexes],
        )
        template_ids += tids
        product_ids += [pid for (pid,) in rows]
    for table in ("product_template", "product_product"):
        cr.execute(f"ANALYZE {table}")
    env.invalidate_all()
    return Template.browse(template_ids), env["product.product"].browse(product_ids)


def add_buffers(env, shop, mapping, products, rng):
    """Buffers at ``mapping`` only: 5 % + 1 unit for the mapping, 10 % for the
    bench category, 20 % + 2 for its sub-category (a fifth of the products:
    nearer, so it wins), 3 units for 1 % of the products (a product rule
    beats any category)."""
    Category = env["product.category"]
    parent = Category.create({"name": "Bench"})
    child = Category.create({"name": "Fragile", "parent_id": parent.id})
    env.flush_all()
    # a fixture: one statement, not 20 000 ORM writes and their recomputes
    env.cr.execute(
        "UPDATE product_template SET categ_id = CASE WHEN id %% 5 = 0 THEN %s "
        "ELSE %s END WHERE id IN (SELECT product_tmpl_id FROM product_product "
        "WHERE id = ANY(%s))",
        [child.id, parent.id, products.ids],
    )
    env.invalidate_all()
    chosen = rng.sample(products.ids, len(products) // 100)
    base = {"shop_id": shop.id, "mapping_id": mapping.id}
    env["shopify.buffer.rule"].create(
        [
            dict(base, buffer_percent=5, buffer_units=1),
            dict(base, product_categ_id=parent.id, buffer_percent=10),
            dict(base, product_categ_id=child.id, buffer_percent=20, buffer_units=2),
        ]
        + [dict(base, product_id=pid, buffer_units=3) for pid in chosen]
    )
    print(f"  buffers at {mapping.name}: mapping, 2 categories, {len(chosen)} products")


FLOOR = """
WITH counted AS (  -- (mapping, source, location) for every counted location
    SELECT src.mapping_id, src.id AS source_id, loc.id AS location_id
      FROM shopify_location_mapping_source src
      JOIN stock_location top ON top.id = src.location_id
      JOIN stock_location loc
        ON loc.parent_path LIKE top.parent_path || '%%'
       AND loc.usage = CASE top.usage WHEN 'supplier' THEN 'supplier'
                                      ELSE 'internal' END
     WHERE src.mapping_id = ANY(%(mappings)s)
       AND NOT EXISTS (
           SELECT 1
             FROM shopify_mapping_excluded_location_rel rel
             JOIN stock_location ex ON ex.id = rel.location_id
            WHERE rel.mapping_id = src.mapping_id
              AND loc.parent_path LIKE ex.parent_path || '%%')
), per_source AS (  -- free per source: no expired lot
    SELECT c.mapping_id, q.product_id, SUM(q.quantity - q.reserved_quantity) AS free
      FROM stock_quant q
      JOIN counted c ON c.location_id = q.location_id
     WHERE q.product_id = ANY(%(products)s) {expiry}
     GROUP BY c.mapping_id, c.source_id, q.product_id
), sources AS (
    SELECT mapping_id, COUNT(*) AS n
      FROM shopify_location_mapping_source GROUP BY mapping_id
), combined AS (  -- the rule; a source without quants counts 0
    SELECT p.mapping_id, p.product_id, m.shop_id,
           CASE m.aggregation
             WHEN 'sum' THEN SUM(p.free)
             WHEN 'max' THEN CASE WHEN COUNT(*) < s.n
                                  THEN GREATEST(MAX(p.free), 0) ELSE MAX(p.free) END
             ELSE CASE WHEN COUNT(*) < s.n
                       THEN LEAST(MIN(p.free), 0) ELSE MIN(p.free) END
           END AS free
      FROM per_source p
      JOIN shopify_location_mapping m ON m.id = p.mapping_id
      JOIN sources s ON s.mapping_id = p.mapping_id
     GROUP BY p.mapping_id, p.product_id, m.shop_id, m.aggregation, s.n
), rules AS (
    SELECT r.shop_id, r.mapping_id, r.product_id,
           COALESCE(r.buffer_percent, 0) AS buffer_percent,  -- unset: NULL
           COALESCE(r.buffer_units, 0) AS buffer_units, rc.parent_path AS categ_path
      FROM shopify_buffer_rule r
      LEFT JOIN product_category rc ON rc.id = r.product_categ_id
     WHERE r.active
), product_rule AS (  -- a product's own rule: the mapping's beats the shop's
    SELECT DISTINCT ON (c.mapping_id, c.product_id)
           c.mapping_id, c.product_id, r.buffer_percent, r.buffer_units
      FROM combined c
      JOIN rules r ON r.product_id = c.product_id AND r.shop_id = c.shop_id
                  AND (r.mapping_id IS NULL OR r.mapping_id = c.mapping_id)
     ORDER BY c.mapping_id, c.product_id, r.mapping_id IS NOT NULL DESC
), category_rule AS (  -- else the nearest category's, else the mapping's/shop's
    SELECT DISTINCT ON (m.id, pc.id)
           m.id AS mapping_id, pc.id AS categ_id, r.buffer_percent, r.buffer_units
      FROM shopify_location_mapping m
      CROSS JOIN product_category pc
      JOIN rules r ON r.product_id IS NULL AND r.shop_id = m.shop_id
                  AND (r.mapping_id IS NULL OR r.mapping_id = m.id)
                  AND (r.categ_path IS NULL OR pc.parent_path LIKE r.categ_path || '%%')
     WHERE m.id = ANY(%(mappings)s)
     ORDER BY m.id, pc.id, length(r.categ_path) DESC NULLS LAST,
              r.mapping_id IS NOT NULL DESC
), buffered AS (
    SELECT c.mapping_id, c.product_id, c.free,
           COALESCE(pr.buffer_percent, cr.buffer_percent, 0) AS pct,
           COALESCE(pr.buffer_units, cr.buffer_units, 0) AS units
      FROM combined c
      JOIN product_product pp ON pp.id = c.product_id
      JOIN product_template pt ON pt.id = pp.product_tmpl_id
      LEFT JOIN product_rule pr
        ON pr.mapping_id = c.mapping_id AND pr.product_id = c.product_id
      LEFT JOIN category_rule cr
        ON cr.mapping_id = c.mapping_id AND cr.categ_id = pt.categ_id
)
SELECT mapping_id, product_id,
       GREATEST(0, FLOOR(free - CASE WHEN free > 0 THEN free * pct / 100 ELSE 0 END
                         - units + 0.000001))::int
  FROM buffered
"""

# with product_expiry: a lot past its removal date counts for products that
# use expiration dates
EXPIRY = """
       AND (q.removal_date IS NULL OR q.removal_date >= now() AT TIME ZONE 'utc'
            OR q.product_id NOT IN (
                SELECT pp.id FROM product_product pp
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE pt.use_expiration_date))
"""


def floor(env, mappings, products):
    """The floor: the figures in one SQL statement, {mapping: {pid: int}}
    (a product absent from the result shows 0, as in the engine)."""
    env.cr.execute(
        FLOOR.format(
            expiry=EXPIRY if "removal_date" in env["stock.quant"]._fields else ""
        ),
        {"mappings": mappings.ids, "products": products.ids},
    )
    by_id = {m.id: dict.fromkeys(products.ids, 0) for m in mappings}
    for mapping_id, product_id, figure in env.cr.fetchall():
        by_id[mapping_id][product_id] = figure
    return {m: by_id[m.id] for m in mappings}


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


def timed(env, function, *args):
    """(result, seconds, queries) of one cold call: the ORM cache emptied."""
    env.invalidate_all()
    queries0 = env.cr.sql_log_count
    t0 = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - t0, env.cr.sql_log_count - queries0


def engine(mappings, products):
    return mappings._compute_shopify_available(products)


def profile(mappings, products):
    import cProfile

    cProfile.runctx(
        "engine(mappings, products)", globals(), locals(), sort="cumulative"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=20000)
    parser.add_argument(
        "--naive-products",
        type=int,
        default=0,
        help="run the naive loop on this many products only (0: all)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="engine and floor alternate this often"
    )
    args = parser.parse_args()
    with odoo_env() as env:
        print(f"Building {args.products} products x 4 mappings x 5 bins ...")
        products, kits, mappings, naive_locations = build(env, args.products)
        plain = products - kits
        env.flush_all()
        if os.environ.get("SYNCO_PROFILE"):
            profile(mappings, plain)

        # engine and floor on the products the floor can compute (no kits)
        rounds = {"engine": [], "floor": []}
        for _round in range(args.rounds):
            fast, seconds, queries = timed(env, engine, mappings, plain)
            rounds["engine"].append((seconds, queries))
            low, seconds, queries = timed(env, floor, env, mappings, plain)
            rounds["floor"].append((seconds, queries))
        differ = [
            (m.name, pid, fast[m][pid], low[m][pid])
            for m in mappings
            for pid in plain.ids
            if fast[m][pid] != low[m][pid]
        ]
        with_kits, kits_s, kits_q = timed(env, engine, mappings, products)

        # naive, on the mappings that sum without buffers
        summed = mappings[:3]
        sample = products
        if args.naive_products:
            share = max(1, args.naive_products * len(kits) // len(products))
            sample = (products - kits)[: args.naive_products - share] | kits[:share]
        slow, naive_s, naive_q = timed(env, naive, sample, summed, naive_locations)
        naive_differ = [
            (m, pid)
            for m in summed
            for pid in sample.ids
            if with_kits[m][pid] != slow[m][pid]
        ]
        # by design: kits built per source at the pooled mapping
        pooled_kits = [
            (m, pid)
            for m, pid in naive_differ
            if pid in kits.ids and len(m.source_ids) > 1
        ]
        report(args, mappings, products, kits, rounds, (kits_s, kits_q))
        naive_pairs = len(sample) * len(summed)
        best_engine = min(s for s, _q in rounds["engine"])
        speedup = (naive_s / naive_pairs) / (kits_s / (len(products) * len(mappings)))
        print(
            f"{'free_qty per product':34}{naive_pairs:>9}{naive_s:>9.2f}"
            f"{'':>9}{naive_q:>9}{naive_pairs / naive_s:>11.0f}"
        )
        print()
        ratio = best_engine / min(s for s, _q in rounds["floor"])
        median = statistics.median(s for s, _q in rounds["engine"]) / statistics.median(
            s for s, _q in rounds["floor"]
        )
        print(
            f"engine / SQL floor: {ratio:.2f}x (best rounds; medians {median:.2f}x), "
            "goal <= 1.5x"
        )
        print(
            f"speed-up over naive: {speedup:.1f}x per product-mapping pair, kits "
            "included (goal >= 20x)"
            + (
                f"; naive measured on {naive_pairs} pairs"
                if naive_pairs != len(products) * len(summed)
                else ""
            )
        )
        print(
            f"figures that differ: engine vs floor {len(differ)} of "
            f"{len(plain) * len(mappings)}; "
            f"engine vs naive {len(naive_differ) - len(pooled_kits)} of {naive_pairs}"
            + (
                f" (and {len(pooled_kits)} kits at the pooled mapping, built per "
                "source by the engine, from pooled components by free_qty)"
                if pooled_kits
                else ""
            )
        )

        if differ:
            sys.exit(
                f"engine and floor differ (mapping, product, engine, floor): "
                f"{differ[:5]}"
            )


def report(args, mappings, products, kits, rounds, with_kits):
    expiry = "removal_date" in products.env["stock.quant"]._fields
    print()
    print(
        f"data: {len(products) - len(kits)} products, {len(kits)} kits, "
        f"{len(mappings)} mappings (sum, sum with an excluded quarantine, pooled "
        "sum, largest source with buffers)" + (", expired lots" if expiry else "")
    )
    print(
        f"{'':34}{'figures':>9}{'best s':>9}{'median s':>9}{'queries':>9}"
        f"{'figures/s':>11}"
    )
    figures = (len(products) - len(kits)) * len(mappings)
    for label, key in (("engine, no kits", "engine"), ("SQL floor, no kits", "floor")):
        seconds = [s for s, _q in rounds[key]]
        print(
            f"{label:34}{figures:>9}{min(seconds):>9.2f}"
            f"{statistics.median(seconds):>9.2f}{rounds[key][0][1]:>9}"
            f"{figures / min(seconds):>11.0f}"
        )
    kits_s, kits_q = with_kits
    figures = len(products) * len(mappings)
    print(
        f"{'engine, kits included (floor: n/a)':34}{figures:>9}{kits_s:>9.2f}"
        f"{'':>9}{kits_q:>9}{figures / kits_s:>11.0f}"
    )


if __name__ == "__main__":
    main()
