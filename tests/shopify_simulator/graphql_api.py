"""GraphQL execution against the simulated store: resolvers, search, paging, cost.

Documents are parsed and validated by graphql-core against ``schema.graphql``
(the generated subset of Shopify's real schema) and executed generically: every
field is resolved by a resolver registered for ``(TypeName, fieldName)`` or,
failing that, by reading the snake_case attribute (or the dict key) of the
parent object.  No document text is ever matched, so any valid document over
the supported fields runs.

Paging follows Shopify: connections need ``first`` or ``last`` (at most 250),
cursors are opaque base64 JSON holding the sort key of the last node, and
``reverse``/``sortKey`` are honoured for the common keys.  Inside a bulk
operation (``Context.bulk``) the limits are lifted and every node is returned.

Search (``query:`` argument) implements the part of Shopify's syntax clients
use: ``field:value``, ``field:>value`` (``>=``, ``<``, ``<=``), quoted values,
``value*`` prefixes, ``-field:value`` negation, implicit AND and ``OR``.
Parentheses are accepted but ignored (OR binds loosest); unknown fields are
ignored, as Shopify does.

Cost follows Shopify's documented calculation: scalars and enums 0, objects 1,
connections 2 + size x (cost of one node), mutations 10.  The requested cost
uses ``first``/``last``; the actual cost counts what was returned.
"""

import base64
import bisect
import functools
import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    InlineFragmentNode,
    build_schema,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.values import get_argument_values, get_directive_values

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
    }.get(kind)
    if kind == "Shop":
        return shop if number == shop.number else None
    return table.get(number) if table is not None else None


def typed_node(shop, node_id, kind):
    node = find_node(shop, node_id)
    return node if node is not None and TYPE_NAMES[type(node)] == kind else None


# -- search --------------------------------------------------------------------------

QUOTED = r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"""
TOKEN_RE = re.compile(
    rf"""\(|\)|-?[A-Za-z_.]+:(?:[<>]=?)?(?:{QUOTED}|[^\s()]+)|{QUOTED}|[^\s()]+"""
)
TERM_RE = re.compile(r"^(-?)([A-Za-z_.]+):([<>]=?)?(.*)$", re.DOTALL)


def _unquote(value):
    """Strip search quotes; inside them ``\\"`` and ``\\\\`` are escapes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_search(query):
    """Search string -> list of OR groups, each a list of AND terms."""
    groups = [[]]
    for token in TOKEN_RE.findall(query or ""):
        if token in ("(", ")", "AND"):
            continue
        if token == "OR":
            groups.append([])
            continue
        match = TERM_RE.match(token)
        if match:
            negate, field, op, value = match.groups()
            groups[-1].append((field.lower(), op or "", _unquote(value), negate))
        else:
            groups[-1].append((None, "", _unquote(token), ""))
    return [group for group in groups if group]


def _as_epoch(value):
    if isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _compare(actual, op, wanted, is_date):
    if actual is None:
        return False
    try:
        if is_date:
            actual, wanted = _as_epoch(actual), _as_epoch(wanted)
        elif isinstance(actual, (int, float)) and not isinstance(actual, bool):
            wanted = float(wanted)
        else:
            actual, wanted = str(actual).lower(), wanted.lower()
    except ValueError:
        return False
    if op == "":
        if isinstance(actual, str) and wanted.endswith("*"):
            return actual.startswith(wanted[:-1])
        return actual == wanted
    return {
        ">": actual > wanted,
        ">=": actual >= wanted,
        "<": actual < wanted,
        "<=": actual <= wanted,
    }[op]


def search_filter(items, query, fields, default_fields):
    """Keep the items matching ``query``; ``fields`` maps names to getters."""
    groups = parse_search(query)
    if not groups:
        return items

    def term_matches(item, term):
        field, op, value, negate = term
        names = default_fields if field is None else [field]
        getters = [fields[name] for name in names if name in fields]
        if not getters:
            return True  # unknown search field: ignored, like Shopify
        is_date = field is not None and field.endswith("_at")
        hit = False
        for get in getters:
            actual = get(item)
            for candidate in actual if isinstance(actual, tuple) else (actual,):
                hit = hit or _compare(candidate, op, value, is_date)
        return hit != bool(negate)

    return [
        item
        for item in items
        if any(all(term_matches(item, t) for t in group) for group in groups)
    ]


