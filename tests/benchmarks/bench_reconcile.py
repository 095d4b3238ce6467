"""A full reconciliation of a big catalogue, against a naive one.

    python3 tests/harness.py bench reconcile [--variants 50000] [--locations 3]
                                             [--naive 300] [--drift 0.02]
                                             [--profile FILE] [--no-states-cost]

Builds N bound variants in Odoo and in the simulator (seeded, then served,
by processes of their own, so the Odoo process's CPU time and memory are its
own), L one-to-one mappings (L Shopify locations, L warehouses), Odoo stock
equal to Shopify's levels except for 2 % of the (variant, location) pairs.
Odoo's side is inserted with SQL (products cloned from one made by the ORM,
bindings, quants): a fixture, not what is measured.  Then, in the same run:

- naive: availability per product through the ORM (``free_qty``), one read
  and one mutation per level, on a sample of variants, extrapolated to N.  It
  runs first, so it meets the drift too (and corrects its sample's share);
- the engine: one ``shopify.reconciliation`` run through its queue job,
  performed in this process as the job runner would (bulk read of every
  level streamed from the JSONL, expected levels per chunk of products,
  corrections batched by 250, a line per level a merchant reads copied
  per chunk, the levels in sync counted).

The simulator is seeded, then started with ``--load-state`` (it loads the
store and never writes it back: pickling a million levels under its lock every
2 s would stall the bulk export and every write).

Printed: wall and Odoo CPU seconds, Odoo's peak resident memory during the
run (VmHWM, reset before it; and the process's lifetime peak), Shopify calls
and query cost, drift found, written and failed, and the ratios; then the
run's phases as the run logs them (wall and CPU seconds each: lines copied,
availability, writes, levels read, levels in sync, level alerts, ...), and its
wall split into Odoo's side (Odoo's CPU, the rest PostgreSQL) and the time its
client waited on Shopify (API round trips, the bucket, the bulk query's file
being prepared).  A drift injected on a level at 0 that goes negative leaves
Odoo's figure, floored at 0, equal to Shopify's: "drifted" can be a little
below the drift injected.  Goals: >= 20x
fewer API calls and >= 10x less Odoo time than naive; for 1 000 000 levels
(``--variants 200000 --locations 5``): under 5 minutes wall, under 60 s of
Odoo CPU, under 1.5 GB peak RSS (issue 24: under 30 s, 15 s of CPU and 1 GB;
ten million levels, ``--variants 200000 --locations 50``, in 5 minutes under
2 GB).  The simulator's peak resident memory (its own process) is printed
too, with the load average.

What the states cost (issue 22: every level read asks ``available``,
``committed`` and ``on_hand``): then the simulator is started again from
the same saved store (Shopify's levels as they were), the levels the run
recorded are forgotten in Odoo, and the same run is made again with the
level reads asking ``available`` alone (``level_states.available_only``, a
benchmark's switch, not a setting).  Printed: calls, requested and actual
query cost (``extensions.cost`` of every answered call) of the run's level
read (the variant count and the bulk query with its polls, or the pages)
and of the whole run, each without the states -> with them, and whether
within 10 %; the bulk file's objects and bytes.  The polls of a bulk query
(1 point each) depend on time, how soon Shopify's file is ready (a bigger
file, a loaded machine), so the levels read is also compared without them;
the rest does not depend on time.
``--no-states-cost`` skips that second run.
"""

import argparse
import contextlib
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest.mock import patch

from level_states import LEVEL_READ_OPERATIONS, available_only, by_operation, call_log
from level_states import compare as compare_cost
from level_states import totals as cost_totals
from odoo_env import clone_rows, odoo_env

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO))

from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator

LOCATIONS = ["New Jersey Warehouse", "Texas Warehouse", "UK Warehouse"]
CODES = ["RNJ", "RTX", "RUK"]


