"""The arithmetic of a reconciliation: Shopify's levels against Odoo's figures.

Kept free of the ORM so that the rules can be read, and tested, on their own.
A run holds Shopify's levels in one compact array per Shopify location
(``Levels``: 8 bytes a level, ``MISSING`` where Shopify doesn't stock the
item) and Odoo's figures in one array per mapping, both indexed by the
binding's position in the run.  Each chunk of bindings becomes one ``Row``
per (binding, Shopify location), by these rules (``diff``):

1. the figure Shopify should show is Odoo's minus the units held for Shopify
   sales Odoo has no order for yet, never below zero;
2. a level Shopify doesn't stock is ``not_stocked`` (the write stocks it); one
   equal to that figure is ``in_sync``; one off by at most the mapping's drift
   threshold is ``within_threshold`` and left alone; in a frozen shop the rest
   is ``frozen``; everything else is a ``push``;
3. a ``push`` or ``not_stocked`` level is handed to the write with Odoo's own
   figure and the level read (the write takes the holds off again, and
   compares-and-sets against what was read);
4. a level Shopify has at a location no mapping of the run covers is reported
   ``unmapped``, and a snapshot reports every level Shopify has as it is.

A row's outcome then says what the write did.  The run counts (``totals``):
checked, every row but ``unmapped`` and ``snapshot``; drifted, a checked row
whose figure differs from Shopify's; pushed, the outcomes in ``PUSHED``;
failed, those in ``FAILED``.  After the run a level is as Odoo wants it when
its outcome is in ``AGREES``, and as Shopify showed it otherwise.
"""

import io
from array import array

from .reconciliation_run import (  # noqa: F401 (the run's helpers, named here)
    LevelsLoader,
    Phases,
    long_lived_frozen,
)
from .shopify.client.results import LevelQuantities

# a level Shopify does not stock, in the arrays of ``Levels``
MISSING = -(2**62)
# NULL in ``COPY``'s text format
NULL = "\\N"

# the outcomes that wrote a level, and those that left it wrong
PUSHED = ("applied", "stale_resolved", "activated")
FAILED = ("failed", "not_stocked")
# the outcomes after which Shopify shows Odoo's figure
AGREES = (*PUSHED, "unchanged")


class Levels:
    """Shopify's levels of a run: one array per Shopify location, indexed by
    the binding's position (8 bytes a level, not a dict entry and two gids).

    Levels of items no binding knows, or of locations the shop doesn't
    have, are left out as before.

    :param item_gids: the bindings' inventory item gids, in run order
    :param locations: the shop's Shopify locations (objects with a
        ``shopify_gid``: ``shopify.location`` records in a run)
    """

    def __init__(self, item_gids, locations):
        self.position = {gid: index for index, gid in enumerate(item_gids)}
        self.locations = {location.shopify_gid: location for location in locations}
        size = len(self.position)
        self.columns = {
            location: array("q", [MISSING]) * size
            for location in self.locations.values()
        }
        # Shopify's committed beside each available (MISSING: not read), so
        # that a drop is told a sale or an edit (``lib/push.split_drop``)
        self.committed = {
            location: array("q", [MISSING]) * size
            for location in self.locations.values()
        }

    def load(self, levels):
        """Fill in ``(item gid, location gid, available)`` as they stream
        (``available`` a ``LevelQuantities`` when committed was read)."""
        position = self.position
        columns = {
            gid: (self.columns[loc], self.committed[loc])
            for gid, loc in self.locations.items()
        }
        for item, location, available in levels:
            index = position.get(item)
            pair = columns.get(location)
            if index is not None and pair is not None and available is not None:
                pair[0][index] = available
                committed = getattr(available, "committed", None)
                if committed is not None:
                    pair[1][index] = committed

    def column(self, location):
        """The array of one location, or None if the shop lacks it."""
        return self.columns.get(location)

    def stocked_elsewhere(self, locations):
        """[(location, array)] of the shop's other locations."""
        locations = set(locations)
        return [(loc, col) for loc, col in self.columns.items() if loc not in locations]


class Row:
    """One (product, Shopify location) of a run, before it becomes a line.

    The binding and product as ids: a run holds a chunk's worth of rows, and
    only the levels it writes need records.
    """

    __slots__ = (
        "action",
        "before",
        "binding",
        "expected",
        "location",
        "mapping",
        "message",
        "outcome",
        "product",
    )

    def __init__(
        self, binding, product, location, mapping, expected, before, action=None
    ):
        self.binding = binding
        self.product = product
        self.location = location
        self.mapping = mapping
        self.expected = expected
        self.before = before
        self.action = action
        self.outcome = "none"
        self.message = None

    @property
    def delta(self):
        if self.expected is None or self.before is None:
            return None
        return self.expected - self.before


