# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The write path: Odoo's figures to Shopify, compare-and-set.

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields): the
methods run on shop records, ``self`` is a shop.

``shopify.product.binding._job_push_inventory`` and the reconciliation call
:meth:`_push_levels`; the arithmetic on plain values (targets, conflicts,
the result) is ``lib/push.py``.  Here: the levels, their locks, the reads
and writes through the client, and what drift and alerts are told.
"""

import logging

import psycopg2

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, mute_logger

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.push import PushResult, resolve_stale, skipped_outcome
from ..lib.shopify import (
    Outcome,
    QuantityChange,
    ShopifyRetryableError,
    ShopifyUserErrors,
    committed_of,
    to_gid,
)
from .job_errors import retryable_job_error
from .locking import lock_rows

_logger = logging.getLogger(__name__)

# a held sale triggers an order poll this much later: Shopify's order search
# lags a little behind its inventory
HELD_POLL_DELAY = 60
# how long a push waits before its next try when Shopify named no wait, and
# at least during an outage: a push that goes first (decreases first: it
# lowers a level) tries again sooner, as its levels offer too much meanwhile
PUSH_RETRY = 30
URGENT_PUSH_RETRY = 5
URGENT_OUTAGE_RETRY = 15


class ShopifyInventoryPush(models.AbstractModel):
    _name = "shopify.inventory.push"
    _description = "Shopify Inventory Push (shop mixin)"

    def action_push_all(self):
        """Enqueue a push of every bound product, reading Shopify's levels first.

        After Shopify changed outside Odoo (a manual edit in its admin, a
        restored backup) our memory of its levels is wrong: the pushes read
        them rather than skip what we believe is there.
        """
        self.ensure_one()
        if self.sync_frozen:
            raise UserError(self.env._("The shop is frozen: resume it first."))
        count = self.binding_ids.filtered("active")._delay_push_inventory(refresh=True)
        return self._notify(
            self.env._("Pushes enqueued"),
            self.env._(
                "%(count)s products will be read from Shopify and pushed.",
                count=count,
            ),
        )

    def _synco_resume_pushes(self):
        """Push what changed while these shops were frozen (or every shop
        paused): every bound product, batched as usual.

        Nothing is recorded while frozen: each push compares Odoo's figure
        with the one we last wrote (``shopify.inventory.level``) and writes
        only the levels that differ, so resuming costs one call per 250
        changed levels, without reading Shopify first (that is *Push All*).
        """
        self.env["shopify.product.binding"]._synco_config_changed(shops=self)

    def _synco_pushed_mappings(self):
        """The mappings whose Shopify locations a push writes.

        The active ones, and the paused ones whose location no active mapping
        feeds: a paused mapping takes its location out of sale (0) rather
        than leave a figure nobody keeps true.
        """
        self.ensure_one()
        active = self.mapping_ids.filtered(lambda m: m.state == "active")
        paused = self.mapping_ids.filtered(
            lambda m: (
                m.state == "paused"
                and m.shopify_location_id not in active.shopify_location_id
            )
        )
        # one paused mapping per location is enough to write its 0
        seen = set()
        for mapping in paused:
            if mapping.shopify_location_id in seen:
                paused -= mapping
            seen.add(mapping.shopify_location_id)
        return active | paused

    # ---------------------------------------------------------------- pushing
    def _push_levels(
        self,
        targets,
        reason="correction",
        known=None,
        client=None,
        refresh=False,
        evidence=True,
        observe=True,
        settle=None,
        urgent=False,
    ):
        """Write Odoo's figures to Shopify, compare-and-set, 250 per call (or
        as one bulk operation from the shop's ``bulk_write_threshold`` levels).

        :param targets: {binding: {shopify.location: Odoo's figure}}
        :param known: {(binding, shopify.location): Shopify's current value,
            None when not stocked} when the caller has just read them
            (reconciliation), so they are not read again
        :param client: the caller's client, so its statistics add up
        :param refresh: read every level first instead of trusting the
            value we last wrote (*Push All*)
        :param evidence: whether a drop in the ``known`` values may be a
            Shopify sale Odoo hasn't seen
        :param observe: tell drift and alerts what the push saw and left (a
            reconciliation tells them itself, as its own)
        :param settle: applied to the levels once locked (see
            ``shopify.inventory.level._synco_settle``)
        :param urgent: the push goes first (it lowers a level): a transient
            failure runs it again sooner
        :return: a :class:`PushResult`

        Levels Shopify already holds (per our last confirmed write or read)
        are skipped; levels never seen are read first, so even the first
        write is a compare-and-set.  Units Shopify sold that Odoo has not
        imported yet are *held*: a compare-and-set conflict (or a read)
        showing Shopify's level below our last write keeps them out of this
        push and of every later one, until the order is imported (or a poll
        shows there is none), and triggers an order poll at once.  Units
        that appeared in Shopify are ignored: Odoo owns quantities.
        """
        self.ensure_one()
        result = PushResult()
        if not targets:
            return result
        levels = self._prepare_levels(targets)
        if settle:
            self.env["shopify.inventory.level"].union(*levels.values())._synco_settle(
                settle
            )
        holding = self._synco_holds_sales()
        seen = {}  # {(binding, location): Shopify's value, as read}
        drops = set()  # ids of the levels found below our last figure
        absorbed = {}
        for (binding, location), value in (known or {}).items():
            if value is not None:
                seen[binding, location] = value
                absorbed[levels[binding, location]] = value
        Level = self.env["shopify.inventory.level"].sudo()
        result.held += Level._synco_absorb_many(
            absorbed, evidence=holding and evidence, drops=drops
        )
        client = client or self._get_client()
        try:
            result.held += self._read_levels(
                client,
                targets,
                levels,
                skip=known or {},
                refresh=refresh,
                seen=seen,
                drops=drops,
            )
            pending, expected = {}, []
            for binding, per_location in targets.items():
                for location, quantity in per_location.items():
                    level = levels[binding, location]
                    expected.append((level, {"expected_qty": quantity}))
                    target = level._synco_target(quantity)
                    skipped = skipped_outcome(
                        level.shopify_known, level.shopify_available, target, quantity
                    )
                    if skipped:
                        result.add_skipped(
                            (binding, location),
                            skipped,
                            level._synco_held_message() if skipped == "held" else None,
                        )
                        continue
                    key = (
                        to_gid("InventoryItem", binding.shopify_inventory_item_gid),
                        to_gid("Location", location.shopify_gid),
                    )
                    pending[key] = (binding, location, level, target)
            Level._synco_write_grouped(expected)
            if pending:
                self._write_levels(client, pending, reason, holding, result, drops)
            # after available: the unavailable states, where a mapping shows
            # withheld stock in Shopify (or did)
            self.env["shopify.withheld.stock"]._synco_sync(
                self,
                client,
                self.env["shopify.inventory.level"]
                .union(*levels.values())
                .filtered(
                    lambda lvl: lvl.last_outcome not in ("failed", "not_stocked")
                ),
            )
        except ShopifyRetryableError as exc:
            if urgent:
                raise retryable_job_error(
                    exc, URGENT_PUSH_RETRY, outage_seconds=URGENT_OUTAGE_RETRY
                ) from exc
            raise retryable_job_error(exc, PUSH_RETRY) from exc
        if observe:
            self._synco_observe_levels(targets, levels, seen)
        if result.held:
            self._synco_sales_not_imported(result.held)
        return result

    def _synco_observe_levels(self, targets, levels, seen=None):
        """Tell drift and alerts what the push saw and left.

        Shopify's figure is the value it holds after the push (for a write
        that failed, the one it held before); Odoo's is the figure pushed,
        held sales taken out.  Agreement resolves open drift; the values
        ``seen`` when read ({(binding, location): value}) are checked for
        negative levels, what the push leaves for oversell risk.
        """
        observations = []
        for binding, per_location in targets.items():
            if binding.shopify_bundle:  # Shopify computes its stock: no drift
                continue
            for location, quantity in per_location.items():
                level = levels[binding, location]
                if level.shopify_known:
                    observations.append(
                        (
                            binding,
                            location,
                            level._synco_target(quantity),
                            level.shopify_available,
                        )
                    )
        self.env["shopify.drift"].sudo()._synco_observe(self, observations, "push")
        self.env["shopify.alert"]._synco_check_levels(
            self,
            read={key: (None, value) for key, value in (seen or {}).items()},
            left={(b, loc): (odoo, shopify) for b, loc, odoo, shopify in observations},
        )

    def _prepare_levels(self, targets):
        """{(binding, shopify.location): level} for the targets, created when
        missing and locked for the rest of the transaction."""
        Level = self.env["shopify.inventory.level"].sudo()
        bindings = self.env["shopify.product.binding"].union(*targets)
        levels = {
            (lvl.binding_id, lvl.shopify_location_id): lvl
            for lvl in Level.search([("binding_id", "in", bindings.ids)])
        }
        missing = [
            (b.id, loc.id)
            for b, per_location in targets.items()
            for loc in per_location
            if (b, loc) not in levels
        ]
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                created = Level._synco_create_many(missing)
        except psycopg2.errors.UniqueViolation as exc:
            # Another push of the same product, started before this one's
            # snapshot could see its commit (two stock commits in a row: the
            # first job was already running), created them: run again on
            # fresh data rather than fail the job.
            raise RetryableJobError(
                "Levels created by a concurrent push; retrying.", seconds=1
            ) from exc
        for lvl in created:
            levels[lvl.binding_id, lvl.shopify_location_id] = lvl
        self._lock_levels(Level.union(*levels.values()))
        return levels

    def _write_levels(self, client, pending, reason, holding, result, drops=()):
        """Send the pending levels, compare-and-set, and record each outcome.

        :param pending: {(item gid, location gid): (binding, location, level,
            target)}
        :param drops: ids of the levels read below our last figure: their
            outcome says what the drop was (a sale held, an edit written over)
        """
        changes = [
            QuantityChange(
                item,
                loc,
                target,
                lvl.shopify_available if lvl.shopify_known else None,
            )
            for (item, loc), (_b, _l, lvl, target) in pending.items()
        ]
        sold = {}  # (item, location) → units Shopify sold meanwhile
        edited = {}  # (item, location) → units an edit in Shopify removed
        committed = {}  # (item, location) → committed as last read

        def on_stale(change, current):
            key = (change.inventory_item_id, change.location_id)
            level = pending[key][2]
            before = level._synco_committed_before()
            if before is not None:  # a retry of this push read it since
                before = committed.get(key, before)
            now = committed_of(current)
            target, units = resolve_stale(change, current, before, now)
            if now is not None:
                committed[key] = now
            if units:
                sold[key] = sold.get(key, 0) + units
            if change.change_from is not None and current < change.change_from:
                drop = change.change_from - current - units
                edited[key] = edited.get(key, 0) + drop
            return target

        bindings = self.env["shopify.product.binding"].union(
            *(binding for binding, _l, _lvl, _t in pending.values())
        )
        write = client.set_available
        if 0 < self.bulk_write_threshold <= len(changes):
            write = client.set_available_bulk
        outcome = write(
            changes,
            reason=reason,
            reference_uri=self._reference_uri(bindings),
            on_stale=on_stale,
        )
        result.add_calls(outcome)
        now = fields.Datetime.now()
        bundles = self.env["shopify.product.binding"]
        grouped = []  # the outcomes telling no drop: written grouped
        for item in outcome.outcomes:
            key = (
                to_gid("InventoryItem", item.change.inventory_item_id),
                to_gid("Location", item.change.location_id),
            )
            binding, location, level, _target = pending[key]
            vals = self._synco_outcome_vals(client, item, level, now)
            vals.update(
                self._synco_drop_vals(
                    level,
                    sold.get(key, 0) if holding else 0,
                    edited.get(key, 0),
                    committed.get(key),
                    now,
                )
            )
            result.held += vals.get("drop_sold_qty", 0)
            if vals["last_outcome"] == "bundle":
                bundles |= binding
            if level.id in drops or "drop_date" in vals:
                level.write(vals)
                if "drop_date" in vals:
                    level._synco_note_drop()
                if not vals["last_message"]:
                    level.last_message = vals["last_message"] = (
                        level._synco_drop_message() or False
                    )
            else:
                grouped.append((level, vals))
            result.add_written(
                (binding, location), vals["last_outcome"], vals["last_message"]
            )
        self.env["shopify.inventory.level"].sudo()._synco_write_grouped(grouped)
        if bundles:
            self._synco_mark_bundles(bundles)

    def _synco_outcome_vals(self, client, item, level, now):
        """What a level records of its write's outcome (``item``)."""
        vals = {
            "last_push_date": now,
            "last_outcome": item.status,
            "last_message": item.message or False,
        }
        if item.ok:
            vals.update(shopify_available=item.quantity, shopify_known=True)
        elif item.status == Outcome.NOT_STOCKED:
            vals.update(self._activate(client, item.change, level))
        elif item.status == Outcome.NON_MUTABLE:
            vals["last_outcome"] = "bundle"
        elif item.status == Outcome.DROPPED:
            vals["last_outcome"] = "unchanged"
            if item.current is not None:
                vals.update(shopify_available=item.current, shopify_known=True)
        return vals

    def _synco_mark_bundles(self, bindings):
        """Shopify refused these items as bundles' parents: stop pushing them.

        ``NON_MUTABLE_INVENTORY_ITEM``: Shopify computes a bundle's stock from
        its components.  The binding is marked (no push or reconciliation
        takes it again) and the shop's chatter says so, once per binding.
        """
        new = bindings.filtered(lambda b: not b.shopify_bundle)
        if not new:
            return
        new.sudo().write({"shopify_bundle": True})
        self.message_post(
            body=self.env._(
                "A Shopify bundle: Shopify computes its stock from its "
                "components and refuses writes to it. Synco no longer pushes "
                "%(skus)s.",
                skus=", ".join(sorted(b.sku or b.product_id.display_name for b in new)),
            )
        )

    @staticmethod
    def _synco_drop_vals(level, sold, edited, committed, now):
        """What a compare-and-set conflict told of a level: the units held
        for a sale, the drop told apart, the committed units read."""
        vals = {}
        if sold:
            vals.update(level._synco_hold_vals(sold))
        if committed is not None:
            vals.update(
                shopify_committed=committed,
                shopify_committed_known=True,
                shopify_committed_date=level.env.cr.now(),
            )
        if sold or edited:
            vals.update(drop_sold_qty=sold, drop_edited_qty=edited, drop_date=now)
        return vals

    def _synco_holds_sales(self):
        """Whether Shopify sales are held until their order is imported.

        Only for a shop whose orders Odoo imports: otherwise no order would
        ever release them.
        """
        self.ensure_one()
        return self.policy_reservation == "shopify_triggers_odoo"

    def _synco_sales_not_imported(self, units):
        """Shopify sold units Odoo has no order for: fetch the orders now.

        The poll waits a little (Shopify's order search lags behind its
        inventory) rather than the 15 minutes of the scheduled one.
        """
        _logger.info(
            "%s: %s unit(s) sold in Shopify without an order in Odoo; held, "
            "order poll enqueued",
            self.shop_domain,
            units,
        )
        self._delay_poll_orders(eta=HELD_POLL_DELAY)

    def _lock_levels(self, levels):
        """One push of a level at a time, each on data fresher than the last.

        Two pushes of one product can overlap: a job runs, a stock change
        enqueues another, the second worker starts it.  The later one,
        holding our last write as it was before the earlier one committed,
        would take the earlier write for a Shopify sale and subtract it
        again (Odoo 6, Shopify 2).  Locking the levels stops it before any
        call to Shopify: lock not available while the earlier one runs, a
        serialization failure once it committed over our snapshot; queue_job
        retries both, on fresh data.
        """
        if not levels:
            return
        lock_rows(
            self.env.cr,
            "shopify_inventory_level",
            SQL("id IN %s", tuple(levels.ids)),
            "Levels pushed by a concurrent job; pushing again on fresh data.",
        )

    def _read_levels(
        self, client, targets, levels, skip=(), refresh=False, seen=None, drops=None
    ):
        """Read the levels never seen (with ``refresh``, all of them).

        :param seen: a dict filled with {(binding, location): value read}
        :param drops: a set filled with the ids of levels read below our
            last figure
        :return: the units newly held (sales seen in a read)
        """
        wanted = [
            (b, loc)
            for b, per_location in targets.items()
            for loc in per_location
            if (refresh or not levels[b, loc].shopify_known) and (b, loc) not in skip
        ]
        if not wanted:
            return 0
        current = client.read_available(
            list({b.shopify_inventory_item_gid for b, _loc in wanted}),
            list({loc.shopify_gid for _b, loc in wanted}),
        )
        held = 0
        evidence = self._synco_holds_sales()
        for binding, location in wanted:
            value = current.get(
                (binding.shopify_inventory_item_gid, location.shopify_gid)
            )
            if value is not None:
                if seen is not None:
                    seen[binding, location] = value
                held += levels[binding, location]._synco_absorb(
                    value, evidence, drops=drops
                )
        return held

    def _activate(self, client, change, level):
        """The mapping says the item belongs here: stock it, with Odoo's figure."""
        try:
            client.activate(
                change.inventory_item_id, change.location_id, available=change.quantity
            )
        except ShopifyUserErrors as exc:
            return {"last_outcome": "not_stocked", "last_message": str(exc)[:250]}
        return {
            "last_outcome": "activated",
            "shopify_available": change.quantity,
            "shopify_known": True,
        }

    def _reference_uri(self, bindings):
        """Where Shopify's inventory history points back to in Odoo."""
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        if len(bindings) == 1:
            return f"{base}/odoo/shopify.product.binding/{bindings.id}"
        return f"{base}/odoo/shopify.shop/{self.id}"
