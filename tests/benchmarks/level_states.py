"""What reading a level's states costs: the benchmarks' knob and call log.

- :func:`available_only`: the level reads as they were before issue 22,
  ``quantities(names: ["available"])`` instead of ``available``,
  ``committed`` and ``on_hand``.  A benchmark's switch (the documents are
  patched in this process), never a setting: Synco itself always reads the
  three states.
- :func:`call_log`: every answered call of every client of this process,
  with the requested and actual cost Shopify reported in
  ``extensions.cost``.
- :func:`compare`: the line that tells by how much the states cost more.
"""

import contextlib
from unittest.mock import patch

NAMES = '["available", "committed", "on_hand"]'
READS = (
    "INVENTORY_LEVELS_BY_ITEM",
    "INVENTORY_ITEM_LEVELS",
    "LOCATION_INVENTORY_LEVELS",
    "BULK_INVENTORY_LEVELS",
)
# the operations of a read of every level (the reconciliation's): the count
# that picks the path, then pages, or a bulk query and its polls (a bulk
# write's polls are told apart by what the client waits for)
LEVEL_READ_OPERATIONS = frozenset(
    {
        "CatalogueSize",
        "LocationInventoryLevels",
        "BulkOperationRunQuery",
        ("BulkOperationPoll", "bulk query"),
    }
)


@contextlib.contextmanager
def available_only():
    """Within: every level read asks ``available`` alone."""
    from odoo.addons.synco_shopify.lib.shopify import documents as docs

    with contextlib.ExitStack() as stack:
        for name in READS:
            document = getattr(docs, name)
            if NAMES not in document:
                raise AssertionError(f"{name} no longer asks {NAMES}")
            stack.enter_context(
                patch.object(docs, name, document.replace(NAMES, '["available"]'))
            )
        yield


@contextlib.contextmanager
def call_log():
    """Within: a list filled with ``(operation, requested cost, actual cost,
    what the client waited for)`` per answered call (a call answered
    THROTTLED raises, and is not charged)."""
    from odoo.addons.synco_shopify.lib.shopify import ShopifyClient

    calls = []
    send = ShopifyClient._send

    def logged(client, operation, payload, size):
        response = send(client, operation, payload, size)
        cost = (response.extensions or {}).get("cost") or {}
        calls.append(
            (
                operation,
                cost.get("requestedQueryCost") or 0,
                cost.get("actualQueryCost") or 0,
                getattr(client, "_waiting", None),
            )
        )
        return response

    with patch.object(ShopifyClient, "_send", logged):
        yield calls


def totals(calls, operations=None):
    """(calls, requested cost, actual cost) of ``calls`` (of ``operations``)."""
    picked = [
        c
        for c in calls
        if operations is None or c[0] in operations or (c[0], c[3]) in operations
    ]
    return (
        len(picked),
        sum(c[1] for c in picked),
        sum(c[2] for c in picked),
    )


def by_operation(calls):
    """{operation: calls} in the order first sent."""
    counts = {}
    for operation, *_cost in calls:
        counts[operation] = counts.get(operation, 0) + 1
    return counts


def _change(before, after):
    return 100.0 * (after - before) / before if before else 0.0


def compare(label, before, after, limit=10.0):
    """``label: calls A -> B (+x %), requested cost C -> D (+y %), actual
    cost E -> F (+z %): within 10 %`` (or over it)."""
    parts = []
    changes = []
    for name, b, a in zip(
        ("calls", "requested cost", "actual cost"), before, after, strict=True
    ):
        change = _change(b, a)
        changes.append(change)
        parts.append(f"{name} {b:g} -> {a:g} ({change:+.1f} %)")
    verdict = (
        f"within {limit:g} %"
        if max(changes) <= limit
        else f"OVER {limit:g} % (+{max(changes):.1f} %)"
    )
    return f"{label}: " + ", ".join(parts) + f": {verdict}"
