"""Load test of the webhook endpoint: signed webhooks over concurrent connections.

Run through the harness (fresh database, private PostgreSQL)::

    python3 tests/harness.py bench webhooks [--webhooks 2000] [--concurrency 50]

A real Odoo server (prefork, ``--workers`` HTTP workers, 8 by default, its jobs
on ``--job-capacity`` of them, 2, so webhooks find free workers; queue_job
runner; Odoo's listen backlog is 8 x workers) on loopback receives a stream of
``--webhooks`` signed webhooks from ``--concurrency`` client threads, each on
its own keep-alive connection: ``orders/create`` for distinct orders,
``orders/updated`` for some of the same orders (new event ids, racing the
creates) and exact redeliveries of earlier events (same event id, as Shopify
retries).  It prints the answer latencies (p50/p95/max) and throughput, then
waits (bounded) for the jobs and checks that every event was stored once and
every order imported once: no order lost, none duplicated.

Exit status 1 if an answer took 5 s or more (Shopify's timeout), a request
failed, or the stored events / orders don't match what was sent.
Loopback only; bounded in count and time.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.support.odoo_server import OdooServer, harness_conf, wait_until

DOMAIN = "bench-webhooks.myshopify.com"
SECRET = "bench-webhook-secret"
SKUS = [f"BENCH-WH-{i}" for i in range(10)]
SHOPIFY_TIMEOUT = 5.0


def sign(body, secret):
    """X-Shopify-Hmac-Sha256 of ``body``, as Shopify computes it."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def order_body(number, sku, quantity):
    return {
        "id": number,
        "admin_graphql_api_id": f"gid://shopify/Order/{number}",
        "name": f"#B{number}",
        "email": f"buyer{number % 97}@example.com",
        "currency": "USD",
        "cancelled_at": None,
        "updated_at": "2026-07-01T10:00:00-04:00",
        "customer": {"first_name": "Bench", "last_name": f"Buyer {number % 97}"},
        "shipping_address": {
            "first_name": "Bench",
            "last_name": "Buyer",
            "address1": "1 Load St",
            "city": "Newark",
            "zip": "07102",
            "province_code": "NJ",
            "country_code": "US",
        },
        "line_items": [
            {
                "id": number * 10,
                "variant_id": 500000 + SKUS.index(sku),
                "sku": sku,
                "quantity": quantity,
                "price": "10.00",
                "name": sku,
            }
        ],
    }


def build_stream(total, rng, duplicate_share=0.15, update_share=0.15):
    """[(headers, body)] with distinct creates, racing updates and redeliveries."""
    n_dup = int(total * duplicate_share)
    n_upd = int(total * update_share)
    n_create = total - n_dup - n_upd
    creates = []
    for i in range(n_create):
        number = 7_000_000 + i
        body = json.dumps(order_body(number, rng.choice(SKUS), rng.randint(1, 3)))
        creates.append((number, "orders/create", str(uuid.uuid4()), body.encode()))
    updates = []
    for number, _topic, _event, body in rng.sample(creates, n_upd):
        updates.append((number, "orders/updated", str(uuid.uuid4()), body))
    stream = creates + updates
    rng.shuffle(stream)
    # redeliveries: the very same event again, a little later in the stream
    for _ in range(n_dup):
        index = rng.randrange(len(stream))
        stream.insert(min(len(stream), index + rng.randint(1, 60)), stream[index])
    requests_ = []
    for _number, topic, event_id, body in stream:
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Shop-Domain": DOMAIN,
            "X-Shopify-API-Version": "2026-07",
            "X-Shopify-Triggered-At": "2026-07-01T14:00:00.000Z",
            "X-Shopify-Hmac-Sha256": sign(body, SECRET),
        }
        requests_.append((headers, body))
    orders = {number for number, *_rest in creates}
    events = {event_id for _n, _t, event_id, _b in stream}
    return requests_, orders, events


