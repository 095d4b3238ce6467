"""The arithmetic that turns Odoo stock into the number Shopify shows.

Kept free of the ORM so that the rules can be read, and tested, on their own:

1. per source (a warehouse, a set of bins, a drop-ship supplier):
   free = Σ (quantity − reserved_quantity) over its counted quants;
2. the sources of a mapping combined by its aggregation rule:
   ``sum`` pools them (3PL nodes), ``max`` takes the best single source (drop-ship:
   one order can't be split across suppliers), ``min`` the weakest;
3. the safety buffer: first the percentage of that figure, then the units;
4. floored to an integer and never below zero: Shopify must never be promised a
   unit that isn't there.

A kit (a bundle that has no stock of its own) is counted at each source as the
whole kits its components can build there (``buildable``), then goes through
steps 2 to 4 like any product: a kit can't be put together from components
held at two different sources.
"""

import math

AGGREGATIONS = {
    "sum": sum,
    "max": max,
    "min": min,
}

# quantities come from float columns: absorb their noise before flooring,
# so that 100 × (1 − 5 %) is 95 and not 94.99999999999999 → 94
_EPSILON = 1e-6


def aggregate(values, rule):
    """Combine the free quantities of a mapping's sources by ``rule``."""
    values = list(values)
    if not values:
        return 0.0
    try:
        return AGGREGATIONS[rule](values)
    except KeyError:
        raise ValueError(f"unknown aggregation rule {rule!r}") from None


def apply_buffer(quantity, percent=0.0, units=0.0):
    """Withhold the safety buffer: the percentage first, then the units.

    The percentage is taken of the aggregated quantity (only when positive: a
    percentage of a deficit withholds nothing), then the units are subtracted.
    """
    if not 0 <= percent <= 100:
        raise ValueError(f"buffer percentage {percent} is outside 0..100")
    if units < 0:
        raise ValueError(f"buffer units {units} is negative")
    withheld = quantity * percent / 100.0 if quantity > 0 else 0.0
    return quantity - withheld - units


def to_shopify(quantity):
    """Floor to a whole unit, never below zero."""
    return max(0, math.floor(quantity + _EPSILON))


def buffer_usage(quantity, percent=0.0, units=0.0):
    """What a buffer did to one figure: ``(near zero, units withheld)``.

    ``quantity`` is the pre-buffer figure (step 2).  *Near zero*: the figure
    came within the buffer of zero, i.e. once the buffer is withheld nothing
    is left to offer (Shopify gets 0): the buffer stood between Shopify and
    the last units, or the stock ran out.  *Units withheld*: what Shopify
    would have been offered without the buffer minus what it is offered with
    it, both floored and clamped as pushed (so never more than the stock).

    A percentage shrinks with the stock, so a percentage-only buffer is near
    zero only when what remains floors to 0 (its last unit, or a stock-out).
    """
    offered = to_shopify(apply_buffer(quantity, percent, units))
    return offered == 0, to_shopify(quantity) - offered


def buildable(components):
    """Whole kits that components can build at one source.

    :param components: iterable of (free quantity, quantity per kit), the
        quantity per kit positive and in the unit of the free quantity
    :return: min over components of floor(free ÷ quantity per kit); 0 when
        there is no component to count.  A component deficit gives a kit
        deficit, as a product's own negative stock does (step 4 clamps it).
    """
    counts = [math.floor(free / per_kit + _EPSILON) for free, per_kit in components]
    return min(counts) if counts else 0


def shopify_available(source_quantities, rule="sum", percent=0.0, units=0.0):
    """The whole chain for one product at one Shopify location."""
    return to_shopify(apply_buffer(aggregate(source_quantities, rule), percent, units))


def explain(source_quantities, rule="sum", percent=0.0, units=0.0):
    """The chain of :func:`shopify_available`, step by step, for one figure.

    The same functions in the same order, each intermediate value kept, so
    that "why this number?" never computes a figure of its own::

        {"sources": [...], "rule": ..., "aggregated": ..., "percent": ...,
         "withheld_percent": ..., "units": ..., "buffered": ...,
         "floored": ..., "clamped": bool, "available": int}
    """
    sources = list(source_quantities)
    aggregated = aggregate(sources, rule)
    buffered = apply_buffer(aggregated, percent, units)
    available = to_shopify(buffered)
    floored = math.floor(buffered + _EPSILON)
    return {
        "sources": sources,
        "rule": rule,
        "aggregated": aggregated,
        "percent": percent,
        "withheld_percent": aggregated - units - buffered,
        "units": units,
        "buffered": buffered,
        "floored": floored,
        "clamped": floored < 0,
        "available": available,
    }