def location_names(count):
    return LOCATIONS[:count] + [f"Bench Warehouse {i}" for i in range(4, count + 1)]


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(n_variants, n_locations, state_file, catalogue_file):
    """(In a process of its own) seed the simulator's catalogue, save it, and
    write one line per variant: SKU, inventory item GID, a level per location.
    """
    sim = Simulator(fixture="demo", state_file=state_file)
    names = location_names(n_locations)
    for name in names[len(LOCATIONS) :]:
        sim.add_location(DEMO_DOMAIN, name)
    skus = sim.seed_catalogue(DEMO_DOMAIN, n_variants, locations=names)
    shop = sim.store.shop(DEMO_DOMAIN)
    with open(catalogue_file, "w") as out:
        for sku in skus:
            item = shop.item_for(sku)
            levels = {lvl.location.name: lvl.available for lvl in item.levels.values()}
            out.write(
                "\t".join(
                    [sku, f"gid://shopify/InventoryItem/{item.number}"]
                    + [str(levels[name]) for name in names]
                )
                + "\n"
            )
    sim.save()


def build_simulator(n_variants, n_locations, state_file, catalogue_file):
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--seed",
            str(state_file),
            str(catalogue_file),
            "--variants",
            str(n_variants),
            "--locations",
            str(n_locations),
        ],
        check=True,
        cwd=REPO,
    )


def start_simulator(state_file):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.shopify_simulator",
            "--port",
            str(port),
            "--load-state",
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


def build_odoo(env, catalogue_file, n_locations, base_url, drift_rate, seed_value):
    """Products, bindings and quants by SQL; shop, locations and mappings by
    the ORM.  Returns (shop, warehouses, drifted levels)."""
    t0 = time.perf_counter()
    ctx = {"tracking_disable": True, "synco_shopify_no_tracking": True}
    env = env(context=dict(env.context, **ctx))
    codes = CODES + [f"RW{i}" for i in range(4, n_locations + 1)]
    warehouses = [
        env["stock.warehouse"].create({"name": f"Bench {code}", "code": code})
        for code in codes[:n_locations]
    ]
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
    for warehouse, name in zip(warehouses, location_names(n_locations), strict=True):
        env["shopify.location.mapping"].create(
            {
                "shop_id": shop.id,
                "shopify_location_id": by_name[name].id,
                "state": "active",
                "source_ids": [(0, 0, {"warehouse_id": warehouse.id})],
            }
        )
    prototype = env["product.product"].create(
        {"name": "prototype", "default_code": "PROTO", "is_storable": True}
    )
    proto_binding = env["shopify.product.binding"].create(
        {
            "shop_id": shop.id,
            "product_id": prototype.id,
            "sku": "PROTO",
            "shopify_inventory_item_gid": "gid://shopify/InventoryItem/0",
        }
    )
    env.flush_all()
    cr = env.cr
    levels = ", ".join(f"q{i} int" for i in range(n_locations))
    cr.execute(f"CREATE TEMP TABLE bench_cat (sku text, gid text, {levels})")
    with open(catalogue_file) as data:
        cr.copy_expert("COPY bench_cat FROM STDIN", data)
    cr.execute("CREATE TEMP TABLE bench_product (id int, sku text)")
    templates = clone_rows(
        cr,
        "product_template",
        prototype.product_tmpl_id.id,
        {"name": "jsonb_build_object('en_US', c.sku)"},
        "SELECT sku FROM bench_cat",
        "id, name->>'en_US'",
    )
    buffer = io.StringIO("".join(f"{tid}\t{sku}\n" for tid, sku in templates))
    cr.execute("CREATE TEMP TABLE bench_template (id int, sku text)")
    cr.copy_expert("COPY bench_template FROM STDIN", buffer)
    clone_rows(
        cr,
        "product_product",
        prototype.id,
        {"product_tmpl_id": "c.id", "default_code": "c.sku"},
        "SELECT id, sku FROM bench_template",
        "id",
    )
    cr.execute(
        "INSERT INTO bench_product SELECT id, default_code FROM product_product "
        "WHERE product_tmpl_id IN (SELECT id FROM bench_template)"
    )
    clone_rows(
        cr,
        "shopify_product_binding",
        proto_binding.id,
        {
            "product_id": "c.product_id",
            "sku": "c.sku",
            "shopify_inventory_item_gid": "c.gid",
        },
        "SELECT p.id AS product_id, k.sku, k.gid FROM bench_cat k "
        "JOIN bench_product p ON p.sku = k.sku",
        "id",
    )
    proto_binding.unlink()
    elapsed = time.perf_counter() - t0
    print(f"  {len(templates)} products and bindings in {elapsed:.0f} s")
    cr.execute("SELECT setseed(%s)", [seed_value])
    drifted = 0
    # a fixture consistent by construction: no foreign-key trigger per quant
    # (millions of levels; the private server's user is a superuser)
    cr.execute("SET session_replication_role = replica")
    for index, warehouse in enumerate(warehouses):
        cr.execute(
            f"""
            WITH levels AS (
                SELECT p.id AS product_id, k.q{index} AS level,
                       CASE WHEN random() < %(rate)s
                            THEN (ARRAY[-5, -3, -1, 2, 4, 9])[1 + floor(random() * 6)]
                            ELSE 0 END AS drift
                  FROM bench_cat k JOIN bench_product p ON p.sku = k.sku
            ), inserted AS (
                INSERT INTO stock_quant (company_id, product_id, location_id,
                                         quantity, reserved_quantity, in_date)
                SELECT %(company)s, product_id, %(location)s, level + drift, 0, now()
                  FROM levels
                RETURNING quantity
            )
            SELECT count(*) FROM levels WHERE drift <> 0
            """,
            {
                "rate": drift_rate,
                "company": env.company.id,
                "location": warehouse.lot_stock_id.id,
            },
        )
        drifted += cr.fetchone()[0]
    cr.execute("SET session_replication_role = DEFAULT")
    cr.execute("ANALYZE stock_quant")
    cr.execute("ANALYZE product_product")
    cr.execute("ANALYZE shopify_product_binding")
    env.invalidate_all()
    print(
        f"  {len(templates) * n_locations} levels, {drifted} drifted in Odoo's "
        f"stock; setup {time.perf_counter() - t0:.0f} s"
    )
    return shop, warehouses, drifted


