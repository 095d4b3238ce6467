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

Each concern is a mixin of its own module: ``faults`` (``FaultsMixin``),
``rate_limit`` (the bucket and cost, ``RateLimitMixin``), ``inventory``,
``orders``, ``fulfilment``, ``webhook_subscriptions`` and
``bulk_operations``; this module holds the facade: construction, lifecycle
and persistence, the store's helpers, and requests parsed and logged.
"""

import collections
import contextlib
import json
import pickle
import random
import threading
import time
from pathlib import Path
from threading import RLock

from graphql import GraphQLError, parse, validate
from graphql.execution.values import (
    get_argument_values,
    get_directive_values,
    get_variable_values,
)
from graphql.utilities import get_operation_ast

from . import fixtures, graphql_api, state
from .bulk_operations import BulkOperationsMixin
from .faults import DEFAULT_FAULTS, FaultsMixin
from .fulfilment import FulfilmentMixin
from .graphql_api import SCHEMA
from .inventory import InventoryMixin
from .inventory_states import InventoryStatesMixin
from .oauth import OAuthMixin
from .orders import OrdersMixin
from .rate_limit import Bucket, RateLimitMixin
from .retail import RetailMixin
from .server import serve
from .transfers import TransfersMixin
from .webhook_subscriptions import REMOVE_SUBSCRIPTION_AFTER, WebhookSubscriptionsMixin
from .webhooks import FAST_RETRY_SCHEDULE, WebhookSender


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


class Simulator(
    FaultsMixin,
    RateLimitMixin,
    InventoryMixin,
    InventoryStatesMixin,
    TransfersMixin,
    OrdersMixin,
    FulfilmentMixin,
    RetailMixin,
    WebhookSubscriptionsMixin,
    BulkOperationsMixin,
    OAuthMixin,
):
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
        self._oauth_init()
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
            self._oauth_init()
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

    def clear_log(self):
        with self.lock:
            self.log.clear()

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

    def handle_graphql(self, shop, version, body):
        """Prepare and run one request; returns (payload, log entry fields)."""
        entry, request = self.prepare(shop, version, body)
        if isinstance(request, dict):
            return request, entry
        return self.run(shop, version, request, entry), entry
