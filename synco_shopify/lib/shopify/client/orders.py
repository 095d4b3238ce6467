"""The order feed of :class:`~.ShopifyClient`: orders updated since a time.

The poll's side of the order import; :mod:`..orders` turns these nodes and
the webhooks' bodies into one shape.
"""

from .. import documents as docs
from ..common import iso_utc


class OrderMixin:
    """Order reads of :class:`~.ShopifyClient`."""

    def iter_orders(self, updated_since=None, *, page_size=10, line_items_first=15):
        """Yield orders updated after ``updated_since`` (datetime or ISO text).

        Nodes are Shopify's order objects (see ``graphql/orders.graphql``);
        ``lineItems.nodes`` is complete: orders with more lines than fit in
        the first page are completed with ``OrderLineItems``.
        """
        query = None
        if updated_since is not None:
            query = f"updated_at:>'{iso_utc(updated_since)}'"
        for order in self._paginate(
            docs.ORDERS,
            {"query": query, "lineItemsFirst": line_items_first},
            ("orders",),
            page_size,
        ):
            lines = order.get("lineItems") or {}
            page = lines.get("pageInfo") or {}
            after = page.get("endCursor") if page.get("hasNextPage") else None
            nodes = list(lines.get("nodes") or ())
            while after:
                data = self.execute(
                    docs.ORDER_LINE_ITEMS,
                    {"id": order["id"], "first": 100, "after": after},
                ).data
                more = (data.get("order") or {}).get("lineItems") or {}
                nodes.extend(more.get("nodes") or ())
                page = more.get("pageInfo") or {}
                after = page.get("endCursor") if page.get("hasNextPage") else None
            order["lineItems"] = {
                "nodes": nodes,
                "pageInfo": {"hasNextPage": False, "endCursor": None},
            }
            yield order
