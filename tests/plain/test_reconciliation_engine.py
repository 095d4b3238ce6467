"""The reconciliation's arithmetic, rule by rule (plain Python, no database)."""

import threading
import time
from array import array
from collections import namedtuple

import pytest

from odoo.addons.synco_shopify.lib import reconciliation as engine

Location = namedtuple("Location", "id shopify_gid")
Mapping = namedtuple("Mapping", "id")

NJ = Location(1, "gid://shopify/Location/1")
TX = Location(2, "gid://shopify/Location/2")
POP = Location(3, "gid://shopify/Location/3")  # a pop-up no mapping covers
MAP_NJ = Mapping(11)
MAP_TX = Mapping(12)
ITEM = "gid://shopify/InventoryItem/{}"
# (binding id, product id, inventory item gid), in run order
BINDINGS = [(100 + i, 200 + i, ITEM.format(i)) for i in range(4)]


def levels(*read):
    """Shopify's levels of NJ, TX and POP from (item index, location, qty)."""
    result = engine.Levels([item for _b, _p, item in BINDINGS], [NJ, TX, POP])
    result.load((ITEM.format(i), loc.shopify_gid, qty) for i, loc, qty in read)
    return result


def diff(shopify, figures, held=None, threshold=0, **kwargs):
    """One pass over every binding, NJ and TX mapped, Odoo's ``figures``
    {location: [figure by binding position]}."""
    targets = [
        (mapping, loc, shopify.column(loc), threshold, array("q", figures[loc]))
        for mapping, loc in ((MAP_NJ, NJ), (MAP_TX, TX))
    ]
    unmapped = shopify.stocked_elsewhere([NJ, TX])
    return engine.diff(BINDINGS, 0, targets, unmapped, held or {}, **kwargs)


def by_key(rows):
    return {(row.binding, row.location): row for row in rows}


def test_levels_keep_what_the_shop_knows():
    """Items no binding knows, unknown locations and missing figures are
    left out: such a level reads as not stocked."""
    shopify = engine.Levels([ITEM.format(0), ITEM.format(1)], [NJ])
    shopify.load(
        [
            (ITEM.format(0), NJ.shopify_gid, 5),
            (ITEM.format(9), NJ.shopify_gid, 7),  # no binding
            (ITEM.format(1), "gid://shopify/Location/99", 3),  # not the shop's
            (ITEM.format(1), NJ.shopify_gid, None),
        ]
    )
    assert list(shopify.column(NJ)) == [5, engine.MISSING]
    assert shopify.column(TX) is None
    assert shopify.stocked_elsewhere([NJ]) == []


def test_each_level_gets_one_action():
    shopify = levels(
        (0, NJ, 5),  # in sync
        (1, NJ, 9),  # off by 2: pushed
        (2, NJ, 3),  # off by 1: within a threshold of 1
        (0, TX, -2),  # negative in Shopify: pushed
        # binding 1 at TX: not stocked
        (3, NJ, 0),
        (2, TX, 0),
        (3, TX, 0),
    )
    figures = {NJ: [5, 7, 4, 0], TX: [0, 6, 0, 0]}
    rows, push, known = diff(shopify, figures, threshold=1)
    rows = by_key(rows)
    assert rows[100, NJ].action == "in_sync"
    assert rows[101, NJ].action == "push"
    assert rows[102, NJ].action == "within_threshold"
    assert rows[100, TX].action == "push"
    assert rows[101, TX].action == "not_stocked"
    assert rows[101, NJ].delta == -2
    assert rows[101, TX].delta is None
    # what the write takes: Odoo's figure, and the level it compares to
    assert push == {101: {NJ: 7, TX: 6}, 100: {TX: 0}}
    assert known == {(101, NJ): 9, (101, TX): None, (100, TX): -2}
    assert rows[101, NJ].outcome == "none"
    assert rows[100, NJ].outcome == "none"


