"""Connections paged Shopify-style, and the sort keys of each connection.

Connections need ``first`` or ``last`` (at most 250), cursors are opaque
base64 JSON holding the sort key of the last node, and ``reverse``/``sortKey``
are honoured for the common keys.  Inside a bulk operation (``Context.bulk``)
the limits are lifted and every node is returned.
"""

import base64
import bisect
import json
from collections.abc import Sequence

from graphql import GraphQLError

from .schema import MAX_PAGE


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
        edges = _BulkEdges(keys, nodes, window)
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


class _BulkEdges(Sequence):
    """The edges of a bulk operation's connection, each made when read: a
    bulk export's executor reads their nodes (``nodes``), graphql-core's
    reads the edges."""

    __slots__ = ("keys", "nodes", "window")

    def __init__(self, keys, nodes, window):
        self.keys, self.nodes, self.window = keys, nodes, window

    def __len__(self):
        return len(self.window)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        position = self.window[index]
        return _BulkEdge(self.keys[position], self.nodes[position])

    def window_nodes(self):
        """The edges' nodes, in order, without an edge each."""
        nodes = self.nodes
        return (nodes[position] for position in self.window)


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