def exact_skus(query):
    """The SKUs of a pure ``sku:A OR sku:B ...`` search, else None.

    Such searches are answered from the SKU index instead of a scan, which keeps
    look-ups fast on 50 000-variant benchmark catalogues.
    """
    groups = parse_search(query)
    if not groups or any(
        len(group) != 1
        or group[0][0] != "sku"
        or group[0][1]
        or group[0][3]
        or group[0][2].endswith("*")
        for group in groups
    ):
        return None
    return [group[0][2] for group in groups]


def items_for_search(shop, query):
    """Inventory items matching ``query`` (indexed for exact SKU searches)."""
    skus = exact_skus(query)
    if skus is None:
        return search_filter(list(shop.items.values()), query, ITEM_FIELDS, ["sku"])
    found = {}
    for sku in skus:
        for item in shop.items_by_sku.get(sku.lower(), ()):
            found[item.number] = item
    return list(found.values())


def variants_for_search(shop, query):
    if exact_skus(query) is not None:
        return [item.variant for item in items_for_search(shop, query)]
    return search_filter(
        list(shop.variants.values()),
        query,
        VARIANT_FIELDS,
        ["sku", "title", "product_title"],
    )


def _id_getter(item):
    return item.number


VARIANT_FIELDS = {
    "id": _id_getter,
    "sku": lambda v: v.sku,
    "title": lambda v: v.title,
    "barcode": lambda v: v.barcode,
    "product_id": lambda v: v.product.number,
    "product_title": lambda v: v.product.title,
    "created_at": lambda v: v.created_at,
    "updated_at": lambda v: v.updated_at,
}
ITEM_FIELDS = {
    "id": _id_getter,
    "sku": lambda i: i.sku,
    "created_at": lambda i: i.created_at,
    "updated_at": lambda i: i.updated_at,
}
LOCATION_FIELDS = {
    "id": _id_getter,
    "name": lambda loc: loc.name,
    "active": lambda loc: str(loc.is_active).lower(),
    "city": lambda loc: loc.address.get("city"),
    "country": lambda loc: loc.address.get("countryCode"),
    "province": lambda loc: loc.address.get("provinceCode"),
}
ORDER_FIELDS = {
    "id": _id_getter,
    "name": lambda o: o.name,
    "email": lambda o: o.email,
    "created_at": lambda o: o.created_at,
    "processed_at": lambda o: o.created_at,
    "updated_at": lambda o: o.updated_at,
    "status": lambda o: (
        ("any", "cancelled", "closed") if o.cancelled_at else ("any", "open")
    ),
}
LEVEL_FIELDS = {
    "location_id": lambda lv: lv.location.number,
    "inventory_item_id": lambda lv: lv.item.number,
    "updated_at": lambda lv: lv.updated_at,
}
WEBHOOK_FIELDS = {
    "id": _id_getter,
    "topic": lambda w: w.topic,
    "created_at": lambda w: w.created_at,
    "updated_at": lambda w: w.updated_at,
}


# -- connections ----------------------------------------------------------------------


def encode_cursor(key):
    return base64.b64encode(json.dumps({"last_key": key}).encode()).decode()


def decode_cursor(cursor):
    try:
        return tuple(json.loads(base64.b64decode(cursor))["last_key"])
    except (ValueError, KeyError, TypeError):
        raise GraphQLError("Invalid cursor for current pagination sort.") from None


def connection(info, items, args, key=lambda item: (item.number,)):
    """Page ``items`` (any order) Shopify-style; returns a Connection dict."""
    first, last = args.get("first"), args.get("last")
    if not info.context.bulk:
        if first is None and last is None:
            raise GraphQLError("you must provide one of first or last")
        for name, value in (("first", first), ("last", last)):
            if value is not None and not 0 <= value <= MAX_PAGE:
                raise GraphQLError(
                    f"The `{name}` argument must be between 0 and {MAX_PAGE}."
                )
    nodes = list(items)
    keys = [key(item) for item in nodes]
    if any(keys[i] > keys[i + 1] for i in range(len(keys) - 1)):
        order = sorted(range(len(keys)), key=keys.__getitem__)
        keys = [keys[i] for i in order]
        nodes = [nodes[i] for i in order]
    ascending = not args.get("reverse")
    if not ascending:
        keys.reverse()
        nodes.reverse()
    start, end = 0, len(nodes)

    def position(cursor):
        wanted = decode_cursor(cursor)
        try:
            if ascending:
                return bisect.bisect_right(keys, wanted)
            return len(keys) - bisect.bisect_left(keys[::-1], wanted)
        except TypeError:  # a cursor made for another sort key
            raise GraphQLError("Invalid cursor for current pagination sort.") from None

    if args.get("after"):
        start = position(args["after"])
    if args.get("before"):
        end = position(args["before"]) - 1
    end = max(start, end)
    if info.context.bulk:
        window = range(start, end)
    elif first is not None:
        window = range(start, min(end, start + first))
    else:
        window = range(max(start, end - last), end)
    page = [nodes[i] for i in window]
    if info.context.bulk:
        # every node of the catalogue: a cursor is encoded only if selected
        edges = [_BulkEdge(keys[i], nodes[i]) for i in window]
    else:
        edges = [{"cursor": encode_cursor(keys[i]), "node": nodes[i]} for i in window]
    return {
        "edges": edges,
        "nodes": page,
        "pageInfo": {
            "hasNextPage": window.stop < len(nodes),
            "hasPreviousPage": window.start > 0,
            "startCursor": edges[0].get("cursor") if edges else None,
            "endCursor": edges[-1].get("cursor") if edges else None,
        },
    }


