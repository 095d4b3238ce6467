"""The GraphQL documents the client sends, one ``.graphql`` file each.

Keeping them as files (not strings in Python) lets a test validate every one
of them against Shopify's real schemas for each supported API version, and
keeps reviews of a query change readable.  Each document holds exactly one
named operation; the name keys the per-document cost estimate of the
throttle and appears in logs.
"""

import re
from pathlib import Path

GRAPHQL_DIR = Path(__file__).resolve().parent / "graphql"

_OPERATION_RE = re.compile(r"^\s*(query|mutation)\s+([A-Za-z_]\w*)", re.MULTILINE)


def load(filename):
    """Text of ``graphql/<filename>``."""
    return (GRAPHQL_DIR / filename).read_text(encoding="utf-8")


def operation_name(document):
    """Name of the (single) operation of ``document``."""
    match = _OPERATION_RE.search(document)
    if not match:
        raise ValueError("GraphQL document without a named operation")
    return match.group(2)


SHOP_INFO = load("shop_info.graphql")
LOCATIONS = load("locations.graphql")
VARIANTS_BY_SKU = load("variants_by_sku.graphql")
INVENTORY_LEVELS_BY_ITEM = load("inventory_levels_by_item.graphql")
INVENTORY_ITEM_LEVELS = load("inventory_item_levels.graphql")
LOCATION_INVENTORY_LEVELS = load("location_inventory_levels.graphql")
CATALOGUE_SIZE = load("catalogue_size.graphql")
BULK_INVENTORY_LEVELS = load("bulk_inventory_levels.graphql")
BULK_OPERATION_RUN_QUERY = load("bulk_operation_run_query.graphql")
BULK_OPERATION_POLL = load("bulk_operation_poll.graphql")
INVENTORY_SET_QUANTITIES = load("inventory_set_quantities.graphql")
INVENTORY_SET_QUANTITIES_BULK = load("inventory_set_quantities_bulk.graphql")
STAGED_UPLOADS_CREATE = load("staged_uploads_create.graphql")
BULK_OPERATION_RUN_MUTATION = load("bulk_operation_run_mutation.graphql")
INVENTORY_ACTIVATE = load("inventory_activate.graphql")
INVENTORY_ADJUST_QUANTITIES = load("inventory_adjust_quantities.graphql")
INVENTORY_LEVEL_STATES = load("inventory_level_states.graphql")
WEBHOOK_SUBSCRIPTION_CREATE = load("webhook_subscription_create.graphql")
WEBHOOK_SUBSCRIPTIONS = load("webhook_subscriptions.graphql")
WEBHOOK_SUBSCRIPTION_DELETE = load("webhook_subscription_delete.graphql")
ORDERS = load("orders.graphql")
ORDER_LINE_ITEMS = load("order_line_items.graphql")
ORDER_FULFILLMENT_ORDERS = load("order_fulfillment_orders.graphql")
FULFILLMENT_ORDER_MOVE = load("fulfillment_order_move.graphql")
FULFILLMENT_CREATE = load("fulfillment_create.graphql")
ORDER_REFUNDS = load("order_refunds.graphql")
FULFILLMENT_ORDER_PREPARED_FOR_PICKUP = load(
    "fulfillment_order_prepared_for_pickup.graphql"
)
ACCESS_SCOPES = load("access_scopes.graphql")
# stock in transit shown as incoming (issue 22)
INVENTORY_TRANSFER_CREATE = load("inventory_transfer_create.graphql")
INVENTORY_TRANSFER_DELETE = load("inventory_transfer_delete.graphql")
INVENTORY_SHIPMENT_CREATE_IN_TRANSIT = load(
    "inventory_shipment_create_in_transit.graphql"
)
INVENTORY_SHIPMENT_RECEIVE = load("inventory_shipment_receive.graphql")
INVENTORY_SHIPMENT = load("inventory_shipment.graphql")

#: every document, by operation name (used by tests and the simulator)
ALL = {
    operation_name(doc): doc
    for doc in (
        SHOP_INFO,
        LOCATIONS,
        VARIANTS_BY_SKU,
        INVENTORY_LEVELS_BY_ITEM,
        INVENTORY_ITEM_LEVELS,
        LOCATION_INVENTORY_LEVELS,
        CATALOGUE_SIZE,
        BULK_INVENTORY_LEVELS,
        BULK_OPERATION_RUN_QUERY,
        BULK_OPERATION_POLL,
        INVENTORY_SET_QUANTITIES,
        INVENTORY_SET_QUANTITIES_BULK,
        STAGED_UPLOADS_CREATE,
        BULK_OPERATION_RUN_MUTATION,
        INVENTORY_ACTIVATE,
        INVENTORY_ADJUST_QUANTITIES,
        INVENTORY_LEVEL_STATES,
        WEBHOOK_SUBSCRIPTION_CREATE,
        WEBHOOK_SUBSCRIPTIONS,
        WEBHOOK_SUBSCRIPTION_DELETE,
        ORDERS,
        ORDER_LINE_ITEMS,
        ORDER_FULFILLMENT_ORDERS,
        FULFILLMENT_ORDER_MOVE,
        FULFILLMENT_CREATE,
        ORDER_REFUNDS,
        FULFILLMENT_ORDER_PREPARED_FOR_PICKUP,
        ACCESS_SCOPES,
        INVENTORY_TRANSFER_CREATE,
        INVENTORY_TRANSFER_DELETE,
        INVENTORY_SHIPMENT_CREATE_IN_TRANSIT,
        INVENTORY_SHIPMENT_RECEIVE,
        INVENTORY_SHIPMENT,
    )
}
