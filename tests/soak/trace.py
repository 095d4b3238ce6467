"""What a soak run leaves behind for tracing its episodes (off by default).

With ``SYNCO_SOAK_TRACE=<directory>`` set, the soak writes there, before it
stops its servers and drops its database: the server log, every sample of
the exposure sampler (Shopify's offer, Odoo's figure and the truth per
level and second), the queue's jobs, the webhook events Odoo stored, the
levels Odoo remembers, the sale orders, the simulator's webhook deliveries
(level webhooks tell each change of a Shopify level, with its time) and the
generator's orders.  JSON, one file per table: read them with a few lines
of Python; nothing here is asserted or printed.
"""

import json
import os
import shutil
from pathlib import Path

import psycopg2

TRACE_ENV = "SYNCO_SOAK_TRACE"

TABLES = {
    "jobs": """
        SELECT id, uuid, func_string, method_name, state, priority,
               identity_key, eta, date_created, date_enqueued, date_started,
               date_done, retry, result, left(exc_info, 400), records::text
          FROM queue_job ORDER BY id""",
    "events": """
        SELECT id, topic, state, triggered_at, create_date, processed_date,
               attempts, result, left(payload, 400), sale_order_id
          FROM shopify_webhook_event ORDER BY id""",
    "levels": """
        SELECT pp.default_code, sl.name, l.shopify_available, l.shopify_known,
               l.shopify_committed, l.held_qty, l.last_outcome, l.last_message,
               l.last_push_date, l.drop_sold_qty, l.drop_edited_qty, l.drop_date
          FROM shopify_inventory_level l
          JOIN product_product pp ON pp.id = l.product_id
          JOIN shopify_location sl ON sl.id = l.shopify_location_id""",
    "orders": """
        SELECT id, shopify_order_gid, state, shopify_state, shopify_origin,
               create_date, write_date, shopify_location_state
          FROM sale_order WHERE shopify_order_gid IS NOT NULL ORDER BY id""",
}


def trace_dir():
    """The directory asked for, or None (no trace)."""
    value = os.environ.get(TRACE_ENV)
    return Path(value) if value else None


def dump(soak, directory):
    """Write the run's trace into ``directory`` (created)."""
    from .soak import DOMAIN

    directory.mkdir(parents=True, exist_ok=True)

    def write(name, rows):
        (directory / f"{name}.json").write_text(json.dumps(rows, default=str))

    connection = psycopg2.connect(**soak.dsn)
    try:
        with connection.cursor() as cr:
            for name, query in TABLES.items():
                cr.execute(query)
                write(name, cr.fetchall())
    finally:
        connection.close()
    write(
        "deliveries",
        [
            {
                key: delivery.get(key)
                for key in ("topic", "status", "created_at", "delivered_at", "payload")
            }
            for delivery in soak.sim.deliveries()
        ],
    )
    write(
        "shopify_orders",
        [
            {
                "gid": track.order.id,
                "location": track.location,
                "created": track.created,
                "cancelled": track.cancelled,
                "edited": track.edited,
                "counter": track.counter,
                "lines": {
                    line.sku: [line.quantity, line.current_quantity]
                    for line in track.order.lines
                },
            }
            for track in soak.orders.values()
        ],
    )
    with soak.sim.lock:
        shop = soak.sim.store.shop(DOMAIN)
        write(
            "names",
            {
                "bindings": soak.sku_of_binding,
                "items": {item.number: item.sku for item in shop.items.values()},
                "locations": {loc.number: loc.name for loc in shop.locations.values()},
            },
        )
    sampler = soak.sampler
    write("samples", sampler.timeline or [])
    write("t0", [sampler.t0_epoch])
    if soak.odoo.log_path.exists():
        shutil.copy(soak.odoo.log_path, directory / "odoo.log")
