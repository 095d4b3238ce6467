"""The push's arithmetic on plain values (plain Python, no database)."""

import pytest

from odoo.addons.synco_shopify.lib import push
from odoo.addons.synco_shopify.lib.shopify import QuantityChange


def _change(quantity, change_from):
    return QuantityChange("gid://shopify/InventoryItem/1", "1", quantity, change_from)


# ------------------------------------------------------------ keep_shopify_sales
@pytest.mark.parametrize(
    "quantity, change_from, current, expected",
    [
        (10, 8, 6, 8),  # Shopify sold 2 since our write: kept out
        (10, 8, 12, 10),  # 4 appeared in Shopify: ignored, Odoo owns quantities
        (10, 8, 8, 10),  # no move at all
        (1, 8, 2, 0),  # more sold than Odoo offers: never below zero
    ],
)
def test_keep_shopify_sales(quantity, change_from, current, expected):
    assert push.keep_shopify_sales(_change(quantity, change_from), current) == expected


# ----------------------------------------------------------------- resolve_stale
def test_stale_at_our_figure_is_no_sale():
    """Shopify already shows what we write: our own write whose transaction
    died, not a sale: nothing to write, nothing to hold."""
    assert push.resolve_stale(_change(7, 10), 7) == (None, 0)


def test_stale_drop_is_a_sale_held():
    assert push.resolve_stale(_change(10, 8), 5) == (7, 3)


def test_stale_rise_is_ignored():
    assert push.resolve_stale(_change(10, 8), 9) == (10, 0)


def test_stale_sale_beyond_odoo_figure():
    """Shopify sold more than Odoo now offers: write 0, hold what it sold."""
    assert push.resolve_stale(_change(2, 8), 3) == (0, 5)


# --------------------------------------------------------------- skipped_outcome
def test_skipped_when_shopify_shows_the_target():
    assert push.skipped_outcome(True, 5, 5, 5) == "unchanged"


def test_skipped_held_when_held_sales_lower_the_target():
    assert push.skipped_outcome(True, 3, 3, 5) == "held"


def test_written_when_never_seen_or_different():
    assert push.skipped_outcome(False, 5, 5, 5) is None
    assert push.skipped_outcome(True, 4, 5, 5) is None


# -------------------------------------------------------------------- PushResult
# ----------------------------------------------------------------------- lowers
@pytest.mark.parametrize(
    "figure, held, known, available, expected",
    [
        (8, 0, True, 10, True),  # Odoo below Shopify: the push lowers it
        (12, 0, True, 10, False),  # a rise only adds sales
        (10, 0, True, 10, False),  # unchanged: nothing to take away
        (12, 3, True, 10, True),  # held sales take the target below Shopify
        (2, 5, True, 0, False),  # never below zero: 0 does not lower 0
        (0, 0, False, 10, False),  # never seen: read first, no direction
    ],
)
def test_lowers(figure, held, known, available, expected):
    assert push.lowers(figure, held, known, available) is expected


def test_result_counts_outcomes():
    result = push.PushResult()
    result.add_written(("a", 1), "applied")
    result.add_written(("a", 2), "stale_resolved", "")
    result.add_written(("b", 1), "activated")
    result.add_written(("b", 2), "unchanged")
    result.add_written(("c", 1), "not_stocked", "not stocked")
    result.add_written(("c", 2), "failed", "boom")
    result.add_skipped(("d", 1), "unchanged")
    result.add_skipped(("d", 2), "held", "2 unit(s) held")
    assert (result.pushed, result.unchanged, result.failed) == (3, 2, 2)
    assert result.outcomes[("a", 2)] == ("stale_resolved", None)
    assert result.outcomes[("c", 2)] == ("failed", "boom")
    assert result.outcomes[("d", 2)] == ("held", "2 unit(s) held")


class _Calls:
    bulk_operations = 1
    calls = 2
    actual_cost = 12.5


