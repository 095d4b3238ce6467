"""Search (``query:`` argument) over the simulated store.

Implements the part of Shopify's syntax clients use: ``field:value``,
``field:>value`` (``>=``, ``<``, ``<=``), quoted values, ``value*`` prefixes,
``-field:value`` negation, implicit AND and ``OR``.  Parentheses are accepted
but ignored (OR binds loosest); unknown fields are ignored, as Shopify does.
"""

import re
from datetime import datetime, timezone

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