def test_levels_in_sync_kept_compact_are_the_same_levels():
    """With an ``InSync``, the levels in sync get no row but an entry in its
    arrays; every other row, the writes, and the counts are unchanged, and
    its rows (a shop keeping every line) are the rows a plain diff gives."""
    shopify = levels((0, NJ, 5), (1, NJ, 9), (2, NJ, 3), (3, NJ, 0), (0, TX, 0))
    shopify.committed[NJ][0] = 2  # committed read with the first level
    figures = {NJ: [5, 7, 3, 0], TX: [0, 6, 0, 0]}
    held = {(102, NJ.id): 1}
    plain_rows, push, known = diff(
        shopify, figures, held=held, committed=shopify.committed
    )
    in_sync = engine.InSync()
    rows, push2, known2 = diff(
        shopify, figures, held=held, committed=shopify.committed, in_sync=in_sync
    )
    assert (push2, known2) == (push, known)
    assert "in_sync" not in {row.action for row in rows}
    kept = [row for row in plain_rows if row.action != "in_sync"]
    assert [(r.binding, r.location, r.action) for r in rows] == [
        (r.binding, r.location, r.action) for r in kept
    ]
    assert len(in_sync) == 3
    assert list(in_sync.keys()) == [(100, NJ.id), (100, TX.id), (103, NJ.id)]
    assert in_sync.counts() == {NJ.id: 2, TX.id: 1}
    assert in_sync.levels() == (
        [100, 100, 103],
        [NJ.id, TX.id, NJ.id],
        [5, 0, 0],
        [2, None, None],
    )
    as_rows = in_sync.rows()
    plain_in_sync = [row for row in plain_rows if row.action == "in_sync"]
    assert [
        (r.binding, r.product, r.location, r.mapping, r.expected, r.before)
        for r in as_rows
    ] == [
        (r.binding, r.product, r.location, r.mapping, r.expected, r.before)
        for r in plain_in_sync
    ]
    assert as_rows[0].before.committed == 2
    # the counts and the lines kept are those of the plain rows
    assert engine.location_counts(rows, in_sync=in_sync) == engine.location_counts(
        plain_rows
    )
    assert engine.lines_kept(rows, in_sync=in_sync) == rows
    assert len(engine.lines_kept(rows, True, in_sync)) == len(plain_rows)


def test_held_units_come_off_the_figure_but_not_the_write():
    """Units held for a Shopify sale not in Odoo yet lower the figure Shopify
    should show (never below zero); the write is given Odoo's own figure and
    takes the hold off itself."""
    shopify = levels((0, NJ, 3), (1, NJ, 0), (0, TX, 0), (1, TX, 0))
    figures = {NJ: [5, 2, 0, 0], TX: [0, 0, 0, 0]}
    rows, push, _known = diff(shopify, figures, held={(100, NJ.id): 2, (101, 1): 4})
    rows = by_key(rows)
    assert (rows[100, NJ].expected, rows[100, NJ].action) == (3, "in_sync")
    assert (rows[101, NJ].expected, rows[101, NJ].action) == (0, "in_sync")
    shopify = levels((0, NJ, 1))
    rows, push, _known = diff(shopify, figures, held={(100, NJ.id): 2})
    assert by_key(rows)[100, NJ].expected == 3
    assert push[100][NJ] == 5


def test_frozen_shop_and_dry_run():
    shopify = levels((0, NJ, 9), (1, NJ, 1))
    figures = {NJ: [5, 1, 0, 0], TX: [0, 0, 0, 0]}
    rows, push, _known = diff(shopify, figures, frozen=True)
    rows = by_key(rows)
    assert rows[100, NJ].action == "frozen"
    assert NJ not in push[100]
    # a level Shopify doesn't stock is still to be stocked in a frozen shop
    assert rows[102, NJ].action == "not_stocked"
    rows, _push, _known = diff(shopify, figures, dry_run=True)
    rows = by_key(rows)
    assert rows[100, NJ].outcome == "dry_run"
    assert rows[101, NJ].outcome == "none"  # in sync: nothing to write


def test_levels_at_unmapped_locations_are_reported():
    shopify = levels((2, POP, 4), (0, NJ, 0))
    figures = {NJ: [0, 0, 0, 0], TX: [0, 0, 0, 0]}
    rows, _push, _known = diff(shopify, figures)
    unmapped = [row for row in rows if row.location == POP]
    assert [(r.binding, r.action, r.before) for r in unmapped] == [(102, "unmapped", 4)]
    assert unmapped[0].mapping is None
    assert unmapped[0].expected is None


