"""Resolvers of orders, their line items, fulfilment orders and fulfilments."""

import time

from . import state
from .paging import ORDER_SORT, _sort_key, connection
from .schema import RESOLVERS, resolver, typed_node
from .search import ORDER_FIELDS, search_filter


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
def _order_source(order, _info):
    return order.source_name or "web"


@resolver("Order", "refunds")
def _order_refunds(order, _info, first=None):
    items = list(order.refunds or ())
    return items[:first] if first else items


@resolver("Refund", "refundLineItems")
def _refund_lines(refund, info, **args):
    return connection(info, refund.lines, args)


@resolver("FulfillmentOrder", "deliveryMethod")
def _fulfillment_order_delivery(fulfillment_order, _info):
    return state.DeliveryMethod(
        number=fulfillment_order.number,
        method_type=fulfillment_order.delivery_method or "SHIPPING",
    )


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