class _BulkEdge(dict):
    """An edge of a bulk operation's connection, its cursor made when read."""

    __slots__ = ("key",)

    def __init__(self, key, node):
        super().__init__(node=node)
        self.key = key

    def get(self, name, default=None):
        if name == "cursor":
            return encode_cursor(self.key)
        return super().get(name, default)


def _sort_key(sort_key, keys):
    getter = keys.get(sort_key or "ID") or keys["ID"]
    return lambda item: (getter(item), item.number)


VARIANT_SORT = {
    "ID": lambda v: v.number,
    "SKU": lambda v: v.sku or "",
    "TITLE": lambda v: v.title,
    "NAME": lambda v: v.display_name,
    "FULL_TITLE": lambda v: v.display_name,
    "POSITION": lambda v: v.position,
}
ORDER_SORT = {
    "ID": lambda o: o.number,
    "CREATED_AT": lambda o: o.created_at,
    "PROCESSED_AT": lambda o: o.created_at,
    "UPDATED_AT": lambda o: o.updated_at,
    "ORDER_NUMBER": lambda o: o.order_number,
}
LOCATION_SORT = {"ID": lambda loc: loc.number, "NAME": lambda loc: loc.name.lower()}
WEBHOOK_SORT = {"ID": lambda w: w.number, "CREATED_AT": lambda w: w.created_at}


# -- query root -------------------------------------------------------------------


@resolver("QueryRoot", "shop")
def _shop(_root, info):
    return info.context.shop


@resolver("QueryRoot", "currentAppInstallation")
def _current_app_installation(_root, info):
    shop = info.context.shop
    return {
        "id": f"gid://shopify/AppInstallation/{shop.number}",
        "accessScopes": [
            {"handle": handle, "description": handle} for handle in shop.scopes
        ],
    }


@resolver("QueryRoot", "locations")
def _locations(_root, info, **args):
    items = list(info.context.shop.locations.values())
    if not args.get("includeInactive"):
        items = [loc for loc in items if loc.is_active]
    items = search_filter(items, args.get("query"), LOCATION_FIELDS, ["name"])
    return connection(info, items, args, _sort_key(args.get("sortKey"), LOCATION_SORT))


@resolver("QueryRoot", "location")
def _location(_root, info, id=None):
    if id is None:
        active = [loc for loc in info.context.shop.locations.values() if loc.is_active]
        return active[0] if active else None
    return typed_node(info.context.shop, id, "Location")


@resolver("QueryRoot", "productVariants")
def _product_variants(_root, info, **args):
    items = variants_for_search(info.context.shop, args.get("query"))
    return connection(info, items, args, _sort_key(args.get("sortKey"), VARIANT_SORT))


@resolver("QueryRoot", "productVariantsCount")
def _product_variants_count(_root, info, query=None, limit=10000):
    count = len(variants_for_search(info.context.shop, query))
    if limit is not None and count > limit:
        return {"count": limit, "precision": "AT_LEAST"}
    return {"count": count, "precision": "EXACT"}


@resolver("QueryRoot", "productVariant")
def _product_variant(_root, info, id):
    return typed_node(info.context.shop, id, "ProductVariant")


@resolver("QueryRoot", "inventoryItems")
def _inventory_items(_root, info, **args):
    return connection(
        info, items_for_search(info.context.shop, args.get("query")), args
    )