def naive(shop, bindings, warehouses):
    """Per product: free_qty through the ORM, one read and one write per level."""
    from odoo.addons.synco_shopify.lib.shopify import QuantityChange

    client = shop._get_client()
    mappings = shop.mapping_ids.sorted("id")
    pushed = []
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
                change = QuantityChange(item, location, qty, int(current))
                client.set_available([change], reference_uri="gid://synco-bench/naive")
                pushed.append(change)
    return client.stats, pushed


def peak_rss_mb():
    """(VmHWM since the last reset, lifetime ru_maxrss), in MB."""
    status = Path("/proc/self/status").read_text()
    hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
    lifetime = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(hwm.split()[1]) / 1024, lifetime / 1024


def process_rss_mb(pid):
    """(VmRSS, VmHWM) of another process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    values = {
        line.split(":")[0]: int(line.split()[1]) / 1024
        for line in status
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return values["VmRSS"], values["VmHWM"]


def reset_peak_rss():
    """Start VmHWM again from the current RSS (Linux >= 4.0); False if refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@contextlib.contextmanager
def split_cpu():
    """Charge each phase of the run (``Phases``) its user and system CPU
    seconds and the collector's seconds (``Phases.detail``: name -> [user,
    system, gc, gc runs]): what moves a phase's CPU from one run to the
    next (the kernel's share of reading a socket, full collections)."""
    from odoo.addons.synco_shopify.lib import reconciliation as engine

    charge = engine.Phases._charge
    clock = {"gc": 0.0, "runs": 0, "start": None}

    def on_gc(phase, _info):
        if phase == "start":
            clock["start"] = time.process_time()
        elif clock["start"] is not None:
            clock["gc"] += time.process_time() - clock["start"]
            clock["runs"] += 1
            clock["start"] = None

    def split(self, entry, now):
        times = os.times()
        last = getattr(self, "_last_times", None)
        if last is not None:
            detail = self.__dict__.setdefault("detail", {})
            totals = detail.setdefault(entry[0], [0.0, 0.0, 0.0, 0])
            totals[0] += times.user - last[0].user
            totals[1] += times.system - last[0].system
            totals[2] += clock["gc"] - last[1]
            totals[3] += clock["runs"] - last[2]
        self._last_times = (times, clock["gc"], clock["runs"])
        return charge(self, entry, now)

    enter = engine.Phases.__call__

    def phase(self, name):
        if not self._stack:  # time between phases is no phase's
            self._last_times = (os.times(), clock["gc"], clock["runs"])
        return enter(self, name)

    gc.callbacks.append(on_gc)
    try:
        with (
            patch.object(engine.Phases, "_charge", split),
            patch.object(engine.Phases, "__call__", phase),
        ):
            yield
    finally:
        gc.callbacks.remove(on_gc)


