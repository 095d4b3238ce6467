"""The ``Simulator``: state, rate limiting, faults, request log and domain actions.

One ``threading.RLock`` guards everything (store, buckets, log, faults); the
HTTP layer (``server.py``) calls ``prepare`` (parse, validate, describe for the
log), applies faults, then ``run`` (rate limit and execution under the lock).
Artificial latency is slept *outside* the lock so a slow request does not
stall the others; bulk queries also run outside it (see ``bulk.py``).  Bulk
mutations (``stagedUploadsCreate``, a multipart upload to ``/_sim/staged-
uploads``, ``bulkOperationRunMutation``) take the lock line by line, so other
requests interleave with them as with Shopify's worker; ``hold_bulk`` /
``release_bulk`` pause them and the ``bulk_fail_after`` fault fails one
part-way (its ``partialDataUrl`` serves the lines done).

Both supported versions (2026-04, 2026-07) share one schema and the 2026-04+
rules: ``inventorySetQuantities``/``inventoryActivate`` need ``@idempotent``
(missing: a top-level ``BAD_REQUEST`` error) and every quantity must carry
``changeFromQuantity`` (Int, or explicit null to skip the check; missing: a
top-level error, as Shopify's changelog describes a runtime error).  Keys are
remembered per shop: a repeat with the same input replays the stored answer
without applying anything, other input gets the ``userError``
``IDEMPOTENCY_KEY_PARAMETER_MISMATCH``, and a retry arriving while the first
attempt is still in flight (e.g. under injected latency) gets
``IDEMPOTENCY_CONCURRENT_REQUEST``.

Rate limiting is Shopify's leaky bucket per shop, in real time: a request
whose requested cost exceeds what is left is answered ``Throttled``; after
execution the difference between requested and actual cost is refunded.

Faults (``set_faults`` / ``POST /_sim/faults``) are drawn from a seeded
``random.Random`` so a test run is reproducible; ``fail_next`` queues exact
faults for the next GraphQL requests.  ``drop_after_apply`` executes the
request and then closes the socket without an answer: the client cannot tell
whether its mutation landed, which is what idempotency keys are for.
"""

import collections
import contextlib
import json
import pickle
import random
import re
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from threading import RLock

from graphql import GraphQLError, execute, parse, validate
from graphql.execution.values import (
    get_argument_values,
    get_directive_values,
    get_variable_values,
)
from graphql.utilities import get_operation_ast

from . import bulk, fixtures, graphql_api, state
from .graphql_api import SCHEMA, Context, default_resolver, operation_cost, typed_node
from .server import serve
from .webhooks import FAST_RETRY_SCHEDULE, WebhookSender, level_payload, order_payload

INVENTORY_REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}
DEFAULT_FAULTS = {
    "seed": 0,
    "error_429_rate": 0.0,
    "retry_after": 1.0,
    "error_5xx_rate": 0.0,
    "error_5xx_status": 503,
    "latency": 0.0,
    "latency_jitter": 0.0,
    "drop_rate": 0.0,
    "drop_after_apply_rate": 0.0,
    "fail_next": [],
    "item_errors": {},
    "drop_webhooks": 0.0,
    "drop_next_webhooks": 0,
    "orders_search_lag": 0.0,
    # a bulk mutation fails after this many lines (partialDataUrl: those)
    "bulk_fail_after": None,
}
# failed deliveries (each after every retry) that remove a subscription
REMOVE_SUBSCRIPTION_AFTER = 3
FAULT_KINDS = {"429", "500", "502", "503", "504", "drop", "drop_after_apply"}


def _camel_keys(values):
    """``{"first_name": ..}`` -> ``{"firstName": ..}`` (REST keys accepted too)."""
    return {
        re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key): value
        for key, value in (values or {}).items()
    }


def _user_error(code, field, message):
    return {"code": code, "field": field, "message": message}


class Bucket:
    """Shopify's leaky bucket: ``maximum`` points, refilled at ``rate``/s."""

    def __init__(self, maximum, rate):
        self.maximum = float(maximum)
        self.rate = float(rate)
        self.available = float(maximum)
        self.stamp = time.monotonic()

    def refill(self):
        now = time.monotonic()
        self.available = min(
            self.maximum, self.available + (now - self.stamp) * self.rate
        )
        self.stamp = now

    def status(self):
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": int(self.available),
            "restoreRate": self.rate,
        }


class Request:
    """A parsed, validated GraphQL request (one operation, coerced variables)."""

    def __init__(self, document, operation, variables, body):
        self.document, self.operation = document, operation
        self.variables, self.body = variables, body
        self.mutation = operation.operation.value == "mutation"
        self.fragments = {
            d.name.value: d
            for d in document.definitions
            if d.kind == "fragment_definition"
        }

    def describe(self):
        """Root fields, quantities sent and idempotency key, for the log."""
        root = SCHEMA.mutation_type if self.mutation else SCHEMA.query_type
        fields, quantities, key = [], 0, None
        for node, _ in graphql_api.selected_fields(
            self.operation.selection_set, root, self.fragments
        ):
            name = node.name.value
            fields.append(name)
            if name not in root.fields:
                continue
            try:
                args = get_argument_values(root.fields[name], node, self.variables)
                directive = get_directive_values(
                    graphql_api.IDEMPOTENT, node, self.variables
                )
            except GraphQLError:
                continue
            if name == "inventorySetQuantities":
                quantities += len(args["input"]["quantities"])
            key = (directive or {}).get("key", key)
        return {"root_fields": fields, "quantities": quantities, "idempotency_key": key}