def setup_shop(odoo, n_requests):
    warehouse = odoo.call(
        "stock.warehouse", "search_read", [], fields=["lot_stock_id"]
    )[0]
    shop = odoo.call(
        "shopify.shop",
        "create",
        {
            "name": "Bench Webhooks",
            "shop_domain": DOMAIN,
            "access_token": "shpat_bench",
            "webhook_secret": SECRET,
            "default_warehouse_id": warehouse["id"],
        },
    )
    for i, sku in enumerate(SKUS):
        product = odoo.call(
            "product.product",
            "create",
            {"name": sku, "default_code": sku, "is_storable": True},
        )
        odoo.call(
            "shopify.product.binding",
            "create",
            {
                "shop_id": shop,
                "product_id": product,
                "sku": sku,
                "shopify_variant_gid": f"gid://shopify/ProductVariant/{500000 + i}",
                "shopify_inventory_item_gid": (
                    f"gid://shopify/InventoryItem/{600000 + i}"
                ),
            },
        )
        quant = odoo.call(
            "stock.quant",
            "create",
            {
                "product_id": product,
                "location_id": warehouse["lot_stock_id"][0],
                "inventory_quantity": 3 * n_requests,
            },
            context={"inventory_mode": True},
        )
        odoo.call("stock.quant", "action_apply_inventory", [quant])
    return shop