@resolver("QueryRoot", "inventoryItem")
def _inventory_item(_root, info, id):
    return typed_node(info.context.shop, id, "InventoryItem")


@resolver("QueryRoot", "inventoryLevel")
def _inventory_level(_root, info, id):
    return typed_node(info.context.shop, id, "InventoryLevel")


@resolver("QueryRoot", "node")
def _node(_root, info, id):
    return _poll(find_node(info.context.shop, id))


@resolver("QueryRoot", "nodes")
def _nodes(_root, info, ids):
    if len(ids) > MAX_PAGE:
        raise GraphQLError(
            f"The input array size of {len(ids)} is greater than the maximum "
            f"allowed of {MAX_PAGE}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )
    return [_poll(find_node(info.context.shop, node_id)) for node_id in ids]


@resolver("QueryRoot", "orders")
def _orders(_root, info, **args):
    # Shopify's order search is an index that lags behind the orders (and
    # the inventory they moved): the ``orders_search_lag`` fault hides the
    # orders placed in the last N seconds
    lag = info.context.sim.faults.get("orders_search_lag") or 0
    visible = [
        order
        for order in info.context.shop.orders.values()
        if order.created_at <= time.time() - lag
    ]
    items = search_filter(
        visible,
        args.get("query"),
        ORDER_FIELDS,
        ["name", "email"],
    )
    return connection(
        info, items, args, _sort_key(args.get("sortKey") or "PROCESSED_AT", ORDER_SORT)
    )


@resolver("QueryRoot", "order")
def _order(_root, info, id):
    return typed_node(info.context.shop, id, "Order")


@resolver("QueryRoot", "webhookSubscriptions")
def _webhook_subscriptions(_root, info, **args):
    items = list(info.context.shop.webhooks.values())
    if args.get("topics"):
        items = [w for w in items if w.topic in args["topics"]]
    wanted_uri = args.get("uri") or args.get("callbackUrl")
    if wanted_uri:
        items = [w for w in items if w.uri == wanted_uri]
    if args.get("format"):
        items = [w for w in items if w.format == args["format"]]
    items = search_filter(items, args.get("query"), WEBHOOK_FIELDS, ["topic"])
    return connection(info, items, args, _sort_key(args.get("sortKey"), WEBHOOK_SORT))


@resolver("QueryRoot", "webhookSubscription")
def _webhook_subscription(_root, info, id):
    return typed_node(info.context.shop, id, "WebhookSubscription")


def _poll(node):
    """Reading a bulk operation moves it CREATED -> RUNNING -> COMPLETED/FAILED."""
    if isinstance(node, state.BulkOperation):
        node.polls += 1
        if node.status == "CREATED":
            node.status = "RUNNING"
        elif node.status == "RUNNING" and node.finished:
            node.status = "FAILED" if node.error_code else "COMPLETED"
            node.completed_at = time.time()
    return node


@resolver("QueryRoot", "bulkOperation")
def _bulk_operation(_root, info, id):
    return _poll(typed_node(info.context.shop, id, "BulkOperation"))


@resolver("QueryRoot", "currentBulkOperation")
def _current_bulk_operation(_root, info, type="QUERY"):
    operations = [
        op for op in info.context.shop.bulk_operations.values() if bulk_type(op) == type
    ]
    if not operations:
        return None
    return _poll(max(operations, key=lambda op: op.number))


# -- object fields ------------------------------------------------------------------


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


@resolver("Shop", "currencyCode")
def _shop_currency(shop, _info):
    return shop.currency


@resolver("Shop", "ianaTimezone")
def _shop_timezone(shop, _info):
    return shop.timezone


@resolver("Shop", "myshopifyDomain")
def _shop_domain(shop, _info):
    return shop.domain


@resolver("Shop", "timezoneAbbreviation")
def _shop_tz_abbreviation(shop, _info):
    return datetime.now(ZoneInfo(shop.timezone)).tzname()


@resolver("Shop", "weightUnit")
def _shop_weight_unit(_shop, _info):
    return "POUNDS"


@resolver("Shop", "plan")
def _shop_plan(shop, _info):
    return {
        "displayName": shop.plan,
        "publicDisplayName": shop.plan,
        "partnerDevelopment": False,
        "shopifyPlus": shop.plan == "Shopify Plus",
    }


@resolver("LocationAddress", "formatted")
def _address_formatted(address, _info):
    city_line = " ".join(
        p
        for p in (address.get("city"), address.get("provinceCode"), address.get("zip"))
        if p
    )
    return [
        p
        for p in (
            address.get("address1"),
            address.get("address2"),
            city_line,
            address.get("country"),
        )
        if p
    ]


@resolver("Location", "inventoryLevel")
def _location_level(location, _info, inventoryItemId, includeInactive=False):
    parsed = parse_gid(inventoryItemId)
    return location.levels.get(parsed[1]) if parsed else None


@resolver("Location", "inventoryLevels")
def _location_levels(location, info, **args):
    items = search_filter(
        list(location.levels.values()), args.get("query"), LEVEL_FIELDS, []
    )
    return connection(info, items, args, lambda lv: (lv.item.number,))


@resolver("InventoryItem", "inventoryLevel")
def _item_level(item, _info, locationId, includeInactive=False):
    parsed = parse_gid(locationId)
    return item.levels.get(parsed[1]) if parsed else None


@resolver("InventoryItem", "inventoryLevels")
def _item_levels(item, info, **args):
    items = search_filter(
        list(item.levels.values()), args.get("query"), LEVEL_FIELDS, []
    )
    return connection(info, items, args, lambda lv: (lv.location.number,))


@resolver("InventoryItem", "variants")
def _item_variants(item, info, **args):
    return connection(info, [item.variant], args)


@resolver("ProductVariant", "inventoryItem")
def _variant_item(variant, _info):
    return variant.item


@resolver("Product", "variants")
def _product_variants_of(product, info, **args):
    return connection(
        info,
        product.variants,
        args,
        _sort_key(args.get("sortKey") or "POSITION", VARIANT_SORT),
    )


@resolver("Product", "totalInventory")
def _product_total(product, _info):
    return sum(v.inventory_quantity for v in product.variants)


QUANTITY_NAMES = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)


