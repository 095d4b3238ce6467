"""The executable schema: ``schema.graphql`` built by graphql-core, the
registry of resolvers, the per-request ``Context`` and the GID look-ups.

Every field is resolved by a resolver registered for ``(TypeName,
fieldName)`` (``@resolver``, in the ``resolvers_*`` and ``mutations``
modules) or, failing that, by reading the snake_case attribute (or the dict
key) of the parent object.  ``graphql_api`` installs the registry on the
schema once every module has registered its resolvers.
"""

import functools
import re
from pathlib import Path

from graphql import build_schema

from . import state
from .state import iso, parse_gid

SCHEMA = build_schema((Path(__file__).with_name("schema.graphql")).read_text())
IDEMPOTENT = SCHEMA.get_directive("idempotent")
SUPPORTED_VERSIONS = ("2026-04", "2026-07")
MAX_PAGE = 250
MAX_QUERY_COST = 1000
MUTATION_COST = 10


class Context:
    """Per-request execution context handed to every resolver."""

    def __init__(self, sim, shop, version, bulk=False, concurrent=False):
        self.sim = sim
        self.shop = shop
        self.version = version
        self.bulk = bulk
        self.concurrent = concurrent  # same idempotency key already in flight
        self.replayed = False


RESOLVERS = {}


def resolver(type_name, field_name):
    def register(function):
        RESOLVERS[(type_name, field_name)] = function
        return function

    return register


@functools.cache
def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def default_resolver(obj, info, **_args):
    name = info.field_name
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, snake(name), None)


def _install_resolvers():
    for type_ in SCHEMA.type_map.values():
        for field_name, field in (getattr(type_, "fields", None) or {}).items():
            function = RESOLVERS.get((type_.name, field_name))
            if function is not None and hasattr(field, "resolve"):
                field.resolve = function
    for name in ("Node", "DisplayableError", "LegacyInteroperability"):
        SCHEMA.type_map[name].resolve_type = resolve_type


TYPE_NAMES = {
    state.Shop: "Shop",
    state.Location: "Location",
    state.Product: "Product",
    state.Variant: "ProductVariant",
    state.InventoryItem: "InventoryItem",
    state.Level: "InventoryLevel",
    state.Order: "Order",
    state.LineItem: "LineItem",
    state.WebhookSubscription: "WebhookSubscription",
    state.BulkOperation: "BulkOperation",
    state.AdjustmentGroup: "InventoryAdjustmentGroup",
    state.FulfillmentOrder: "FulfillmentOrder",
    state.FulfillmentOrderLineItem: "FulfillmentOrderLineItem",
    state.Fulfillment: "Fulfillment",
    state.FulfillmentLineItem: "FulfillmentLineItem",
}


def resolve_type(obj, _info, _type):
    return TYPE_NAMES[type(obj)]


# -- lookups -------------------------------------------------------------------------


def find_node(shop, node_id):
    """The state object behind a GID of this shop, or None."""
    parsed = parse_gid(node_id)
    if not parsed:
        return None
    kind, number, extra = parsed
    if kind == "InventoryLevel":
        item = shop.items.get(extra)
        return item.levels.get(number) if item else None
    table = {
        "Location": shop.locations,
        "Product": shop.products,
        "ProductVariant": shop.variants,
        "InventoryItem": shop.items,
        "Order": shop.orders,
        "WebhookSubscription": shop.webhooks,
        "BulkOperation": shop.bulk_operations,
        "InventoryAdjustmentGroup": shop.adjustment_groups,
        "FulfillmentOrder": shop.fulfillment_orders,
        "Fulfillment": shop.fulfillments,
        # issue 22: transfers.py (a shop pickled before them has none)
        "InventoryTransfer": getattr(shop, "transfers", None) or {},
        "InventoryShipment": getattr(shop, "shipments", None) or {},
    }.get(kind)
    if kind == "Shop":
        return shop if number == shop.number else None
    return table.get(number) if table is not None else None


def typed_node(shop, node_id, kind):
    node = find_node(shop, node_id)
    return node if node is not None and TYPE_NAMES[type(node)] == kind else None


def _datetime_fields(type_name):
    for field in (
        "createdAt",
        "updatedAt",
        "completedAt",
        "cancelledAt",
        "processedAt",
        "closedAt",
    ):
        attribute = "created_at" if field == "processedAt" else snake(field)
        RESOLVERS[(type_name, field)] = lambda obj, _info, _a=attribute: iso(
            getattr(obj, _a, None)
        )


for _type_name in (
    "Location",
    "Product",
    "ProductVariant",
    "InventoryItem",
    "InventoryLevel",
    "Order",
    "WebhookSubscription",
    "BulkOperation",
    "InventoryAdjustmentGroup",
    "FulfillmentOrder",
    "Fulfillment",
):
    _datetime_fields(_type_name)