def test_result_adds_calls():
    result = push.PushResult()
    result.add_calls(_Calls())
    result.add_calls(_Calls())
    assert (result.bulk_operations, result.calls, result.cost) == (2, 4, 25.0)


def test_summary():
    result = push.PushResult(pushed=3, unchanged=1, failed=0, calls=1, cost=10.0)
    assert result.summary() == (
        "3 level(s) pushed, 1 unchanged, 0 failed; 1 call(s), cost 10"
    )


def test_summary_with_held_units_and_bulk():
    result = push.PushResult(pushed=2, held=4, calls=3, bulk_operations=1, cost=2.5)
    assert result.summary() == (
        "2 level(s) pushed, 0 unchanged, 0 failed, 4 unit(s) held for "
        "unimported sales; 3 call(s) (1 bulk operation(s)), cost 2.5"
    )


def test_lib_imports_no_orm():
    """The module stays plain Python: nothing of the ORM."""
    source = open(push.__file__).read()
    assert "from odoo" not in source and "import odoo" not in source


# ------------------------------------------------------- a sale told from an edit
@pytest.mark.parametrize(
    "drop, before, now, expected",
    [
        (3, 0, 0, (0, 3)),  # committed unchanged: an edit in Shopify's admin
        (3, 0, 3, (3, 0)),  # committed rose by the drop: a sale
        (5, 1, 4, (3, 2)),  # a sale of 3 and an edit of 2
        (2, 0, 7, (2, 0)),  # committed rose more (sales and a restock): all sold
        (3, 4, 2, (0, 3)),  # committed fell (a fulfilment): nothing explained
        (3, None, 5, (3, 0)),  # committed never read: the whole drop held
        (3, 0, None, (3, 0)),  # a read without committed: the same
        (0, 0, 4, (0, 0)),  # no drop: nothing to tell
    ],
)
def test_split_drop(drop, before, now, expected):
    assert push.split_drop(drop, before, now) == expected


def test_resolve_stale_writes_over_an_edit_and_keeps_a_sale():
    # edit: Shopify 30 → 25, committed 0 → 0; Odoo wants 31: written
    assert push.resolve_stale(_change(31, 30), 25, 0, 0) == (31, 0)
    # sale: committed 0 → 2, Odoo wants 35: 33 written, 2 sold
    assert push.resolve_stale(_change(35, 30), 28, 0, 2) == (33, 2)
    # both: 3 sold, 2 edited: Odoo's 31 less the 3 sold
    assert push.resolve_stale(_change(31, 30), 25, 0, 3) == (28, 3)
    # Shopify already shows what a sale leaves: nothing to write
    assert push.resolve_stale(_change(30, 30), 28, 0, 2) == (None, 2)
    # without committed, as before: the whole drop kept out
    assert push.resolve_stale(_change(31, 30), 25) == (26, 5)


def test_resolve_stale_at_our_figure_after_a_sale():
    """Odoo's figure fell by 2 (a count) while Shopify sold 2 on an order
    whose webhook was lost: Shopify shows Odoo's figure, but committed rose:
    the sale is held and the lower target written, not left as offered."""
    assert push.resolve_stale(_change(28, 30), 28, 0, 2) == (26, 2)
    # a sale of 3 where Odoo fell by 3 and the level holds less than that
    assert push.resolve_stale(_change(2, 5), 2, 1, 4) == (0, 3)
    # our own write applied, its transaction lost: committed did not move
    assert push.resolve_stale(_change(28, 30), 28, 0, 0) == (None, 0)
    assert push.resolve_stale(_change(28, 30), 28, 2, 2) == (None, 0)
    # committed fell (an order fulfilled or cancelled): no sale either
    assert push.resolve_stale(_change(28, 30), 28, 3, 1) == (None, 0)
    # committed unknown: as before, nothing tells a sale, nothing held
    assert push.resolve_stale(_change(28, 30), 28, None, 2) == (None, 0)