class InSync:
    """The levels of a chunk found in sync, without a ``Row`` each: a run
    finds 98 % of its levels so, and these only need counting, remembering
    (``shopify.inventory.level``), resolving the drift and alerts they may
    have had, and a line when the shop keeps them.

    Parallel arrays (8 bytes a level): binding, product, location id,
    mapping id, Shopify's level (= Odoo's figure less the units held), and
    Shopify's committed units (``MISSING``: not read).  ``locations`` maps
    a location id to the location itself, ``mappings`` a mapping id to its
    mapping.
    """

    def __init__(self):
        self.binding = array("q")
        self.product = array("q")
        self.location = array("q")
        self.mapping = array("q")
        self.value = array("q")
        self.committed = array("q")
        self.locations = {}
        self.mappings = {}

    def __len__(self):
        return len(self.binding)

    def counts(self):
        """{location id: levels in sync}."""
        counts = dict.fromkeys(self.locations, 0)
        for location_id in self.location:
            counts[location_id] += 1
        return counts

    def levels(self):
        """(binding ids, location ids, values, committed or None) as lists,
        for ``shopify.inventory.level._synco_remember_in_sync``."""
        return (
            self.binding.tolist(),
            self.location.tolist(),
            self.value.tolist(),
            [None if c == MISSING else c for c in self.committed],
        )

    def keys(self):
        """(binding id, location id) of each level."""
        return zip(self.binding, self.location, strict=True)

    def rows(self):
        """The levels as ``Row``s (a shop that keeps every line)."""
        locations, mappings = self.locations, self.mappings
        rows = []
        for binding, product, location, mapping, value, committed in zip(
            self.binding,
            self.product,
            self.location,
            self.mapping,
            self.value,
            self.committed,
            strict=True,
        ):
            before = (
                value if committed == MISSING else LevelQuantities(value, committed)
            )
            rows.append(
                Row(
                    binding,
                    product,
                    locations[location],
                    mappings[mapping],
                    value,
                    before,
                    "in_sync",
                )
            )
        return rows


def diff(
    chunk,
    offset,
    targets,
    unmapped,
    held,
    frozen=False,
    dry_run=False,
    committed=None,
    in_sync=None,
):
    """Rows of one chunk of bindings, and what to write (rules 1 to 4).

    :param chunk: [(binding id, product id, item gid)] at positions
        ``offset``, ``offset + 1``...
    :param targets: [(mapping, location, Shopify's array or None, drift
        threshold, Odoo's array)] per mapping of the run
    :param unmapped: [(location, Shopify's array)] of the other locations
        (``Levels.stocked_elsewhere``)
    :param held: {(binding id, location id): units held for Shopify sales}
    :param committed: ``Levels.committed``: Shopify's levels then carry
        their committed units (``LevelQuantities``)
    :param in_sync: an ``InSync``: the levels in sync go there instead of
        becoming rows
    :return: (rows, push, known): ``push`` {binding id: {location: Odoo's
        figure}} and ``known`` {(binding id, location): Shopify's level} for
        the levels to write
    """
    rows, push, known = [], {}, {}
    pending = "dry_run" if dry_run else "none"
    committed = committed or {}
    # what each target needs, looked up once rather than per level
    plan = [
        (mapping, location, location.id, mapping.id, column, threshold, figures)
        + (committed.get(location),)
        for mapping, location, column, threshold, figures in targets
    ]
    if in_sync is not None:
        for mapping, location, location_id, mapping_id, *_rest in plan:
            in_sync.locations[location_id] = location
            in_sync.mappings[mapping_id] = mapping
    for position, (binding_id, product_id, _item) in enumerate(chunk, offset):
        for (
            mapping,
            location,
            location_id,
            mapping_id,
            column,
            threshold,
            figures,
            units,
        ) in plan:
            figure = figures[position]
            # units held for Shopify sales Odoo has no order for
            want = figure
            if held:
                want -= held.get((binding_id, location_id), 0)
            want = max(0, want)
            before = column[position] if column else MISSING
            if before == want and in_sync is not None:
                in_sync.binding.append(binding_id)
                in_sync.product.append(product_id)
                in_sync.location.append(location_id)
                in_sync.mapping.append(mapping_id)
                in_sync.value.append(before)
                in_sync.committed.append(units[position] if units else MISSING)
                continue
            before = None if before == MISSING else before
            if before is not None and units and units[position] != MISSING:
                before = LevelQuantities(before, units[position])
            if before is None:
                action = "not_stocked"
            elif before == want:
                action = "in_sync"
            elif abs(want - before) <= threshold:
                action = "within_threshold"
            elif frozen:
                action = "frozen"
            else:
                action = "push"
            row = Row(binding_id, product_id, location, mapping, want, before, action)
            rows.append(row)
            if action in ("push", "not_stocked"):
                push.setdefault(binding_id, {})[location] = figure
                known[binding_id, location] = before
                row.outcome = pending
        for location, column in unmapped:
            if column[position] != MISSING:
                rows.append(
                    Row(
                        binding_id,
                        product_id,
                        location,
                        None,
                        None,
                        column[position],
                        action="unmapped",
                    )
                )
    return rows, push, known


