# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The arithmetic of a push: what to write, what to keep out, how it went.

Kept free of the ORM, like ``availability``, so the rules read on their own
(the models lock the levels, read and write Shopify, and store the result):

1. the *target* of a level is Odoo's figure minus the units held for Shopify
   sales Odoo has not imported yet, never below zero
   (``shopify.inventory.level._synco_target``);
2. a level Shopify already shows (per our last confirmed write or read) is
   not written: it is *unchanged*, or *held* when held sales lowered it;
3. a compare-and-set conflict (Shopify at ``current``, not at the
   ``change_from`` we sent) is resolved by :func:`resolve_stale`: of the
   units that left its pool, those Shopify committed to orders since our
   last write are a sale, kept out and held, the rest an edit made in
   Shopify, written over (:func:`split_drop`), even when Shopify already
   shows our figure (Odoo's fell as much meanwhile); Shopify at our figure
   with ``committed`` unchanged or unknown is no sale (our own write, whose
   transaction died); units that appeared are ignored, Odoo owns quantities;
4. every level ends *written* (applied, applied after a conflict, stocked at
   its location then applied), *unchanged*, *failed*, or *bundle*: Shopify
   refused it as a bundle's parent, whose stock it computes from the
   components (:class:`PushResult`);
5. a push that *lowers* a level Shopify is known to hold (its target below
   our last confirmed write or read: :func:`lowers`) takes risk away, one
   that raises it only adds sales: the first goes ahead of the second in
   the queue (``shopify.product.binding._delay_push_inventory``).
"""

from dataclasses import dataclass, field

# outcomes of a level written to Shopify; "unchanged" counts as neither
WRITTEN = ("applied", "stale_resolved", "activated")
UNCHANGED = "unchanged"
HELD = "held"
# NON_MUTABLE_INVENTORY_ITEM: never written, never counted a failure
BUNDLE = "bundle"


def split_drop(drop, committed_before, committed_now):
    """``(sold, edited)``: the units of a drop of ``available`` that Shopify
    committed to orders, and those an edit removed.

    A sale moves units from ``available`` to ``committed``; an edit in
    Shopify's admin changes ``available`` and ``on_hand``, never
    ``committed``.  So only a rise of ``committed`` since our last write
    explains a drop as a sale; the rest is an edit.  Without both figures of
    ``committed`` (a level last written before Synco read it, a read that
    did not ask for it) the whole drop is taken for a sale, as a careful
    guess: a sale written over would be sold twice.
    """
    if drop <= 0:
        return 0, 0
    if committed_before is None or committed_now is None:
        return drop, 0
    sold = min(drop, max(0, committed_now - committed_before))
    return sold, drop - sold


def keep_shopify_sales(change, current):
    """Target after a compare-and-set conflict.

    Shopify's level moved from ``change.change_from`` to ``current`` since we
    last saw it.  Units that left its pool (an order, most likely) are kept
    out: Odoo will reserve them when the order arrives.  Units that appeared
    there are ignored: Odoo owns quantities.
    """
    drift = current - change.change_from
    return max(0, change.quantity + min(0, drift))


def resolve_stale(change, current, committed_before=None, committed_now=None):
    """What to write after a compare-and-set conflict, and what Shopify sold.

    :param change: the write refused (``quantity``, ``change_from``)
    :param current: Shopify's value now
    :param committed_before: Shopify's ``committed`` at our last write or
        read, None when unknown
    :param committed_now: its ``committed`` now, None when not read
    :return: ``(target, sold)``: the quantity to write instead (None:
        nothing to write) and the units Shopify sold meanwhile; an edit
        made in Shopify is not kept: the target is Odoo's, less the sale

    Shopify at our figure is no proof that nothing was sold: Odoo's figure
    may have fallen by as much as Shopify sold (a count here, an order
    whose webhook was lost there).  With both ``committed`` figures known,
    a rise of ``committed`` is a sale even then: held, and the lower target
    written; our own lost write leaves ``committed`` alone.
    """
    if committed_before is None or committed_now is None:
        if current == change.quantity:
            # Shopify already shows the figure and nothing tells a sale
            # from our own write whose transaction died with its worker (a
            # server killed mid-push): nothing to write, nothing to hold
            return None, 0
        sold = 0
        if change.change_from is not None and current < change.change_from:
            sold = change.change_from - current
        return keep_shopify_sales(change, current), sold
    drop = 0 if change.change_from is None else change.change_from - current
    sold, _edited = split_drop(drop, committed_before, committed_now)
    target = max(0, change.quantity - sold)
    if target == current:
        return None, sold
    return target, sold


def lowers(figure, held, known, shopify_available):
    """Whether pushing Odoo's ``figure`` lowers the level Shopify holds.

    :param figure: Odoo's figure for the level
    :param held: units held there for Shopify sales (out of the target)
    :param known: whether Shopify's value was read or written at least once:
        a level never seen is read before it is written, so its direction
        is unknown, and it counts as no decrease
    :param shopify_available: the value Shopify is believed to hold
    """
    return bool(known) and max(0, figure - held) < shopify_available


def skipped_outcome(known, shopify_available, target, figure):
    """The outcome of a level that needs no write, or None to write it.

    :param known: whether Shopify's value was read or written at least once
    :param shopify_available: the value Shopify is believed to hold
    :param target: what Shopify should show (held sales taken out)
    :param figure: Odoo's figure
    """
    if not (known and shopify_available == target):
        return None
    return HELD if target < figure else UNCHANGED


@dataclass
class PushResult:
    pushed: int = 0
    unchanged: int = 0
    failed: int = 0
    held: int = 0  # units newly held for Shopify sales Odoo hasn't imported
    bundles: int = 0  # levels of Shopify bundles: Shopify computes their stock
    calls: int = 0
    cost: float = 0.0
    bulk_operations: int = 0
    # {(binding, shopify.location): (outcome, message)} for every target
    outcomes: dict = field(default_factory=dict)

    def add_skipped(self, key, outcome, message=None):
        """A level left as Shopify shows it (see :func:`skipped_outcome`)."""
        self.unchanged += 1
        self.outcomes[key] = (outcome, message)

    def add_written(self, key, outcome, message=None):
        """The outcome of a level sent to Shopify: written, unchanged (the
        conflict showed our figure) or failed."""
        if outcome in WRITTEN:
            self.pushed += 1
        elif outcome == BUNDLE:
            self.bundles += 1
        elif outcome != UNCHANGED:
            self.failed += 1
        self.outcomes[key] = (outcome, message or None)

    def add_calls(self, outcome):
        """What the writes of a ``set_available`` cost."""
        self.bulk_operations += outcome.bulk_operations
        self.calls += outcome.calls
        self.cost += outcome.actual_cost

    def summary(self):
        held = f", {self.held} unit(s) held for unimported sales" if self.held else ""
        if self.bundles:
            held += f", {self.bundles} level(s) of Shopify bundles left to Shopify"
        bulk = (
            f" ({self.bulk_operations} bulk operation(s))"
            if self.bulk_operations
            else ""
        )
        return (
            f"{self.pushed} level(s) pushed, {self.unchanged} unchanged, "
            f"{self.failed} failed{held}; {self.calls} call(s){bulk}, "
            f"cost {self.cost:g}"
        )