def test_chunks_add_up_to_one_pass():
    """Positions run on across chunks: two halves give the rows of one pass."""
    shopify = levels((0, NJ, 1), (1, NJ, 2), (2, TX, 3), (3, POP, 4))
    figures = {NJ: [1, 0, 5, 0], TX: [0, 2, 3, 1]}
    targets = [
        (m, loc, shopify.column(loc), 0, array("q", figures[loc]))
        for m, loc in ((MAP_NJ, NJ), (MAP_TX, TX))
    ]
    unmapped = shopify.stocked_elsewhere([NJ, TX])

    def summary(rows):
        return [(r.binding, r.location, r.action, r.expected, r.before) for r in rows]

    whole = engine.diff(BINDINGS, 0, targets, unmapped, {})[0]
    halves = (
        engine.diff(BINDINGS[:2], 0, targets, unmapped, {})[0]
        + engine.diff(BINDINGS[2:], 2, targets, unmapped, {})[0]
    )
    assert summary(halves) == summary(whole)
    snapshot = engine.snapshot_rows(BINDINGS[:2], 0, shopify) + engine.snapshot_rows(
        BINDINGS[2:], 2, shopify
    )
    assert [(r.binding, r.location, r.before) for r in snapshot] == [
        (100, NJ, 1),
        (101, NJ, 2),
        (102, TX, 3),
        (103, POP, 4),
    ]
    assert {r.action for r in snapshot} == {"snapshot"}


def row(action, outcome="none", expected=5, before=5, mapping=MAP_NJ, binding=1):
    result = engine.Row(binding, 2, NJ, mapping, expected, before, action)
    result.outcome = outcome
    return result


def test_totals():
    rows = [
        row("in_sync"),
        row("push", "applied", 5, 3),
        row("push", "stale_resolved", 5, 3),
        row("not_stocked", "activated", 5, None),
        row("push", "failed", 5, 3),
        row("not_stocked", "not_stocked", 5, None),
        row("within_threshold", expected=5, before=4),
        row("unmapped", expected=None, before=4, mapping=None),
        row("snapshot", expected=None, before=4, mapping=None),
    ]
    assert engine.totals(rows) == {
        "checked": 7,
        "drifted": 4,  # a level Shopify doesn't stock has no delta
        "pushed": 3,
        "failed": 2,
    }


def test_counts_per_location_add_up_to_the_totals():
    """The counts a run keeps per location (every row, lines stored or not)
    give the run's totals; the in-sync levels are counted, not listed, unless
    asked for."""
    rows = [
        row("in_sync"),
        row("in_sync", binding=2),
        row("push", "applied", 5, 3),
        row("push", "failed", 5, 3),
        row("not_stocked", "activated", 5, None),
        row("within_threshold", expected=5, before=4),
        row("unmapped", expected=None, before=4, mapping=None),
    ]
    tx = engine.Row(3, 4, TX, MAP_TX, 2, 2, "in_sync")
    pop = engine.Row(3, 4, POP, None, None, 1, "unmapped")
    counts = engine.location_counts(rows[:4])
    # a second chunk adds to the first
    assert engine.location_counts([*rows[4:], tx, pop], counts) is counts
    assert counts == {
        NJ.id: [6, 2, 3, 2, 1],  # checked, in sync, drifted, written, failed
        TX.id: [1, 1, 0, 0, 0],
        POP.id: [0, 0, 0, 0, 0],
    }
    every = [*rows, tx, pop]
    totals = engine.counts_totals(counts)
    assert totals == dict(engine.totals(every), in_sync=3)
    kept = engine.lines_kept(every)
    assert [r.action for r in kept] == [
        "push",
        "push",
        "not_stocked",
        "within_threshold",
        "unmapped",
        "unmapped",
    ]
    assert engine.lines_kept(every, keep_in_sync=True) == every
    assert engine.location_counts([]) == {}


def test_what_the_run_leaves():
    """A written (or already right) level shows Odoo's figure after the run;
    any other shows what Shopify had."""
    rows = [
        row("push", "applied", 5, 3, binding=1),
        row("push", "unchanged", 5, 3, binding=2),
        row("push", "failed", 5, 3, binding=3),
        row("within_threshold", "none", 5, 4, binding=4),
        row("unmapped", "none", None, 4, mapping=None, binding=5),
        row("in_sync", "none", 6, 6, binding=6),
        row("not_stocked", "not_stocked", 5, None, binding=7),
    ]
    assert list(engine.drift_observations(rows)) == [
        (1, NJ, 5, 5),
        (2, NJ, 5, 5),
        (3, NJ, 5, 3),
        (4, NJ, 5, 4),
        (6, NJ, 6, 6),
        (7, NJ, 5, None),
    ]
    assert engine.in_sync_levels(rows) == [(6, NJ.id, 6)]
    read, left = engine.level_figures(rows, live=True)
    assert read[1, NJ] == (5, 3)
    assert left[1, NJ] == (5, 5)
    assert left[3, NJ] == (5, 3)
    assert read[5, NJ] == (None, 4)  # unmapped: no figure of Odoo's
    assert (5, NJ) not in left
    assert (7, NJ) not in read  # Shopify has no level
    # a dry run or a snapshot: only what Shopify showed
    read, left = engine.level_figures(rows, live=False)
    assert left == {}
    assert read[1, NJ] == (None, 3)


