# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL, mute_logger

from ..lib.push import lowers, split_drop
from ..lib.shopify import committed_of
from .locking import try_lock_rows


def _int_array(values):
    """An int[] literal (``{1,NULL,3}``): PostgreSQL reads it in one go,
    where a list's ``ARRAY[...]`` is an expression per element (a chunk of a
    reconciliation passes 50 000 of them)."""
    return "{" + ",".join(["NULL" if v is None else str(v) for v in values]) + "}"


class ShopifyInventoryLevel(models.Model):
    """What we last told Shopify for one product at one Shopify location.

    ``shopify_available`` is the value Shopify is believed to hold: it is the
    ``changeFromQuantity`` of the next write, so a concurrent change made in
    Shopify is detected (compare-and-set) instead of overwritten.
    """

    _name = "shopify.inventory.level"
    _description = "Shopify Inventory Level"
    _inherit = ["shopify.figure.explained.mixin"]
    _order = "binding_id, shopify_location_id"
    _rec_name = "binding_id"

    binding_id = fields.Many2one(
        "shopify.product.binding", required=True, ondelete="cascade", index=True
    )
    shop_id = fields.Many2one(related="binding_id.shop_id", store=True, index=True)
    product_id = fields.Many2one(related="binding_id.product_id", store=True)
    shopify_location_id = fields.Many2one(
        "shopify.location", required=True, ondelete="cascade", index=True
    )
    expected_qty = fields.Integer(
        string="Expected", help="What Odoo's stock says Shopify should show."
    )
    shopify_available = fields.Integer(
        help="The value Shopify held after our last write or read.",
    )
    shopify_known = fields.Boolean(
        help="Whether Shopify's value has been read or written at least once."
    )
    # issue 22: a sale told from an edit
    shopify_committed = fields.Integer(
        readonly=True,
        help="Units Shopify had committed to unfulfilled orders at our last "
        "write or read. A drop of available that committed does not explain "
        "is an edit made in Shopify, written over with Odoo's figure.",
    )
    shopify_committed_known = fields.Boolean(
        readonly=True,
        help="Whether committed was read along with available (levels last "
        "read before Synco asked for it: a drop is taken for a sale).",
    )
    shopify_committed_date = fields.Datetime(
        string="Committed Read On",
        readonly=True,
        help="When the transaction that last read committed from Shopify "
        "began: a cancellation or an order edit Shopify made after it is not "
        "in what we remember yet, and is taken in when Odoo applies it.",
    )
    drop_sold_qty = fields.Integer(
        string="Last Drop: Sold",
        readonly=True,
        help="Of the last drop Shopify showed below our figure, the units it "
        "committed to orders (a sale): held until the order is imported.",
    )
    drop_edited_qty = fields.Integer(
        string="Last Drop: Edited",
        readonly=True,
        help="Of the last drop Shopify showed below our figure, the units "
        "committed doesn't explain (an edit in Shopify): written over.",
    )
    drop_date = fields.Datetime(string="Last Drop On", readonly=True)
    # what Synco set of Shopify's unavailable states (see shopify.withheld.stock)
    shopify_quality_control = fields.Integer(string="Quality Control", readonly=True)
    shopify_damaged = fields.Integer(string="Damaged", readonly=True)
    shopify_safety_stock = fields.Integer(string="Safety Stock", readonly=True)
    held_qty = fields.Integer(
        string="Held for Shopify Sales",
        readonly=True,
        help="Units Shopify took out of its pool (an order, as far as we can "
        "tell) that Odoo has not reserved yet: kept out of every push until "
        "the order is imported, or a poll shows there is none.",
    )
    held_date = fields.Datetime(
        string="Held Since",
        readonly=True,
        help="When Shopify last showed units leaving that Odoo had not seen.",
    )
    last_push_date = fields.Datetime(string="Last Push")
    last_outcome = fields.Selection(
        [
            ("applied", "Applied"),
            ("stale_resolved", "Applied after a concurrent change"),
            ("activated", "Stocked at the location, then applied"),
            ("unchanged", "Unchanged"),
            ("not_stocked", "Not stocked at the location"),
            ("failed", "Failed"),
            ("bundle", "A Shopify bundle: Shopify computes its stock"),
        ],
        readonly=True,
    )
    last_message = fields.Char(readonly=True)

    _binding_location_uniq = models.Constraint(
        "UNIQUE (binding_id, shopify_location_id)",
        "One level per product and Shopify location.",
    )
    _held_positive = models.Constraint(
        "CHECK (held_qty >= 0)", "Held units can't be negative."
    )

    def _synco_target(self, odoo_figure):
        """What Shopify should show: Odoo's figure minus the held sales."""
        self.ensure_one()
        return max(0, odoo_figure - self.held_qty)

    def _synco_held_message(self):
        self.ensure_one()
        return self.env._(
            "%(units)s unit(s) held for Shopify sales not in Odoo yet: an "
            "order poll will bring the order or release them.",
            units=self.held_qty,
        )

    @api.model
    def _synco_lowered_bindings(self, targets):
        """The ids of the bindings whose push of ``targets`` lowers at least
        one level Shopify is known to hold (``lib.push.lowers``).

        Read at enqueue time, in one query on the levels' columns (no record
        is loaded): a push that takes risk away goes ahead of the others.  A
        level an import asked to read again (forgotten) is judged by the
        value last known: its push reads it first, and still lowers it.

        :param targets: {(binding id, shopify.location id): Odoo's figure}
        """
        if not targets:
            return set()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT binding_id, shopify_location_id, held_qty, "
                "shopify_available FROM shopify_inventory_level "
                "WHERE binding_id IN %s AND (shopify_known "
                "OR shopify_committed_known OR last_push_date IS NOT NULL)",
                tuple({binding_id for binding_id, _location in targets}),
            )
        )
        return {
            binding_id
            for binding_id, location_id, held, available in self.env.cr.fetchall()
            if (binding_id, location_id) in targets
            and lowers(targets[binding_id, location_id], held or 0, True, available)
        }

    def _synco_absorb(self, value, evidence=True, drops=None):
        """Shopify holds ``value`` now (just read): remember it.

        With ``evidence``, a drop below the value we last knew is told apart
        (``lib/push.split_drop``): the units Shopify committed to orders
        since then are a sale Odoo hasn't seen (its order not imported yet)
        and are held; the rest is an edit made in Shopify, which the push
        writes over.  A level forgotten (``shopify_known`` off: read before
        the next write) gives the same evidence when ``committed`` is known
        on both sides: an order import or a fulfilment move has already
        taken its own units out of what we remember (``account`` in
        :meth:`_synco_settle`), so what is left of the drop is Shopify's
        doing.  Without ``committed`` it gives none (as before issue 24:
        the drop may be the imported order).

        :param value: Shopify's available, a ``LevelQuantities`` carrying
            ``committed`` when it was read (a plain int otherwise)
        :param drops: a set the level's id is added to when a drop was seen
        :return: the units newly held
        """
        self.ensure_one()
        vals = {"shopify_available": int(value), "shopify_known": True}
        vals.update(self._synco_committed_vals(value))
        held = 0
        judged = self.shopify_known or (
            self.shopify_committed_known and committed_of(value) is not None
        )
        if evidence and judged and value < self.shopify_available:
            vals.update(self._synco_drop_vals(self.shopify_available - value, value))
            held = vals["drop_sold_qty"]
            if drops is not None:
                drops.add(self.id)
            if held:
                vals.update(self._synco_hold_vals(held))
        self.write(vals)
        if "drop_date" in vals:
            self._synco_note_drop()
        return held

    @api.model
    def _synco_create_many(self, pairs):
        """Create the levels of ``pairs`` [(binding id, shopify.location id)]
        in one ``INSERT``: a first reconciliation creates tens of thousands.

        What ``create`` would store: the two keys, the binding's shop and
        product (the related stored fields), the log columns; every other
        field is empty, as the model has no default.  A level created
        meanwhile by another transaction raises ``UniqueViolation``, as
        ``create`` does.
        """
        if not pairs:
            return self.browse()
        self.env["shopify.product.binding"].flush_model(["shop_id", "product_id"])
        uid, now = self.env.uid, self.env.cr.now()
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO shopify_inventory_level
                       (binding_id, shopify_location_id, shop_id, product_id,
                        create_uid, create_date, write_uid, write_date)
                SELECT binding.id, new.location_id, binding.shop_id,
                       binding.product_id, %s, %s, %s, %s
                  FROM unnest(%s::int[], %s::int[])
                       WITH ORDINALITY AS new(binding_id, location_id, position)
                  JOIN shopify_product_binding binding
                    ON binding.id = new.binding_id
                 ORDER BY new.position
                RETURNING id
                """,
                uid,
                now,
                uid,
                now,
                _int_array([binding_id for binding_id, _location in pairs]),
                _int_array([location_id for _binding, location_id in pairs]),
            )
        )
        self.env["shopify.product.binding"].invalidate_model(["level_ids"])
        return self.browse([row[0] for row in rows])

    @api.model
    def _synco_absorb_many(self, values, evidence=True, drops=None):
        """``_synco_absorb`` of many levels: {level: value} -> units held.

        A level whose value tells no drop gets the same values as from
        ``_synco_absorb``, written with every other level reading the same
        (``_synco_write_grouped``): a reconciliation absorbs thousands.
        """
        held, plain = 0, []
        for level, value in values.items():
            if evidence and level.shopify_known and value < level.shopify_available:
                held += level._synco_absorb(value, evidence, drops)
                continue
            vals = {"shopify_available": int(value), "shopify_known": True}
            vals.update(self._synco_committed_vals(value))
            plain.append((level, vals))
        self._synco_write_grouped(plain)
        return held

    @api.model
    def _synco_write_grouped(self, writes):
        """Write ``[(level, vals)]``: one ORM ``write`` per distinct vals.

        The same ``write`` as level by level (its access checks, write
        date, dependencies, validation), on every level getting the same
        values at once: a reconciliation writes tens of thousands of levels
        whose values repeat (a few hundred figures), 20x fewer calls.
        """
        groups = {}
        for level, vals in writes:
            key = tuple(sorted(vals.items()))
            groups.setdefault(key, []).extend(level.ids)
        for key, ids in groups.items():
            self.browse(ids).write(dict(key))

    @api.model
    def _synco_committed_vals(self, value):
        """The committed read with ``value``, to remember (none if not read),
        and when: this transaction's start, no later than the read."""
        committed = committed_of(value)
        if committed is None:
            return {}
        return {
            "shopify_committed": committed,
            "shopify_committed_known": True,
            "shopify_committed_date": self.env.cr.now(),
        }

    def _synco_drop_vals(self, drop, value):
        """Shopify's available fell by ``drop`` to ``value``: sale or edit?"""
        self.ensure_one()
        sold, edited = split_drop(
            drop, self._synco_committed_before(), committed_of(value)
        )
        return {
            "drop_sold_qty": sold,
            "drop_edited_qty": edited,
            "drop_date": fields.Datetime.now(),
        }

    def _synco_committed_before(self):
        """``committed`` at our last write or read, to tell a sale from an
        edit (``lib/push.split_drop``); None when it tells nothing.

        At a retail store it never does: a counter sale leaves through the
        till, fulfilled at once, so its units never pass through
        ``committed`` and look like an edit.  A drop there is held as a sale
        until its order is imported, or a poll finds none (then Odoo's
        figure is written, as over an edit): Shopify never offers a unit
        sold at the counter meanwhile.
        """
        self.ensure_one()
        if not self.shopify_committed_known or self.shopify_location_id.retail_store:
            return None
        return self.shopify_committed

    def _synco_note_drop(self):
        """Tell the level's unresolved drift what its last drop was."""
        self.ensure_one()
        sold, edited = self.drop_sold_qty, self.drop_edited_qty
        if not (sold or edited):
            return
        cause = "both" if sold and edited else ("sale" if sold else "edit")
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                self.env.cr.execute(
                    SQL(
                        "UPDATE shopify_drift SET cause = %s WHERE binding_id = %s "
                        "AND shopify_location_id = %s AND state != 'resolved'",
                        cause,
                        self.binding_id.id,
                        self.shopify_location_id.id,
                    )
                )
        except psycopg2.errors.SerializationFailure:
            # the drift changed since our snapshot (resolved, or noted by
            # another job): the note is that transaction's; a push retried
            # for a note would only delay the level
            return
        self.env["shopify.drift"].invalidate_model(["cause"])

    def _synco_drop_message(self):
        """What the last drop was, for a push outcome and "why this number?"."""
        self.ensure_one()
        if not self.drop_date:
            return ""
        parts = []
        if self.drop_sold_qty:
            parts.append(
                self.env._(
                    "%(units)s unit(s) sold in Shopify (committed to orders "
                    "Odoo hasn't imported): held",
                    units=self.drop_sold_qty,
                )
            )
        if self.drop_edited_qty:
            parts.append(
                self.env._(
                    "%(units)s unit(s) removed by an edit in Shopify (committed "
                    "unchanged): Odoo's figure written over it",
                    units=self.drop_edited_qty,
                )
            )
        return "; ".join(parts)

    @api.model
    def _synco_remember_in_sync(self, shop, bindings, locations, values, committed):
        """Remember Shopify's figure of levels a run found as Odoo wants them.

        A push or a run whose worker died after Shopify applied its write (a
        server killed mid-job) leaves its transaction rolled back: Odoo still
        remembers the older figure, and the next push would compare-and-set
        from it and take the difference for a Shopify sale (a false hold).
        A run reads every level; those that agree with Odoo are remembered
        as read, without evidence of any sale.

        :param bindings: binding ids, and beside them (lists of the same
            length) ``locations`` shopify.location ids, ``values`` Shopify's
            levels and ``committed`` Shopify's committed units (None: not read)
        """
        if not bindings:
            return
        # one statement per chunk: a million-level run reads no level record
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE shopify_inventory_level level
                   SET shopify_available = seen.value, shopify_known = TRUE,
                       shopify_committed = COALESCE(
                           seen.committed, level.shopify_committed),
                       shopify_committed_known = (
                           seen.committed IS NOT NULL
                           OR level.shopify_committed_known IS TRUE),
                       shopify_committed_date = CASE
                           WHEN seen.committed IS NOT NULL
                           THEN now() AT TIME ZONE 'utc'
                           ELSE level.shopify_committed_date END
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[])
                       AS seen(binding_id, location_id, value, committed)
                 WHERE level.shop_id = %s
                   AND level.binding_id = seen.binding_id
                   AND level.shopify_location_id = seen.location_id
                   AND (NOT level.shopify_known
                        OR level.shopify_available IS DISTINCT FROM seen.value
                        OR (seen.committed IS NOT NULL
                            AND level.shopify_committed
                                IS DISTINCT FROM seen.committed))
                """,
                _int_array(bindings),
                _int_array(locations),
                _int_array(values),
                _int_array(committed),
                shop.id,
            )
        )
        self.invalidate_model(
            [
                "shopify_available",
                "shopify_known",
                "shopify_committed",
                "shopify_committed_known",
                "shopify_committed_date",
            ]
        )

    def _synco_hold_vals(self, units):
        self.ensure_one()
        return {
            "held_qty": self.held_qty + units,
            "held_date": fields.Datetime.now(),
        }

    def _synco_settle_or_delay(self, settle, bindings, description, urgency=None):
        """Settle these levels now if no job holds them, else leave it to a push.

        An order import, an edit, a poll or a drift webhook changes the
        levels of products a push may be writing at that very moment.
        Free (the usual case), they are locked and settled in this
        transaction, as part of it.  Held by a push, or changed since this
        transaction began, waiting for them would end in a serialization
        failure once the push commits: a push of ``bindings`` is enqueued
        instead that settles them once it holds their locks; until it runs
        a push may only offer less, never more.

        With ``synco_settle_in_push`` in the context (the order poll, one
        long transaction over many orders), the levels are never locked
        here: pushes of those products would wait for the poll's end.

        :param urgency: the delayed push's job options (a correction first)
        :return: True when settled now (the caller enqueues its own push)
        """
        if not self.env.context.get("synco_settle_in_push") and (
            not self
            or try_lock_rows(self.env.cr, self._table, SQL("id IN %s", tuple(self.ids)))
            is not None
        ):
            self._synco_settle(settle)
            return True
        bindings._delay_settle(settle, description, urgency)
        return False

    def _synco_settle(self, settle):
        """Apply what an order import, edit, cancellation or poll left to a push.

        Either at once, when no job holds the levels, or by the push that
        holds their locks, before it reads or writes (see
        ``_synco_settle_or_delay``):

        * ``release``: [[product id, units]] an imported or cancelled order
          explains: they stop being held, at the ``prefer`` Shopify
          locations (ids) first, and only at the ``release_at`` ones when
          given (where Shopify took the order: a hold elsewhere is another
          sale, whose order Odoo still lacks);
        * ``unhold_before``: holds last added before this time (a poll found
          no order for them) are dropped: Odoo owns quantities; ``keep``:
          [[product id, units]] of orders held in exception stay held;
        * ``account``: [[product id, Shopify location id (or None: every
          location of the product), available, committed]]: what Shopify
          did there for an order Odoo now has: ``available`` units taken
          out of it (an order placed; negative: given back) and
          ``committed`` units added to it (negative: a fulfilment Synco
          created took them out), taken into what we remember, so the next
          read or compare-and-set judges only the rest of a change (a sale
          whose order Odoo still lacks is held, not written over).  A level
          that held units the same settle released had already seen that
          drop: only the rest is taken in.  A fifth item, when Shopify made
          the change (a cancellation, an order edit: Odoo applies it
          seconds or minutes later), leaves out the levels whose committed
          was read since (``shopify_committed_date``): that read saw it.
        * ``forget``: Shopify's level is read again before the write: ``True``
          for every level, or a list of Shopify location ids.
        """
        released = {}
        if settle.get("release"):
            at = settle.get("release_at")
            released = self.filtered(
                lambda lvl: not at or lvl.shopify_location_id.id in at
            )._synco_release(
                {int(product): units for product, units in settle["release"]},
                preferred_locations=self.env["shopify.location"].browse(
                    settle.get("prefer") or []
                ),
            )
        for product, location, available, committed, *when in (
            settle.get("account") or ()
        ):
            for level in self.filtered(
                lambda lvl, p=product, loc=location: lvl.product_id.id == p
                and (not loc or lvl.shopify_location_id.id == loc)
            ):
                if when and level._synco_read_since(when[0]):
                    continue
                taken = round(available)
                # units given back (negative) were never held: nothing seen
                seen = min(released.get(level.id, 0), taken) if taken > 0 else 0
                taken -= seen
                added = round(committed)
                if added > 0:
                    added -= min(seen, added)
                vals = {}
                if taken:
                    vals["shopify_available"] = level.shopify_available - taken
                if added and level.shopify_committed_known:
                    vals["shopify_committed"] = max(0, level.shopify_committed + added)
                if vals:
                    level.write(vals)
        if settle.get("unhold_before"):
            self._synco_unhold(
                fields.Datetime.to_datetime(settle["unhold_before"]),
                {int(product): units for product, units in settle.get("keep") or ()},
            )
        forget = settle.get("forget")
        if forget:
            self.filtered(
                lambda lvl: forget is True or lvl.shopify_location_id.id in forget
            ).shopify_known = False

    def _synco_read_since(self, moment):
        """Whether committed was read after Shopify's change at ``moment``
        (whole seconds: it may be up to one later).  The read's time is its
        transaction's start, no later than the read: one that began within
        that second or before may not have seen it (taken in: at worst
        units held until a poll, never a sale written over)."""
        self.ensure_one()
        moment = fields.Datetime.to_datetime(moment)
        return bool(
            self.shopify_committed_date
            and self.shopify_committed_date >= moment + timedelta(seconds=1)
        )

    def _synco_unhold(self, limit, keep):
        """Drop the holds last added before ``limit`` (no order explains
        them), but ``keep`` {product id: units} that orders held in
        exception explain."""
        keep = dict(keep)
        for level in self.filtered(
            lambda lvl: lvl.held_qty and lvl.held_date and lvl.held_date < limit
        ):
            kept = min(level.held_qty, keep.get(level.product_id.id, 0))
            if kept:
                keep[level.product_id.id] -= kept
                level.held_qty = kept
            else:
                level.write({"held_qty": 0, "held_date": False})

    def _synco_release(self, quantities, preferred_locations=None):
        """An imported order explains ``quantities`` {product id: units}.

        Its units stop being held, at the order's locations first (Shopify
        may have taken them at another location than Odoo's routing).

        :return: {level id: units released there}
        """
        preferred_locations = preferred_locations or self.env["shopify.location"]
        released = {}
        for product_id, quantity in quantities.items():
            units = round(quantity)
            levels = self.filtered(
                lambda lvl, p=product_id: lvl.product_id.id == p and lvl.held_qty > 0
            ).sorted(lambda lvl: lvl.shopify_location_id not in preferred_locations)
            for level in levels:
                if units <= 0:
                    break
                take = min(level.held_qty, units)
                units -= take
                released[level.id] = released.get(level.id, 0) + take
                level.held_qty -= take
                if not level.held_qty:
                    level.held_date = False
        return released
