"""Shopify orders in one shape, whichever way they arrived (no Odoo imports).

Orders reach us twice over: as the REST-style JSON of the ``orders/*``
webhooks and as GraphQL ``Order`` nodes from the poll (``iter_orders``).  The
import works on :func:`normalize_order`'s dict so both paths create the very
same sale order, and the zip/range arithmetic of the routing rules lives here
too, testable without a database.
"""

import math
import re

from .common import to_gid


def _gid(kind, value):
    if value in (None, "", 0):
        return None
    try:
        return to_gid(kind, value)
    except ValueError:
        return None


def _numeric_id(gid):
    return str(gid).rsplit("/", 1)[-1] if gid else None


def is_graphql_order(payload):
    return "lineItems" in payload or str(payload.get("id", "")).startswith("gid://")


def normalize_order(payload):
    """A webhook body or a GraphQL order node -> one plain dict.

    Keys: ``gid``, ``id`` (numeric text), ``name``, ``email``, ``currency``,
    ``cancelled`` (bool), ``updated_at``, ``customer_name``, ``shipping``
    (name, street, street2, city, zip, state_code, country_code, phone),
    ``lines`` ([gid, sku, variant_gid, quantity, current_quantity (after
    edits and refunds), price (text), title]),
    ``location_gids`` (where Shopify assigned the fulfilment), and for the
    retail store: ``source_name`` ("pos" for a counter sale),
    ``retail_location_gid`` (the store that made a POS sale),
    ``fulfillment_methods`` ([{method, location_gid}]: each fulfilment
    order's delivery method, SHIPPING, PICK_UP, LOCAL, RETAIL ...; empty
    when the payload has none, as a webhook body) and ``refunds``
    ([{gid, lines: [{line_gid, quantity, restock_type, location_gid}]}], or
    None when the payload does not carry them).
    """
    if not isinstance(payload, dict):
        # ValueError, as every refusal of a payload: callers catch one kind
        raise ValueError("an order must be a JSON object")
    try:
        if is_graphql_order(payload):
            order = _from_graphql(payload)
        else:
            order = _from_rest(payload)
    except (AttributeError, TypeError, KeyError, IndexError) as exc:
        # a key of the wrong type somewhere (a list for an address, a number
        # for a SKU): refused as a whole, saying where it broke
        raise ValueError(f"malformed order payload: {exc}") from exc
    _check_order(order)
    return order


_TEXT_KEYS = ("name", "email", "currency", "updated_at", "customer_name")


def _check_order(order):
    """The shape the import relies on, or a ``ValueError`` saying what's off."""
    gid = order["gid"]
    if not isinstance(gid, str) or not re.fullmatch(r"gid://shopify/Order/\d+", gid):
        raise ValueError(f"order id {gid!r} is not a Shopify order id")
    for key in _TEXT_KEYS:
        if order[key] is not None and not isinstance(order[key], str):
            raise ValueError(f"order {gid}: {key} {order[key]!r} is not text")
    for key, value in order["shipping"].items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"order {gid}: shipping {key} {value!r} is not text")
    for line in order["lines"]:
        for key in ("quantity", "current_quantity"):
            quantity = line[key]
            if not math.isfinite(quantity) or quantity < 0:
                raise ValueError(f"order {gid}: line {key} {quantity!r}")
        if not isinstance(line["title"], str):
            title = line["title"]
            raise ValueError(f"order {gid}: line title {title!r}")
        for key in ("gid", "variant_gid"):
            if line[key] is not None and not isinstance(line[key], str):
                raise ValueError(f"order {gid}: line {key} {line[key]!r}")
    if not all(isinstance(gid, str) for gid in order["location_gids"]):
        raise ValueError(f"order {gid}: malformed fulfilment locations")
    for refund in order["refunds"] or ():
        for line in refund["lines"]:
            if not isinstance(line["quantity"], int) or line["quantity"] < 0:
                raise ValueError(f"order {gid}: refund quantity {line['quantity']!r}")


def delivery_kind(order):
    """(kind, Shopify location GID) of a normalised order, for the routing.

    ``retail``: sold at a store's counter (a RETAIL fulfilment order, or a
    POS order with its retail location); ``pick_up`` and ``local``: collected
    at, or delivered by, the location of that fulfilment order; else
    ``shipping`` (no location).
    """
    methods = order.get("fulfillment_methods") or ()

    def at(method):
        return next((m["location_gid"] for m in methods if m["method"] == method), None)

    if any(m["method"] == "RETAIL" for m in methods):
        return "retail", order.get("retail_location_gid") or at("RETAIL")
    if order.get("source_name") == "pos" and order.get("retail_location_gid"):
        return "retail", order["retail_location_gid"]
    for method, kind in (("PICK_UP", "pick_up"), ("LOCAL", "local")):
        if any(m["method"] == method for m in methods):
            return kind, at(method)
    return "shipping", None


