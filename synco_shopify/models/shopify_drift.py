# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL, mute_logger

SOURCES = [
    ("webhook", "Webhook"),
    ("push", "Push"),
    ("reconciliation", "Reconciliation"),
]
# rows per INSERT ... ON CONFLICT statement
UPSERT_CHUNK = 5000


def _id(value):
    """A record's id, or the id itself."""
    return getattr(value, "id", value)


class ShopifyDrift(models.Model):
    """Shopify shows a level that differs from Odoo's figure.

    Odoo owns quantities, so what Shopify reports (an ``inventory_levels/update``
    webhook, the levels a reconciliation reads, the answer to a push) never
    writes Odoo stock: it is compared with what the mapping computes, and a
    difference is recorded here.  A drift lives from the first observation of
    a difference to the first observation of agreement:

    * *open*: Shopify and Odoo disagree and nothing is correcting it yet;
    * *correcting*: the path that saw it enqueued a corrective push;
    * *resolved*: a later webhook, push or reconciliation saw them agree.

    There is at most one unresolved drift per (product binding, Shopify
    location), kept by a partial unique index: a difference seen again
    updates it (latest figures, occurrences, last seen).  A Shopify sale not
    imported yet shows up briefly, and resolves when the order's reservation
    is pushed.  Every path goes through :meth:`_synco_observe`.
    """

    _name = "shopify.drift"
    _description = "Shopify Inventory Drift"
    _inherit = ["shopify.figure.explained.mixin"]
    _order = "date_last_seen desc, id desc"
    _rec_name = "binding_id"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True, readonly=True
    )
    binding_id = fields.Many2one(
        "shopify.product.binding", required=True, ondelete="cascade", readonly=True
    )
    product_id = fields.Many2one(related="binding_id.product_id", store=True)
    shopify_location_id = fields.Many2one(
        "shopify.location", required=True, ondelete="cascade", readonly=True
    )
    expected_qty = fields.Integer(
        string="Odoo Figure", readonly=True, help="What Odoo's stock says."
    )
    shopify_qty = fields.Integer(
        string="Shopify Available", readonly=True, help="What Shopify reported."
    )
    difference = fields.Integer(readonly=True, help="Shopify minus Odoo.")
    state = fields.Selection(
        [
            ("open", "Open"),
            ("correcting", "Corrective push enqueued"),
            ("resolved", "Resolved"),
        ],
        required=True,
        default="open",
        readonly=True,
        index=True,
    )
    occurrences = fields.Integer(
        default=1,
        readonly=True,
        help="How many times the difference was seen before it was resolved.",
    )
    date_detected = fields.Datetime(
        string="First Seen", default=fields.Datetime.now, required=True, readonly=True
    )
    date_last_seen = fields.Datetime(
        string="Last Seen", default=fields.Datetime.now, readonly=True
    )
    date_resolved = fields.Datetime(string="Resolved On", readonly=True)
    duration = fields.Float(
        string="Duration (hours)",
        compute="_compute_duration",
        store=True,
        aggregator="avg",
        help="From first seen to resolved.",
    )
    # issue 22: a sale told from an edit
    cause = fields.Selection(
        [
            ("sale", "Shopify sale not in Odoo yet (held)"),
            ("edit", "Edit in Shopify (written over)"),
            ("both", "Sale held and edit written over"),
        ],
        readonly=True,
        help="What Shopify's drop below Odoo's figure was, told by its "
        "committed units: a sale moves units to committed, an edit doesn't.",
    )
    detected_by = fields.Selection(SOURCES, readonly=True)
    resolved_by = fields.Selection(SOURCES, readonly=True)
    event_id = fields.Many2one(
        "shopify.webhook.event",
        ondelete="set null",
        readonly=True,
        help="The latest webhook that reported the difference.",
    )

    _unresolved_unique = models.UniqueIndex(
        "(binding_id, shopify_location_id) WHERE state != 'resolved'",
        "A product has at most one unresolved drift per Shopify location.",
    )

    @api.depends("date_detected", "date_resolved")
    def _compute_duration(self):
        for drift in self:
            if drift.date_detected and drift.date_resolved:
                seconds = (drift.date_resolved - drift.date_detected).total_seconds()
                drift.duration = max(0.0, seconds / 3600.0)
            else:
                drift.duration = 0.0

    # -------------------------------------------------------------- observing
    @api.model
    def _synco_observe(
        self, shop, observations, source, correcting=False, event=None, agreed=None
    ):
        """Record what a path saw of Shopify against Odoo: the one way into drift.

        :param shop: the ``shopify.shop`` the observations belong to
        :param observations: iterable of ``(binding, shopify_location,
            odoo_figure, shopify_figure)``; ``binding`` (shopify.product.binding)
            and ``shopify_location`` (shopify.location) as records or ids, the
            figures as ints.  Odoo's figure is what the mapping computes for
            Shopify; Shopify's is what Shopify shows *after* the caller acted
            (for a level just written, the written figure).  A ``None`` figure
            (not stocked, not computed) says nothing and is skipped; when a key
            appears twice, the last observation wins.
        :param source: ``"webhook"``, ``"push"`` or ``"reconciliation"``
        :param correcting: the caller enqueued a corrective push for the
            disagreements: they are recorded as *correcting*, else *open*
        :param event: the ``shopify.webhook.event`` behind them, if any
        :param agreed: (binding id, shopify.location id) of more levels seen
            showing Odoo's very figure (a reconciliation's levels in sync,
            without an observation each); none of them in ``observations``
        :return: ``(unresolved, resolved)``: the drift records the
            disagreements created or updated, and those the agreements resolved

        Agreement is a difference no larger than the drift threshold of the
        location's active mapping (0, exact, without one): reconciliation leaves
        such a level alone on purpose, so it is not drift anyone will correct.
        Agreement resolves the unresolved drift of its (binding, location), if
        any, and creates nothing; disagreement creates the drift or updates the
        unresolved one (figures, state, occurrences + 1, last seen).

        Cheap in bulk (a reconciliation passes every level it checked): one
        search of the shop's unresolved drift, one write resolving them, and
        one ``INSERT ... ON CONFLICT DO UPDATE`` per 5 000 disagreements on the
        partial unique index.  Two jobs racing on one level therefore never
        add two drifts: the second waits for the first, and under Odoo's
        repeatable-read isolation fails to serialize on that level; its
        observation of that level is then dropped (the first's record
        stands), not the whole job rerun with its Shopify calls.
        """
        thresholds = {
            mapping.shopify_location_id.id: mapping.drift_threshold
            for mapping in shop.sudo().mapping_ids
            if mapping.state == "active"
        }
        disagree, agree = {}, set()
        for binding, location, odoo_figure, shopify_figure in observations:
            if odoo_figure is None or shopify_figure is None:
                continue
            key = (_id(binding), _id(location))
            if abs(shopify_figure - odoo_figure) <= thresholds.get(key[1], 0):
                agree.add(key)
                disagree.pop(key, None)
            else:
                disagree[key] = (odoo_figure, shopify_figure)
                agree.discard(key)
        if agreed is not None:
            agree.update(agreed)
        Drift = self.sudo()
        resolved = Drift.browse()
        if agree:
            unresolved = Drift.search_fetch(
                [("shop_id", "=", shop.id), ("state", "!=", "resolved")],
                ["binding_id", "shopify_location_id"],
            )
            resolved = unresolved.filtered(
                lambda d: (d.binding_id.id, d.shopify_location_id.id) in agree
            )._synco_uncontended()
            if resolved:
                resolved.write(
                    {
                        "state": "resolved",
                        "date_resolved": fields.Datetime.now(),
                        "resolved_by": source,
                    }
                )
        unresolved = Drift.browse(
            self._synco_upsert(shop, disagree, source, correcting, event)
        )
        return unresolved, resolved

    def _synco_uncontended(self):
        """These drifts, less those another job holds or changed meanwhile.

        A push resolving a drift that a webhook job is updating would wait
        for it and then fail to serialize (repeatable read), and run again
        with its Shopify calls.  Resolving is left to a later observation
        instead: the next push, webhook or reconciliation.
        """
        if not self:
            return self
        cr = self.env.cr
        query = (
            "SELECT id FROM shopify_drift WHERE id IN %s FOR NO KEY UPDATE SKIP LOCKED"
        )
        try:
            with cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                cr.execute(SQL(query, tuple(self.ids)))
                return self.browse([row[0] for row in cr.fetchall()])
        except psycopg2.errors.SerializationFailure:
            if len(self) == 1:
                return self.browse()
        # one of them changed since this transaction began: the others may go
        return self.browse().union(*(drift._synco_uncontended() for drift in self))

    @api.model
    def _synco_upsert(self, shop, disagree, source, correcting, event):
        """Create or update the unresolved drift of each disagreement.

        :param disagree: {(binding id, shopify.location id): (odoo, shopify)}
        :return: the ids of the drift records, created or updated
        """
        if not disagree:
            return []
        self.env["shopify.product.binding"].flush_model(["product_id"])
        self.flush_model()
        cr = self.env.cr
        now = fields.Datetime.now()
        uid = self.env.uid
        state = "correcting" if correcting else "open"
        event_id = event.id if event else None
        items = list(disagree.items())
        ids = []

        def upsert(chunk):
            values = SQL(", ").join(
                SQL("(%s, %s, %s, %s)", binding_id, location_id, odoo, shopify)
                for (binding_id, location_id), (odoo, shopify) in chunk
            )
            cr.execute(
                SQL(
                    """
                    INSERT INTO shopify_drift AS d (
                        shop_id, binding_id, product_id, shopify_location_id,
                        expected_qty, shopify_qty, difference, state, occurrences,
                        date_detected, date_last_seen, detected_by, event_id,
                        create_uid, write_uid, create_date, write_date
                    )
                    SELECT %(shop)s, v.binding_id, b.product_id, v.location_id,
                           v.odoo, v.shopify, v.shopify - v.odoo, %(state)s, 1,
                           %(now)s, %(now)s, %(source)s, %(event)s,
                           %(uid)s, %(uid)s, %(now)s, %(now)s
                      FROM (VALUES %(values)s)
                           AS v (binding_id, location_id, odoo, shopify)
                      JOIN shopify_product_binding b ON b.id = v.binding_id
                    ON CONFLICT (binding_id, shopify_location_id)
                       WHERE state != 'resolved'
                    DO UPDATE SET expected_qty = EXCLUDED.expected_qty,
                                  shopify_qty = EXCLUDED.shopify_qty,
                                  difference = EXCLUDED.difference,
                                  state = EXCLUDED.state,
                                  occurrences = d.occurrences + 1,
                                  date_last_seen = EXCLUDED.date_last_seen,
                                  event_id = COALESCE(EXCLUDED.event_id, d.event_id),
                                  write_uid = EXCLUDED.write_uid,
                                  write_date = EXCLUDED.write_date
                    RETURNING d.id
                    """,
                    shop=shop.id,
                    state=state,
                    now=now,
                    source=source,
                    event=event_id,
                    uid=uid,
                    values=values,
                )
            )
            return [row[0] for row in cr.fetchall()]

        def upsert_uncontended(chunk):
            # a drift another job recorded since this transaction began
            # fails to serialize: that record stands, the next observation
            # updates it (as for resolving, see ``_synco_uncontended``)
            try:
                with cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                    return upsert(chunk)
            except psycopg2.errors.SerializationFailure:
                if len(chunk) == 1:
                    return []
            return [i for item in chunk for i in upsert_uncontended([item])]

        for start in range(0, len(items), UPSERT_CHUNK):
            ids.extend(upsert_uncontended(items[start : start + UPSERT_CHUNK]))
        self.invalidate_model()
        return ids
