"""Event-driven pushes: hook overhead, jobs per picking, latency, batching.

    python3 tests/harness.py bench push [--parts overhead,jobs,latency,batch]
        [--shops 2] [--lines 500] [--reps 5] [--changes 200] [--batch-products 500]
        [--profile]
    python3 tests/harness.py bench push --parts burst [--burst-changes 5000]
        [--burst-seconds 60] [--burst-products 2000] [--burst-clients 4]
        [--burst-per-commit 10] [--burst-workers 4] [--burst-channels root:2]
        [--burst-baseline] [--burst-decrease-share 0.5]
        [--burst-decreases-first on,off] [--burst-windows 1] [--burst-cluster]

Six measurements, printed, never asserted on time (issue 4; the burst,
issue 13, is not among the default parts: it takes a few minutes):

overhead
    One delivery of ``--lines`` lines (as many distinct bound products, stock
    in place in a mapped warehouse), confirmed and reserved with the hooks
    off, then validated ``--reps`` times with the hooks on and as many times
    with them off (context ``synco_shopify_no_tracking``), alternating which
    goes first, after one untimed warm-up of each.  The timing (wall, and
    the CPU time of this process, which the machine's other load disturbs
    less) covers ``button_validate`` and ``cr.flush()``, which runs the
    precommit hook that enqueues the jobs (real ``queue.job`` rows, not
    trapped).  Each run
    is rolled back to a savepoint, so both variants validate identical data.
    Goal: the hooks add at most 10 %.  ``--profile`` prints a cProfile of one
    validation with the hooks on, restricted to the addon and queue_job.
jobs
    Jobs enqueued by validating a picking of 1 000 lines over 300 products
    (moves not merged) and of 500 lines over 500 products.
latency
    A real Odoo server (2 workers, the queue_job runner) on a clone of the
    database, the simulator in this process, a shop configured over
    JSON-RPC; then ``--changes`` inventory counts over RPC, one at a time,
    rotating over the demo's eight products (set the counted quantity, then
    apply it: one commit, one push).  Latency: from the return of the RPC
    call that committed the count to the simulator's ``updated_at`` of that
    level; also from sending the count (an upper bound that includes the
    two RPC calls).  Bounded by ``--latency-budget`` seconds.
batch
    ``--batch-products`` products whose Shopify level is one unit off: one
    ``_job_push_inventory`` per product (what one job per product does, minus the
    queue) against one ``shop._push_levels`` call for all of them (the client
    sends 250 levels per call).  Calls, cost in points, wall time, and the
    time Shopify's leaky bucket needs to pay for it.
burst
    ``--burst-products`` bound products committed in the database, then a
    real server (``--burst-workers``, the queue_job runner with
    ``--burst-channels``): every level pushed once, then
    ``--burst-clients`` RPC threads commit ``--burst-changes`` inventory
    counts, ``--burst-per-commit`` products per transaction, paced evenly
    over ``--burst-seconds``.  Latency of each change: from the return of
    the RPC call that committed it to the simulator's first write of its
    quantity (or of a later change of the product, which supersedes it);
    p50, p95, max.  Write calls against the floor ceil(levels written /
    250), THROTTLED answers, and the jobs created by method and state
    (and how many a running push took over while pending).
    ``--burst-baseline`` first runs the same burst with that take-over off,
    on the same server, and prints the ratios.  Each client counts in a bin
    of its own (counts in one location would fail each other's commits).  A
    change takes two commits, setting the count then applying it.  The
    clients may commit slower than asked on a small machine (each commit
    applies ``--burst-per-commit`` counts, a stock move each); the time they
    took is printed.
    Issue 24: a share ``--burst-decrease-share`` of the changes lowers its
    product's count (below any count it had), the others raise it (above);
    latency is printed for decreases and increases apart.  One burst per
    setting of ``--burst-decreases-first`` (on/off:
    ``synco_shopify.push_decreases_first``) and, with it on, per window of
    ``--burst-windows`` (seconds the increases wait:
    ``synco_shopify.push_increase_window``; ``D/I`` sets the decreases'
    ``synco_shopify.push_decrease_window`` too), on the same server; the
    machine's load average beside each.  ``--burst-cluster`` runs it on the
    two-node cluster (``tests/support/odoo_cluster.py``: nginx, two nodes of
    ``--burst-workers`` workers, the standalone runner), e.g. 100 changes a
    second: ``--burst-changes 6000 --burst-seconds 60``.
shops (``--shops N``, N >= 2 adds it)
    The same stock change of ``--batch-products`` products in NJ, pushed to
    one shop, then to N shops that all map NJ (each its own simulated shop:
    token, items, bucket).  Jobs per shop and channel, calls and points on
    each shop's bucket, wall time of performing the jobs in-process, and
    every shop's levels checked.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from odoo_env import odoo_env

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

# isort: split
from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator

NJ = "New Jersey Warehouse"
SKU = "PUSH-"
PLANS = {"standard": 100.0, "plus": 1000.0}  # bucket restore rate, points/s
NO_TRACKING = {"synco_shopify_no_tracking": True}
BURST_START = 20000  # each product's count in its burst bin at first
DECREASES_FIRST = "synco_shopify.push_decreases_first"
INCREASE_WINDOW = "synco_shopify.push_increase_window"
DECREASE_WINDOW = "synco_shopify.push_decrease_window"


def uptime():
    """``uptime``'s line: the machine's load beside every figure."""
    import subprocess

    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def median(values):
    return statistics.median(values) if values else float("nan")


def percentile(values, pct):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# ----------------------------------------------------------------- fixtures
def build(env, sim, n_products):
    """A warehouse, ``n_products`` bound products with stock, one mapping."""
    t0 = time.perf_counter()
    quiet = env(context=dict(env.context, **NO_TRACKING))
    skus = sim.seed_catalogue(
        DEMO_DOMAIN, n_products, locations=[NJ], available=0, sku_prefix=SKU
    )
    sim_shop = sim.shop(DEMO_DOMAIN)
    warehouse = quiet["stock.warehouse"].create({"name": "Bench Push", "code": "BPU"})
    stock = warehouse.lot_stock_id
    templates = quiet["product.template"].create(
        [{"name": sku, "default_code": sku, "is_storable": True} for sku in skus]
    )
    products = templates.product_variant_ids.sorted("default_code")
    Quant = quiet["stock.quant"]
    for product in products:
        Quant._update_available_quantity(product, stock, 10000)
    shop = quiet["shopify.shop"].create(
        {
            "name": "Bench push",
            "shop_domain": DEMO_DOMAIN,
            "access_token": DEMO_TOKEN,
            "api_base_url": sim.base_url,
        }
    )
    location = quiet["shopify.location"].create(
        {
            "name": NJ,
            "shop_id": shop.id,
            "shopify_gid": sim_shop.location_named(NJ).id,
        }
    )
    mapping = quiet["shopify.location.mapping"].create(
        {
            "shop_id": shop.id,
            "shopify_location_id": location.id,
            "state": "active",
            "source_ids": [(0, 0, {"location_id": stock.id})],
        }
    )
    bindings = quiet["shopify.product.binding"].create(
        [
            {
                "shop_id": shop.id,
                "product_id": product.id,
                "sku": product.default_code,
                "shopify_inventory_item_gid": sim_shop.item_for(
                    product.default_code
                ).id,
            }
            for product in products
        ]
    )
    env.cr.flush()
    env.cr.precommit.clear()
    print(
        f"  {len(products)} products bound and stocked in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return {
        "warehouse": warehouse,
        "stock": stock,
        "customers": env.ref("stock.stock_location_customers"),
        "products": products,
        "shop": shop,
        "location": location,
        "mapping": mapping,
        "bindings": bindings,
    }


def make_delivery(env, fx, products):
    """A delivery with one move per entry of ``products``, confirmed (moves not
    merged), reserved and picked, all with the hooks off."""
    quiet = env(context=dict(env.context, **NO_TRACKING))
    stock, customers = fx["stock"], fx["customers"]
    picking = quiet["stock.picking"].create(
        {
            "picking_type_id": fx["warehouse"].out_type_id.id,
            "location_id": stock.id,
            "location_dest_id": customers.id,
        }
    )
    moves = quiet["stock.move"].create(
        [
            {
                "picking_id": picking.id,
                "product_id": product.id,
                "product_uom_qty": 1,
                "location_id": stock.id,
                "location_dest_id": customers.id,
            }
            for product in products
        ]
    )
    moves._action_confirm(merge=False)
    picking.action_assign()
    picking.move_ids.picked = True
    env.cr.flush()
    return picking


def push_jobs(env):
    env.cr.flush()
    return env["queue.job"].search_count([("method_name", "=", "_job_push_inventory")])


def validate(env, picking, tracking):
    """Validate and run the precommit hooks.

    Returns wall seconds, CPU seconds of this process (less sensitive to the
    other processes of a shared machine; PostgreSQL's share is not in it) and
    the number of jobs enqueued."""
    jobs0 = push_jobs(env)
    env.invalidate_all()
    target = picking.with_env(env)
    if not tracking:
        target = target.with_context(**NO_TRACKING)
    t0, cpu0 = time.perf_counter(), time.process_time()
    result = target.button_validate()
    env.cr.flush()  # precommit: the hook enqueues here
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if result is not True or picking.with_env(env).state != "done":
        sys.exit(f"the picking was not validated: {result!r}")
    return seconds, cpu, push_jobs(env) - jobs0


def rolled_back(env, func):
    """Run ``func`` and undo everything it did to the database."""
    env.cr.flush()
    savepoint = env.cr.savepoint(flush=False)
    try:
        return func()
    finally:
        env.cr.precommit.clear()
        env.cr.postcommit.clear()
        savepoint.close(rollback=True)
        env.invalidate_all()


# ------------------------------------------------------------------ overhead
def bench_overhead(env, fx, lines, reps, profile):
    print(f"\n== overhead: validating a {lines}-line delivery, hooks on vs off ==")
    picking = make_delivery(env, fx, fx["products"][:lines])
    print(f"  picking of {len(picking.move_ids)} moves reserved")
    # issue 24: with decreases first, the hook reads each commit's direction
    # (one availability aggregate and one read of the levels): "on" has it,
    # "on-" is the hook without it (synco_shopify.push_decreases_first = 0)
    modes = {"on": (True, "1"), "off": (False, "1"), "on-": (True, "0")}
    params = env["ir.config_parameter"].sudo()
    times = {mode: [] for mode in modes}
    cpus = {mode: [] for mode in modes}
    jobs = {mode: set() for mode in modes}
    for rep in range(reps + 1):  # rep 0: warm-up, not counted
        order = list(modes) if rep % 2 == 0 else list(reversed(modes))
        for mode in order:
            tracking, decreases_first = modes[mode]
            params.set_param("synco_shopify.push_decreases_first", decreases_first)
            env.cr.flush()
            seconds, cpu, enqueued = rolled_back(
                env, lambda t=tracking: validate(env, picking, t)
            )
            jobs[mode].add(enqueued)
            note = " (warm-up)" if rep == 0 else ""
            print(
                f"  rep {rep} hooks {mode:3}: {seconds:6.2f} s (cpu {cpu:5.2f} s), "
                f"{enqueued} jobs{note}"
            )
            if rep:
                times[mode].append(seconds)
                cpus[mode].append(cpu)
    params.set_param("synco_shopify.push_decreases_first", "1")
    on, off, plain = (median(times[mode]) for mode in ("on", "off", "on-"))
    overhead = (on - off) / off * 100
    print(
        f"  median hooks on {on:.2f} s, off {off:.2f} s: overhead "
        f"{overhead:+.1f} % (goal <= 10 %); jobs on {sorted(jobs['on'])}, "
        f"off {sorted(jobs['off'])}"
    )
    print(
        f"  spread: on {min(times['on']):.2f}-{max(times['on']):.2f} s, "
        f"off {min(times['off']):.2f}-{max(times['off']):.2f} s"
    )
    cpu_on, cpu_off, cpu_plain = (median(cpus[mode]) for mode in ("on", "off", "on-"))
    print(
        f"  median CPU of this process: on {cpu_on:.2f} s, off {cpu_off:.2f} s: "
        f"overhead {(cpu_on - cpu_off) / cpu_off * 100:+.1f} %"
    )
    print(
        f"  decreases first off (push_decreases_first = 0): hooks {plain:.2f} s, "
        f"cpu {cpu_plain:.2f} s: overhead {(plain - off) / off * 100:+.1f} % "
        f"(cpu {(cpu_plain - cpu_off) / cpu_off * 100:+.1f} %); reading the "
        f"direction costs {(on - plain) * 1000:+.0f} ms wall, "
        f"{(cpu_on - cpu_plain) * 1000:+.0f} ms cpu"
    )
    if profile:
        profiler = cProfile.Profile()

        def profiled():
            profiler.enable()
            try:
                return validate(env, picking, True)
            finally:
                profiler.disable()

        rolled_back(env, profiled)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(r"synco_shopify|queue_job", 30)
        print(out.getvalue())
    return {"on": on, "off": off, "overhead": overhead}


# ---------------------------------------------------------------------- jobs
def bench_jobs(env, fx):
    print("\n== jobs per picking ==")
    products = fx["products"]
    cases = [(1000, 300), (500, 500)]
    result = {}
    for n_lines, n_products in cases:
        if n_products > len(products):
            print(f"  {n_lines} lines / {n_products} products: skipped (too few)")
            continue
        chosen = [products[i % n_products] for i in range(n_lines)]

        def run(chosen=chosen):
            picking = make_delivery(env, fx, chosen)
            moves = len(picking.move_ids)
            seconds, _cpu, enqueued = validate(env, picking, True)
            return moves, seconds, enqueued

        moves, seconds, enqueued = rolled_back(env, run)
        result[n_lines, n_products] = enqueued
        print(
            f"  {n_lines} lines ({moves} moves) over {n_products} products: "
            f"{enqueued} jobs (one per product would be {n_products}; batches of "
            f"<= 250 levels above the threshold); validated in {seconds:.1f} s"
        )
    return result


# ------------------------------------------------------------------- latency
def bench_latency(n_changes, budget):
    from tests.shopify_simulator.fixtures import DEMO_PRODUCTS
    from tests.support.odoo_server import OdooServer, wait_until

    print(f"\n== latency: commit to simulator, {n_changes} inventory counts ==")
    skus = [sku for _title, skus, _price in DEMO_PRODUCTS for sku in skus]
    sim = Simulator(fixture="demo").start()
    server = None
    try:
        t0 = time.monotonic()
        server = OdooServer(name="bench").start()
        print(f"  Odoo server up in {time.monotonic() - t0:.1f} s ({server.url})")
        products = {
            sku: server.call(
                "product.product",
                "create",
                {"name": sku, "default_code": sku, "is_storable": True},
            )
            for sku in skus
        }
        shop = server.call(
            "shopify.shop",
            "create",
            {
                "name": "Bench latency",
                "shop_domain": DEMO_DOMAIN,
                "access_token": DEMO_TOKEN,
                "api_base_url": sim.base_url,
            },
        )
        server.call("shopify.shop", "action_import_locations", [shop])
        server.call("shopify.shop", "action_bind_products", [shop])
        warehouse = server.call("stock.warehouse", "search_read", [], ["lot_stock_id"])
        stock = warehouse[0]["lot_stock_id"][0]
        nj = server.call(
            "shopify.location", "search", [("shop_id", "=", shop), ("name", "=", NJ)]
        )[0]
        server.call(
            "shopify.location.mapping",
            "create",
            {
                "shop_id": shop,
                "shopify_location_id": nj,
                "state": "active",
                "source_ids": [(0, 0, {"location_id": stock})],
            },
        )

        inventory = {"inventory_mode": True}
        # One quant per product, counted once: its creation (a tracked
        # write) and its application each commit a push.  Wait until both
        # ran, so every level exists and is known before measuring.
        quants = {
            sku: server.call(
                "stock.quant",
                "create",
                {"product_id": products[sku], "location_id": stock},
                context=inventory,
            )
            for sku in skus
        }

        def count(sku, quantity):
            """An inventory count: set, then apply (the commit that pushes).

            Setting the counted quantity changes no tracked field, so each
            count enqueues exactly one push, at the commit of the apply."""
            server.call(
                "stock.quant",
                "write",
                [quants[sku]],
                {"inventory_quantity": quantity},
                context=inventory,
            )
            server.call("stock.quant", "action_apply_inventory", [quants[sku]])
            return time.time()  # the RPC returned: its transaction committed

        sim_shop = sim.shop(DEMO_DOMAIN)
        nj_number = sim_shop.location_named(NJ).number

        def level(sku):
            with sim.lock:
                lvl = sim_shop.item_for(sku).levels[nj_number]
                return lvl.available, lvl.updated_at

        def idle():
            return not server.call(
                "queue.job",
                "search_count",
                [("state", "not in", ["done", "failed", "cancelled"])],
            )

        wait_until(idle, 60, what="quant creation pushes done")
        for i, sku in enumerate(skus):
            count(sku, 500 + i)
        for i, sku in enumerate(skus):
            wait_until(
                lambda s=sku, q=500 + i: level(s)[0] == q, 60, what=f"{sku} warm-up"
            )
        wait_until(idle, 60, what="warm-up pushes done")
        sim.clear_log()
        latencies, from_send, lost = [], [], 0
        deadline = time.monotonic() + budget
        for i in range(n_changes):
            if time.monotonic() > deadline:
                print(f"  budget of {budget} s spent after {i} changes")
                break
            sku = skus[i % len(skus)]
            quantity = 1000 + i  # unique: this change and no other
            sent = time.time()
            committed = count(sku, quantity)
            limit = time.monotonic() + 30
            while time.monotonic() < limit:
                available, updated_at = level(sku)
                if available == quantity:
                    latencies.append(updated_at - committed)
                    from_send.append(updated_at - sent)
                    break
                time.sleep(0.005)
            else:
                lost += 1
                print(f"  change {i} ({sku} -> {quantity}) not seen within 30 s")
        writes = [
            e
            for e in sim.log
            if "inventorySetQuantities" in e.get("root_fields", [])
            and not e.get("idempotent_replay")
        ]
        jobs = server.call(
            "queue.job",
            "search_read",
            [("method_name", "=", "_job_push_inventory")],
            ["state"],
        )
        states = {}
        for job in jobs:
            states[job["state"]] = states.get(job["state"], 0) + 1
    finally:
        if server:
            server.stop()
        sim.stop()
    if latencies:
        ms = [x * 1000 for x in latencies]
        print(
            f"  {len(ms)} changes measured, {lost} not seen: latency median "
            f"{median(ms):.0f} ms, p95 {percentile(ms, 95):.0f} ms, max "
            f"{max(ms):.0f} ms, min {min(ms):.0f} ms"
        )
        ms = [x * 1000 for x in from_send]
        print(
            f"  from sending the count (its two RPC calls included): median "
            f"{median(ms):.0f} ms, p95 {percentile(ms, 95):.0f} ms, "
            f"max {max(ms):.0f} ms"
        )
    print(
        f"  {len(writes)} inventorySetQuantities calls for the measured changes; "
        f"push jobs by state: {states}"
    )
    return latencies


# --------------------------------------------------------------------- batch
def bench_batch(env, fx, sim, n_products):
    print(
        f"\n== batch: {n_products} products, one push per product vs one "
        "_push_levels call =="
    )
    shop, location, mapping = fx["shop"], fx["location"], fx["mapping"]
    bindings = fx["bindings"][:n_products]
    products = bindings.product_id
    sim_shop = sim.shop(DEMO_DOMAIN)
    sim_location = sim_shop.location_named(NJ)
    # Odoo holds 10 000 of each product; Shopify shows 9 999 and Odoo's last
    # read agrees: every level needs exactly one write.
    Level = env["shopify.inventory.level"].sudo()
    Level.create(
        [
            {
                "binding_id": b.id,
                "shopify_location_id": location.id,
                "shopify_available": 9999,
                "shopify_known": True,
            }
            for b in bindings
        ]
    )
    env.cr.flush()
    sim.set_bucket(1_000_000, 1_000_000)  # measure the work, not the wait

    def reset_shopify():
        with sim.lock:
            for b in bindings:
                item = sim_shop.item_for(b.sku)
                item.levels[sim_location.number].available = 9999

    def check():
        with sim.lock:
            return all(
                sim_shop.item_for(b.sku).levels[sim_location.number].available == 10000
                for b in bindings
            )

    def per_product():
        for binding in bindings.with_env(env):
            binding._job_push_inventory()

    def batched():
        figures = mapping.with_env(env)._compute_shopify_available(products)[mapping]
        shop.with_env(env)._push_levels(
            {b: {location: figures[b.product_id.id]} for b in bindings.with_env(env)}
        )

    rows = []
    for label, func in (
        ("one call per product", per_product),
        ("_push_levels, 250 per call", batched),
    ):
        reset_shopify()
        sim.clear_log()

        def run(func=func):
            t0 = time.perf_counter()
            func()
            env.cr.flush()
            return time.perf_counter() - t0

        wall = rolled_back(env, run)
        writes = [
            e for e in sim.log if "inventorySetQuantities" in e.get("root_fields", [])
        ]
        rows.append(
            {
                "label": label,
                "calls": len(sim.log),
                "writes": len(writes),
                "cost": sum(e.get("actual_cost") or 0 for e in sim.log),
                "wall": wall,
                "ok": check(),
            }
        )
    header = (
        f"  {'strategy':<28}{'calls':>7}{'writes':>8}{'cost':>8}{'wall s':>8}"
        + "".join(f"{'bucket s ' + plan:>18}" for plan in PLANS)
        + f"{'applied':>9}"
    )
    print(header)
    for row in rows:
        print(
            f"  {row['label']:<28}{row['calls']:>7}{row['writes']:>8}"
            f"{row['cost']:>8.0f}{row['wall']:>8.2f}"
            + "".join(f"{row['cost'] / rate:>18.1f}" for rate in PLANS.values())
            + f"{row['ok']!s:>9}"
        )
    single, batch = rows
    print(
        f"  batched: {single['calls'] / max(1, batch['calls']):.0f}x fewer calls, "
        f"{single['cost'] / max(1, batch['cost']):.0f}x fewer points, "
        f"{single['wall'] / batch['wall']:.1f}x less wall time (in-process; a "
        "real job adds the queue's own overhead per job)"
    )
    return rows


# --------------------------------------------------------------------- burst
def burst_fixture(n_products, clients):
    """``n_products`` bound and stocked products committed in the bench's
    database (the server started next serves it), the simulator holding
    their SKUs at New Jersey, and a bin per client under the mapped stock.

    Each client counts in its own bin: applying a count writes its
    location (``last_inventory_date``), and counts of several clients in
    one location would fail each other's commits."""
    sim = Simulator(fixture="demo").start()
    with odoo_env(commit=True) as env:
        fx = build(env, sim, n_products)
        bins = env["stock.location"].create(
            [
                {"name": f"Burst bin {i + 1}", "location_id": fx["stock"].id}
                for i in range(clients)
            ]
        )
        # each product counted in its client's bin already: a change may
        # lower it or raise it (``burst_clients``)
        Quant = env(context=dict(env.context, **NO_TRACKING))["stock.quant"]
        for index, product in enumerate(fx["products"]):
            Quant._update_available_quantity(
                product, bins[index % clients], BURST_START
            )
        env.cr.flush()
        env.cr.precommit.clear()
        fx = {
            "shop": fx["shop"].id,
            "bins": bins.ids,
            "stocked": 10000,  # in the warehouse's stock, beside the bins
            # each product's count in its bin: last, lowest and highest
            "counts": {i: [BURST_START] * 3 for i in range(len(fx["products"]))},
            # each product's count as last committed
            "committed": dict.fromkeys(range(len(fx["products"])), BURST_START),
            "products": fx["products"].ids,
            "skus": fx["products"].mapped("default_code"),
            "db_name": env.cr.dbname,
        }
    return sim, fx


def burst_clients(
    server, fx, changes, seconds, clients, per_commit, decrease_share=0.0, seed=13
):
    """Commit ``changes`` inventory counts over ``seconds`` from ``clients``
    threads, ``per_commit`` products per transaction (one RPC sets the
    counts, a second applies them: that commit is the change's start).

    Client ``i`` owns the products ``i, i + clients, ...`` and counts them in
    its bin, so each product's changes are ordered; each change sets a
    quantity no other change of the product set: below its lowest count so
    far (a share ``decrease_share`` of them) or above its highest.
    Returns ``[(product index, quantity, commit time)]`` and the errors.
    """
    import random
    import threading

    rng = random.Random(seed)
    owned = [list(range(i, len(fx["products"]), clients)) for i in range(clients)]
    plans = [[] for _ in range(clients)]
    counts = fx["counts"]
    for change in range(changes):
        client = change % clients
        index = rng.choice(owned[client])
        _last, low, high = counts[index]
        if rng.random() < decrease_share:
            quantity = low = low - 1 - rng.randrange(3)
        else:
            quantity = high = high + 1 + rng.randrange(3)
        counts[index] = [quantity, low, high]
        plans[client].append((index, quantity))
    committed, errors = [], []
    inventory = {"inventory_mode": True}
    start = time.monotonic() + 0.5

    def run(client, plan):
        commits = [plan[i : i + per_commit] for i in range(0, len(plan), per_commit)]
        pace = seconds / max(1, len(commits))
        for number, commit in enumerate(commits):
            delay = start + number * pace - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                quants = server.call(
                    "stock.quant",
                    "create",
                    [
                        {
                            "product_id": fx["products"][index],
                            "location_id": fx["bins"][client],
                            "inventory_quantity": quantity,
                        }
                        for index, quantity in commit
                    ],
                    context=inventory,
                )
                server.call("stock.quant", "action_apply_inventory", quants)
            except Exception as error:
                errors.append(error)  # e.g. a serialization failure retried
                continue  # five times by Odoo: this commit's changes are lost
            at = time.time()  # the RPC returned: its transaction committed
            committed.extend((index, quantity, at) for index, quantity in commit)

    threads = [
        threading.Thread(target=run, args=(client, plan))
        for client, plan in enumerate(plans)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return committed, errors


def burst_latencies(sim, fx, committed, before):
    """Commit-to-Shopify latency of each change: until Shopify's level first
    shows its quantity or that of a later change of the product (which
    supersedes it), as ``{"decrease": [...], "increase": [...]}``: whether
    the change lowered the product's count below its last committed one
    (``before``: {index: count before this burst}, updated)."""
    sim_shop = sim.shop(DEMO_DOMAIN)
    by_sku = {}
    with sim.lock:
        for group in sim_shop.adjustment_groups.values():
            for change in group.changes:
                if change.name == "available":
                    by_sku.setdefault(change.item.sku, []).append(
                        (group.created_at, change.quantity_after_change)
                    )
    changes_of = {}
    for index, quantity, at in committed:
        # Shopify shows the bin's count plus the stock beside it
        direction = "decrease" if quantity < before[index] else "increase"
        before[index] = quantity
        changes_of.setdefault(index, []).append(
            (fx["stocked"] + quantity, at, direction)
        )
    latencies, missing = {"decrease": [], "increase": []}, 0
    for index, changes in changes_of.items():
        writes = sorted(by_sku.get(fx["skus"][index], []))
        for position, (_quantity, at, direction) in enumerate(changes):
            later = {q for q, _at, _d in changes[position:]}
            seen = [t for t, q in writes if q in later]
            if seen:
                latencies[direction].append(max(0.0, min(seen) - at))
            else:
                missing += 1
    return latencies, missing


def burst_variants(args):
    """[(label, {parameter: value})] of the bursts to run, in order."""
    variants = []
    if args.burst_baseline:
        variants.append(("take-over off", {"synco_shopify.push_take_over": "0"}))
    for setting in args.burst_decreases_first.split(","):
        if setting == "off":
            variants.append(
                (
                    "decreases first off",
                    {"synco_shopify.push_take_over": "1", DECREASES_FIRST: "0"},
                )
            )
            continue
        if setting != "on":
            sys.exit(f"--burst-decreases-first: on or off, not {setting!r}")
        for windows in args.burst_windows.split(","):
            # "I": the increases' window; "D/I": the decreases' one too
            decrease, _slash, increase = windows.rpartition("/")
            params = {
                "synco_shopify.push_take_over": "1",
                DECREASES_FIRST: "1",
                INCREASE_WINDOW: str(float(increase)),
            }
            label = f"decreases first on, increases wait {float(increase):g} s"
            if decrease:
                params[DECREASE_WINDOW] = str(float(decrease))
                label += f", decreases {float(decrease):g} s while a push runs"
            variants.append((label, params))
    return variants


def bench_burst(args):
    """5 000 stock changes over 60 s across 2 000 products, through a real
    server (or the two-node cluster) and runner: commit-to-Shopify latency
    of decreases and increases, calls, jobs, for each variant of
    ``burst_variants`` on the same server."""
    from tests.support.odoo_server import OdooServer, wait_until

    n = args.burst_products
    where = "two-node cluster" if args.burst_cluster else "one server"
    print(
        f"\n== burst: {args.burst_changes} changes over {args.burst_seconds:.0f} s "
        f"across {n} products, {args.burst_clients} RPC clients, "
        f"{args.burst_per_commit} per commit, {args.burst_decrease_share:.0%} "
        f"decreases, {where} =="
    )
    print(f"Building {n} bound products ...")
    sim, fx = burst_fixture(n, args.burst_clients)
    server = None
    variants = burst_variants(args)
    results = {}
    try:
        t0 = time.monotonic()
        if args.burst_cluster:
            from tests.support.odoo_cluster import OdooCluster

            server = OdooCluster(
                name="burst",
                db_name=fx["db_name"],
                workers=args.burst_workers,
                channels=args.burst_channels,
            ).start()
            nodes = f"2 nodes of {args.burst_workers} workers behind nginx"
        else:
            server = OdooServer(
                name="burst",
                db_name=fx["db_name"],
                workers=args.burst_workers,
                channels=args.burst_channels,
            ).start()
            nodes = f"{args.burst_workers} workers"
        print(
            f"  Odoo up in {time.monotonic() - t0:.1f} s ({server.url}, {nodes}, "
            f"channels {args.burst_channels})"
        )
        t0 = time.monotonic()
        server.call("shopify.shop", "action_push_all", [fx["shop"]])
        burst_wait_idle(server, wait_until, "the initial push of every product")
        print(f"  initial push of {n} products in {time.monotonic() - t0:.1f} s")
        for run, (label, params) in enumerate(variants):
            print(f"  -- {label}")
            for key, value in params.items():
                server.call("ir.config_parameter", "set_param", key=key, value=value)
            results[label] = burst_run(server, sim, fx, args, run, wait_until)
    finally:
        if server:
            server.stop()
        sim.stop()
    print("  summary (calls against the floor; latency commit -> Shopify):")
    for label, r in results.items():
        print(
            f"    {label}: {r['calls']} calls / floor {r['floor']} = "
            f"{r['calls'] / max(1, r['floor']):.1f}x; decreases p50 "
            f"{r['decrease'][0]:.0f} p95 {r['decrease'][1]:.0f} ms, increases "
            f"p50 {r['increase'][0]:.0f} p95 {r['increase'][1]:.0f} ms, all p95 "
            f"{r['p95']:.0f} ms; {r['rate']:.0f} changes/s committed; load {r['load']}"
        )
    print(f"  uptime: {uptime()}")
    return results


def burst_wait_idle(server, wait_until, what):
    wait_until(
        lambda: (
            not server.call(
                "queue.job",
                "search_count",
                [("state", "in", ["pending", "enqueued", "started"])],
            )
        ),
        900,
        interval=0.5,
        what=what,
    )


def burst_run(server, sim, fx, args, run, wait_until):
    """One burst on the running server; prints and returns its figures."""
    last = server.call("queue.job", "search", [], limit=1, order="id desc")
    jobs_before = last[0] if last else 0
    sim.clear_log()
    t0 = time.monotonic()
    load_before = os.getloadavg()
    committed, errors = burst_clients(
        server,
        fx,
        args.burst_changes,
        args.burst_seconds,
        args.burst_clients,
        args.burst_per_commit,
        decrease_share=args.burst_decrease_share,
        seed=13 + run,
    )
    load_after = os.getloadavg()
    spent = time.monotonic() - t0
    print(
        f"  {len(committed)} changes committed in {spent:.1f} s "
        f"({len(committed) / spent:.0f}/s), {len(errors)} failed commits"
        + (f" (first: {str(errors[0]).strip().splitlines()[-1]})" if errors else "")
    )
    burst_wait_idle(server, wait_until, "every push done")
    drained = time.monotonic() - t0
    jobs = server.call(
        "queue.job",
        "search_read",
        [("id", ">", jobs_before)],
        ["method_name", "state"],
    )
    taken_over = server.call(
        "queue.job",
        "search_count",
        [("id", ">", jobs_before), ("result", "=like", "Pushed by job %")],
    )
    by_direction, missing = burst_latencies(sim, fx, committed, fx["committed"])
    latencies = by_direction["decrease"] + by_direction["increase"]
    writes = [
        e
        for e in sim.log
        if "inventorySetQuantities" in e.get("root_fields", [])
        and not e.get("idempotent_replay")
    ]
    levels = sum(e.get("quantities") or 0 for e in writes)
    floor = -(-levels // 250)
    throttled = sum(1 for e in sim.log if e.get("throttled"))
    by_method = {}
    for job in jobs:
        key = (job["method_name"], job["state"])
        by_method[key] = by_method.get(key, 0) + 1
    ms = [x * 1000 for x in latencies]
    p95 = percentile(ms, 95)
    print(
        f"  latency commit -> Shopify over {len(ms)} changes ({missing} never "
        f"seen): p50 {percentile(ms, 50):.0f} ms, p95 {p95:.0f} ms, "
        f"max {max(ms, default=float('nan')):.0f} ms (goal: p95 < 1000 ms)"
    )
    figures = {}
    for direction, values in by_direction.items():
        part = [x * 1000 for x in values]
        figures[direction] = (percentile(part, 50), percentile(part, 95))
        print(
            f"    {direction}s ({len(part)}): p50 {figures[direction][0]:.0f} ms, "
            f"p95 {figures[direction][1]:.0f} ms, "
            f"max {max(part, default=float('nan')):.0f} ms"
        )
    print(
        f"  inventorySetQuantities calls: {len(writes)} for {levels} levels; "
        f"floor ceil(levels/250) = {floor}; {len(writes) / max(1, floor):.1f}x "
        f"the floor (goal <= 2x), {levels / max(1, len(writes)):.1f} levels per "
        f"call; {len(sim.log)} calls in all, {throttled} THROTTLED"
    )
    print(f"  uptime: {uptime()}")
    load = " ".join(f"{x:.1f}" for x in load_after)
    print(
        "  load average (1, 5, 15 min) before the burst "
        + " ".join(f"{x:.1f}" for x in load_before)
        + f", after it {load} ({os.cpu_count()} CPUs)"
    )
    ran = len(jobs) - taken_over
    print(
        f"  jobs created: {len(jobs)} ("
        + ", ".join(f"{m} {s}: {c}" for (m, s), c in sorted(by_method.items()))
        + f"); {ran} ran, {taken_over} taken over while pending by a running "
        f"push; all pushed {drained:.1f} s after the first commit"
    )
    return {
        "p95": p95,
        "calls": len(writes),
        "floor": floor,
        "ran": ran,
        "jobs": len(jobs),
        "load": load,
        "rate": len(committed) / spent,
        **figures,
    }


# --------------------------------------------------------------------- shops
def add_storefront(env, fx, sim, number):
    """Another shop selling the same NJ stock: its own domain, token, NJ
    location, items (same SKUs), bucket; in Odoo, its shop, mapping of the
    bench warehouse and bindings."""
    domain = f"bench-shop-{number}.myshopify.com"
    token = f"shpat_bench_shop_{number}"
    if domain not in sim.store.shops:
        sim.add_shop(domain, name=f"Bench shop {number}", token=token)
        sim.add_location(domain, NJ)
        sim.seed_catalogue(
            domain, len(fx["products"]), locations=[NJ], available=0, sku_prefix=SKU
        )
    sim_shop = sim.shop(domain)
    shop = env["shopify.shop"].create(
        {
            "name": f"Bench shop {number}",
            "shop_domain": domain,
            "access_token": token,
            "api_base_url": sim.base_url,
        }
    )
    location = env["shopify.location"].create(
        {"name": NJ, "shop_id": shop.id, "shopify_gid": sim_shop.location_named(NJ).id}
    )
    env["shopify.location.mapping"].create(
        {
            "shop_id": shop.id,
            "shopify_location_id": location.id,
            "state": "active",
            "source_ids": [(0, 0, {"location_id": fx["stock"].id})],
        }
    )
    env["shopify.product.binding"].create(
        [
            {
                "shop_id": shop.id,
                "product_id": product.id,
                "sku": product.default_code,
                "shopify_inventory_item_gid": sim_shop.item_for(
                    product.default_code
                ).id,
            }
            for product in fx["products"]
        ]
    )
    return shop


def forget_levels(env, sim, shops, products):
    """Shopify shows 0 and Odoo knows nothing: every level is read, written."""
    env["shopify.inventory.level"].sudo().search(
        [("binding_id.shop_id", "in", shops.ids)]
    ).unlink()
    with sim.lock:
        for shop in shops:
            sim_shop = sim.shop(shop.shop_domain)
            for product in products:
                item = sim_shop.item_for(product.default_code)
                for level in item.levels.values():
                    level.available = 0
    # the new shop's configuration pushes are dropped before they are
    # enqueued: pending, they would absorb the stock change's jobs
    env.flush_all()
    env.cr.precommit.clear()
    env.cr.flush()


def shop_row(sim, shop, jobs, products, wanted):
    """What one shop's pushes did: jobs in its channel, its calls and points,
    and whether its Shopify NJ levels are Odoo's figures."""
    sim_shop = sim.shop(shop.shop_domain)
    nj = sim_shop.location_named(NJ).number
    log = [e for e in sim.log if e.get("shop") == shop.shop_domain]
    channel = shop._job_channel()
    return {
        "shop": shop.shop_domain,
        "jobs": len(jobs.filtered(lambda job: job.channel == channel)),
        "channel": channel,
        "calls": len(log),
        "cost": sum(e.get("actual_cost") or 0 for e in log),
        "ok": all(
            sim_shop.item_for(p.default_code).levels[nj].available == wanted[p.id]
            for p in products
        ),
    }


def bench_shops(env, fx, sim, n_shops, n_products):
    """One stock change of ``n_products`` products pushed to 1, then
    ``n_shops`` shops on the same warehouse: jobs per shop and channel,
    calls and points on each shop's own bucket, all levels checked."""
    print(
        f"\n== shops: a stock change of {n_products} products in NJ, 1 shop vs "
        f"{n_shops} shops on the same warehouse =="
    )
    from odoo.addons.queue_job.job import Job

    products = fx["products"][:n_products]
    sim.set_bucket(1_000_000, 1_000_000)  # measure the work, not the wait

    def run(count):
        shops = fx["shop"].with_env(env)
        for number in range(2, count + 1):
            shops |= add_storefront(env, fx, sim, number)
        forget_levels(env, sim, shops, products)
        before = env["queue.job"].search([]).ids
        Quant = env["stock.quant"]
        for product in products.with_env(env):
            Quant._update_available_quantity(product, fx["stock"], -1)
        env.cr.flush()  # precommit: the hook enqueues here
        jobs = env["queue.job"].search(
            [("id", "not in", before), ("method_name", "=", "_job_push_inventory")]
        )
        sim.clear_log()
        t0 = time.perf_counter()
        for job in jobs:
            Job.load(env, job.uuid).perform()
        env.cr.flush()
        wall = time.perf_counter() - t0
        wanted = fx["mapping"].with_env(env)._compute_shopify_available(products)
        rows = [
            shop_row(sim, shop, jobs, products, wanted[fx["mapping"]]) for shop in shops
        ]
        return len(jobs), wall, rows

    results = {}
    for count in sorted({1, n_shops}):
        total, wall, rows = rolled_back(env, lambda c=count: run(c))
        results[count] = (total, wall, rows)
        print(f"  {count} shop(s): {total} push jobs, performed in {wall:.2f} s")
        print(
            f"    {'shop':<34}{'channel':<34}{'jobs':>5}{'calls':>7}{'cost':>7}"
            f"{'bucket s standard':>19}{'levels right':>14}"
        )
        for row in rows:
            print(
                f"    {row['shop']:<34}{row['channel']:<34}{row['jobs']:>5}"
                f"{row['calls']:>7}{row['cost']:>7.0f}"
                f"{row['cost'] / PLANS['standard']:>19.1f}{row['ok']!s:>14}"
            )
    if n_shops > 1:
        one, many = results[1], results[n_shops]
        per_shop = max(row["cost"] for row in many[2]) / PLANS["standard"]
        print(
            f"  {n_shops} shops: {many[0] / max(1, one[0]):.1f}x the jobs, "
            f"{many[1] / max(one[1], 1e-9):.1f}x the wall time in one process; "
            f"each shop's bucket pays only its own calls ({per_shop:.1f} s at most "
            "on a standard plan), so the shops' queue channels run side by side"
        )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="overhead,jobs,latency,batch")
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--latency-budget", type=float, default=150)
    parser.add_argument("--batch-products", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--shops", type=int, default=1)
    parser.add_argument("--burst-changes", type=int, default=5000)
    parser.add_argument("--burst-seconds", type=float, default=60)
    parser.add_argument("--burst-products", type=int, default=2000)
    parser.add_argument("--burst-clients", type=int, default=4)
    parser.add_argument("--burst-per-commit", type=int, default=10)
    parser.add_argument("--burst-workers", type=int, default=4)
    parser.add_argument("--burst-channels", default="root:2")
    parser.add_argument("--burst-baseline", action="store_true")
    parser.add_argument("--burst-decrease-share", type=float, default=0.5)
    parser.add_argument("--burst-decreases-first", default="on")
    parser.add_argument("--burst-windows", default="1")
    parser.add_argument("--burst-cluster", action="store_true")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if args.shops > 1:
        parts.add("shops")
    unknown = parts - {"overhead", "jobs", "latency", "batch", "shops", "burst"}
    if unknown:
        sys.exit(f"unknown parts: {sorted(unknown)}")
    started = time.monotonic()
    if parts & {"overhead", "jobs", "batch", "shops"}:
        sim = Simulator(fixture="demo").start()
        try:
            with odoo_env() as env:
                n_products = max(args.lines, args.batch_products, 500)
                print(f"Building {n_products} bound products ...")
                fx = build(env, sim, n_products)
                if "overhead" in parts:
                    rolled_back(  # its picking's reservations too
                        env,
                        lambda: bench_overhead(
                            env, fx, args.lines, args.reps, args.profile
                        ),
                    )
                if "jobs" in parts:
                    bench_jobs(env, fx)
                if "batch" in parts:
                    bench_batch(env, fx, sim, args.batch_products)
                if "shops" in parts:
                    bench_shops(env, fx, sim, max(2, args.shops), args.batch_products)
        finally:
            sim.stop()
    if "latency" in parts:
        bench_latency(args.changes, args.latency_budget)
    if "burst" in parts:
        bench_burst(args)
    print(f"\nbenchmark done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