def test_copy_lines():
    line = row("push", "failed", 5, 3)
    line.message = "a\tb\nc\\d\re"
    unmapped = row("unmapped", expected=None, before=4, mapping=None)
    text = engine.copy_lines([line, unmapped], ("9", "x")).read()
    assert text.splitlines() == [
        "9\tx\t1\t2\t1\t11\t5\t3\t2\tpush\tfailed\ta\\tb\\nc\\\\d\\re",
        "9\tx\t1\t2\t1\t\\N\t\\N\t4\t\\N\tunmapped\tnone\t\\N",
    ]


def test_phases_add_up():
    """A phase timed inside another is taken out of the outer one."""
    phases = engine.Phases()
    started = time.monotonic()
    with phases("outer"):
        time.sleep(0.01)
        with phases("inner"):
            time.sleep(0.05)
        time.sleep(0.01)
    total = time.monotonic() - started
    outer, inner = phases.seconds["outer"][0], phases.seconds["inner"][0]
    assert inner >= 0.05
    assert outer >= 0.02
    assert abs(outer + inner - total) < 0.01
    phases.waited = {"http": 1.5}
    text = str(phases)
    assert text.startswith("outer ")
    assert "; inner " in text
    assert text.endswith("; waited on Shopify: http 1.5 s")


class _Reading:
    """A levels read whose file becomes ready at the ``ready_at``-th ask."""

    def __init__(self, levels, ready_at=2, error=None):
        self.levels, self.ready_at, self.error = levels, ready_at, error
        self.asked = 0
        self.streamed_on = None

    def ready(self):
        self.asked += 1
        return self.asked >= self.ready_at

    def stream(self):
        self.streamed_on = threading.current_thread()
        for level in self.levels:
            if self.error:
                raise self.error
            yield level

    def __iter__(self):
        return iter(self.levels)


def _levels():
    return engine.Levels(["i1", "i2"], [Location(1, "L1")])


def test_levels_loader_reads_on_a_thread_once_ready():
    levels = _levels()
    reading = _Reading([("i1", "L1", 4), ("i2", "L1", 7), ("i9", "L1", 1)])
    loader = engine.LevelsLoader(levels, reading)
    loader.tick()  # not ready yet: nothing started
    assert loader.thread is None
    loader.tick()
    assert loader.thread is not None
    loader.tick()  # started once
    assert reading.asked == 2
    loader.finish()
    assert reading.streamed_on is not threading.main_thread()
    assert list(levels.column(levels.locations["L1"])) == [4, 7]
    assert loader.seconds[0] >= 0


def test_levels_loader_raises_what_its_thread_raised():
    reading = _Reading([("i1", "L1", 4)], ready_at=1, error=ValueError("cut"))
    loader = engine.LevelsLoader(_levels(), reading)
    loader.tick()
    with pytest.raises(ValueError, match="cut"):
        loader.finish()


def test_levels_loader_reads_at_finish_what_never_became_ready():
    """A paginated read (or a plain iterable) is read at ``finish``."""
    levels = _levels()
    loader = engine.LevelsLoader(levels, [("i2", "L1", 3)])
    loader.tick()
    loader.finish()
    assert loader.thread is None
    column = levels.column(levels.locations["L1"])
    assert list(column) == [engine.MISSING, 3]


def test_levels_loader_stops_when_the_run_fails_first():
    gate = threading.Event()

    def endless():
        while True:
            gate.set()
            yield ("i1", "L1", 1)

    reading = _Reading([], ready_at=1)
    reading.stream = endless
    loader = engine.LevelsLoader(_levels(), reading)
    loader.tick()
    assert gate.wait(5)
    loader.stop()  # returns: the thread saw the flag
    assert not loader.thread.is_alive()
