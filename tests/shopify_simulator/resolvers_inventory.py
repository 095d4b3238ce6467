"""Resolvers of the shop, its locations, catalogue and inventory levels."""

from datetime import datetime
from zoneinfo import ZoneInfo

from graphql import GraphQLError

from .paging import LOCATION_SORT, VARIANT_SORT, _sort_key, connection
from .resolvers_bulk import _poll
from .schema import MAX_PAGE, find_node, resolver, typed_node
from .search import (
    LEVEL_FIELDS,
    LOCATION_FIELDS,
    items_for_search,
    search_filter,
    variants_for_search,
)
from .state import iso, parse_gid


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
