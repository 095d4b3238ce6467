"""Which fulfilment order ships which units: the split of one delivery.

Shopify fulfils from fulfilment orders, one per location, each with the
units it still has to ship per order line.  A delivery Odoo validated asks
Shopify to fulfil the units it shipped that Shopify has not: they are taken
from the open fulfilment orders at the delivery's own locations first (where
the routed warehouse is mapped), then from the others, never more than a
fulfilment order line still holds.  One ``fulfillmentCreate`` is sent per
location.  No Odoo imports.
"""


def split_by_location(fulfillment_orders, todo, here):
    """{location GID: {fulfilment order GID: [(line GID, qty)]}} for ``todo``.

    :param fulfillment_orders: the open fulfilment orders of the order, as
        ``FulfillmentMixin.fulfillment_orders`` reads them
    :param todo: {line item GID: units to fulfil}
    :param here: the location GIDs served first (the routed warehouse's)
    """
    todo = dict(todo)
    here = set(here)
    fos = sorted(fulfillment_orders, key=lambda fo: fo["location_gid"] not in here)
    groups = {}
    for fo in fos:
        for fo_line in fo["lines"]:
            want = todo.get(fo_line["line_item_gid"], 0)
            take = min(want, fo_line["remaining"])
            if take <= 0:
                continue
            todo[fo_line["line_item_gid"]] = want - take
            groups.setdefault(fo["location_gid"], {}).setdefault(fo["id"], []).append(
                (fo_line["id"], take)
            )
    return groups