class Simulator:
    """A Shopify stand-in: ``Simulator().start()`` then talk to ``base_url``."""

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        fixture=None,
        bucket_size=2000,
        restore_rate=100,
        state_file=None,
        webhook_retry_schedule=FAST_RETRY_SCHEDULE,
        webhook_timeout=5.0,
        autosave=None,
    ):
        self.host, self.port = host, port
        self.autosave = autosave
        self._saved = None  # the bytes last written to the state file
        self._autosaver = None
        self._stopping = threading.Event()
        self.bucket_size, self.restore_rate = bucket_size, restore_rate
        self.state_file = Path(state_file) if state_file else None
        self.lock = RLock()
        self.store = state.Store()
        self.log = []
        self._in_flight = collections.Counter()
        self.faults = json.loads(json.dumps(DEFAULT_FAULTS))
        self.random = random.Random(0)
        self.webhooks = WebhookSender(
            webhook_retry_schedule, webhook_timeout, on_failed=self._delivery_failed
        )
        # Shopify removes a subscription whose deliveries keep failing
        self.remove_subscription_after = REMOVE_SUBSCRIPTION_AFTER
        self._failures = collections.Counter()
        # staged uploads: key -> {"shop", "policy", "data"} (not persisted)
        self.staged_uploads = {}
        # cleared by hold_bulk(): bulk mutation lines wait until release_bulk()
        self.bulk_gate = threading.Event()
        self.bulk_gate.set()
        self.server = None
        self.base_url = None
        if self.state_file and self.state_file.exists():
            self._saved = self.state_file.read_bytes()
            self.load_state(self._saved)
        elif fixture:
            self.load_fixture(fixture)

    def load_state(self, data):
        """Replace the store with one saved by :meth:`save` (its bytes)."""
        with self.lock:
            self.store = pickle.loads(data)
            for shop in self.store.shops.values():
                shop.bucket = Bucket(self.bucket_size, self.restore_rate)

    # -- lifecycle -------------------------------------------------------------------

    def start(self):
        self.server = serve(self, self.host, self.port)
        self.port = self.server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        if self.state_file and self.autosave:
            self._stopping.clear()
            self._autosaver = threading.Thread(
                target=self._autosave_loop, name="sim-autosave", daemon=True
            )
            self._autosaver.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        self._stopping.set()
        if self._autosaver is not None:
            self._autosaver.join(10)
            self._autosaver = None
        self.webhooks.stop()
        self.save()

    def save(self):
        """Write the store (shops, catalogue, levels, orders, webhooks,
        idempotency keys) to ``state_file``, when it changed since the last
        write; atomically, so a simulator killed mid-write keeps the
        previous state.  Buckets, faults and the log are not kept."""
        if not self.state_file:
            return False
        with self.lock:
            data = pickle.dumps(self.store)
        if data == self._saved:
            return False
        partial = self.state_file.with_name(self.state_file.name + ".partial")
        partial.write_bytes(data)
        partial.replace(self.state_file)
        self._saved = data
        return True

    def _autosave_loop(self):
        """Save every ``autosave`` seconds while running: a simulator killed
        (not stopped) loses at most that much."""
        while not self._stopping.wait(self.autosave):
            self.save()

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()

    def graphql_url(self, version="2026-07"):
        return f"{self.base_url}/admin/api/{version}/graphql.json"

    # -- state helpers ----------------------------------------------------------------

    def reset(self, fixture=None):
        with self.lock:
            self.store = state.Store()
            self.log.clear()
            self.clear_faults()
            self.webhooks.clear()
            if fixture:
                self.load_fixture(fixture)

    def load_fixture(self, name):
        with self.lock:
            fixtures.FIXTURES[name](self)

    def shop(self, domain=None):
        return self.store.shop(domain)

    def add_shop(
        self,
        domain,
        name=None,
        token=None,
        webhook_secret=None,
        currency="USD",
        timezone="UTC",
        email=None,
        plan="Basic",
    ):
        """A shop; its token (unique) is how requests select it."""
        with self.lock:
            shop = self.store.add_shop(
                domain, name, token, webhook_secret, currency, timezone, email, plan
            )
            shop.bucket = Bucket(self.bucket_size, self.restore_rate)
            return shop

    def add_location(self, shop, name, **kwargs):
        with self.lock:
            return self.store.add_location(shop, name, **kwargs)

    def add_product(self, shop, title, skus, stock=None, **kwargs):
        """Create a product; ``stock`` maps location names to available units."""
        with self.lock:
            shop = self.store.shop(shop)
            product = self.store.add_product(shop, title, skus, **kwargs)
            for location_name, available in (stock or {}).items():
                location = shop.location_named(location_name)
                for variant in product.variants:
                    self.store.stock(shop, variant.item, location, available)
            return product

    def seed_catalogue(
        self,
        shop,
        n_variants,
        locations=None,
        stocked=True,
        available=None,
        sku_prefix="BENCH-",
        per_product=10,
    ):
        """Bulk-create ``n_variants`` SKUs (for benchmarks); returns the SKUs.

        ``available`` is an int or ``f(index, location) -> int``; by default a
        deterministic spread 0..99.
        """
        with self.lock:
            shop = self.store.shop(shop)
            chosen = (
                [shop.location_named(n) for n in locations]
                if locations
                else [loc for loc in shop.locations.values() if loc.is_active]
            )
            skus = [f"{sku_prefix}{i:06d}" for i in range(n_variants)]
            for start in range(0, n_variants, per_product):
                batch = skus[start : start + per_product]
                product = self.store.add_product(shop, f"Bench product {start}", batch)
                if not stocked:
                    continue
                for offset, variant in enumerate(product.variants):
                    index = start + offset
                    for location in chosen:
                        if callable(available):
                            qty = available(index, location)
                        elif available is not None:
                            qty = available
                        else:
                            qty = (index * 7 + location.number) % 100
                        self.store.stock(shop, variant.item, location, qty)
            return skus

    def levels(self, shop=None):
        with self.lock:
            return self.store.levels(shop)

    def level(self, shop, sku, location_name):
        with self.lock:
            shop = self.store.shop(shop)
            item = shop.item_for(sku)
            level = item.levels.get(shop.location_named(location_name).number)
            return level.as_dict() if level else None

    def set_available(self, shop, sku_or_item, location, quantity):
        """A merchant's manual edit in the Shopify admin (drift)."""
        with self.lock:
            shop = self.store.shop(shop)
            item = shop.item_for(sku_or_item)
            location = shop.location_named(location)
            level = self.store.stock(shop, item, location)
            level.available = int(quantity)
            level.updated_at = time.time()
            self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
            return level.as_dict()

    def create_order(
        self,
        shop,
        lines,
        shipping_address=None,
        location=None,
        email="customer@example.com",
        customer=None,
    ):
        """A customer buys ``lines`` [(sku, qty)]: available -> committed.

        Each line is taken from ``location`` (a name or GID) when given, else
        routed like Shopify's default: the first active location (by ID) that
        fulfills online orders and has the units, then any active location
        with them, else the first stocked one (overselling).  Sends
        ``orders/create`` and ``inventory_levels/update`` webhooks.
        """
        with self.lock:
            shop = self.store.shop(shop)
            now = time.time()
            number = self.store.next_id()
            order = state.Order(
                number=number,
                order_number=1001 + len(shop.orders),
                email=email,
                phone=None,
                lines=[],
                fulfillment_orders=[],
                fulfillments=[],
                currency=shop.currency,
                created_at=now,
                updated_at=now,
                cancelled_at=None,
                cancel_reason=None,
                note=None,
                tags=[],
                shipping_address=self._mailing_address(shipping_address),
                customer=self._customer(customer, email),
            )
            touched = []
            for sku, quantity in lines:
                item = shop.item_for(sku)
                level = self._pick_level(shop, item, quantity, location)
                level.available -= quantity
                level.committed += quantity
                level.updated_at = now
                touched.append(level)
                order.lines.append(
                    state.LineItem(
                        number=self.store.next_id(),
                        order=order,
                        variant=item.variant,
                        quantity=quantity,
                        removed=0,
                        price=Decimal(item.variant.price),
                        location=level.location,
                    )
                )
            shop.orders[number] = order
            self._assign_fulfillment_orders(shop, order)
            self._emit(shop, "ORDERS_CREATE", order_payload(shop, order))
            for level in dict.fromkeys(touched):
                self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
            return order

    def _assign_fulfillment_orders(self, shop, order):
        by_location = {}
        for line in order.lines:
            by_location.setdefault(line.location.number, []).append(line)
        for lines in by_location.values():
            self._new_fulfillment_order(
                shop,
                order,
                lines[0].location,
                [(line, line.quantity) for line in lines],
            )

    def _new_fulfillment_order(self, shop, order, location, quantities):
        """An open fulfilment order at ``location`` for [(line item, quantity)]."""
        fulfillment_order = state.FulfillmentOrder(
            number=self.store.next_id(),
            order=order,
            location=location,
            state="OPEN",
            progress_reported=False,
            lines=[
                state.FulfillmentOrderLineItem(
                    number=self.store.next_id(), line=line, total=qty, fulfilled=0
                )
                for line, qty in quantities
            ],
        )
        order.fulfillment_orders.append(fulfillment_order)
        shop.fulfillment_orders[fulfillment_order.number] = fulfillment_order
        return fulfillment_order

    def cancel_order(self, order_id, reason="CUSTOMER"):
        """Cancel with restock: committed -> available; marks ``cancelledAt``."""
        with self.lock:
            shop, order = self._find_order(order_id)
            if order.cancelled_at:
                raise ValueError(f"order {order.name} is already cancelled")
            now = time.time()
            order.cancelled_at = order.updated_at = now
            order.cancel_reason = reason
            touched = []
            for fulfillment_order in order.fulfillment_orders:
                if fulfillment_order.state not in ("OPEN", "IN_PROGRESS"):
                    continue
                for fo_line in fulfillment_order.lines:
                    # what is not shipped yet goes back on sale where it sat
                    quantity = fo_line.total - fo_line.fulfilled
                    level = fo_line.line.variant.item.levels.get(
                        fulfillment_order.location.number
                    )
                    if level is None or not quantity:
                        continue
                    level.committed -= quantity
                    level.available += quantity
                    level.updated_at = now
                    touched.append(level)
            payload = order_payload(shop, order)
            self._emit(shop, "ORDERS_CANCELLED", payload)
            self._emit(shop, "ORDERS_UPDATED", payload)
            for level in dict.fromkeys(touched):
                self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
            return order

    def fulfillment_orders(self, order_id):
        """[{id, location, status, lines: {sku: (total, remaining)}}] of an order."""
        with self.lock:
            _shop, order = self._find_order(order_id)
            return [
                {
                    "id": fo.id,
                    "location": fo.location.name,
                    "status": fo.status,
                    "lines": {
                        fo_line.sku: (fo_line.total, fo_line.remaining_quantity)
                        for fo_line in fo.lines
                    },
                }
                for fo in order.fulfillment_orders
            ]

    def fulfillments(self, order_id):
        """[{id, location, status, tracking, notify, lines: {sku: qty}}]."""
        with self.lock:
            _shop, order = self._find_order(order_id)
            result = []
            for fulfillment in order.fulfillments:
                lines = {}
                for line, quantity in fulfillment.lines:
                    lines[line.sku] = lines.get(line.sku, 0) + quantity
                result.append(
                    {
                        "id": fulfillment.id,
                        "location": fulfillment.location.name,
                        "status": fulfillment.status,
                        "tracking": dict(fulfillment.tracking or {}),
                        "notify_customer": fulfillment.notify_customer,
                        "lines": lines,
                    }
                )
            return result

    def report_progress(self, fulfillment_order_id):
        """The merchant marks a fulfilment order as in progress (not movable)."""
        with self.lock:
            for shop in self.store.shops.values():
                parsed = state.parse_gid(str(fulfillment_order_id))
                fo = shop.fulfillment_orders.get(parsed[1] if parsed else None)
                if fo is not None:
                    fo.progress_reported = True
                    fo.state = "IN_PROGRESS"
                    fo.updated = time.time()
                    return fo
            raise KeyError(f"no fulfillment order {fulfillment_order_id!r}")

    def edit_order(self, order_id, quantities):
        """Lower line quantities before shipment ({sku: new quantity}).

        Like an order edit (or a refund with restock of unshipped units):
        the removed units leave the open fulfilment orders and go back on
        sale at their location; ``orders/edited`` and ``orders/updated``
        are sent.  Shipped units can't be removed.
        """
        with self.lock:
            shop, order = self._find_order(order_id)
            now = time.time()
            touched = []
            for line in order.lines:
                if line.sku not in quantities:
                    continue
                wanted = int(quantities[line.sku])
                remove = line.current_quantity - wanted
                if remove < 0 or wanted < line.fulfilled_quantity:
                    raise ValueError(
                        f"{line.sku}: can't go from {line.current_quantity} to "
                        f"{wanted} ({line.fulfilled_quantity} fulfilled)"
                    )
                line.removed = (line.removed or 0) + remove
                for fo in order.fulfillment_orders:
                    if fo.state not in ("OPEN", "IN_PROGRESS") or not remove:
                        continue
                    for fo_line in fo.lines:
                        if fo_line.line is not line or not remove:
                            continue
                        take = min(remove, fo_line.total - fo_line.fulfilled)
                        fo_line.total -= take
                        remove -= take
                        level = line.variant.item.levels.get(fo.location.number)
                        if level is not None and take:
                            level.committed -= take
                            level.available += take
                            level.updated_at = now
                            touched.append(level)
                    fo.updated = now
            order.updated_at = now
            payload = order_payload(shop, order)
            self._emit(shop, "ORDERS_EDITED", payload)
            self._emit(shop, "ORDERS_UPDATED", payload)
            for level in dict.fromkeys(touched):
                self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
            return order

    def _delivery_failed(self, delivery):
        """Shopify gave up on a delivery; enough of them remove the subscription."""
        with self.lock:
            key = (delivery["shop"], delivery["subscription_id"])
            self._failures[key] += 1
            if self._failures[key] < self.remove_subscription_after:
                return
            shop = self.store.shops.get(delivery["shop"])
            if shop is None:
                return
            parsed = state.parse_gid(delivery["subscription_id"])
            if parsed and shop.webhooks.pop(parsed[1], None) is not None:
                self._failures.pop(key, None)

    def delete_webhook_subscriptions(self, shop=None, topic=None):
        """Shopify removes subscriptions that kept failing; returns how many."""
        with self.lock:
            shop = self.store.shop(shop)
            doomed = [
                number
                for number, webhook in shop.webhooks.items()
                if topic is None or webhook.topic == topic
            ]
            for number in doomed:
                del shop.webhooks[number]
            return len(doomed)

    def _find_order(self, order_id):
        if isinstance(order_id, state.Order):
            order_id = order_id.number
        parsed = state.parse_gid(str(order_id))
        number = parsed[1] if parsed else int(order_id)
        for shop in self.store.shops.values():
            if number in shop.orders:
                return shop, shop.orders[number]
        raise KeyError(f"no order {order_id!r}")

    @staticmethod
    def _pick_level(shop, item, quantity, location_name):
        if location_name is not None:
            location = shop.location_named(location_name)
            level = item.levels.get(location.number)
            if level is None:
                raise ValueError(f"{item.sku} is not stocked at {location.name}")
            return level
        stocked = [
            item.levels[n]
            for n in sorted(item.levels)
            if item.levels[n].location.is_active
        ]
        if not stocked:
            raise ValueError(f"{item.sku} is not stocked at any active location")
        # Shopify's default routing: a location fulfilling online orders that
        # has the stock, then any location with stock, else oversell the first
        preferred = sorted(
            stocked, key=lambda lv: not lv.location.fulfills_online_orders
        )
        for level in preferred:
            if level.available >= quantity:
                return level
        return stocked[0]

    @staticmethod
    def _mailing_address(address):
        """A MailingAddress dict from GraphQL-style or REST-style keys."""
        address = _camel_keys(address)
        if "countryCode" in address:
            address.setdefault("countryCodeV2", address.pop("countryCode"))
        for key in (
            "firstName",
            "lastName",
            "company",
            "address1",
            "address2",
            "city",
            "province",
            "provinceCode",
            "country",
            "countryCodeV2",
            "zip",
            "phone",
        ):
            address.setdefault(key, None)
        address.setdefault(
            "name",
            " ".join(p for p in (address["firstName"], address["lastName"]) if p)
            or None,
        )
        address.setdefault("id", state.gid("MailingAddress", uuid.uuid4().int % 10**12))
        return address

    def _customer(self, customer, email):
        customer = _camel_keys(customer)
        number = customer.get("number") or self.store.next_id()
        customer.setdefault("email", email)
        customer.setdefault("firstName", None)
        customer.setdefault("lastName", None)
        customer.setdefault("phone", None)
        customer.update(
            number=number,
            id=state.gid("Customer", number),
            legacyResourceId=str(number),
        )
        customer.setdefault(
            "displayName",
            " ".join(p for p in (customer["firstName"], customer["lastName"]) if p)
            or email,
        )
        return customer

    # -- webhooks ---------------------------------------------------------------------

    def _emit(self, shop, topic, payload):
        event_id = str(uuid.uuid4())
        for subscription in list(shop.webhooks.values()):
            if subscription.topic == topic:
                self.webhooks.enqueue(
                    shop,
                    subscription,
                    topic,
                    payload,
                    event_id,
                    drop=self._drop_webhook(),
                )

    def _drop_webhook(self):
        if self.faults["drop_next_webhooks"] > 0:
            self.faults["drop_next_webhooks"] -= 1
            return True
        return self.random.random() < self.faults["drop_webhooks"]

    def deliveries(self):
        with self.lock:
            return list(self.webhooks.deliveries)

    def wait_for_deliveries(self, timeout=10.0):
        return self.webhooks.wait_idle(timeout)

    def set_webhook_retry(self, schedule=None, timeout=None):
        if schedule is not None:
            self.webhooks.retry_schedule = tuple(schedule)
        if timeout is not None:
            self.webhooks.timeout = timeout

    # -- faults, bucket, log -------------------------------------------------------

    def set_faults(self, **faults):
        """Merge fault settings (see ``DEFAULT_FAULTS``); ``seed`` reseeds."""
        with self.lock:
            unknown = set(faults) - set(DEFAULT_FAULTS)
            if unknown:
                raise ValueError(f"unknown faults {sorted(unknown)}")
            for kind in faults.get("fail_next", []):
                if kind not in FAULT_KINDS:
                    raise ValueError(f"unknown fault kind {kind!r}")
            self.faults.update(faults)
            if "seed" in faults:
                self.random.seed(faults["seed"])
            return dict(self.faults)

    def fail_next(self, kind, count=1):
        """Queue ``count`` faults of ``kind`` for the next GraphQL requests."""
        with self.lock:
            return self.set_faults(fail_next=self.faults["fail_next"] + [kind] * count)

    def clear_faults(self):
        with self.lock:
            self.faults = json.loads(json.dumps(DEFAULT_FAULTS))
            self.random.seed(0)

    def set_bucket(self, maximum=None, restore_rate=None, shop=None):
        with self.lock:
            if maximum is not None:
                self.bucket_size = maximum
            if restore_rate is not None:
                self.restore_rate = restore_rate
            shops = [self.store.shop(shop)] if shop else self.store.shops.values()
            for each in shops:
                each.bucket = Bucket(self.bucket_size, self.restore_rate)

    def clear_log(self):
        with self.lock:
            self.log.clear()

    def draw_fault(self):
        """The fault for the next GraphQL request (None most of the time)."""
        with self.lock:
            faults = self.faults
            if faults["fail_next"]:
                return faults["fail_next"].pop(0)
            draw = self.random.random
            for kind, rate in (
                ("429", faults["error_429_rate"]),
                (str(faults["error_5xx_status"]), faults["error_5xx_rate"]),
                ("drop", faults["drop_rate"]),
                ("drop_after_apply", faults["drop_after_apply_rate"]),
            ):
                if rate and draw() < rate:
                    return kind
            return None

    def latency(self):
        with self.lock:
            return self.faults["latency"] + (
                self.random.random() * self.faults["latency_jitter"]
            )

    def record(self, **entry):
        with self.lock:
            entry.setdefault("time", time.time())
            self.log.append(entry)
            return entry

    # -- GraphQL ----------------------------------------------------------------------

    def prepare(self, shop, version, body):
        """Parse, validate and describe a request without running it.

        Returns ``(entry, request)``: the log entry (operation, root fields,
        quantities sent, idempotency key) and either a ``Request`` ready for
        ``run`` or the error payload Shopify would answer.
        """
        entry = {
            "shop": shop.domain,
            "version": version,
            "operation_name": None,
            "root_fields": [],
            "mutation": False,
            "requested_cost": None,
            "actual_cost": None,
            "throttled": False,
            "quantities": 0,
            "idempotency_key": None,
            "idempotent_replay": False,
            "errors": 0,
            "user_errors": 0,
        }
        query = body.get("query") if isinstance(body, dict) else None
        if not isinstance(query, str):
            return entry, {"errors": [{"message": "Missing query"}]}
        try:
            document = parse(query)
        except GraphQLError as error:
            entry["operation_name"] = body.get("operationName")
            entry["errors"] = 1
            return entry, {"errors": [error.formatted]}
        errors = validate(SCHEMA, document)
        if errors:
            # a refused request is logged with its name too (cost: none)
            named = get_operation_ast(document, body.get("operationName"))
            entry["operation_name"] = (
                named.name.value if named is not None and named.name else None
            ) or body.get("operationName")
            entry["errors"] = len(errors)
            return entry, {"errors": [e.formatted for e in errors]}
        operation = get_operation_ast(document, body.get("operationName"))
        if operation is None:
            return entry, {"errors": [{"message": "An operation name is required"}]}
        variables = get_variable_values(
            SCHEMA, operation.variable_definitions or [], body.get("variables") or {}
        )
        if isinstance(variables, list):
            return entry, {"errors": [e.formatted for e in variables]}
        request = Request(document, operation, variables, body)
        entry.update(
            operation_name=operation.name.value if operation.name else None,
            mutation=request.mutation,
            **request.describe(),
        )
        return entry, request

    @contextlib.contextmanager
    def in_flight(self, shop, key):
        """Track a request carrying idempotency ``key`` from arrival to answer.

        Yields True when another request with the same key was already in
        flight (a client retrying before its first attempt was answered):
        Shopify answers that one ``IDEMPOTENCY_CONCURRENT_REQUEST``.
        """
        if key is None:
            yield False
            return
        with self.lock:
            concurrent = self._in_flight[(shop.domain, key)] > 0
            self._in_flight[(shop.domain, key)] += 1
        try:
            yield concurrent
        finally:
            with self.lock:
                self._in_flight[(shop.domain, key)] -= 1

    def writes_in_flight(self):
        """How many requests carrying an idempotency key (writes) have
        arrived and are not answered yet: a test kills a client there."""
        with self.lock:
            return sum(self._in_flight.values())

    def run(self, shop, version, request, entry, concurrent=False):
        """Execute a prepared request under the rate limit; returns the payload."""
        requested = operation_cost(
            request.operation, request.fragments, request.variables
        )
        entry["requested_cost"] = requested
        with self.lock:
            bucket = shop.bucket
            bucket.refill()
            if requested > graphql_api.MAX_QUERY_COST:
                return self._cost_error(
                    requested,
                    bucket,
                    f"Query cost is {requested}, which exceeds the single query max "
                    f"cost limit ({graphql_api.MAX_QUERY_COST}).",
                    "MAX_COST_EXCEEDED",
                )
            if requested > bucket.available:
                entry["throttled"] = True
                return self._cost_error(requested, bucket, "Throttled", "THROTTLED")
            bucket.available -= requested
            context = Context(self, shop, version, concurrent=concurrent)
            result = execute(
                SCHEMA,
                request.document,
                operation_name=request.body.get("operationName"),
                variable_values=request.body.get("variables") or {},
                context_value=context,
                field_resolver=default_resolver,
            )
            actual = (
                requested
                if request.mutation
                else operation_cost(
                    request.operation,
                    request.fragments,
                    request.variables,
                    result.data,
                    actual=True,
                )
            )
            bucket.available = min(
                bucket.maximum, bucket.available + requested - actual
            )
            cost = {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": bucket.status(),
            }
        entry.update(
            actual_cost=actual,
            idempotent_replay=context.replayed,
            errors=len(result.errors or []),
            user_errors=sum(
                len((v or {}).get("userErrors") or [])
                for v in (result.data or {}).values()
                if isinstance(v, dict)
            ),
        )
        payload = {}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        payload["data"] = result.data
        payload["extensions"] = {"cost": cost}
        return payload

    def handle_graphql(self, shop, version, body):
        """Prepare and run one request; returns (payload, log entry fields)."""
        entry, request = self.prepare(shop, version, body)
        if isinstance(request, dict):
            return request, entry
        return self.run(shop, version, request, entry), entry

    @staticmethod
    def _cost_error(requested, bucket, message, code):
        extensions = {
            "code": code,
            "documentation": "https://shopify.dev/api/usage/rate-limits",
        }
        if code == "MAX_COST_EXCEEDED":
            extensions.update(cost=requested, maxCost=graphql_api.MAX_QUERY_COST)
        return {
            "errors": [{"message": message, "extensions": extensions}],
            "extensions": {
                "cost": {
                    "requestedQueryCost": requested,
                    "actualQueryCost": None,
                    "throttleStatus": bucket.status(),
                }
            },
        }

    # -- mutations (called by resolvers with the lock held) -------------------------

    def apply_set_quantities(self, shop, data):
        """``inventorySetQuantities``: all-or-nothing compare-and-set."""
        name, reason = data["name"], data["reason"]
        reference = data.get("referenceDocumentUri")
        errors = []
        if name not in ("available", "on_hand"):
            errors.append(
                _user_error(
                    "INVALID_NAME",
                    ["input", "name"],
                    "The quantity name must be either 'available' or 'on_hand'.",
                )
            )
        if reason not in INVENTORY_REASONS:
            errors.append(
                _user_error(
                    "INVALID_REASON",
                    ["input", "reason"],
                    "The specified reason is invalid.",
                )
            )
        if reference is not None and ":" not in reference.strip(":"):
            errors.append(
                _user_error(
                    "INVALID_REFERENCE_DOCUMENT",
                    ["input", "referenceDocumentUri"],
                    "The specified reference document is invalid.",
                )
            )
        planned, seen = [], set()
        for index, quantity in enumerate(data["quantities"]):
            level, problem = self._check_quantity(shop, name, quantity, seen)
            if problem:
                code, field, message = problem
                errors.append(
                    _user_error(
                        code, ["input", "quantities", str(index), field], message
                    )
                )
            else:
                planned.append((level, quantity["quantity"]))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        now = time.time()
        changes = []
        for level, target in planned:
            delta = target - level.quantity(name)
            if not delta:
                continue
            level.available += delta
            level.updated_at = now
            other = "on_hand" if name == "available" else "available"
            for changed in (name, other):
                changes.append(
                    state.Change(
                        name=changed,
                        delta=delta,
                        item=level.item,
                        location=level.location,
                        quantity_after_change=level.quantity(changed),
                    )
                )
            self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
        group = state.AdjustmentGroup(
            number=self.store.next_id(),
            reason=reason,
            reference_document_uri=reference,
            changes=changes,
            created_at=now,
        )
        shop.adjustment_groups[group.number] = group
        return {"inventoryAdjustmentGroup": group, "userErrors": []}

    def _check_quantity(self, shop, name, quantity, seen):
        """(level, None) or (None, (code, input field, message)) for one entry."""
        item = typed_node(shop, quantity["inventoryItemId"], "InventoryItem")
        location = typed_node(shop, quantity["locationId"], "Location")
        if item is None:
            return None, (
                "INVALID_INVENTORY_ITEM",
                "inventoryItemId",
                "The specified inventory item could not be found.",
            )
        if location is None:
            return None, (
                "INVALID_LOCATION",
                "locationId",
                "The specified location could not be found.",
            )
        item_errors = self.faults["item_errors"]
        forced = item_errors.get(item.id) or item_errors.get(item.sku)
        if forced:
            return None, (
                forced,
                "inventoryItemId",
                f"Simulated failure ({forced}) for {item.sku}.",
            )
        if (item.number, location.number) in seen:
            return None, (
                "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                "inventoryItemId",
                ("The combination of inventoryItemId and locationId must be unique."),
            )
        seen.add((item.number, location.number))
        level = item.levels.get(location.number)
        if level is None:
            return None, (
                "ITEM_NOT_STOCKED_AT_LOCATION",
                "locationId",
                ("The specified inventory item is not stocked at the location."),
            )
        target = quantity["quantity"]
        if target > 1_000_000_000:
            return None, (
                "INVALID_QUANTITY_TOO_HIGH",
                "quantity",
                "The total quantity can't be higher than 1,000,000,000.",
            )
        if target < -1_000_000_000:
            return None, (
                "INVALID_QUANTITY_TOO_LOW",
                "quantity",
                "The total quantity can't be lower than -1,000,000,000.",
            )
        if name == "on_hand" and target < 0:
            return None, (
                "INVALID_QUANTITY_NEGATIVE",
                "quantity",
                "The quantity can't be negative.",
            )
        expected = quantity["changeFromQuantity"]
        if expected is not None and expected != level.quantity(name):
            return None, (
                "CHANGE_FROM_QUANTITY_STALE",
                "changeFromQuantity",
                (
                    "The changeFromQuantity argument no longer matches "
                    "the persisted quantity."
                ),
            )
        return level, None

    def apply_activate(self, shop, item_id, location_id, available, on_hand):
        item = typed_node(shop, item_id, "InventoryItem")
        location = typed_node(shop, location_id, "Location")
        if item is None:
            return {
                "inventoryLevel": None,
                "userErrors": [
                    {
                        "field": ["inventoryItemId"],
                        "message": "Inventory item does not exist",
                    }
                ],
            }
        if location is None:
            return {
                "inventoryLevel": None,
                "userErrors": [
                    {"field": ["locationId"], "message": "Location does not exist"}
                ],
            }
        level = item.levels.get(location.number)
        if level is not None:
            if available is not None:
                return {
                    "inventoryLevel": None,
                    "userErrors": [
                        {
                            "field": ["available"],
                            "message": "Not allowed to set available quantity when the "
                            "item is already active at the location.",
                        }
                    ],
                }
            return {"inventoryLevel": level, "userErrors": []}
        level = self.store.stock(
            shop, item, location, available if available is not None else on_hand or 0
        )
        self._emit(shop, "INVENTORY_LEVELS_CONNECT", level_payload(shop, level))
        return {"inventoryLevel": level, "userErrors": []}

    def apply_webhook_create(self, shop, version, topic, data):
        uri = data.get("uri") or data.get("callbackUrl")
        if not uri:
            return {
                "webhookSubscription": None,
                "userErrors": [
                    {
                        "field": ["webhookSubscription", "uri"],
                        "message": "Address can't be blank",
                    }
                ],
            }
        for existing in shop.webhooks.values():
            if existing.topic == topic and existing.uri == uri:
                return {
                    "webhookSubscription": None,
                    "userErrors": [
                        {
                            "field": ["webhookSubscription", "callbackUrl"],
                            "message": "Address for this topic has already been taken",
                        }
                    ],
                }
        now = time.time()
        webhook = state.WebhookSubscription(
            number=self.store.next_id(),
            topic=topic,
            uri=uri,
            format=data.get("format") or "JSON",
            include_fields=data.get("includeFields") or [],
            filter=data.get("filter"),
            name=data.get("name"),
            api_version=version,
            created_at=now,
            updated_at=now,
        )
        shop.webhooks[webhook.number] = webhook
        return {"webhookSubscription": webhook, "userErrors": []}

    def apply_fulfillment_order_move(self, shop, fo_id, location_id, fo_lines=None):
        """``fulfillmentOrderMove``: the unfulfilled units change location.

        Refused (``userErrors``, nothing changes) as Shopify documents: a
        closed or cancelled fulfilment order, progress reported on it, a
        destination that does not stock an item, that is inactive or does
        not fulfil online orders.  Everything unfulfilled moving, nothing
        fulfilled yet: the fulfilment order itself is reassigned; otherwise
        the moved units form a new fulfilment order at the destination.
        Committed units follow: available goes up where they were and down
        where they go.
        """
        fo = typed_node(shop, fo_id, "FulfillmentOrder")
        location = typed_node(shop, location_id, "Location")
        moving, refusal = self._plan_move(fo, location, fo_lines)
        if refusal:
            message, field, code = refusal
            return {
                "movedFulfillmentOrder": None,
                "originalFulfillmentOrder": None,
                "remainingFulfillmentOrder": None,
                "userErrors": [
                    {"code": code, "field": list(field), "message": message}
                ],
            }
        wanted = {fo_line.number: quantity for fo_line, quantity in moving}
        now = time.time()
        for fo_line, quantity in moving:
            item = fo_line.line.variant.item
            source, target = (
                item.levels.get(fo.location.number),
                item.levels[location.number],
            )
            if source is not None:
                source.committed -= quantity
                source.available += quantity
                source.updated_at = now
            target.available -= quantity
            target.committed += quantity
            target.updated_at = now
        whole = all(
            fo_line.fulfilled == 0 and wanted.get(fo_line.number) == fo_line.total
            for fo_line in fo.lines
        )
        original = fo
        if whole:
            origin = fo.location
            fo.location = location
            fo.updated = now
            moved = fo
        else:
            origin = fo.location
            moved = self._new_fulfillment_order(
                shop, fo.order, location, [(fl.line, q) for fl, q in moving]
            )
            for fo_line, quantity in moving:
                fo_line.total -= quantity
            if not any(fl.remaining_quantity for fl in fo.lines):
                fo.state = "CLOSED"
            fo.updated = now
        for fo_line, _qty in moving:
            item = fo_line.line.variant.item
            for number in (origin.number, location.number):
                level = item.levels.get(number)
                if level is not None:
                    self._emit(
                        shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level)
                    )
        return {
            "movedFulfillmentOrder": moved,
            "originalFulfillmentOrder": original,
            "remainingFulfillmentOrder": None,
            "userErrors": [],
        }

    @staticmethod
    def _plan_move(fo, location, fo_lines):
        """([(fulfilment order line, qty)], None), or ([], (message, field, code))."""
        if fo is None:
            return [], ("Fulfillment order does not exist.", ("id",), None)
        if location is None:
            return [], ("Location does not exist.", ("newLocationId",), None)
        if fo.status not in ("OPEN", "IN_PROGRESS"):
            return [], (
                f"Cannot move a fulfillment order with status {fo.status}.",
                ("id",),
                None,
            )
        if fo.progress_reported:
            return [], (
                (
                    "Cannot move a fulfillment order that has had progress "
                    "reported. Mark the fulfillment order as open first."
                ),
                ("id",),
                "CANNOT_MOVE_FULFILLMENT_ORDER_WITH_REPORTED_PROGRESS",
            )
        if location is fo.location:
            return [], (
                "The fulfillment order is already assigned to this location.",
                ("newLocationId",),
                None,
            )
        if not location.is_active or not location.fulfills_online_orders:
            return [], (
                f"{location.name} can't fulfill online orders.",
                ("newLocationId",),
                None,
            )
        wanted = {fo_line.number: fo_line.remaining_quantity for fo_line in fo.lines}
        if fo_lines:
            asked = {}
            for given in fo_lines:
                parsed = state.parse_gid(given["id"])
                number = parsed[1] if parsed else None
                if number not in wanted or given["quantity"] > wanted[number]:
                    return [], (
                        "Invalid fulfillment order line item quantity requested.",
                        ("fulfillmentOrderLineItems",),
                        None,
                    )
                asked[number] = given["quantity"]
            wanted = asked
        moving = [
            (fo_line, wanted[fo_line.number])
            for fo_line in fo.lines
            if wanted.get(fo_line.number)
        ]
        unstocked = [
            fo_line.sku
            for fo_line, _qty in moving
            if location.number not in fo_line.line.variant.item.levels
        ]
        if unstocked:
            return [], (
                f"The items {', '.join(unstocked)} are not stocked at {location.name}.",
                ("newLocationId",),
                None,
            )
        return moving, None

    def apply_fulfillment_create(self, shop, data, message=None):
        """``fulfillmentCreate``: units ship; committed (and on hand) go down.

        Every fulfilment order must belong to one order and one location;
        without ``fulfillmentOrderLineItems`` all remaining units of a
        fulfilment order ship.  Asking for more than remains is refused.
        """

        def refused(text, field=("fulfillment",)):
            return {
                "fulfillment": None,
                "userErrors": [{"field": list(field), "message": text}],
            }

        groups = data.get("lineItemsByFulfillmentOrder") or []
        if not groups:
            return refused("Line items by fulfillment order can't be blank.")
        planned = []
        orders, locations = set(), set()
        for index, group in enumerate(groups):
            fo = typed_node(shop, group["fulfillmentOrderId"], "FulfillmentOrder")
            field = ("fulfillment", "lineItemsByFulfillmentOrder", str(index))
            if fo is None:
                return refused("Fulfillment order does not exist.", field)
            if fo.status not in ("OPEN", "IN_PROGRESS"):
                return refused(
                    f"Fulfillment order {fo.id} is {fo.status.lower()} and can't "
                    "be fulfilled.",
                    field,
                )
            orders.add(fo.order.number)
            locations.add(fo.location.number)
            by_number = {fl.number: fl for fl in fo.lines}
            asked = group.get("fulfillmentOrderLineItems")
            if asked is None:
                items = [(fl, fl.remaining_quantity) for fl in fo.lines]
            else:
                items = []
                for given in asked:
                    parsed = state.parse_gid(given["id"])
                    fo_line = by_number.get(parsed[1] if parsed else None)
                    if fo_line is None:
                        return refused(
                            "Fulfillment order line item does not exist.", field
                        )
                    if given["quantity"] <= 0 or (
                        given["quantity"] > fo_line.remaining_quantity
                    ):
                        return refused(
                            "Invalid fulfillment order line item quantity requested.",
                            field,
                        )
                    items.append((fo_line, given["quantity"]))
            planned.append((fo, [(fl, q) for fl, q in items if q]))
        if len(orders) > 1 or len(locations) > 1:
            return refused(
                "All fulfillment orders in a fulfillment must belong to the same "
                "order and be assigned to the same location."
            )
        if not any(items for _fo, items in planned):
            return refused("Nothing left to fulfill.")
        now = time.time()
        order = planned[0][0].order
        location = planned[0][0].location
        shipped = []
        for fo, items in planned:
            for fo_line, quantity in items:
                fo_line.fulfilled += quantity
                level = fo_line.line.variant.item.levels.get(location.number)
                if level is not None:
                    level.committed -= quantity
                    level.updated_at = now
                shipped.append((fo_line.line, quantity))
            fo.state = (
                "IN_PROGRESS"
                if any(fl.remaining_quantity for fl in fo.lines)
                else "CLOSED"
            )
            fo.updated = now
        tracking = data.get("trackingInfo") or {}
        fulfillment = state.Fulfillment(
            number=self.store.next_id(),
            order=order,
            location=location,
            fulfillment_orders=[fo for fo, _items in planned],
            lines=shipped,
            status="SUCCESS",
            tracking={
                "company": tracking.get("company"),
                "number": tracking.get("number"),
                "url": tracking.get("url"),
            },
            notify_customer=bool(data.get("notifyCustomer")),
            created_at=now,
        )
        order.fulfillments.append(fulfillment)
        shop.fulfillments[fulfillment.number] = fulfillment
        order.updated_at = now
        payload = order_payload(shop, order)
        self._emit(shop, "ORDERS_UPDATED", payload)
        done = all(not line.unfulfilled_quantity for line in order.lines)
        self._emit(
            shop,
            "ORDERS_FULFILLED" if done else "ORDERS_PARTIALLY_FULFILLED",
            payload,
        )
        return {"fulfillment": fulfillment, "userErrors": []}

    # -- bulk operations: queries and mutations -------------------------------------

    def _bulk_busy(self, shop, kind):
        """The userError refusing a new bulk operation of ``kind``, or None.

        Shopify runs one bulk query per app and shop at a time (busy until
        a read saw it end) and up to ``bulk.MAX_MUTATION_OPERATIONS`` bulk
        mutations (busy until they finished running).
        """
        if kind == "QUERY":
            running = [
                op
                for op in shop.bulk_operations.values()
                if graphql_api.bulk_type(op) == "QUERY"
                and op.status in ("CREATED", "RUNNING")
            ]
            if running:
                return _user_error(
                    "OPERATION_IN_PROGRESS",
                    None,
                    "A bulk query operation for this app and shop is already in "
                    f"progress: {running[0].id}.",
                )
            return None
        running = [
            op
            for op in shop.bulk_operations.values()
            if graphql_api.bulk_type(op) == "MUTATION" and not op.finished
        ]
        if len(running) >= bulk.MAX_MUTATION_OPERATIONS:
            return _user_error(
                "LIMIT_REACHED",
                None,
                f"A maximum of {bulk.MAX_MUTATION_OPERATIONS} bulk mutations can "
                "run at once for this app and shop.",
            )
        return None

    def _start_bulk(self, shop, kind, query, job, args, client_identifier=None):
        """Create a bulk operation (CREATED) and run ``job(operation, *args)``
        on a thread of its own, as Shopify's asynchronous worker does."""
        operation = state.BulkOperation(
            number=self.store.next_id(),
            query=query,
            type=kind,
            client_identifier=client_identifier,
            status="CREATED",
            created_at=time.time(),
            completed_at=None,
            jsonl=None,
            polls=0,
            object_count=0,
            root_object_count=0,
            finished=False,
            error_code=None,
        )
        shop.bulk_operations[operation.number] = operation
        threading.Thread(
            target=job,
            args=(operation, *args),
            name=f"sim-bulk-{kind.lower()}-{operation.number}",
            daemon=True,
        ).start()
        return {"bulkOperation": operation, "userErrors": []}

    def _finish_bulk(self, operation, lines=None, roots=0, error_code=None):
        """Record what a bulk operation's job produced: its result file (one
        JSONL text line per object), counts and error.  A read moves it to
        COMPLETED or FAILED afterwards (``graphql_api._poll``)."""
        with self.lock:
            if lines is not None:
                operation.jsonl = "".join(line + "\n" for line in lines)
                operation.object_count = len(lines)
                operation.root_object_count = roots
            operation.error_code = error_code
            operation.finished = True

    def apply_bulk_run(self, shop, query):
        busy = self._bulk_busy(shop, "QUERY")
        if busy:
            return {"bulkOperation": None, "userErrors": [busy]}
        document, problem = bulk.check_bulk_query(query)
        if problem:
            return {
                "bulkOperation": None,
                "userErrors": [
                    {"code": "INVALID", "field": ["query"], "message": problem}
                ],
            }
        return self._start_bulk(shop, "QUERY", query, self._bulk_job, (shop, document))

    def _bulk_job(self, operation, shop, document):
        lines, roots, error = bulk.execute_bulk_query(self, shop, document)
        if error:
            self._finish_bulk(operation, error_code="INTERNAL_SERVER_ERROR")
        else:
            self._finish_bulk(operation, lines, roots)

    def apply_staged_uploads(self, shop, inputs):
        """``stagedUploadsCreate``: a POST target on this server per input.

        Only ``BULK_MUTATION_VARIABLES`` is simulated.  The target mimics
        Shopify's cloud storage: a form POST of the ``parameters`` then the
        ``file``; the ``key`` parameter is the ``stagedUploadPath``.
        """
        targets, errors = [], []
        for index, upload in enumerate(inputs):
            if upload["resource"] != "BULK_MUTATION_VARIABLES":
                errors.append(
                    _user_error(
                        None,
                        ["input", str(index), "resource"],
                        "Only BULK_MUTATION_VARIABLES uploads are simulated.",
                    )
                )
                continue
            if upload.get("httpMethod") != "POST":
                errors.append(
                    _user_error(
                        None,
                        ["input", str(index), "httpMethod"],
                        "Bulk mutation variables are uploaded with POST.",
                    )
                )
                continue
            key = f"{bulk.STAGED_PREFIX}{uuid.uuid4()}/{upload['filename']}"
            policy = uuid.uuid4().hex
            self.staged_uploads[key] = {
                "shop": shop.domain,
                "policy": policy,
                "data": None,
            }
            targets.append(
                {
                    "url": f"{self.base_url}/_sim/staged-uploads",
                    "resourceUrl": None,
                    "parameters": [
                        {"name": "key", "value": key},
                        {"name": "Content-Type", "value": upload["mimeType"]},
                        {"name": "success_action_status", "value": "201"},
                        {"name": "acl", "value": "private"},
                        {"name": "policy", "value": policy},
                    ],
                }
            )
        if errors:
            return {"stagedTargets": None, "userErrors": errors}
        return {"stagedTargets": targets, "userErrors": []}

    def receive_staged_upload(self, form, data):
        """The storage side of a staged upload -> (HTTP status, message).

        ``form`` holds the text fields; ``data`` the file's bytes.  A key
        never staged or a wrong policy is refused, as a signed POST policy is.
        """
        with self.lock:
            staged = self.staged_uploads.get(form.get("key"))
            if staged is None or staged["policy"] != form.get("policy"):
                return 403, "AccessDenied: invalid key or policy"
            if data is None:
                return 400, "InvalidArgument: the form has no file field"
            staged["data"] = data
            return int(form.get("success_action_status") or 204), "stored"

    def apply_bulk_mutation(self, shop, version, mutation, path, client_identifier):
        """``bulkOperationRunMutation``: checks, then a background job."""

        def refused(code, field, message):
            return {
                "bulkOperation": None,
                "userErrors": [_user_error(code, field, message)],
            }

        busy = self._bulk_busy(shop, "MUTATION")
        if busy:
            return {"bulkOperation": None, "userErrors": [busy]}
        document, problem = bulk.check_bulk_mutation(mutation)
        if problem:
            return refused("INVALID_MUTATION", ["mutation"], problem)
        staged = self.staged_uploads.get(path)
        if staged is None or staged["shop"] != shop.domain or staged["data"] is None:
            return refused(
                "NO_SUCH_FILE",
                ["stagedUploadPath"],
                "The JSONL file could not be found. Try uploading the file again.",
            )
        lines, problem = bulk.parse_variables_file(staged["data"])
        if problem:
            return refused("INVALID_STAGED_UPLOAD_FILE", ["stagedUploadPath"], problem)
        return self._start_bulk(
            shop,
            "MUTATION",
            mutation,
            self._bulk_mutation_job,
            (shop, version, document, lines),
            client_identifier=client_identifier,
        )

    def _bulk_mutation_job(self, operation, shop, version, document, lines):
        """Run each line under the lock, one at a time, like Shopify's worker:
        other requests (a sale, a manual edit) interleave between lines."""
        rows, error_code = [], None
        fail_after = self.faults["bulk_fail_after"]
        for number, variables in enumerate(lines):
            self.bulk_gate.wait()
            if fail_after is not None and number >= fail_after:
                error_code = "INTERNAL_SERVER_ERROR"
                break
            with self.lock:
                rows.append(
                    bulk.execute_mutation_line(
                        self, shop, version, document, variables, number
                    )
                )
        self._finish_bulk(operation, rows, len(rows), error_code)

    def hold_bulk(self):
        """Hold bulk mutations before their next line (tests: concurrency)."""
        self.bulk_gate.clear()

    def release_bulk(self):
        self.bulk_gate.set()

    def wait_for_bulk(self, timeout=60.0):
        """Block until every started bulk operation has finished running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(
                    op.finished
                    for shop in self.store.shops.values()
                    for op in shop.bulk_operations.values()
                ):
                    return True
            time.sleep(0.01)
        return False

    def bulk_result(self, number):
        with self.lock:
            for shop in self.store.shops.values():
                operation = shop.bulk_operations.get(number)
                if operation is not None and operation.status in (
                    "COMPLETED",
                    "FAILED",
                ):
                    return operation.jsonl
        return None