def snapshot_rows(chunk, offset, levels):
    """Shopify's levels of one chunk as they are (``levels``: ``Levels``)."""
    rows = []
    for position, (binding_id, product_id, _item) in enumerate(chunk, offset):
        for location, column in levels.columns.items():
            if column[position] == MISSING:
                continue
            rows.append(
                Row(
                    binding_id,
                    product_id,
                    location,
                    None,
                    None,
                    column[position],
                    action="snapshot",
                )
            )
    return rows


def totals(rows):
    """The run's counts for these rows (a chunk: they add up)."""
    checked = drifted = pushed = failed = 0
    for row in rows:
        if row.action not in ("unmapped", "snapshot"):
            checked += 1
            if row.delta:
                drifted += 1
        if row.outcome in PUSHED:
            pushed += 1
        elif row.outcome in FAILED:
            failed += 1
    return {
        "checked": checked,
        "drifted": drifted,
        "pushed": pushed,
        "failed": failed,
    }


# per Shopify location, in this order (``location_counts``)
COUNTS = ("checked", "in_sync", "drifted", "written", "failed")


def location_counts(rows, counts=None, in_sync=None):
    """Add these rows, and the levels of ``in_sync`` (an ``InSync``), to
    ``counts`` {location id: [checked, in sync, drifted, written, failed]}
    (``COUNTS``; by the rules of ``totals``) and return it.

    A run adds every chunk's rows, lines stored or not: the counts are the
    whole story of the levels whose lines a run does not keep.
    """
    counts = {} if counts is None else counts
    if in_sync is not None:
        for location_id, count in in_sync.counts().items():
            entry = counts.setdefault(location_id, [0, 0, 0, 0, 0])
            entry[0] += count
            entry[1] += count
    for row in rows:
        entry = counts.get(row.location.id)
        if entry is None:
            entry = counts[row.location.id] = [0, 0, 0, 0, 0]
        if row.action not in ("unmapped", "snapshot"):
            entry[0] += 1
            if row.action == "in_sync":
                entry[1] += 1
            elif row.delta:
                entry[2] += 1
        if row.outcome in PUSHED:
            entry[3] += 1
        elif row.outcome in FAILED:
            entry[4] += 1
    return counts


def counts_totals(counts):
    """The run's totals (as ``totals``) from ``location_counts``."""
    sums = [sum(entry[i] for entry in counts.values()) for i in range(len(COUNTS))]
    return {
        "checked": sums[0],
        "in_sync": sums[1],
        "drifted": sums[2],
        "pushed": sums[3],
        "failed": sums[4],
    }


def lines_kept(rows, keep_in_sync=False, in_sync=None):
    """The rows a run stores as lines: all of them (and the levels of
    ``in_sync``) with ``keep_in_sync``, else every row but the levels found
    in sync (counted, not listed)."""
    if keep_in_sync:
        return rows + in_sync.rows() if in_sync is not None else rows
    return [row for row in rows if row.action != "in_sync"]


def in_sync_levels(rows):
    """[(binding id, location id, Shopify's level)] of the rows in sync."""
    return [
        (row.binding, row.location.id, row.before)
        for row in rows
        if row.action == "in_sync"
    ]


def drift_observations(rows):
    """(binding id, location, Odoo's figure, Shopify's level after the run)
    of the mapped rows."""
    for row in rows:
        if not row.mapping:
            continue  # unmapped location
        if row.outcome in AGREES:
            yield row.binding, row.location, row.expected, row.expected
        else:
            yield row.binding, row.location, row.expected, row.before


def level_figures(rows, live):
    """(read, left): {(binding id, location): (Odoo's figure, Shopify's)} of
    the levels as Shopify showed them, and as the run leaves them.

    Rows Shopify has no level for are left out; ``left`` only has the mapped
    rows of a live run, and without one (a dry run, a snapshot) or a mapping
    ``read`` has no figure of Odoo's (None).
    """
    read, left = {}, {}
    for row in rows:
        if row.before is None:
            continue
        if not live or not row.mapping:
            read[row.binding, row.location] = (None, row.before)
            continue
        read[row.binding, row.location] = (row.expected, row.before)
        after = row.expected if row.outcome in AGREES else row.before
        left[row.binding, row.location] = (row.expected, after)
    return read, left


def copy_text(value):
    """A text value in ``COPY``'s text format."""
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def copy_lines(rows, fixed):
    """The rows in ``COPY``'s text format, one line each after the ``fixed``
    leading columns: binding, product, location, mapping, expected, before,
    delta, action, outcome, message (the location and mapping by ``id``).

    :return: a text buffer, read from its start
    """
    buffer = io.StringIO()
    for row in rows:
        buffer.write(
            "\t".join(
                (
                    *fixed,
                    str(row.binding),
                    str(row.product),
                    str(row.location.id),
                    str(row.mapping.id) if row.mapping else NULL,
                    NULL if row.expected is None else str(row.expected),
                    NULL if row.before is None else str(row.before),
                    NULL if row.delta is None else str(row.delta),
                    row.action,
                    row.outcome,
                    NULL if row.message is None else copy_text(row.message),
                )
            )
        )
        buffer.write("\n")
    buffer.seek(0)
    return buffer