@resolver("InventoryLevel", "quantities")
def _level_quantities(level, _info, names):
    unknown = [name for name in names if name not in QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(
            f"Invalid quantity names: {', '.join(unknown)}. Valid "
            f"names are: {', '.join(QUANTITY_NAMES)}."
        )
    return [_Quantity(level, name) for name in names]


class _Quantity:
    """An ``InventoryQuantity``: its id and date are made only if selected
    (a bulk export reads a million of them for their name and quantity)."""

    __slots__ = ("level", "name", "quantity")

    def __init__(self, level, name):
        self.level = level
        self.name = name
        self.quantity = level.quantity(name)

    @property
    def id(self):
        return (
            f"gid://shopify/InventoryQuantity/{self.level.location.number}"
            f"?inventory_item_id={self.level.item.number}&name={self.name}"
        )

    @property
    def updated_at(self):
        return iso(self.level.updated_at)


@resolver("InventoryAdjustmentGroup", "changes")
def _group_changes(
    group, _info, inventoryItemIds=None, locationIds=None, quantityNames=None
):
    changes = group.changes
    if inventoryItemIds is not None:
        changes = [c for c in changes if c.item.id in inventoryItemIds]
    if locationIds is not None:
        changes = [c for c in changes if c.location.id in locationIds]
    if quantityNames is not None:
        changes = [c for c in changes if c.name in quantityNames]
    return changes


def _money(amount, currency):
    money = {"amount": f"{amount:.2f}", "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": money}


def _order_money(field, amount_of):
    RESOLVERS[("Order", field)] = lambda order, _info: _money(
        amount_of(order), order.currency
    )


_order_money("totalPriceSet", lambda o: o.total)
_order_money("subtotalPriceSet", lambda o: o.total)
_order_money("currentTotalPriceSet", lambda o: 0 if o.cancelled_at else o.total)
_order_money("totalShippingPriceSet", lambda o: 0)
_order_money("totalTaxSet", lambda o: 0)


@resolver("Order", "currencyCode")
def _order_currency(order, _info):
    return order.currency


@resolver("Order", "lineItems")
def _order_lines(order, info, **args):
    return connection(info, order.lines, args)


@resolver("Order", "fulfillmentOrders")
def _order_fulfillment_orders(order, info, **args):
    return connection(info, order.fulfillment_orders, args)


@resolver("FulfillmentOrder", "lineItems")
def _fulfillment_order_lines(fulfillment_order, info, **args):
    return connection(info, fulfillment_order.lines, args)


@resolver("Order", "shippingAddress")
def _order_shipping(order, _info):
    return order.shipping_address


@resolver("Order", "billingAddress")
def _order_billing(order, _info):
    return order.shipping_address


@resolver("Order", "subtotalLineItemsQuantity")
def _order_quantity(order, _info):
    return sum(line.quantity for line in order.lines)


@resolver("Order", "currentSubtotalLineItemsQuantity")
def _order_current_quantity(order, _info):
    return 0 if order.cancelled_at else _order_quantity(order, _info)


@resolver("Order", "displayFinancialStatus")
def _order_financial(order, _info):
    return "VOIDED" if order.cancelled_at else "PAID"


@resolver("Order", "displayFulfillmentStatus")
def _order_fulfillment(order, _info):
    lines = [line for line in order.lines if line.current_quantity]
    if not any(line.fulfilled_quantity for line in lines):
        return "UNFULFILLED"
    if all(not line.unfulfilled_quantity for line in lines):
        return "FULFILLED"
    return "PARTIALLY_FULFILLED"


@resolver("Order", "fulfillments")
def _order_fulfillments(order, _info, first=None, query=None):
    items = list(order.fulfillments or ())
    return items[:first] if first else items


@resolver("Fulfillment", "trackingInfo")
def _fulfillment_tracking(fulfillment, _info, first=None):
    tracking = fulfillment.tracking or {}
    if not any(tracking.values()):
        return []
    return [dict(tracking)]


@resolver("Fulfillment", "fulfillmentLineItems")
def _fulfillment_lines(fulfillment, info, **args):
    items = [
        state.FulfillmentLineItem(number=line.number, line=line, quantity=quantity)
        for line, quantity in fulfillment.lines
    ]
    return connection(info, items, args)


@resolver("Order", "closed")
def _order_closed(order, _info):
    return bool(order.cancelled_at)


@resolver("Order", "confirmed")
def _order_confirmed(_order, _info):
    return True


@resolver("Order", "test")
def _order_test(_order, _info):
    return False


@resolver("Order", "sourceName")
def _order_source(_order, _info):
    return "web"


@resolver("Order", "tags")
def _order_tags(order, _info):
    return list(order.tags or [])


def _line_money(field, amount_of):
    RESOLVERS[("LineItem", field)] = lambda line, info: _money(
        amount_of(line), info.context.shop.currency
    )


_line_money("originalUnitPriceSet", lambda line: line.price)
_line_money("discountedUnitPriceSet", lambda line: line.price)
_line_money("originalTotalSet", lambda line: line.price * line.quantity)


@resolver("LineItem", "product")
def _line_product(line, _info):
    return line.variant.product


@resolver("LineItem", "vendor")
def _line_vendor(line, _info):
    return line.variant.product.vendor


@resolver("LineItem", "requiresShipping")
def _line_requires_shipping(_line, _info):
    return True


@resolver("LineItem", "currentQuantity")
def _line_current(line, info):
    return line.current_quantity


@resolver("LineItem", "unfulfilledQuantity")
def _line_unfulfilled(line, info):
    return line.unfulfilled_quantity


@resolver("WebhookSubscription", "callbackUrl")
def _webhook_callback(webhook, _info):
    return webhook.uri


@resolver("WebhookSubscription", "apiVersion")
def _webhook_version(webhook, _info):
    return {
        "handle": webhook.api_version,
        "displayName": webhook.api_version,
        "supported": True,
    }


def bulk_type(operation):
    """QUERY or MUTATION (operations pickled before mutations were QUERY)."""
    return getattr(operation, "type", None) or "QUERY"


@resolver("BulkOperation", "type")
def _bulk_type(operation, _info):
    return bulk_type(operation)


@resolver("BulkOperation", "url")
def _bulk_url(operation, info):
    if operation.status != "COMPLETED" or not operation.object_count:
        return None
    return f"{info.context.sim.base_url}/_sim/bulk/{operation.number}.jsonl"


@resolver("BulkOperation", "partialDataUrl")
def _bulk_partial_url(operation, info):
    """What a failed operation produced before it stopped."""
    if operation.status != "FAILED" or not operation.jsonl:
        return None
    return f"{info.context.sim.base_url}/_sim/bulk/{operation.number}.jsonl"


@resolver("BulkOperation", "fileSize")
def _bulk_size(operation, _info):
    if operation.status != "COMPLETED":
        return None
    return str(len(operation.jsonl.encode()))


@resolver("BulkOperation", "objectCount")
def _bulk_count(operation, _info):
    return str(operation.object_count if operation.status == "COMPLETED" else 0)


@resolver("BulkOperation", "rootObjectCount")
def _bulk_root_count(operation, _info):
    return str(operation.root_object_count if operation.status == "COMPLETED" else 0)


# -- mutations ----------------------------------------------------------------------


def idempotency_key(info):
    """The ``@idempotent`` key of this mutation field; required since 2026-04."""
    values = (
        get_directive_values(IDEMPOTENT, info.field_nodes[0], info.variable_values)
        or {}
    )
    key = values.get("key")
    if key is None:
        raise GraphQLError(
            f"The @idempotent directive is required for {info.field_name} "
            f"in API version {info.context.version}.",
            extensions={"code": "BAD_REQUEST"},
        )
    if not key.strip():
        raise GraphQLError(
            "The idempotency key cannot be an empty string or whitespace only.",
            extensions={"code": "BAD_REQUEST"},
        )
    return key


def idempotent(function):
    """Run a mutation resolver once per (shop, key); replay its answer after."""

    def wrapper(root, info, **args):
        key = idempotency_key(info)
        fingerprint = json.dumps([info.field_name, args], sort_keys=True, default=str)
        shop = info.context.shop
        if info.context.concurrent:
            return {
                "userErrors": [
                    {
                        "code": "IDEMPOTENCY_CONCURRENT_REQUEST",
                        "field": None,
                        "message": "This request is currently in progress, please try "
                        "again.",
                    }
                ]
            }
        seen = shop.idempotency.get(key)
        if seen is not None:
            if seen[0] != fingerprint:
                return {
                    "userErrors": [
                        {
                            "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                            "field": None,
                            "message": "The same idempotency key cannot be used with "
                            "different operation parameters.",
                        }
                    ]
                }
            info.context.replayed = True
            return seen[1]
        result = function(root, info, **args)
        shop.idempotency[key] = (fingerprint, result)
        return result

    return wrapper


@resolver("Mutation", "inventorySetQuantities")
@idempotent
def _set_quantities(_root, info, input):
    quantities = input["quantities"]
    if len(quantities) > MAX_PAGE:
        raise GraphQLError(
            f"The input array size of {len(quantities)} is greater than the maximum "
            f"allowed of {MAX_PAGE}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )
    missing = [i for i, q in enumerate(quantities) if "changeFromQuantity" not in q]
    if missing:
        raise GraphQLError(
            "changeFromQuantity is required for every quantity since 2026-04: pass "
            "the expected current quantity, or null to skip the check "
            f"(missing at input.quantities {missing}).",
            extensions={"code": "BAD_REQUEST"},
        )
    return info.context.sim.apply_set_quantities(info.context.shop, input)


@resolver("Mutation", "inventoryActivate")
@idempotent
def _activate(
    _root,
    info,
    inventoryItemId,
    locationId,
    available=None,
    onHand=None,
    stockAtLegacyLocation=False,
):
    return info.context.sim.apply_activate(
        info.context.shop, inventoryItemId, locationId, available, onHand
    )


@resolver("Mutation", "fulfillmentOrderMove")
def _fulfillment_order_move(
    _root, info, id, newLocationId, fulfillmentOrderLineItems=None
):
    return info.context.sim.apply_fulfillment_order_move(
        info.context.shop, id, newLocationId, fulfillmentOrderLineItems
    )


@resolver("Mutation", "fulfillmentCreate")
def _fulfillment_create(_root, info, fulfillment, message=None):
    return info.context.sim.apply_fulfillment_create(
        info.context.shop, fulfillment, message
    )


@resolver("Mutation", "bulkOperationRunQuery")
def _bulk_run(_root, info, query, groupObjects=False):
    return info.context.sim.apply_bulk_run(info.context.shop, query)


@resolver("Mutation", "bulkOperationRunMutation")
def _bulk_run_mutation(
    _root, info, mutation, stagedUploadPath, groupObjects=True, clientIdentifier=None
):
    return info.context.sim.apply_bulk_mutation(
        info.context.shop,
        info.context.version,
        mutation,
        stagedUploadPath,
        clientIdentifier,
    )


@resolver("Mutation", "stagedUploadsCreate")
def _staged_uploads_create(_root, info, input):
    return info.context.sim.apply_staged_uploads(info.context.shop, input)


@resolver("Mutation", "webhookSubscriptionCreate")
def _webhook_create(_root, info, topic, webhookSubscription):
    return info.context.sim.apply_webhook_create(
        info.context.shop, info.context.version, topic, webhookSubscription
    )


@resolver("Mutation", "webhookSubscriptionDelete")
def _webhook_delete(_root, info, id):
    shop = info.context.shop
    webhook = typed_node(shop, id, "WebhookSubscription")
    if webhook is None:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [
                {"field": ["id"], "message": "Webhook subscription does not exist"}
            ],
        }
    del shop.webhooks[webhook.number]
    return {"deletedWebhookSubscriptionId": webhook.id, "userErrors": []}


_install_resolvers()


# -- cost ---------------------------------------------------------------------------


def selected_fields(selection_set, parent_type, fragments):
    """(FieldNode, owner type) pairs of a selection set, fragments flattened."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection, parent_type
            continue
        if isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is None:
                continue
            condition, inner = fragment.type_condition, fragment.selection_set
        elif isinstance(selection, InlineFragmentNode):
            condition, inner = selection.type_condition, selection.selection_set
        else:
            continue
        owner = SCHEMA.get_type(condition.name.value) if condition else parent_type
        yield from selected_fields(inner, owner, fragments)


def _is_list(type_):
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def selection_cost(
    selection_set, parent_type, fragments, variables, data, actual, concrete=None
):
    """Shopify-style cost of a selection; ``actual`` walks the returned ``data``.

    On an interface the requested cost is that of the most expensive possible
    type (fragments on other types are exclusive); the actual cost only
    counts the fields present in ``data``.
    """
    if is_abstract_type(parent_type) and not actual and concrete is None:
        return max(
            (
                selection_cost(
                    selection_set,
                    parent_type,
                    fragments,
                    variables,
                    None,
                    False,
                    concrete=possible,
                )
                for possible in SCHEMA.get_possible_types(parent_type)
            ),
            default=0,
        )
    total = 0
    for node, owner in selected_fields(selection_set, parent_type, fragments):
        name = node.name.value
        if name.startswith("__"):
            continue
        if concrete is not None and is_object_type(owner) and owner is not concrete:
            continue
        field = owner.fields[name]
        named = get_named_type(field.type)
        if is_leaf_type(named):
            continue
        key = node.alias.value if node.alias else name
        value = data.get(key) if isinstance(data, dict) else None
        if actual and value is None:
            continue
        if named.name.endswith("Connection"):
            total += 2 + _connection_cost(
                node, field, named, fragments, variables, value, actual
            )
        elif _is_list(field.type):
            each = [value] if not actual else value
            if not actual and name == "nodes":
                ids = get_argument_values(field, node, variables)["ids"]
                each = [None] * len(ids)
            for item in each:
                total += 1 + selection_cost(
                    node.selection_set, named, fragments, variables, item, actual
                )
        else:
            total += 1 + selection_cost(
                node.selection_set, named, fragments, variables, value, actual
            )
    return total


def _connection_cost(node, field, connection_type, fragments, variables, value, actual):
    node_type = get_named_type(connection_type.fields["nodes"].type)
    edge_type = get_named_type(connection_type.fields["edges"].type)
    selections = []  # (selection_set, key path) of one node
    for child, _ in selected_fields(node.selection_set, connection_type, fragments):
        child_key = child.alias.value if child.alias else child.name.value
        if child.name.value == "nodes":
            selections.append((child.selection_set, child_key, None))
        elif child.name.value == "edges":
            for grandchild, _ in selected_fields(
                child.selection_set, edge_type, fragments
            ):
                if grandchild.name.value == "node":
                    grand_key = grandchild.alias.value if grandchild.alias else "node"
                    selections.append((grandchild.selection_set, child_key, grand_key))
    if actual:
        total = 0
        for selection_set, list_key, item_key in selections:
            for item in value.get(list_key) or []:
                item = item.get(item_key) if item_key else item
                total += 1 + selection_cost(
                    selection_set, node_type, fragments, variables, item, True
                )
        return total
    args = get_argument_values(field, node, variables)
    size = args.get("first") or args.get("last") or 0
    one = max(
        (
            1 + selection_cost(s, node_type, fragments, variables, None, False)
            for s, _, _ in selections
        ),
        default=0,
    )
    return size * one


def operation_cost(operation, fragments, variables, data=None, actual=False):
    root = (
        SCHEMA.mutation_type
        if operation.operation.value == "mutation"
        else (SCHEMA.query_type)
    )
    if root is SCHEMA.mutation_type:
        roots = selected_fields(operation.selection_set, root, fragments)
        return MUTATION_COST * sum(1 for _ in roots)
    return selection_cost(
        operation.selection_set, root, fragments, variables, data, actual
    )