_RESTOCK_TYPES = {
    "return": "RETURN",
    "cancel": "CANCEL",
    "no_restock": "NO_RESTOCK",
    "legacy_restock": "LEGACY_RESTOCK",
}


def _rest_refunds(payload):
    refunds = []
    for refund in payload.get("refunds") or ():
        lines = []
        for item in refund.get("refund_line_items") or ():
            line = item.get("line_item") or {}
            lines.append(
                {
                    "line_gid": line.get("admin_graphql_api_id")
                    or _gid("LineItem", item.get("line_item_id")),
                    "quantity": int(item.get("quantity") or 0),
                    "restock_type": _RESTOCK_TYPES.get(
                        str(item.get("restock_type") or "no_restock").lower(),
                        "NO_RESTOCK",
                    ),
                    "location_gid": _gid("Location", item.get("location_id")),
                }
            )
        refunds.append(
            {
                "gid": refund.get("admin_graphql_api_id")
                or _gid("Refund", refund.get("id")),
                "lines": lines,
            }
        )
    return refunds


def graphql_refunds(nodes):
    """GraphQL ``Refund`` nodes (``order_refunds.graphql``) -> normalised refunds."""
    return [
        {
            "gid": refund.get("id"),
            "lines": [
                {
                    "line_gid": (item.get("lineItem") or {}).get("id"),
                    "quantity": int(item.get("quantity") or 0),
                    "restock_type": item.get("restockType") or "NO_RESTOCK",
                    "location_gid": (item.get("location") or {}).get("id"),
                }
                for item in (refund.get("refundLineItems") or {}).get("nodes") or ()
            ],
        }
        for refund in nodes or ()
    ]


def _from_rest(payload):
    gid = payload.get("admin_graphql_api_id") or _gid("Order", payload.get("id"))
    if not gid:
        raise ValueError("order without id")
    customer = payload.get("customer") or {}
    address = payload.get("shipping_address") or {}
    name = " ".join(
        p for p in (customer.get("first_name"), customer.get("last_name")) if p
    )
    lines = []
    locations = []
    for line in payload.get("line_items") or ():
        lines.append(
            {
                "gid": line.get("admin_graphql_api_id")
                or _gid("LineItem", line.get("id")),
                "sku": (line.get("sku") or "").strip() or None,
                "variant_gid": _gid("ProductVariant", line.get("variant_id")),
                "quantity": float(line.get("quantity") or 0),
                "current_quantity": float(
                    line.get("current_quantity", line.get("quantity")) or 0
                ),
                "price": str(line.get("price") or "0"),
                "title": line.get("name") or line.get("title") or "",
            }
        )
    for fulfillment in payload.get("fulfillments") or ():
        locations.append(_gid("Location", fulfillment.get("location_id")))
    locations.append(_gid("Location", payload.get("location_id")))
    source = payload.get("source_name")
    return {
        "source_name": source if isinstance(source, str) else None,
        # a POS order's location_id is the store where it was sold
        "retail_location_gid": _gid("Location", payload.get("location_id"))
        if source == "pos"
        else None,
        "fulfillment_methods": [],
        "refunds": _rest_refunds(payload) if "refunds" in payload else None,
        "gid": gid,
        "id": _numeric_id(gid),
        "name": payload.get("name") or _numeric_id(gid),
        "email": (payload.get("email") or customer.get("email") or "").strip(),
        "currency": payload.get("currency") or payload.get("presentment_currency"),
        "cancelled": bool(payload.get("cancelled_at")),
        "updated_at": payload.get("updated_at"),
        "customer_name": name or address.get("name") or "",
        "shipping": {
            "name": address.get("name")
            or " ".join(
                p for p in (address.get("first_name"), address.get("last_name")) if p
            ),
            "street": address.get("address1"),
            "street2": address.get("address2"),
            "city": address.get("city"),
            "zip": address.get("zip"),
            "state_code": address.get("province_code"),
            "country_code": address.get("country_code"),
            "phone": address.get("phone"),
        },
        "lines": lines,
        "location_gids": [loc for loc in dict.fromkeys(locations) if loc],
    }