@contextlib.contextmanager
def levels_thread(on):
    """Off: the run reads Shopify's file after its figures (``LevelsLoader``
    never starts its thread), as before the thread."""
    if on:
        yield
        return
    from odoo.addons.synco_shopify.lib import reconciliation as engine

    with patch.object(engine.LevelsLoader, "tick", lambda _self: None):
        yield


def reference_cpu_ms():
    """CPU milliseconds of a fixed piece of a run's own kind of work (best
    of 3): decoding 20 000 level lines of a bulk file as the client does.
    The same work took 1.6-1.9x the CPU seconds on this machine from one
    minute to the next (another process busy beside it, the host): compare
    two runs' CPU with this beside them."""
    line = (
        '{"id":"gid://shopify/InventoryLevel/1?inventory_item_id=%d","item":'
        '{"id":"gid://shopify/InventoryItem/%d"},"quantities":[{"name":'
        '"available","quantity":%d},{"name":"committed","quantity":0},'
        '{"name":"on_hand","quantity":%d}],"__parentId":"gid://shopify/Location/1"}'
    )
    lines = [(line % (i, i, i % 100, i % 100)).encode() for i in range(20000)]
    decode = json.JSONDecoder().decode
    best = None
    for _ in range(3):
        started = time.process_time()
        for start in range(0, len(lines), 1000):
            batch = decode(f"[{b','.join(lines[start : start + 1000]).decode()}]")
            for obj in batch:
                obj.get("__parentId")
                (obj.get("item") or {}).get("id")
        spent = time.process_time() - started
        best = spent if best is None else min(best, spent)
    return best * 1000