def send_all(url, stream, concurrency):
    """Send the stream over ``concurrency`` connections; [(status, seconds)]."""
    results = [None] * len(stream)
    cursor = iter(range(len(stream)))
    lock = threading.Lock()

    def worker():
        session = requests.Session()
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            headers, body = stream[index]
            start = time.perf_counter()
            try:
                response = session.post(url, data=body, headers=headers, timeout=30)
                status = response.status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            results[index] = (status, time.perf_counter() - start)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - start


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--workers",
        type=int,
        default=8,
        help="Odoo HTTP workers; Odoo's listen backlog is 8 x workers, so 2 "
        "workers (backlog 16) drop the SYNs of 50 simultaneous connections "
        "(1 s, 3 s, 7 s client retransmits) unless a proxy queues them",
    )
    parser.add_argument(
        "--job-capacity",
        type=int,
        default=2,
        help="queue_job root channel capacity (workers left for webhooks)",
    )
    parser.add_argument(
        "--jobs-timeout",
        type=float,
        default=1200,
        help="seconds to wait for the import jobs after sending",
    )
    args = parser.parse_args()
    if (
        not 1 <= args.webhooks <= 20000
        or not 1 <= args.concurrency <= 200
        or not 2 <= args.workers <= 16
    ):
        sys.exit("bounded: --webhooks 1..20000, --concurrency 1..200, --workers 2..16")
    conf = os.environ.get("SYNCO_ODOO_CONF")
    if not conf:
        sys.exit("run me through: python3 tests/harness.py bench webhooks")
    db_name = dict(
        line.split(" = ", 1) for line in Path(conf).read_text().splitlines()[1:]
    )["db_name"]
    os.environ.setdefault("SYNCO_E2E_DB", db_name)
    harness_conf()

    rng = random.Random(2026)
    stream, orders, events = build_stream(args.webhooks, rng)
    redeliveries = len(stream) - len(events)
    print(
        f"stream: {len(stream)} signed webhooks = {len(orders)} orders/create, "
        f"{len(events) - len(orders)} orders/updated racing them, "
        f"{redeliveries} redeliveries of the same event; "
        f"{args.concurrency} concurrent connections"
    )
    print(
        f"server: {args.workers} HTTP workers (listen backlog "
        f"{8 * args.workers}), job channel capacity {args.job_capacity}"
    )
    server = OdooServer(
        name="bench-webhooks",
        workers=args.workers,
        channels=f"root:{args.job_capacity}",
    )
    server.start()
    try:
        shop = setup_shop(server, args.webhooks)
        url = f"{server.url}/synco_shopify/webhook/{shop}"
        results, wall = send_all(url, stream, args.concurrency)
        statuses = {}
        for status, _latency in results:
            statuses[status] = statuses.get(status, 0) + 1
        latencies = [latency for _status, latency in results]
        slow = sum(latency >= SHOPIFY_TIMEOUT for latency in latencies)
        print(f"answers: {statuses}")
        p50, p95, p99 = (percentile(latencies, q) for q in (0.50, 0.95, 0.99))
        mean = statistics.mean(latencies)
        print(
            f"latency: p50 {p50:.3f} s, p95 {p95:.3f} s, p99 {p99:.3f} s, "
            f"max {max(latencies):.3f} s, mean {mean:.3f} s; "
            f"{slow} at or over {SHOPIFY_TIMEOUT:.0f} s"
        )
        print(f"throughput: {len(stream) / wall:.1f} webhooks/s ({wall:.1f} s wall)")

        def pending():
            return server.call(
                "queue.job",
                "search_count",
                [
                    ("method_name", "=", "_job_process"),
                    ("state", "not in", ("done", "failed")),
                ],
            )

        t0 = time.perf_counter()
        wait_until(lambda: pending() == 0, args.jobs_timeout, interval=2, what="jobs")
        jobs_wall = time.perf_counter() - t0
        stored_rows = server.call(
            "shopify.webhook.event",
            "search_read",
            [("shop_id", "=", shop)],
            fields=["event_id"],
        )
        stored = len(stored_rows)
        stored_ids = {e["event_id"] for e in stored_rows}
        event_states = {}
        for row in server.call(
            "shopify.webhook.event",
            "search_read",
            [("shop_id", "=", shop)],
            fields=["state"],
        ):
            event_states[row["state"]] = event_states.get(row["state"], 0) + 1
        so_rows = server.call(
            "sale.order",
            "search_read",
            [("shopify_shop_id", "=", shop)],
            fields=["shopify_order_id", "state"],
        )
        order_ids = [int(row["shopify_order_id"]) for row in so_rows]
        failed_jobs = server.call(
            "queue.job", "search_count", [("state", "=", "failed")]
        )
        print(
            f"jobs: all {len(events)} processing jobs finished {jobs_wall:.1f} s "
            f"after the last answer; failed jobs: {failed_jobs}"
        )
        print(
            f"stored events: {stored} (distinct event ids sent: {len(events)}); "
            f"states: {event_states}"
        )
        print(
            f"sale orders: {len(so_rows)} (distinct orders sent: {len(orders)}; "
            f"distinct imported: {len(set(order_ids))}; confirmed: "
            f"{sum(row['state'] == 'sale' for row in so_rows)})"
        )
        log_lines = server.log_path.read_text(errors="replace").splitlines()
        errors = [line for line in log_lines if " ERROR " in line]
        retried = sum("serializ" in line.lower() for line in log_lines)
        duplicates = sum("already received" in line for line in log_lines)
        refused = sum(
            "synco_shopify.controllers" in line and " WARNING " in line
            for line in log_lines
        )
        print(
            f"server log: {len(errors)} ERROR lines; {retried} lines mention a "
            f"serialization failure (import jobs reserving the same quants, "
            f"retried by queue_job; racing redeliveries, retried by Odoo), "
            f"{duplicates} duplicates answered, {refused} webhooks refused"
        )
        for line in errors[:5]:
            print("  " + line[:200])
        problems = []
        if set(statuses) != {200}:
            problems.append(f"non-200 answers {statuses}")
        if slow:
            problems.append(f"{slow} answers took {SHOPIFY_TIMEOUT:.0f} s or more")
        if stored != len(events) or stored_ids != events:
            problems.append("stored events differ from the events sent")
        if len(order_ids) != len(set(order_ids)):
            problems.append("an order was imported twice")
        if set(order_ids) != orders:
            problems.append(f"{len(orders - set(order_ids))} orders lost")
        if failed_jobs or event_states.get("failed"):
            problems.append("failed jobs or events")
        print("RESULT: " + ("; ".join(problems) if problems else "OK"))
        return 1 if problems else 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