def _from_graphql(node):
    customer = node.get("customer") or {}
    address = node.get("shippingAddress") or {}
    lines = []
    for line in (node.get("lineItems") or {}).get("nodes") or ():
        money = ((line.get("originalUnitPriceSet") or {}).get("shopMoney")) or {}
        lines.append(
            {
                "gid": line.get("id"),
                "sku": (line.get("sku") or "").strip() or None,
                "variant_gid": (line.get("variant") or {}).get("id"),
                "quantity": float(line.get("quantity") or 0),
                "current_quantity": float(
                    line.get("currentQuantity", line.get("quantity")) or 0
                ),
                "price": str(money.get("amount") or "0"),
                "title": line.get("name") or line.get("title") or "",
            }
        )
    fos = (node.get("fulfillmentOrders") or {}).get("nodes") or ()
    locations = [
        ((fo.get("assignedLocation") or {}).get("location") or {}).get("id")
        for fo in fos
    ]
    methods = [
        {
            "method": (fo.get("deliveryMethod") or {}).get("methodType"),
            "location_gid": location,
        }
        for fo, location in zip(fos, locations, strict=True)
        if (fo.get("deliveryMethod") or {}).get("methodType")
    ]
    name = " ".join(
        p for p in (customer.get("firstName"), customer.get("lastName")) if p
    )
    source = node.get("sourceName")
    return {
        "source_name": source if isinstance(source, str) else None,
        "retail_location_gid": (node.get("retailLocation") or {}).get("id"),
        "fulfillment_methods": methods,
        "refunds": graphql_refunds(node["refunds"]) if "refunds" in node else None,
        "gid": node["id"],
        "id": _numeric_id(node["id"]),
        "name": node.get("name") or _numeric_id(node["id"]),
        "email": (node.get("email") or "").strip(),
        "currency": node.get("currencyCode"),
        "cancelled": bool(node.get("cancelledAt")),
        "updated_at": node.get("updatedAt"),
        "customer_name": name or customer.get("displayName") or "",
        "shipping": {
            "name": address.get("name"),
            "street": address.get("address1"),
            "street2": address.get("address2"),
            "city": address.get("city"),
            "zip": address.get("zip"),
            "state_code": address.get("provinceCode"),
            "country_code": address.get("countryCodeV2") or address.get("countryCode"),
            "phone": address.get("phone"),
        },
        "lines": lines,
        "location_gids": [loc for loc in dict.fromkeys(locations) if loc],
    }


# --------------------------------------------------------------- zip matching
_RANGE_RE = re.compile(r"^\s*([0-9A-Za-z]+)\s*-\s*([0-9A-Za-z]+)\s*$")


def clean_zip(value):
    """Upper case without spaces: ``" e16 1aa "`` -> ``"E161AA"``."""
    return re.sub(r"\s+", "", value or "").upper()


def split_list(text):
    """``"070, 071;08"`` -> ``["070", "071", "08"]`` (commas, semicolons, lines)."""
    return [p.strip() for p in re.split(r"[,;\n]", text or "") if p.strip()]


def parse_ranges(text):
    """``"07000-08999, 75000-79999"`` -> ``[("07000", "08999"), ...]``.

    :raises ValueError: on an entry that is not ``low-high`` with both ends of
        the same length and low <= high.
    """
    ranges = []
    for part in split_list(text):
        match = _RANGE_RE.match(part)
        if not match:
            raise ValueError(f"{part!r} is not a range such as 07000-08999")
        low, high = clean_zip(match[1]), clean_zip(match[2])
        if len(low) != len(high) or low > high:
            raise ValueError(f"{part!r}: both ends need the same length, low first")
        ranges.append((low, high))
    return ranges


def zip_matches(zip_code, prefixes=(), ranges=()):
    """Whether ``zip_code`` starts with one of ``prefixes`` or falls in a range.

    A range compares the zip's first ``len(low)`` characters, so the ZIP+4
    ``07001-1234`` is in ``07000-08999``.  With neither prefixes nor ranges
    every zip matches.
    """
    if not prefixes and not ranges:
        return True
    code = clean_zip(zip_code)
    if not code:
        return False
    if any(code.startswith(clean_zip(p)) for p in prefixes):
        return True
    for low, high in ranges:
        head = code[: len(low)]
        if len(head) == len(low) and low <= head <= high:
            return True
    return False