def steal_seconds():
    """The machine's CPU time stolen by the host so far (/proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    ticks = int(fields[8]) if len(fields) > 8 else 0
    return ticks / os.sysconf("SC_CLK_TCK")


def run_job(env, shop):
    """Create a run, enqueue its job and perform it here as the runner does.

    :return: (run, the run's phases: wall and CPU seconds per phase, and the
        seconds its client waited on Shopify by kind)
    """
    from odoo.addons.queue_job.job import Job

    Run = type(env["shopify.reconciliation"])
    log_phases = Run._log_phases
    captured = []

    def capture(run, phases):
        captured.append(phases)
        return log_phases(run, phases)

    run = shop._create_run()
    job = run._delay_run()
    env.cr.commit()
    job = Job.load(env, job.uuid)
    job.set_started()
    job.store()
    env.cr.commit()
    with patch.object(Run, "_log_phases", capture), split_cpu():
        job.perform()
    job.set_done()
    job.store()
    env.cr.commit()
    return run, captured[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=50000)
    parser.add_argument("--locations", type=int, default=3)
    parser.add_argument("--naive", type=int, default=300, help="naive sample size")
    parser.add_argument("--drift", type=float, default=0.02)
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run the engine under cProfile (slower), save its stats to FILE "
        "and print the 30 functions taking the most time of their own",
    )
    parser.add_argument(
        "--no-states-cost",
        action="store_true",
        help="skip the second run reading available alone (issue 22's cost)",
    )
    parser.add_argument(
        "--levels-thread",
        choices=("on", "off"),
        default="on",
        help="off: Shopify's file is read after Odoo's figures, not on a thread "
        "beside them (to measure what the thread is worth)",
    )
    parser.add_argument("--seed", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        seed(args.variants, args.locations, *map(Path, args.seed))
        return
    folder = Path(tempfile.mkdtemp(prefix="synco-sim-"))
    state_file, catalogue_file = folder / "state.pickle", folder / "catalogue.tsv"
    levels = args.variants * args.locations
    print(
        f"Seeding the simulator with {args.variants} variants x {args.locations} "
        "locations ..."
    )
    t0 = time.perf_counter()
    build_simulator(args.variants, args.locations, state_file, catalogue_file)
    print(f"  seeded in {time.perf_counter() - t0:.0f} s")
    proc, base_url = start_simulator(state_file)
    try:
        with odoo_env() as env:
            shop, warehouses, drifted = build_odoo(
                env, catalogue_file, args.locations, base_url, args.drift, 0.7
            )
            env.cr.commit()  # the run reads committed data like a job would
            env.invalidate_all()

            sample = shop.binding_ids.sorted("id")[: args.naive]
            env.invalidate_all()
            wall0, cpu0 = time.monotonic(), time.process_time()
            stats, naive_changes = naive(shop, sample, warehouses)
            naive_pushed = len(naive_changes)
            naive_wall = time.monotonic() - wall0
            naive_cpu = time.process_time() - cpu0
            env.invalidate_all()
            load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
            reference_before, steal_before = reference_cpu_ms(), steal_seconds()
            reset = reset_peak_rss()
            rss_before = peak_rss_mb()[0]
            wall0, cpu0 = time.monotonic(), time.process_time()
            profiler = cProfile.Profile() if args.profile else None
            if profiler:
                profiler.enable()
            with call_log() as calls, levels_thread(args.levels_thread == "on"):
                run, phases = run_job(env, shop)
            if profiler:
                profiler.disable()
            engine_wall = time.monotonic() - wall0
            engine_cpu = time.process_time() - cpu0
            run_rss, lifetime_rss = peak_rss_mb()
            print(f"  engine run: {run.message}")
            engine = {
                f: run[f]
                for f in (
                    "api_calls",
                    "api_cost",
                    "pushed_count",
                    "drifted_count",
                    "failed_count",
                )
            }
            engine.update(
                wall=engine_wall,
                cpu=engine_cpu,
                phases=phases,
                run_rss=run_rss,
                rss_before=rss_before,
                lifetime_rss=lifetime_rss,
                reset=reset,
                simulator_rss=process_rss_mb(proc.pid),
                steal=steal_seconds() - steal_before,
                reference=(reference_before, reference_cpu_ms()),
                load_before=load_before,
                naive_wall=naive_wall,
                naive_cpu=naive_cpu,
            )
            report(args, levels, drifted, sample, stats, naive_pushed, engine)
            if profiler:
                profiler.dump_stats(args.profile)
                print(f"\ncProfile of the engine run (saved to {args.profile}):")
                pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            if not args.no_states_cost:
                with_states = (run, calls, bulk_file(base_url))
                stop(proc)
                proc, base_url = start_simulator(state_file)
                forget_levels(env, shop, base_url, naive_changes)
                with available_only(), call_log() as calls:
                    run, _phases = run_job(env, shop)
                report_states_cost((run, calls, bulk_file(base_url)), with_states)
    finally:
        stop(proc)
        shutil.rmtree(folder, ignore_errors=True)  # the saved store, the catalogue


def bulk_file(base_url):
    """(objects, bytes) of the shop's last bulk query file (an uncounted call)."""
    from odoo.addons.synco_shopify.lib.shopify import ShopifyClient

    query = (
        "query BenchBulkFile { currentBulkOperation(type: QUERY) "
        "{ status objectCount fileSize } }"
    )
    with ShopifyClient(DEMO_DOMAIN, DEMO_TOKEN, base_url=base_url) as client:
        operation = client.execute(query).data.get("currentBulkOperation") or {}
    return int(operation.get("objectCount") or 0), int(operation.get("fileSize") or 0)


def forget_levels(env, shop, base_url, naive_changes):
    """Both sides as the first run met them: Odoo with no level written,
    drift nor alert recorded, the simulator started again from its saved
    store (the shop talks to it) with the naive loop's writes made again."""
    from odoo.addons.synco_shopify.lib.shopify import ShopifyClient

    with ShopifyClient(DEMO_DOMAIN, DEMO_TOKEN, base_url=base_url) as client:
        if naive_changes:
            client.set_available(naive_changes, reference_uri="gid://synco-bench/naive")
    cr = env.cr
    for table in ("shopify_inventory_level", "shopify_drift", "shopify_alert"):
        cr.execute(f"DELETE FROM {table} WHERE shop_id = %s", [shop.id])
    shop.api_base_url = base_url
    env.cr.commit()
    env.invalidate_all()


def report_states_cost(without, with_states):
    """The run's level read and the whole run, without the states -> with."""
    print()
    print(
        "What the states cost (issue 22): the same run again, Shopify's levels "
        "as they were, the level reads asking available alone"
    )
    for label, (run, calls, (objects, size)) in (
        ("available alone", without),
        ("available, committed, on_hand", with_states),
    ):
        operations = ", ".join(f"{op} {n}" for op, n in by_operation(calls).items())
        print(
            f"  {label}: {run.checked_count} checked, {run.drifted_count} drifted, "
            f"{run.pushed_count} written; bulk file {objects} objects, "
            f"{size / 1e6:.1f} MB; calls: {operations}"
        )
    polls = ("BulkOperationPoll", "bulk query")
    for label, operations in (
        ("states read cost, levels read", LEVEL_READ_OPERATIONS),
        (
            "states read cost, levels read but the bulk query's polls "
            "(they follow time)",
            LEVEL_READ_OPERATIONS - {polls},
        ),
        ("states read cost, whole run", None),
    ):
        print(
            compare_cost(
                label,
                cost_totals(without[1], operations),
                cost_totals(with_states[1], operations),
            )
        )
    (_o0, size0), (_o1, size1) = without[2], with_states[2]
    if size0:
        print(
            f"bulk file (not charged in query cost): {size0 / 1e6:.1f} -> "
            f"{size1 / 1e6:.1f} MB ({100.0 * (size1 - size0) / size0:+.1f} %)"
        )


def stop(proc):
    """Stop the simulator (a million levels take a while to let go)."""
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def report(args, levels, drifted, sample, stats, naive_pushed, engine):
    engine_wall, engine_cpu = engine["wall"], engine["cpu"]
    phases = engine["phases"]
    run_rss, rss_before, lifetime_rss = (
        engine["run_rss"],
        engine["rss_before"],
        engine["lifetime_rss"],
    )
    reset = engine["reset"]
    scale = args.variants / len(sample) if sample else 0.0
    print()
    print(
        f"{args.variants} variants x {args.locations} locations = {levels} levels, "
        f"{drifted} drifted"
    )
    print(
        f"{'':26}{'wall s':>9}{'Odoo CPU s':>12}{'calls':>9}{'query cost':>12}"
        f"{'written':>9}"
    )
    print(
        f"{'engine (full run)':26}{engine_wall:>9.1f}{engine_cpu:>12.1f}"
        f"{engine['api_calls']:>9}{engine['api_cost']:>12.0f}{engine['pushed_count']:>9}"
    )
    if sample:  # --naive 0: the engine alone
        report_naive(sample, stats, naive_pushed, engine, scale)
    print(
        f"drift found by the engine: {engine['drifted_count']} (injected "
        f"{drifted}), written {engine['pushed_count']}, failed "
        f"{engine['failed_count']}"
    )
    print("engine phases (wall s, Odoo CPU s; a phase's wall beyond its CPU is")
    print("PostgreSQL or Shopify):")
    detail = getattr(phases, "detail", {})
    heads = ("wall", "CPU", "user", "system", "gc")
    print(f"  {'':24}" + "".join(f"{h:>8}" for h in heads) + f"{'gc runs':>9}")
    for name, (wall, cpu) in phases.seconds.items():
        user, system, collector, runs = detail.get(name, (0.0, 0.0, 0.0, 0))
        print(
            f"  {name:24}{wall:>8.1f}{cpu:>8.1f}{user:>8.1f}{system:>8.1f}"
            f"{collector:>8.1f}{runs:>9}"
        )
    for name, (wall, cpu) in getattr(phases, "beside", {}).items():
        print(
            f"  {name + ', on a thread':24}{wall:>8.1f}{cpu:>8.1f}  (beside the "
            "phases above: its CPU is in theirs)"
        )
    waited = phases.waited
    shopify = sum(waited.values())
    detail = ", ".join(
        f"{kind} {seconds:.1f}" for kind, seconds in waited.items() if seconds >= 0.05
    )
    print(
        f"wall {engine_wall:.0f} s = Odoo side {engine_wall - shopify:.0f} s "
        f"(Odoo CPU {engine_cpu:.0f} s, the rest PostgreSQL) + waiting on Shopify "
        f"{shopify:.0f} s ({detail})"
    )
    if levels >= 5_000_000:  # issue 24: ten million levels
        target, goal_wall, goal_cpu, goal_rss = "10 000 000", 300, None, 2048
    else:  # issue 24: a million levels
        target, goal_wall, goal_cpu, goal_rss = "1 000 000", 30, 15, 1024
    cpu_goal = f" (goal < {goal_cpu} s)" if goal_cpu else ""
    print(
        f"engine run against the goals for {target} levels ({levels} here): "
        f"wall {engine_wall:.0f} s (goal < {goal_wall} s), Odoo CPU "
        f"{engine_cpu:.1f} s{cpu_goal}, peak RSS {run_rss:.0f} MB during the run "
        + ("(VmHWM reset before it" if reset else "(VmHWM could not be reset")
        + f", {rss_before:.0f} MB at its start; process lifetime peak "
        f"{lifetime_rss:.0f} MB) (goal < {goal_rss} MB)"
    )
    before, after = engine["reference"]
    print(
        f"CPU speed: reference loop {before:.0f} ms of CPU before the run, "
        f"{after:.0f} ms after; CPU stolen by the host during the run "
        f"{engine['steal']:.1f} s (both cores)"
    )
    sim_now, sim_peak = engine["simulator_rss"]
    print(
        f"simulator (its own process): peak RSS {sim_peak:.0f} MB "
        f"({sim_peak * 2**20 / levels:.0f} B a level, catalogue "
        f"included), {sim_now:.0f} MB at the end; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end, "
        f"{engine['load_before']} before the run"
    )


def report_naive(sample, stats, naive_pushed, engine, scale):
    """The naive loop's lines and the ratios against it."""
    naive_wall, naive_cpu = engine["naive_wall"], engine["naive_cpu"]
    engine_cpu = engine["cpu"]
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
        f"query cost, {naive_cpu * scale / engine_cpu:.0f}x less Odoo CPU (goal 10x)"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(REPO))
    main()
